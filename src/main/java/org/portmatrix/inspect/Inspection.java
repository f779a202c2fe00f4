package org.portmatrix.inspect;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.portmatrix.classify.Addresses;
import org.portmatrix.classify.Classification;
import org.portmatrix.classify.Classifier;
import org.portmatrix.classify.CompiledCatalog;
import org.portmatrix.classify.Roles;
import org.portmatrix.classify.Rule;
import org.portmatrix.classify.RuleProtocol;
import org.portmatrix.classify.Verdict;
import org.portmatrix.decode.IpProtocol;
import org.portmatrix.flow.Flow;
import org.portmatrix.inspect.lookalike.Lookalikes;
import org.portmatrix.inspect.tls.Certificates;
import org.portmatrix.inspect.tls.TlsInspector;
import org.portmatrix.inspect.tls.TlsSession;

/**
 * The inspect stage: names the application protocol on the wire from the first payloads of each
 * flow and checks it against the catalog rule that the port and roles matched.
 *
 * <p>Per packet ({@link #packet}): while a flow is undecided its payload goes to the candidate
 * inspectors, the one the responder's port suggests first (from the catalog's rules and the
 * inspectors' well-known ports), then the others in {@link Inspectors} order. Each flow gets at most
 * {@link #BUDGET} payloads per direction; once its protocol is decided (and the TLS handshake, if
 * any, followed), {@link FlowInspection#done} is set and {@link #wants} is false: the pipeline hands
 * it nothing more.
 *
 * <p>Per flow ({@link #finish}): sets {@code appProtocol}; refines an {@code expected} verdict to
 * {@code protocol_mismatch} or {@code unverifiable} when the payload does not show what the rule
 * documents; adds the flow's certificates to the run's {@link CertificateInventory}.
 */
public final class Inspection {
    /** Payloads looked at per direction of a flow. */
    public static final int BUDGET = 8;
    /**
     * Payloads looked at per direction of a TLS flow whose handshake is followed ({@link Inspector#budget}): a server's
     * first flight with a CertificateRequest naming every CA it trusts (Windows' SendTrustedIssuerList: 250 CA names, 45 KB
     * in 32 segments of 1,448 bytes; tls-ca-list.pcap), or a client certificate of 19 KB, is past 8 payloads, and every
     * MTLS flow of such a server was unverifiable. Parsing skips what it does not keep: a payload costs little.
     */
    public static final int HANDSHAKE_BUDGET = 64;
    /** Payloads that repeat earlier ones ({@link FlowInspection#repeats}) passed over, per payload of the budget, before the flow is given up. */
    static final int REPEATS = 8;
    private static final int TCP = 0;
    private static final int UDP = 1;
    private static final byte NO_HINT = -1;

    private final Inspector[] inspectors;
    private final byte[][] hint = new byte[2][65536];
    private final int tcpCandidates;
    private final int udpCandidates;
    private final CertificateInventory inventory = new CertificateInventory();
    /** Every distinct certificate seen, parsed once (null: not parseable), by its DER bytes. */
    private final Map<Der, CertificateInfo> parsed = new HashMap<>();

    /** Port hints from the inspectors' well-known ports only. */
    public Inspection() {
        this(null);
    }

    /** Port hints from the catalog's rules (the protocol each port documents) and the inspectors' well-known ports. */
    public Inspection(CompiledCatalog catalog) {
        List<Inspector> all = Inspectors.all();
        inspectors = all.toArray(new Inspector[0]);
        int t = 0;
        int u = 0;
        for (int i = 0; i < inspectors.length; i++) {
            if (inspectors[i].runsOn(true)) {
                t |= 1 << i;
            }
            if (inspectors[i].runsOn(false)) {
                u |= 1 << i;
            }
        }
        tcpCandidates = t;
        udpCandidates = u;
        java.util.Arrays.fill(hint[TCP], NO_HINT);
        java.util.Arrays.fill(hint[UDP], NO_HINT);
        if (catalog != null) {
            // wide ranges first, so that a narrower rule on the same port wins
            List<Rule> rules = new ArrayList<>(catalog.catalog().rules());
            rules.sort((a, b) -> Integer.compare(b.portMax() - b.portMin(), a.portMax() - a.portMin()));
            for (Rule r : rules) {
                int slot = slotFor(r.protocol(), r.transport() == IpProtocol.TCP);
                if (slot < 0) {
                    continue;
                }
                // (a fill, not a loop: this runs interpreted before the first packet, 16,384 ports a media range)
                java.util.Arrays.fill(hint[r.transport() == IpProtocol.TCP ? TCP : UDP], r.portMin(), r.portMax() + 1, (byte) slot);
            }
        }
        for (int i = 0; i < inspectors.length; i++) {
            for (int p : inspectors[i].ports(true)) {
                if (hint[TCP][p] == NO_HINT) {
                    hint[TCP][p] = (byte) i;
                }
            }
            for (int p : inspectors[i].ports(false)) {
                if (hint[UDP][p] == NO_HINT) {
                    hint[UDP][p] = (byte) i;
                }
            }
        }
    }

    /** The inspector a rule protocol suggests, or -1. */
    static int slotFor(RuleProtocol rp, boolean tcp) {
        return switch (rp) {
            case MTLS, TLS, HTTPS, PSOM -> Inspectors.TLS;
            case HTTP -> Inspectors.HTTP;
            case SIP -> Inspectors.SIP;
            case STUN -> Inspectors.STUN;
            case MEDIA -> tcp ? Inspectors.STUN : Inspectors.RTP;
            case DCERPC -> Inspectors.DCERPC;
            case SSRP -> Inspectors.SSRP;
            case DHCP -> Inspectors.DHCP;
            case SMB -> Inspectors.SMB;
            case TCP, UDP -> -1;
        };
    }

    /** True while the flow's payload is still wanted: the one check the pipeline makes per packet. */
    public static boolean wants(Flow f) {
        Object s = f.inspection;
        return s == null || !((FlowInspection) s).done;
    }

    /** Called for a packet with payload while {@link #wants} is true; the payload is taken as in order. */
    public void packet(Flow f, boolean forward, byte[] b, int off, int len) {
        packet(f, forward, -1, b, off, len);
    }

    /**
     * Called for a packet with payload while {@link #wants} is true.
     *
     * @param tcpSeq the TCP sequence number of the payload (unsigned 32-bit), or -1 for UDP or unknown
     */
    public void packet(Flow f, boolean forward, long tcpSeq, byte[] b, int off, int len) {
        packet(f, forward, tcpSeq, b, off, len, WHOLE);
    }

    /** The payload given to {@link #packet(Flow, boolean, long, byte[], int, int, int)} is all that was sent. */
    public static final int WHOLE = 0;
    /** ... was cut by the capture's snap length (the packet was longer on the wire). */
    public static final int CUT_BY_SNAP_LENGTH = 1;
    /** ... is a first IP fragment's: the rest of the datagram came in later fragments, which are not inspected. */
    public static final int FIRST_FRAGMENT = 2;

    /**
     * Called for a packet with payload while {@link #wants} is true.
     *
     * @param tcpSeq the TCP sequence number of the payload (unsigned 32-bit), or -1 for UDP or unknown
     * @param cut {@link #WHOLE}, or how the payload is only the start of what was sent ({@link #CUT_BY_SNAP_LENGTH},
     *            {@link #FIRST_FRAGMENT}): an unrecognised payload is then not a mismatch, and a message whose length
     *            runs past it may still be told; with {@code len} 0 and cut by the snap length, all of it (counted as a
     *            payload that tells nothing)
     */
    public void packet(Flow f, boolean forward, long tcpSeq, byte[] b, int off, int len, int cut) {
        packet(f, forward, tcpSeq, -1, b, off, len, cut);
    }

    /**
     * Called for a packet with payload while {@link #wants} is true.
     *
     * @param tcpSeq the TCP sequence number of the payload's first byte (unsigned 32-bit), or -1 for UDP or unknown
     * @param tcpAck the TCP acknowledgment number the packet carries (unsigned 32-bit), or -1 without ACK: the other
     *               direction's bytes its sender has received
     * @param cut as for {@link #packet(Flow, boolean, long, byte[], int, int, int)}
     */
    public void packet(Flow f, boolean forward, long tcpSeq, long tcpAck, byte[] b, int off, int len, int cut) {
        if (len <= 0 && cut == WHOLE) {
            return;
        }
        FlowInspection fi = (FlowInspection) f.inspection;
        if (fi == null) {
            int proto = f.protocol();
            boolean tcp = proto == IpProtocol.TCP;
            fi = new FlowInspection(tcp, f.dstPort(), tcp ? tcpCandidates : proto == IpProtocol.UDP ? udpCandidates : 0);
            f.inspection = fi;
            if (fi.candidates == 0) {
                fi.done = true; // no inspector for this transport
                return;
            }
        }
        // The other end has received the bytes before the held ones, which the capture did not show: lost by the capture
        // (a mirror port's drop), not on the way, they will not come. What is held is looked at as it came, after this
        // payload (the server's answer tells the protocol first), not when the flow ends: an --extract queue had waited
        // for it, with every kept packet of the capture behind it.
        boolean gapPassed = fi.held != null && fi.heldForward != forward && tcpAck >= 0 && (int) (tcpAck - fi.heldSeq) >= 0;
        if (fi.tcp && len > 0 && tcpSeq >= 0 && cut == WHOLE) {
            long next = fi.nextSeq(forward);
            if (next < 0) {
                next = f.dataStart(forward);
            }
            if (next >= 0 && (int) (tcpSeq - next) > 0) { // ahead of its place (32-bit sequence arithmetic)
                if (hold(fi, forward, tcpSeq, b, off, len)) {
                    if (fi.done) { // (copies of held bytes past the flow's count of repeats)
                        giveBack(fi);
                    }
                    return;
                }
                if (fi.held != null && fi.heldForward == forward) {
                    release(f, fi, true); // another gap than can be held: what was held goes first, as it came, then this payload
                    if (fi.done) {
                        return;
                    }
                } else if (fi.nextSeq(forward) < 0) {
                    // Not held (past HOLD_CAP: a segment of a capture with TSO/LSO; the other direction holding; every
                    // buffer lent), and nothing of the direction before it: its first bytes are missing, as for held
                    // bytes released with the gap unfilled. A SYN-ACK's flow whose answer lost its first 32 KiB segment
                    // had been "none of the protocols", protocol_mismatch (start-missed.pcap).
                    fi.gapUnfilled = true;
                    fi.startMissed = true;
                }
            }
        }
        payload(f, fi, forward, tcpSeq, b, off, len, cut);
        if (fi.held == null) {
            return;
        }
        if (fi.done) {
            // Inspection ended on this payload (the other direction's decided the flow, ruled every inspector out or spent
            // the budget): nothing held would be looked at. Held on to until the flow ended, the flow was holding, and an
            // --extract queue waited for it with every kept packet of the capture behind it (wan-held-done.pcap).
            giveBack(fi);
        } else if (gapPassed || fi.heldForward == forward) {
            // every run, or those the payload joined to the bytes looked at (a gap before them filled)
            release(f, fi, gapPassed);
        }
    }

    /** Most bytes of a TCP direction held ahead of a gap ({@link FlowInspection#held}): a certificate flight's rest. */
    static final int HOLD_CAP = 16384;
    /** Most flows holding bytes at once (per packet thread); a flow past them is read as before, its gap a gap. */
    static final int HOLDS = 256;
    /**
     * Most runs of held bytes with a gap between each (segments lost apart from one another, sent again after those that
     * followed them: SACK's retransmissions of a certificate flight's second and fourth segments).
     */
    static final int HOLD_RUNS = 8;
    private final byte[][] holdPool = new byte[64][];
    private int holdPooled;
    private int holdsLent;

    /**
     * Holds a TCP payload that came ahead of its place: the segment before it was lost and sent again later, or came
     * later (a mirror port's or a WAN's reordering). Inspected as it came, a ClientHello's, a SIP INVITE's or an HTTP
     * request's second segment was the middle of a message, and the whole flow protocol_mismatch; a client Certificate's
     * segment after a gap stopped the handshake's parsing. Kept where it belongs among the bytes already held, up to
     * {@link #HOLD_RUNS} runs with gaps between them; false when it cannot be held ({@link #HOLD_CAP} bytes from the
     * first held to the last, more runs, the other direction holding, {@link #HOLDS} lent).
     */
    private boolean hold(FlowInspection fi, boolean forward, long seq, byte[] b, int off, int len) {
        if (fi.held == null) {
            if (len > HOLD_CAP || holdsLent >= HOLDS) {
                return false;
            }
            byte[] h;
            if (holdPooled > 0) {
                h = holdPool[--holdPooled];
                holdPool[holdPooled] = null;
            } else {
                h = new byte[HOLD_CAP]; // (at most HOLDS at once; given back to the pool when released)
            }
            if (fi.heldRuns == null) {
                fi.heldRuns = new int[2 * HOLD_RUNS]; // (once per flow, at its first hold)
            }
            holdsLent++;
            System.arraycopy(b, off, h, 0, len);
            fi.held = h;
            fi.heldSeq = seq;
            fi.heldLen = len;
            fi.heldForward = forward;
            fi.heldRuns[0] = 0;
            fi.heldRuns[1] = len;
            fi.heldRunCount = 1;
            return true;
        }
        if (fi.heldForward != forward) {
            return false;
        }
        int[] runs = fi.heldRuns;
        int n = fi.heldRunCount;
        long rel = (int) (seq - fi.heldSeq); // where it starts, from the held bytes' first
        long from = Math.min(0, rel);
        long to = Math.max(fi.heldLen, rel + len);
        if (to - from > HOLD_CAP) {
            return false;
        }
        // The runs it touches, [first, last): joined into one with it.
        int first = 0;
        while (first < n && runs[2 * first + 1] < rel) {
            first++;
        }
        int last = first;
        while (last < n && runs[2 * last] <= rel + len) {
            last++;
        }
        if (last - first == 1 && runs[2 * first] <= rel && rel + len <= runs[2 * first + 1]) {
            // a copy of held bytes (a mirror port's second copy)
            if (++fi.payloadsRepeated >= REPEATS * fi.budget) {
                fi.done = true;
            }
            return true;
        }
        if (n - (last - first) + 1 > HOLD_RUNS) {
            return false;
        }
        if (from < 0) { // before the held bytes: they move up
            int shift = (int) -from;
            System.arraycopy(fi.held, 0, fi.held, shift, fi.heldLen);
            for (int i = 0; i < 2 * n; i++) {
                runs[i] += shift;
            }
            fi.heldSeq = seq;
            rel = 0;
        }
        System.arraycopy(b, off, fi.held, (int) rel, len);
        int runFrom = (int) rel;
        int runTo = (int) (rel + len);
        if (last > first) {
            runFrom = Math.min(runFrom, runs[2 * first]);
            runTo = Math.max(runTo, runs[2 * (last - 1) + 1]);
        }
        // [first, last) replaced by the one run
        int removed = last - first;
        System.arraycopy(runs, 2 * last, runs, 2 * first + 2, 2 * (n - last));
        runs[2 * first] = runFrom;
        runs[2 * first + 1] = runTo;
        fi.heldRunCount = n - removed + 1;
        fi.heldLen = (int) (to - from);
        return true;
    }

    /**
     * Looks at held bytes (what of them the direction has not yet brought): the runs the bytes looked at have reached,
     * or with {@code all} every run, as it came; takes the buffer back once none is left.
     */
    private void release(Flow f, FlowInspection fi, boolean all) {
        byte[] h = fi.held;
        boolean forward = fi.heldForward;
        int[] runs = fi.heldRuns;
        int n = fi.heldRunCount;
        int done = 0;
        while (done < n && !fi.done) {
            int runFrom = runs[2 * done];
            int len = runs[2 * done + 1] - runFrom;
            long seq = (fi.heldSeq + runFrom) & 0xffffffffL;
            long next = fi.nextSeq(forward);
            boolean reached = next >= 0 && (int) (seq - next) <= 0;
            if (!all && !reached) {
                break; // a gap before it still
            }
            done++;
            int skip = reached && (int) (next - seq) > 0 ? (int) Math.min(len, (int) (next - seq)) : 0;
            if (skip < len) {
                if (!reached) { // never filled: the capture lacks the bytes before them
                    fi.gapUnfilled = true;
                    fi.startMissed |= next < 0;
                }
                payload(f, fi, forward, (seq + skip) & 0xffffffffL, h, runFrom + skip, len - skip, WHOLE);
            }
        }
        if (done < n && !fi.done) {
            System.arraycopy(runs, 2 * done, runs, 0, 2 * (n - done));
            fi.heldRunCount = n - done;
            return;
        }
        giveBack(fi);
    }

    /** Takes back the flow's held bytes' buffer, what is left in it not looked at. */
    private void giveBack(FlowInspection fi) {
        fi.heldUnseen |= !fi.anyPayload();
        byte[] h = fi.held;
        fi.held = null;
        fi.heldRunCount = 0;
        holdsLent--;
        if (holdPooled < holdPool.length) {
            holdPool[holdPooled++] = h;
        }
    }

    /**
     * The flow ended (on the packet thread, before it is handed on to be reported): bytes still held ahead of a gap that
     * was never filled are looked at as they came, a gap before them.
     */
    public void ended(Flow f) {
        if (f.inspection instanceof FlowInspection fi && fi.held != null) {
            release(f, fi, true);
        }
    }

    /** Bytes of the flow are held ahead of a gap ({@link #hold}): what inspection has seen so far is not all it will. */
    public static boolean holding(Flow f) {
        return f.inspection instanceof FlowInspection fi && fi.held != null;
    }

    private void payload(Flow f, FlowInspection fi, boolean forward, long tcpSeq, byte[] b, int off, int len, int cut) {
        if (len > 0 && fi.repeats(forward, fi.tcp ? tcpSeq : -1, b, off, len)) {
            // A copy or retransmission of what the direction already brought: not counted, nothing new to look at. Bounded:
            // a flow of nothing but copies (a flood of one datagram) is given up as one past its budget is.
            if (++fi.payloadsRepeated >= REPEATS * fi.budget) {
                fi.done = true;
            }
            return;
        }
        if (forward ? fi.payloadsFwd >= fi.budget : fi.payloadsRev >= fi.budget) {
            fi.payloadsSkipped++;
            endIfSpent(fi);
            return;
        }
        if (forward) {
            fi.payloadsFwd++;
        } else {
            fi.payloadsRev++;
        }
        fi.payloadFragmented |= cut == FIRST_FRAGMENT;
        fi.payloadSnapCut |= cut == CUT_BY_SNAP_LENGTH;
        if (len > fi.longestPayload) {
            fi.longestPayload = len;
        }
        if (len <= 0) {
            // Data on the wire, none captured (a header-only snap length): a payload seen, too short to tell anything;
            // such a flow was "expected, no payload was seen" where a few captured bytes made it unverifiable.
            endIfSpent(fi);
            return;
        }
        long seq = fi.tcp ? tcpSeq : -1;
        fi.connectionStartSeen = fi.tcp && !midStream(f, fi);
        if (fi.decided >= 0) {
            Inspector in = inspectors[fi.decided];
            in.follow(fi, fi.decided, forward, seq, b, off, len);
            if (!in.wantsMore(fi, fi.decided)) {
                fi.done = true;
            }
        } else {
            detect(fi, forward, seq, b, off, len, cut);
        }
        if (fi.app == AppProtocol.DCERPC && fi.tcp) {
            rpcEndpoints(f, fi, forward, b, off, len);
        }
        if (!fi.done) {
            endIfSpent(fi);
        }
    }

    /** An endpoint an endpoint mapper handed out: to whom (the initiator of the flow to 135), where, which port. */
    private record RpcEndpoint(long clientHi, long clientLo, long serverHi, long serverLo, int port) {}

    /**
     * The dynamic endpoints the endpoint mappers on TCP 135 handed out ({@link DceRpcInspector#towers}), each with the
     * flow that asked and when: {flow id, nanos}. At most {@link #RPC_ENDPOINTS}, the one handed out longest ago forgotten first. On the
     * thread that inspects the packets; a flow finds its entry when it is detected as DCE/RPC there, before it ends.
     */
    private final Map<RpcEndpoint, long[]> rpcEndpoints = new java.util.LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<RpcEndpoint, long[]> eldest) {
            return size() > RPC_ENDPOINTS;
        }
    };
    static final int RPC_ENDPOINTS = 4096;
    private final int[] towerPorts = new int[16];

    /**
     * DCOM and RPC (documented on TCP 135) ask the server's endpoint mapper on 135 for an interface's endpoint, then
     * connect to the dynamic port it names (49152-65535 on Windows): that second connection had been flagged, a Director's
     * move of users to a Front End `unexpected_role_pair` on the Front End's application sharing range. The mapper's
     * answers are read for the endpoints they hand out, and a DCE/RPC flow from the host that asked to one of them is
     * marked with the flow that asked ({@link FlowInspection#rpcEndpointFlow}).
     */
    private void rpcEndpoints(Flow f, FlowInspection fi, boolean forward, byte[] b, int off, int len) {
        if (fi.dstPort == org.portmatrix.inspect.dcerpc.DceRpcInspector.EPM_PORT) {
            if (forward) {
                return;
            }
            int n = org.portmatrix.inspect.dcerpc.DceRpcInspector.towers(b, off, len, towerPorts);
            for (int i = 0; i < n; i++) {
                // The endpoint is the mapper's own host, whatever IPv4 address the tower names: the RPC runtime takes the
                // port from the answer and connects to the address it asked (a server behind NAT, or with several
                // addresses, names one the client does not use; a tower naming another host is no answer of that host's
                // mapper, and the flow there is judged by its port).
                // (removed first: a LinkedHashMap in insertion order keeps a key put again where it was, and an endpoint
                // handed out again every few minutes would be forgotten first, as if handed out once, days ago)
                RpcEndpoint key = new RpcEndpoint(f.srcHi(), f.srcLo(), f.dstHi(), f.dstLo(), towerPorts[i]);
                rpcEndpoints.remove(key);
                rpcEndpoints.put(key, new long[] {f.id, f.lastNanos});
            }
        } else if (fi.rpcEndpointFlow < 0 && !rpcEndpoints.isEmpty()) {
            long[] e = rpcEndpoints.get(new RpcEndpoint(f.srcHi(), f.srcLo(), f.dstHi(), f.dstLo(), fi.dstPort));
            if (e != null && f.firstNanos >= e[1]) { // (handed out before the connection began)
                fi.rpcEndpointFlow = e[0];
            }
        }
    }

    private void detect(FlowInspection fi, boolean forward, long seq, byte[] b, int off, int len, int cut) {
        int first = hint[fi.tcp ? TCP : UDP][fi.dstPort];
        if (first >= 0 && (fi.candidates & 1 << first) != 0 && tryOne(first, fi, forward, seq, b, off, len)) {
            return;
        }
        for (int i = 0; i < inspectors.length; i++) {
            if (i != first && (fi.candidates & 1 << i) != 0 && tryOne(i, fi, forward, seq, b, off, len)) {
                return;
            }
        }
        if (fi.candidates == 0) {
            fi.done = true; // no inspector recognises the payload
            if (!fi.tcp && cut == WHOLE) {
                // Not Lync's protocol: say which it is, where a whole datagram shows it (once per flow, no allocation).
                Lookalikes.name(fi, b, off, len);
            }
        }
    }

    private boolean tryOne(int i, FlowInspection fi, boolean forward, long seq, byte[] b, int off, int len) {
        Inspector in = inspectors[i];
        int r = in.inspect(fi, i, forward, seq, b, off, len);
        if (r == Inspector.NOT_THIS) {
            fi.candidates &= ~(1 << i);
            if (fi.state != null) {
                fi.state[i] = null;
            }
            return false;
        }
        if (r == Inspector.DETECTED) {
            fi.decided = i;
            fi.candidates = 0;
            if (fi.state != null) {
                for (int k = 0; k < fi.state.length; k++) {
                    if (k != i) {
                        fi.state[k] = null; // other inspectors' state is no longer needed
                    }
                }
            }
            fi.done = !in.wantsMore(fi, i);
            fi.budget = in.budget();
            return true;
        }
        return false;
    }

    /**
     * Ends inspection once both directions spent their budget, or once the flow brought twice the
     * budget in payloads (one direction silent: a one-way stream, or a server that never answers).
     */
    private static void endIfSpent(FlowInspection fi) {
        if ((fi.payloadsFwd >= fi.budget && fi.payloadsRev >= fi.budget)
                || fi.payloadsFwd + fi.payloadsRev + fi.payloadsSkipped >= 2 * fi.budget) {
            fi.done = true;
        }
    }

    /** Completes the flow's classification with what was seen on the wire. */
    public void finish(Flow f, Classification c, Classifier classifier) {
        CompiledCatalog catalog = classifier.catalog();
        FlowInspection fi = f.inspection instanceof FlowInspection x ? x : null;
        c.appProtocol = fi != null && fi.app != null ? fi.app.id() : null;
        TlsSession tls = fi != null && fi.app == AppProtocol.TLS ? TlsInspector.session(fi, Inspectors.TLS) : null;
        Roles roles = catalog.catalog().roles();
        if (tls != null) {
            fi.tls = tlsInfo(f, c, tls, roles);
        }
        if (fi != null && fi.app == AppProtocol.DCERPC && fi.rpcEndpointFlow >= 0 && c.verdict != Verdict.UNKNOWN_HOST && !c.reversed
                && rpcEndpoint(f, c, catalog, fi, roles)) {
            return;
        }
        if (c.reversed && !reversedHolds(f, c, catalog, fi, tls)) {
            c.unreverse(); // not media on the wire: the rule read the other way round says nothing of it
        }
        if (c.verdict == Verdict.EXPECTED && c.rule != CompiledCatalog.NO_RULE) {
            checkProtocol(f, c, catalog, fi, tls, roles);
        } else if (c.verdict == Verdict.EXPECTED && c.configured != null && c.configured.checked() != null && !c.reversed) {
            checkConfigured(f, c, classifier, fi, tls, roles); // (an entry read the other way round: its media was checked above)
        } else if (fi != null && fi.app != null && c.reason != null) {
            String wire = ProtocolCheck.wire(fi, fi.tls, false);
            ReasonKey key = new ReasonKey(ReasonKey.ON_THE_WIRE, 0, 0, 0, 0, c.reason, wire);
            String reason = reasons.get(key);
            if (reason == null) {
                reason = c.reason + " On the wire: " + wire + ".";
                remember(key, reason);
            }
            c.reason = reason;
        }
        if (fi != null && fi.tls != null && fi.tls.alert() != null && c.reason != null && !c.reason.contains("ended with an alert")) {
            // A matrix verdict says nothing of whether the session was made: an MTLS handshake whose certificate the
            // other side refused is on the right port with the right protocol, and carries no traffic.
            c.reason = c.reason + (tls != null && tls.midStream
                    ? " A fatal TLS alert was seen, " + fi.tls.alert() + ": the connection ended there."
                    : " The handshake ended with a fatal alert, " + fi.tls.alert() + ": no TLS session was made.");
        }
    }

    /**
     * A DCE/RPC flow to a dynamic endpoint that the responder's endpoint mapper handed this initiator
     * ({@link #rpcEndpoints}): expected under the catalog's DCE/RPC rule on TCP 135 for the flow's roles, when there is
     * one (true; the classification is set); otherwise false, and the flow is judged by its own port as before.
     */
    private boolean rpcEndpoint(Flow f, Classification c, CompiledCatalog catalog, FlowInspection fi, Roles roles) {
        int r = catalog.match(IpProtocol.TCP, org.portmatrix.inspect.dcerpc.DceRpcInspector.EPM_PORT, c.srcRoles, c.dstRoles);
        while (r != CompiledCatalog.NO_RULE && catalog.rule(r).protocol() != RuleProtocol.DCERPC) {
            r = catalog.nextMatch(IpProtocol.TCP, org.portmatrix.inspect.dcerpc.DceRpcInspector.EPM_PORT, c.srcRoles, c.dstRoles, r);
        }
        if (r == CompiledCatalog.NO_RULE) {
            return false;
        }
        c.verdict = Verdict.EXPECTED;
        c.rule = r;
        c.noConfigured();
        c.reason = "TCP " + f.dstPort() + " from " + roles.text(c.srcRoles) + " to " + roles.text(c.dstRoles) + " is RPC on a dynamic"
                + " endpoint: the endpoint mapper on TCP 135 of " + Addresses.format(f.ipVersion(), f.dstHi(), f.dstLo())
                + " handed this port to " + Addresses.format(f.ipVersion(), f.srcHi(), f.srcLo()) + " (flow " + fi.rpcEndpointFlow
                + "), and the catalog documents DCOM and RPC on TCP 135 (" + catalog.describe(r) + "). On the wire: "
                + ProtocolCheck.wire(fi, null, false) + ".";
        return true;
    }

    /**
     * What {@link #finish} would make of an open flow if it ended now, into {@code c}, changing nothing of the flow:
     * its inspection state is left as it was (the TLS summary that {@link #finish} keeps in it is put back), its
     * certificates are not added to the inventory (they are when the flow ends), and later packets are inspected as
     * they would have been. Returns the flow's TLS summary so far, or null. On the thread that inspects the flows.
     */
    public TlsInfo finishOpen(Flow f, Classification c, Classifier classifier) {
        FlowInspection fi = f.inspection instanceof FlowInspection x ? x : null;
        TlsInfo before = fi == null ? null : fi.tls;
        boolean reversed = c.reversed && c.rule != CompiledCatalog.NO_RULE; // (a catalog media rule read the other way round)
        int reversedRule = c.rule;
        String reversedReason = c.reason;
        open = true;
        try {
            finish(f, c, classifier);
            if (reversed && !c.reversed && fi != null && fi.app == null && !fi.done && (fi.candidates & 1 << Inspectors.RTP) != 0
                    && f.icmpErrors == null) {
                // Media read the other way round, its first datagrams not yet told RTP (three in sequence from one end): not
                // the unexpected_port it would close with now, which a call's first report said of media about to be expected.
                c.verdict = Verdict.UNVERIFIABLE;
                c.rule = reversedRule;
                c.reason = reversedReason + " Whether it is media cannot be told yet: too few packets so far (RTP is told by "
                        + org.portmatrix.inspect.rtp.RtpInspector.AGREEING + " packets in sequence from one end).";
            }
            if (c.verdict == Verdict.UNVERIFIABLE && c.reason != null && c.reason.endsWith(ProtocolCheck.HANDSHAKE_NOT_COMPLETE + ".")) {
                // Not "did not complete in the capture": the capture goes on, and a handshake caught half-way (its client's
                // Certificate not yet sent) is what the live report of a connection that will be fine shows.
                c.reason = c.reason.substring(0, c.reason.length() - ProtocolCheck.HANDSHAKE_NOT_COMPLETE.length() - 1)
                        + ProtocolCheck.HANDSHAKE_NOT_COMPLETE_YET + ".";
            }
            return fi == null ? null : fi.tls;
        } finally {
            open = false;
            if (fi != null) {
                fi.tls = before;
            }
        }
    }

    /** True while {@link #finishOpen} runs: no certificate goes to the inventory. */
    private boolean open;

    private void checkProtocol(Flow f, Classification c, CompiledCatalog catalog, FlowInspection fi, TlsSession tls,
                               Roles roles) {
        if (fi == null || !fi.anyPayload()) {
            RuleProtocol rp = catalog.rule(c.rule).protocol();
            boolean tail = tailOnly(f);
            if ((tail || (fi != null && fi.heldUnseen)) && !anyProtocol(f, c, catalog)) {
                c.verdict = Verdict.UNVERIFIABLE;
                c.reason = transport(f) + " " + rulePort(f, c) + " from " + roleText(roles, ruleSrc(c)) + " to " + roleText(roles, ruleDst(c))
                        + " is documented as " + rp.name() + " (" + catalog.describe(c.rule) + "), but " + (tail ? TAIL_ONLY : HELD_UNSEEN) + ".";
                return;
            }
            c.reason = c.reason + " No payload was seen, so the protocol on the wire was not checked.";
            return;
        }
        boolean midStream = midStream(f, fi);
        int port = rulePort(f, c);
        long from = ruleSrc(c);
        long to = ruleDst(c);
        int firstRule = c.rule;
        StringBuilder why = this.why;
        long outcome = protocolOutcome(f, c, catalog, fi, tls, midStream, why);
        int r = (int) outcome;
        if ((outcome >>> 32) == ProtocolCheck.SATISFIED) {
            c.rule = r;
            String wire = fi.app == null ? null : ProtocolCheck.wire(fi, fi.tls, false);
            ReasonKey key = new ReasonKey(c.reversed ? ReasonKey.ALLOWED_REVERSED : ReasonKey.ALLOWED, r, f.protocol() << 16 | port, from, to,
                    wire, null);
            String reason = reasons.get(key);
            if (reason == null) {
                reason = allowedReason(f, c, catalog, r, port, wire, roles);
                remember(key, reason);
            }
            c.reason = reason;
            return;
        }
        why.setLength(0);
        ProtocolCheck.check(catalog.rule(r).protocol(), fi, tls, midStream, why); // the chosen rule's reason, as checked
        if ((outcome >>> 32) == ProtocolCheck.UNVERIFIABLE) {
            Rule rule = catalog.rule(r);
            c.rule = r;
            c.verdict = Verdict.UNVERIFIABLE;
            c.reason = capitalize(ProtocolCheck.wire(fi, fi.tls, false)) + " on the "
                    + rule.protocol().name() + " port " + port + " ("
                    + roleText(roles, from) + " → " + roleText(roles, to) + "; " + catalog.describe(r)
                    + "): " + why + ".";
            return;
        }
        Rule rule = catalog.rule(firstRule);
        c.rule = firstRule;
        c.verdict = Verdict.PROTOCOL_MISMATCH;
        // Everything the reason says: the rule, transport and port, role sets, the protocol seen, the
        // wire as the rule's encryption puts it, and the check's words.
        String wire = ProtocolCheck.wire(fi, fi.tls, ProtocolCheck.encrypted(rule.protocol()));
        String checked = why.toString();
        int seen = (serverInitiated(fi) ? 0x80 : 0) | (fi.app == null ? 0 : fi.app.ordinal() + 1);
        ReasonKey key = new ReasonKey(ReasonKey.MISMATCH << 8 | seen, firstRule,
                f.protocol() << 16 | port, from, to, wire, checked);
        String reason = reasons.get(key);
        if (reason == null) {
            String described = catalog.describe(firstRule);
            reason = mismatchReason(f, c, fi, rule.protocol(), "documented as", described, described, checked, roles);
            remember(key, reason);
        }
        c.reason = reason;
    }

    /**
     * The protocol check of a flow that a topology {@code ports:} entry allows (no catalog rule does):
     * the entry's protocol ("pstn-gateway tcp 5067 tls") must be on the wire as a rule's must. Several entries
     * may serve the port (a Skype for Business Server 2015 Edge's Internal 4443: SkypeSearchProxy's MTLS, then the
     * CMS replication's HTTPS): as of catalog rules, the first whose protocol the wire shows allows the flow and
     * is named; else the first the wire cannot tell from it, else the first entry's mismatch.
     */
    private void checkConfigured(Flow f, Classification c, Classifier classifier, FlowInspection fi, TlsSession tls, Roles roles) {
        if (fi == null || !fi.anyPayload()) {
            boolean tail = tailOnly(f);
            if (tail || (fi != null && fi.heldUnseen)) {
                int any = anyConfigured(f, c, classifier);
                if (any >= 0) { // an entry that names no protocol: nothing to check
                    classifier.configure(f, c, any, true);
                    return;
                }
                c.verdict = Verdict.UNVERIFIABLE;
                c.reason = c.reason + " It is configured as " + c.configured.checked().name() + ", but " + (tail ? TAIL_ONLY : HELD_UNSEEN) + ".";
                return;
            }
            c.reason = c.reason + " No payload was seen, so the protocol on the wire was not checked.";
            return;
        }
        StringBuilder why = this.why;
        boolean midStream = midStream(f, fi);
        long found = configuredOutcome(f, c, classifier, fi, tls, midStream, why);
        int outcome = (int) (found >>> 32);
        int i = (int) found;
        if (i != c.configuredIndex) {
            classifier.configure(f, c, i, true);
        }
        if (outcome == ProtocolCheck.SATISFIED) {
            if (fi.app != null) {
                c.reason = c.reason + " On the wire: " + ProtocolCheck.wire(fi, fi.tls, false) + ".";
            }
            return;
        }
        RuleProtocol rp = c.configured.checked();
        why.setLength(0);
        ProtocolCheck.check(rp, fi, tls, midStream, why); // the chosen entry's reason, as checked
        if (outcome == ProtocolCheck.UNVERIFIABLE) {
            c.verdict = Verdict.UNVERIFIABLE;
            c.reason = capitalize(ProtocolCheck.wire(fi, fi.tls, false)) + " on the " + rp.name() + " port " + f.dstPort() + " ("
                    + roleText(roles, c.srcRoles) + " → " + roleText(roles, c.dstRoles) + "; configured in this deployment's topology, "
                    + c.configuredAt + "): " + why + ".";
            return;
        }
        c.verdict = Verdict.PROTOCOL_MISMATCH;
        c.reason = mismatchReason(f, c, fi, rp, "configured in this deployment's topology as", c.configuredAt,
                "configured in this deployment's topology, " + c.configuredAt, why.toString(), roles);
    }

    /** The first {@code ports:} entry serving the flow that names no protocol to check, or -1. */
    private static int anyConfigured(Flow f, Classification c, Classifier classifier) {
        for (int i = c.configuredIndex; i >= 0; i = classifier.nextConfigured(f, c, i)) {
            if (classifier.configured(i).checked() == null) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The protocol check of the {@code ports:} entries that serve the flow, from {@code c.configured} on: the outcome
     * (a {@link ProtocolCheck} constant) in the high 32 bits, the index of the entry in the low ones. SATISFIED with the
     * first entry the wire satisfies (one naming no protocol is); else UNVERIFIABLE with the first the wire cannot tell;
     * else MISMATCH with the first entry. One entry (the common case) is one check; nothing is allocated.
     */
    private static long configuredOutcome(Flow f, Classification c, Classifier classifier, FlowInspection fi, TlsSession tls,
                                          boolean midStream, StringBuilder scratch) {
        int unverifiable = -1;
        for (int i = c.configuredIndex; i >= 0; i = classifier.nextConfigured(f, c, i)) {
            RuleProtocol rp = classifier.configured(i).checked();
            if (rp == null) {
                return (long) ProtocolCheck.SATISFIED << 32 | i;
            }
            scratch.setLength(0);
            int outcome = ProtocolCheck.check(rp, fi, tls, midStream, scratch);
            if (outcome == ProtocolCheck.SATISFIED) {
                return (long) ProtocolCheck.SATISFIED << 32 | i;
            }
            if (outcome == ProtocolCheck.UNVERIFIABLE && unverifiable < 0) {
                unverifiable = i;
            }
        }
        return unverifiable >= 0 ? (long) ProtocolCheck.UNVERIFIABLE << 32 | unverifiable
                : (long) ProtocolCheck.MISMATCH << 32 | c.configuredIndex;
    }

    /** The reason of an allowed flow whose wire shows what rule {@code r} documents ({@code wire} null: unrecognised). */
    private static String allowedReason(Flow f, Classification c, CompiledCatalog catalog, int r, int port, String wire,
                                        Roles roles) {
        Rule rule = catalog.rule(r);
        boolean any = rule.protocol() == RuleProtocol.TCP || rule.protocol() == RuleProtocol.UDP;
        // One builder sized for the whole reason.
        StringBuilder sb = new StringBuilder(320).append(transport(f)).append(' ').append(port).append(" from ")
                .append(roleText(roles, ruleSrc(c))).append(" to ").append(roleText(roles, ruleDst(c)))
                .append(" is documented");
        if (!any) {
            sb.append(" as ").append(rule.protocol().name());
        }
        sb.append(" (").append(catalog.describe(r)).append("), and the wire shows ")
                .append(wire == null ? "a payload portmatrix does not recognise" : wire).append('.');
        if (c.reversed) {
            sb.append(" The first packet came from ").append(roleText(roles, c.srcRoles)).append("'s end: media flows both ways.");
        }
        return sb.toString();
    }

    /**
     * Reasons made here, by everything they say: for an allowed flow the rule, transport and port, the
     * role sets and what the wire showed; for a flagged one, the classifier's reason and the wire.
     * Measured reason (reference workload: 565 distinct reasons over 50,000 flows): building the same
     * sentences again for every flow was 21 MB of the 180 MB a run allocated. Used on the one thread
     * that finishes flows, as the maps above.
     */
    private final Map<ReasonKey, String> reasons = new HashMap<>();
    private static final int MAX_REASONS = 4096;
    /** The protocol check's words for the flow being finished (copied out when kept). */
    private final StringBuilder why = new StringBuilder();

    private void remember(ReasonKey key, String reason) {
        if (reasons.size() < MAX_REASONS) {
            reasons.put(key, reason);
        }
    }

    /** Key of {@link #reasons}; {@code equals} and {@code hashCode} written out (see ReportData.GroupKey). */
    private static final class ReasonKey {
        static final int ALLOWED = 0;
        static final int ON_THE_WIRE = 1;
        /** Allowed by a rule read the other way round ({@link Classification#reversed}). */
        static final int ALLOWED_REVERSED = 3;
        /** With the protocol seen (ordinal + 1, 0 for none) in its low seven bits, and 0x80 when the TLS client was the responder. */
        static final int MISMATCH = 2;
        final int kind;
        final int rule;
        final int transportPort;
        final long src;
        final long dst;
        final String a;
        final String b;

        ReasonKey(int kind, int rule, int transportPort, long src, long dst, String a, String b) {
            this.kind = kind;
            this.rule = rule;
            this.transportPort = transportPort;
            this.src = src;
            this.dst = dst;
            this.a = a;
            this.b = b;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ReasonKey k && k.kind == kind && k.rule == rule && k.transportPort == transportPort && k.src == src
                    && k.dst == dst && java.util.Objects.equals(k.a, a) && java.util.Objects.equals(k.b, b);
        }

        @Override
        public int hashCode() {
            long h = (((src * 31 + dst) * 31 + kind) * 31 + rule) * 0x9e3779b97f4a7c15L + transportPort;
            return ((int) (h ^ h >>> 32) * 31 + (a == null ? 0 : a.hashCode())) * 31 + (b == null ? 0 : b.hashCode());
        }
    }

    /**
     * A TCP flow whose only payloads came after a gap the capture never filled and were let go without being looked at
     * ({@link FlowInspection#heldUnseen}: a flood of copies of one segment held ahead of its predecessor). It had said "No
     * payload was seen", `expected`, of a flow that carried data.
     */
    private static final String HELD_UNSEEN = "its payload came after bytes the capture lacks (lost, and not seen sent again)"
            + " and was not looked at, so the protocol on the wire cannot be checked";
    private static final String TAIL_ONLY = "only the end of the connection is in this flow (no handshake, no payload: it began"
            + " before the capture did, or an idle timeout ended its first part), so the protocol on the wire cannot be checked";

    /**
     * A TCP connection of which only packets without payload and without SYN were captured (its ACKs and
     * FINs): it carried its traffic before the capture began. Called "expected, no payload was seen"
     * on an MTLS port, it counted as compliant while a tail with one payload packet was unverifiable.
     */
    private static boolean tailOnly(Flow f) {
        return f.protocol() == IpProtocol.TCP && ((f.flagsFwd | f.flagsRev) & 0x02) == 0;
    }

    /** True while a flow allowed by a rule read the other way round shows that rule's media, and no ICMP error refused it. */
    private boolean reversedHolds(Flow f, Classification c, CompiledCatalog catalog, FlowInspection fi, TlsSession tls) {
        if (fi == null || !fi.anyPayload() || f.icmpErrors != null) {
            return false;
        }
        return reversedOutcome(f, c, catalog, fi, tls, why) == ProtocolCheck.SATISFIED;
    }

    /**
     * The protocol check of a flow allowed read the other way round: over the catalog rules that allow it so, or, for a
     * topology {@code ports:} entry read so ({@code c.rule} -1), media ({@link RuleProtocol#MEDIA}) on the wire.
     */
    private static int reversedOutcome(Flow f, Classification c, CompiledCatalog catalog, FlowInspection fi, TlsSession tls,
                                       StringBuilder scratch) {
        if (c.rule == CompiledCatalog.NO_RULE) {
            scratch.setLength(0);
            return ProtocolCheck.check(RuleProtocol.MEDIA, fi, tls, midStream(f, fi), scratch);
        }
        return (int) (protocolOutcome(f, c, catalog, fi, tls, midStream(f, fi), scratch) >>> 32);
    }

    /** True when one of the catalog rules that allow the flow takes anything on its transport (protocol tcp or udp). */
    private static boolean anyProtocol(Flow f, Classification c, CompiledCatalog catalog) {
        int port = rulePort(f, c);
        for (int r = c.rule; r != CompiledCatalog.NO_RULE; r = catalog.nextMatch(f.protocol(), port, ruleSrc(c), ruleDst(c), r)) {
            if (ProtocolCheck.accepted(catalog.rule(r).protocol()) == null) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when the capture lacks the start of a TCP connection's byte streams, so that its first payloads may be the
     * middle of a message. Never for UDP: a datagram is a whole message, whichever end sent the first one seen (a flow
     * whose responder spoke first, its initiator inferred, had been "the capture starts in the middle of the connection",
     * `unverifiable`, where the same datagrams with the other end first were `protocol_mismatch`: start-seen.pcap). Nor
     * for a connection whose SYN-ACK is in the capture, its SYN not (a capture begun between the two, a mirror port that
     * lost the SYN): the SYN-ACK says where both streams begin, and it had been "the capture starts in the middle of the
     * connection" in a record that said the direction was not inferred. True also when a direction's first data bytes
     * are missing though its start was seen ({@link FlowInspection#startMissed}: bytes held ahead of a gap never filled).
     */
    private static boolean midStream(Flow f, FlowInspection fi) {
        return fi.tcp && (f.directionInferred || ((f.flagsFwd | f.flagsRev) & 0x02) == 0 || fi.startMissed);
    }

    /** The port the flow's rule documents: the responder's, or the initiator's for a rule read the other way round. */
    private static int rulePort(Flow f, Classification c) {
        return c.reversed ? f.srcPort() : f.dstPort();
    }

    /** The roles on the rule's source side (the responder's when it is read the other way round). */
    private static long ruleSrc(Classification c) {
        return c.reversed ? c.dstRoles : c.srcRoles;
    }

    private static long ruleDst(Classification c) {
        return c.reversed ? c.srcRoles : c.dstRoles;
    }

    /**
     * The protocol check over the catalog rules that allow the flow, from its first ({@code c.rule}):
     * the first rule whose protocol the wire satisfies; else the first the capture cannot verify;
     * else the first rule, a mismatch. Packed as {@code outcome << 32 | rule}. {@code scratch} takes
     * the check's words, which are not kept.
     */
    private static long protocolOutcome(Flow f, Classification c, CompiledCatalog catalog, FlowInspection fi, TlsSession tls,
                                        boolean midStream, StringBuilder scratch) {
        int proto = f.protocol();
        int port = rulePort(f, c);
        long from = ruleSrc(c);
        long to = ruleDst(c);
        int unverifiable = CompiledCatalog.NO_RULE;
        for (int r = c.rule; r != CompiledCatalog.NO_RULE; r = catalog.nextMatch(proto, port, from, to, r)) {
            scratch.setLength(0);
            int outcome = ProtocolCheck.check(catalog.rule(r).protocol(), fi, tls, midStream, scratch);
            if (outcome == ProtocolCheck.SATISFIED) {
                return (long) ProtocolCheck.SATISFIED << 32 | r;
            }
            if (outcome == ProtocolCheck.UNVERIFIABLE && unverifiable == CompiledCatalog.NO_RULE) {
                unverifiable = r;
            }
        }
        return unverifiable != CompiledCatalog.NO_RULE ? (long) ProtocolCheck.UNVERIFIABLE << 32 | unverifiable
                : (long) ProtocolCheck.MISMATCH << 32 | c.rule;
    }

    /**
     * The verdict {@link #finish} would give now a flow that {@code c} found allowed by catalog rule
     * {@code c.rule} (or by a topology entry with a protocol, {@code c.configured}), from what inspection has seen so far; builds no text and changes nothing. The
     * first pass of {@code --extract} uses it to decide early which packets to keep, on the packet
     * thread: {@code scratch} is that thread's builder, so that deciding allocates nothing per packet.
     */
    public static Verdict verdictSoFar(Flow f, Classification c, Classifier classifier, StringBuilder scratch) {
        CompiledCatalog catalog = classifier.catalog();
        FlowInspection fi = f.inspection instanceof FlowInspection x ? x : null;
        if (c.reversed) {
            if (fi == null || !fi.anyPayload() || f.icmpErrors != null) {
                return c.unreversedVerdict;
            }
            return reversedOutcome(f, c, catalog, fi, null, scratch) == ProtocolCheck.SATISFIED ? Verdict.EXPECTED : c.unreversedVerdict;
        }
        if (fi == null || !fi.anyPayload()) {
            boolean checked = c.rule == CompiledCatalog.NO_RULE ? anyConfigured(f, c, classifier) < 0 : !anyProtocol(f, c, catalog);
            return (tailOnly(f) || (fi != null && fi.heldUnseen)) && checked ? Verdict.UNVERIFIABLE : Verdict.EXPECTED;
        }
        TlsSession tls = fi.app == AppProtocol.TLS ? TlsInspector.session(fi, Inspectors.TLS) : null;
        long outcome;
        if (c.rule == CompiledCatalog.NO_RULE) { // a topology ports: entry's protocol
            outcome = configuredOutcome(f, c, classifier, fi, tls, midStream(f, fi), scratch);
        } else {
            outcome = protocolOutcome(f, c, catalog, fi, tls, midStream(f, fi), scratch);
        }
        return switch ((int) (outcome >>> 32)) {
            case ProtocolCheck.SATISFIED -> Verdict.EXPECTED;
            case ProtocolCheck.UNVERIFIABLE -> Verdict.UNVERIFIABLE;
            default -> Verdict.PROTOCOL_MISMATCH;
        };
    }

    /**
     * The flow was read the other way round after its packets ({@link Flow#turn}): the per-direction state that
     * the verdict and the reports read follows (the payload counts, the TLS session's client side). The inspectors'
     * own per-direction parsing state (RTP's, the request lines') is read only while packets come, and stays.
     */
    public static void turn(Flow f) {
        if (f.inspection instanceof FlowInspection fi) {
            int p = fi.payloadsFwd;
            fi.payloadsFwd = fi.payloadsRev;
            fi.payloadsRev = p;
            fi.heldForward = !fi.heldForward;
            TlsSession s = TlsInspector.session(fi, Inspectors.TLS);
            if (s != null) {
                s.turn();
            }
        }
    }

    /** True once inspection of the flow has ended: nothing later changes what {@link #verdictSoFar} says but the flow's end. */
    public static boolean inspectionEnded(Flow f) {
        return f.inspection instanceof FlowInspection fi && fi.done;
    }

    /**
     * True once the flow's protocol is decided and, for TLS, the server's answer is known ({@link TlsSession#serverAnswerKnown}):
     * a ClientHello tells TLS, but the server's first bytes may show that the program listening does not speak it
     * ({@link ProtocolCheck}). {@code --extract} lets a flow's packets go only then: let go at the ClientHello, a server
     * answering in cleartext made the extract a second pass over the captures. (The server answers within a round trip; a
     * capture of the client's direction only shows the answer by the client's next step; a server that never answers holds
     * the flow until its inspection or the flow ends.)
     */
    public static boolean protocolSettled(Flow f) {
        if (!(f.inspection instanceof FlowInspection fi) || fi.app == null) {
            return false;
        }
        TlsSession s = fi.app == AppProtocol.TLS ? TlsInspector.session(fi, Inspectors.TLS) : null;
        return s == null || s.serverAnswerKnown();
    }

    /**
     * @param said how the protocol is required ("documented as", for a catalog rule)
     * @param described the rule or entry that requires it, after the protocol's name
     * @param where the same in the MTLS sentence, after the role pair
     */
    private static String mismatchReason(Flow f, Classification c, FlowInspection fi, RuleProtocol rp, String said, String described,
                                         String where, String why, Roles roles) {
        String documented = rp.name();
        int port = rulePort(f, c);
        if (why.equals(ProtocolCheck.SERVER_NOT_TLS)) { // (the TLS client spoke TLS, its server did not)
            return transport(f) + ' ' + port + " from " + roleText(roles, ruleSrc(c)) + " to " + roleText(roles, ruleDst(c)) + " is " + said
                    + ' ' + documented + " (" + described + "), but " + why + ": the program listening there does not speak TLS."
                    + " Find out which program listens there.";
        }
        if (rp == RuleProtocol.MTLS && fi.app == AppProtocol.TLS) {
            String version = fi.tls == null || fi.tls.version() == null ? "TLS" : fi.tls.version();
            TlsSession s = TlsInspector.session(fi, Inspectors.TLS);
            boolean serverInitiated = serverInitiated(fi);
            // One builder sized for the whole reason (a concatenation grows its builder five times).
            StringBuilder sb = new StringBuilder(480).append(version).append(" on the MTLS port ").append(port)
                    .append(" without a client certificate (").append(roleText(roles, ruleSrc(c))).append(" → ")
                    .append(roleText(roles, ruleDst(c))).append("; ").append(where).append("): ").append(why)
                    .append(". On this port both ends must present a certificate (mutual TLS)");
            if (s != null && s.certificateRequest) { // asked for one, the client did not present it: the client's end
                return sb.append("; check the ").append(serverInitiated ? "responder" : "initiator")
                        .append("'s certificate configuration, or find out which program connects.").toString();
            }
            // No CertificateRequest seen: the server is the end not doing mutual TLS, whatever certificate the client holds.
            return sb.append(", and the server (the ").append(serverInitiated ? "initiator, " : "responder, ")
                    .append(roleText(roles, serverInitiated ? ruleSrc(c) : ruleDst(c)))
                    .append(") asked for none: check that it requires client certificates on this port, or find out which program"
                            + " listens there.").toString();
        }
        boolean encrypted = ProtocolCheck.encrypted(rp);
        StringBuilder sb = new StringBuilder(400).append(transport(f)).append(' ').append(port).append(" from ")
                .append(roleText(roles, ruleSrc(c))).append(" to ").append(roleText(roles, ruleDst(c)))
                .append(" is ").append(said).append(' ').append(documented).append(" (").append(described)
                .append("), but the wire shows ");
        if (fi.app == null && fi.candidates != 0) { // (cut or short: what it is was not told, what it is not was)
            sb.append("a payload that cannot be ").append(ProtocolCheck.names(rp)).append(": its first bytes rule that out, though ")
                    .append(why).append('.');
        } else if (fi.app == null) {
            sb.append("a payload that is none of the protocols portmatrix recognises.");
        } else if (fi.foreignByte >= 0) { // (what decided the flow, then what did not belong to it)
            sb.append(ProtocolCheck.wire(fi, fi.tls, encrypted)).append(", then ").append(why).append('.');
        } else {
            sb.append(ProtocolCheck.wire(fi, fi.tls, encrypted)).append('.');
        }
        if (encrypted && fi.app != null && ProtocolCheck.cleartext(fi.app)) { // (SSH, RDP: encrypted, just not what is documented)
            sb.append(" The connection is not encrypted: check the initiator's transport settings.");
        } else {
            sb.append(" Find out which program sends it.");
        }
        return sb.toString();
    }

    /** True when the TLS client of the flow was its responder (the capture's guess of the direction was wrong). */
    private static boolean serverInitiated(FlowInspection fi) {
        TlsSession s = fi.app == AppProtocol.TLS ? TlsInspector.session(fi, Inspectors.TLS) : null;
        return s != null && s.clientIsResponder;
    }

    private TlsInfo tlsInfo(Flow f, Classification c, TlsSession s, Roles roles) {
        boolean serverIsResponder = !s.clientIsResponder;
        String responder = presenter(f.ipVersion(), f.dstHi(), f.dstLo(), f.dstPort(), c.dstRoles, roles);
        String initiator = presenter(f.ipVersion(), f.srcHi(), f.srcLo(), -1, c.srcRoles, roles);
        List<CertificateInfo> server = certificates(s.serverChain, serverIsResponder ? responder : initiator, true, f);
        List<CertificateInfo> client = certificates(s.clientChain, serverIsResponder ? initiator : responder, false, f);
        return TlsInspector.info(s, server, client, f);
    }

    private List<CertificateInfo> certificates(List<byte[]> chain, String presenter, boolean server, Flow f) {
        if (chain.isEmpty()) {
            return List.of();
        }
        List<CertificateInfo> out = new ArrayList<>(chain.size());
        for (byte[] der : chain) {
            Der key = new Der(der);
            CertificateInfo ci = parsed.get(key);
            if (ci == null && !parsed.containsKey(key)) {
                ci = Certificates.parse(der);
                parsed.put(key, ci);
            }
            if (ci != null) {
                out.add(ci);
                if (!open) {
                    inventory.add(ci, presenter, server, f.id, f.firstNanos, f.lastNanos);
                }
            }
        }
        return List.copyOf(out);
    }

    /** The TLS handshake summary of a flow (after {@link #finish}), or null when it was not TLS. */
    public TlsInfo tls(Flow f) {
        return f.inspection instanceof FlowInspection fi ? fi.tls : null;
    }

    /** The certificate inventory of everything finished so far, soonest expiry first. */
    public List<CertificateRecord> certificates() {
        return inventory.records();
    }

    /**
     * Who presented a certificate, as the inventory lists it: "10.1.3.12:443 (persistent-chat)" for
     * the responder, "10.2.5.103 (client)" for the initiator ({@code port} -1). Made once per
     * endpoint and role set while it stays in {@link #presenters}. Measured reason (reference workload,
     * 17,000 TLS flows): two strings of two concatenations each per TLS flow were 12 MB of the 180 MB
     * a run allocated.
     */
    private String presenter(int version, long hi, long lo, int port, long set, Roles roles) {
        long h = ((hi * 0x9e3779b97f4a7c15L ^ lo) * 0xc2b2ae3d27d4eb4fL ^ port) * 0x9e3779b97f4a7c15L ^ set;
        int i = (int) ((h * 0xc2b2ae3d27d4eb4fL) >>> 52);
        Presenter p = presenters[i];
        if (p != null && p.lo == lo && p.hi == hi && p.port == port && p.roles == set && p.version == version) {
            return p.text;
        }
        String ip = Addresses.format(version, hi, lo);
        StringBuilder sb = new StringBuilder(64);
        if (port < 0) {
            sb.append(ip);
        } else if (ip.indexOf(':') >= 0) {
            sb.append('[').append(ip).append("]:").append(port);
        } else {
            sb.append(ip).append(':').append(port);
        }
        String text = sb.append(roleSuffix(roles, set)).toString();
        presenters[i] = new Presenter(version, hi, lo, port, set, text);
        return text;
    }

    private final Presenter[] presenters = new Presenter[1 << 12];

    private static final class Presenter {
        final int version;
        final long hi;
        final long lo;
        final int port;
        final long roles;
        final String text;

        Presenter(int version, long hi, long lo, int port, long roles, String text) {
            this.version = version;
            this.hi = hi;
            this.lo = lo;
            this.port = port;
            this.roles = roles;
            this.text = text;
        }
    }

    private static String roleSuffix(Roles roles, long set) {
        return set == 0 ? " (no role)" : roles.inParentheses(set);
    }

    private static String roleText(Roles roles, long set) {
        return set == 0 ? "an unknown host" : roles.text(set);
    }

    private static String transport(Flow f) {
        return IpProtocol.upperName(f.protocol());
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    /**
     * A certificate's DER bytes as a map key: equal bytes, equal key. The hash samples the bytes
     * (length and up to 64 of them, spread over the encoding) and equality compares them all.
     * Measured reason: hashing each certificate of each TLS flow with SHA-256 to look it up was a
     * quarter of the flow thread's CPU samples on the reference workload, where a few certificates
     * are presented by thousands of flows; SHA-256 is now computed once per distinct certificate.
     */
    private static final class Der {
        private final byte[] bytes;
        private final int hash;

        Der(byte[] bytes) {
            this.bytes = bytes;
            int h = bytes.length;
            int step = Math.max(1, bytes.length / 64);
            for (int i = bytes.length - 1; i >= 0; i -= step) {
                h = 31 * h + bytes[i];
            }
            this.hash = h;
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Der d && d.hash == hash && java.util.Arrays.equals(d.bytes, bytes);
        }
    }
}
