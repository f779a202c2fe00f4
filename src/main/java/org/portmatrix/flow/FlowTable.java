package org.portmatrix.flow;

import org.portmatrix.decode.Decoded;
import org.portmatrix.decode.IpProtocol;

/**
 * The flow table: open addressing with linear probing over a power-of-two array of flows, keyed by
 * the canonical 5-tuple (plus VLAN when configured). Updating a flow allocates nothing; a new flow
 * allocates one {@link Flow}.
 *
 * <p>Timeouts: flows sit in one of four intrusive lists (established TCP; other TCP; TCP finished
 * by FIN both ways or RST; UDP and every other transport), in the order they were last appended, so
 * that expiry looks only at the oldest end of each list (see {@link #touch} for the second chance).
 * A finished TCP flow is closed ({@link Flow#END_CLOSED}) once silent for the close timeout (5 s:
 * its last ACK and retransmissions come within it), the others at their idle timeouts
 * ({@link Flow#END_IDLE}). When the table is full, a TCP flow finished and silent for
 * {@link #FINISHED_GRACE} makes room first (closed, nothing of it is lost); otherwise the
 * longest-idle flow is closed early and counted, never dropped silently.
 *
 * <p>Who initiated a flow, from its first packet: the sender of a TCP SYN without ACK; the
 * receiver of a SYN-ACK; for TCP without either (the capture started mid-connection) the endpoint
 * on a service port (the catalog's, else a well-known one below 1024, else the lower port) is the
 * responder, and {@link Flow#directionInferred} is set. A UDP datagram sent from a service port
 * to a port that is none, an ICMP echo reply and an ICMP error, are answers: their receiver initiated,
 * inferred.
 * Anything else: the sender of the first packet.
 */
public final class FlowTable {
    /** The lists, one timeout each: established TCP, other TCP, finished TCP (the close timeout), everything else. */
    private static final int LIST_TCP_ESTABLISHED = 0;
    private static final int LIST_TCP_OTHER = 1;
    /** TCP flows closed by FIN both ways or by RST: the first to go when the table is full. */
    private static final int LIST_TCP_FINISHED = 2;
    private static final int LIST_OTHER = 3;
    private static final int LISTS = 4;
    private static final int WELL_KNOWN_PORTS = 1024;
    /** DHCP's ports (RFC 2131) and DHCPv6's (RFC 8415): a server's answer goes from the first to the second. */
    private static final int DHCP_SERVER = 67;
    private static final int DHCP_CLIENT = 68;
    private static final int DHCPV6_SERVER = 547;
    private static final int DHCPV6_CLIENT = 546;
    /** ICMP type numbers of echo replies (RFC 792, RFC 4443). */
    static final int ICMP_ECHO_REPLY = 0;
    static final int ICMPV6_ECHO_REPLY = 129;
    private static final long EXPIRY_CHECK_INTERVAL = 1_000_000_000L;
    /**
     * How far ahead of the time being scanned a list head may have been appended before the scan
     * takes it for a clock that went back (a packet stamped in the future before it, a clock stepped
     * back): far more than live mode's lag of the wall clock behind the packets, or capture queues'
     * skew, both seconds.
     */
    static final long CLOCK_WENT_BACK = 3_600_000_000_000L;
    /**
     * How long a finished TCP flow must have been silent to make room without counting: its last ACK
     * and retransmissions come within a round trip or two; a packet after that still finds it, or
     * starts a flow of its own, inferred.
     */
    static final long FINISHED_GRACE = 2_000_000_000L;
    private static final int INITIAL_SLOTS = 1 << 12;

    private final FlowConfig config;
    private final FlowSink sink;
    private final ServicePorts servicePorts;
    /** Open-addressing slots: starts small and doubles to keep the load at most 1/2, up to {@link #maxSlots}. */
    private Flow[] slots;
    private int mask;
    private final int maxSlots;
    /**
     * Mixed into every endpoint's hash, new each run: a capture cannot carry flows chosen to land on one
     * slot. Unseeded, the slot is a known function of the 5-tuple, and one host sending to another from
     * ports chosen offline (2,000 flows of a 4,096-slot table sharing their low 12 bits) made a single run
     * of occupied slots that every lookup of theirs walked: a mirror port's tool slowed by its traffic.
     * Only the slots' order depends on it (flows are numbered, listed and reported by time, not by slot).
     */
    private final long seed;
    /** Each list's timeout ({@link #timeoutOf}), by list. */
    private final long[] listTimeout = new long[LISTS];
    private final Flow[] heads = new Flow[LISTS];
    private final Flow[] tails = new Flow[LISTS];
    private int size;
    private long nextId;
    private long nextExpiryCheck = Long.MIN_VALUE;
    private long now;
    /** Direction of the packet last passed to {@link #update}: true when from the initiator. */
    public boolean lastForward;
    /**
     * The capture file ({@code PacketRef.sourceIndex}) of the packet about to be passed to {@link #update}, set by the
     * reader of several captures before each call; -1 where there are no files to tell apart (a live capture). The flow
     * keeps the file of the packet at its first time and of the packet at its last ({@link Flow#fileFirst}).
     */
    public int packetFile = -1;

    private long flowsCreated;
    private long evictedEarly;
    private long evictedFinished;
    private long expiredIdle;
    private long closedFinished;
    private long restarted;
    private int peak;

    public FlowTable(FlowConfig config, ServicePorts servicePorts, FlowSink sink) {
        this(config, servicePorts, sink, new java.util.SplittableRandom().nextLong());
    }

    /** With the hash's seed given (tests: 0 is the table without one). */
    FlowTable(FlowConfig config, ServicePorts servicePorts, FlowSink sink, long seed) {
        this.seed = seed;
        if (config.capacity() < 1 || config.capacity() > FlowConfig.MAX_CAPACITY) {
            throw new IllegalArgumentException("flow table capacity must be between 1 and " + FlowConfig.MAX_CAPACITY);
        }
        this.config = config;
        this.sink = sink;
        this.servicePorts = servicePorts;
        // Load factor <= 1/2 at full capacity. The array starts small and grows with the flows present:
        // a table sized for a million flows up front (millions of slots, tens of MB) misses the CPU
        // cache on every lookup when a capture holds only thousands.
        this.maxSlots = Integer.highestOneBit(Math.max(16, config.capacity()) - 1) << 2;
        int n = Math.min(maxSlots, INITIAL_SLOTS);
        this.slots = new Flow[n];
        this.mask = n - 1;
        for (int l = 0; l < LISTS; l++) {
            listTimeout[l] = timeoutOf(l);
        }
    }

    /**
     * Adds one decoded packet to its flow, creating the flow if needed. Returns the flow; sets
     * {@link #lastForward}.
     */
    public Flow update(Decoded d, long tsNanos, int frameLength) {
        now = tsNanos;
        // (Also when the packets' clock went back by more than two intervals: the scans would otherwise wait for
        // the time they were scheduled at, which may be a packet stamped in the future.)
        if (tsNanos >= nextExpiryCheck || tsNanos < nextExpiryCheck - 2 * EXPIRY_CHECK_INTERVAL) {
            expireIdle(tsNanos);
            nextExpiryCheck = tsNanos + EXPIRY_CHECK_INTERVAL;
        }
        int proto = d.protocol;
        int sPort = d.srcPort;
        int dPort = d.dstPort;
        if (proto == IpProtocol.ICMP || proto == IpProtocol.ICMPV6) {
            sPort = 0; // all ICMP between two hosts is one flow; type and code stay in Decoded
            dPort = 0;
        }
        long sHi = d.srcHi;
        long sLo = d.srcLo;
        long dHi = d.dstHi;
        long dLo = d.dstLo;
        int vl = d.vlan;
        // The lookup is written out in this method, with the packet's fields in locals: the 5-tuple's
        // direction-independent hash (each end mixed, then combined symmetrically), the key compared
        // both ways round, the direction. Measured reason (reference workload, 2 x 12 paired rounds):
        // as calls to hash(), mix(), Flow.matches() and Flow.isForward() the quick JIT (C1) spilled and
        // reloaded every argument; written out, the packet thread's CPU -5%, the whole run -4 to -5%.
        long sd = seed;
        long x = (sHi ^ sd) * 0xff51afd7ed558ccdL ^ sLo;
        x = (x ^ (x >>> 33)) * 0xc4ceb9fe1a85ec53L;
        x = x ^ (x >>> 29) ^ ((long) sPort * 0x9e3779b97f4a7c15L);
        long y = (dHi ^ sd) * 0xff51afd7ed558ccdL ^ dLo;
        y = (y ^ (y >>> 33)) * 0xc4ceb9fe1a85ec53L;
        y = y ^ (y >>> 29) ^ ((long) dPort * 0x9e3779b97f4a7c15L);
        int ipv = d.ipVersion;
        long hh = (x + y) ^ (x * y) ^ ((long) proto << 40) ^ ((long) vl << 20) ^ ((long) ipv << 56);
        hh *= 0x9e3779b97f4a7c15L;
        hh ^= hh >>> 32;
        hh *= 0xc2b2ae3d27d4eb4fL;
        int h = (int) (hh ^ (hh >>> 29));
        Flow[] sl = slots;
        int m = mask;
        int i = h & m;
        Flow f;
        while ((f = sl[i]) != null) {
            // (The IP version is part of the key: IPv4 is held as IPv4-mapped IPv6, which an IPv6 packet may carry too.)
            if (f.hash == h && f.protocol == proto && f.vlan == vl && f.ipVersion == ipv
                    && ((f.aLo == sLo && f.bLo == dLo && f.aPort == sPort && f.bPort == dPort && f.aHi == sHi && f.bHi == dHi)
                    || (f.aLo == dLo && f.bLo == sLo && f.aPort == dPort && f.bPort == sPort && f.aHi == dHi && f.bHi == sHi))) {
                break;
            }
            i = (i + 1) & m;
        }
        if (f != null && tsNanos - f.lastNanos > listTimeout[f.list]) {
            // Silent for longer than its timeout, and not yet ended by the expiry scan (which runs once a
            // second of capture time and may find a re-appended flow up to one timeout late): it ends as
            // the scan would have ended it, and this packet starts a flow of its own.
            endSilent(f);
            f = null;
        }
        // A SYN after the 5-tuple's connection ended starts the next one. Ended: a RST, or a FIN from either
        // end (half closed is enough: a SYN never follows a FIN within one connection, and a mirror port
        // that lost the other end's FIN would otherwise fold the next connection into this one, as tshark
        // does not). Unless it repeats the connection's own SYN (its sequence number): a connect retried after
        // a RST, or the connection seen again on a second interface of the capture, as tshark reads it.
        if (f != null && d.protocol == IpProtocol.TCP && isSynOnly(d.tcpFlags)) {
            boolean ended = f.tcpState == Flow.TCP_CLOSED_FIN || f.tcpState == Flow.TCP_CLOSED_RST
                    || ((f.finFwd || f.finRev) && (d.tcpFlags & 0x01) == 0); // (a SYN+FIN probe is not a new connection)
            if (ended && d.tcpSeq != f.synSeq) {
                restarted++;
                remove(f, Flow.END_RESTARTED);
                f = null;
            } else if (ended && tsNanos >= f.lastNanos) {
                // Its own SYN again: the connection starts over on this flow (a connect retried after its RST, the copy
                // from a second interface). Open again, it is timed and evicted as an open connection, not a closed one.
                // (Not a copy stamped before the flow's last packet: a mirror port's copy of the SYN written after the
                // connection's FINs or RST, which had opened the ended connection again, reported established or attempted.)
                f.tcpState = Flow.TCP_ATTEMPTED;
                f.finFwd = false;
                f.finRev = false;
                touch(f);
            } else if (f.synSeq < 0) {
                f.synSeq = d.tcpSeq; // the connection's SYN after its SYN-ACK, or after packets from its middle
            }
        }
        if (f == null) {
            if (size >= config.capacity()) {
                evictOldest();
            }
            f = create(d, sPort, dPort, h, tsNanos);
            insert(f);
        }
        // Forward: from the initiator. sPort is the port as the flow is keyed (0 for ICMP).
        boolean fromA = sHi == f.aHi && sLo == f.aLo && sPort == f.aPort;
        if (f.aHi == f.bHi && f.aLo == f.bLo && f.aPort == f.bPort) {
            fromA = true; // a flow to itself: every packet is forward
        }
        boolean fwd = fromA == f.initiatorIsA;
        lastForward = fwd;
        int payload = d.payloadLength;
        if (fwd) {
            f.packetsFwd++;
            f.bytesFwd += frameLength;
            f.payloadFwd += payload;
            if (f.firstFwdNanos < 0) {
                f.firstFwdNanos = tsNanos;
            }
            f.lastFwdNanos = tsNanos;
            f.flagsFwd |= d.tcpFlags;
        } else {
            f.packetsRev++;
            f.bytesRev += frameLength;
            f.payloadRev += payload;
            if (f.firstRevNanos < 0) {
                f.firstRevNanos = tsNanos;
            }
            f.lastRevNanos = tsNanos;
            f.flagsRev |= d.tcpFlags;
        }
        // The file of the packet at the flow's last time (of several at that time, the one read last), and of the one at its
        // first: the times the record gives. Set by the packet read last, a packet stamped earlier than one read before it in
        // another file (a mirror port's file whose queues wrote out of order) named a file that holds neither.
        if (tsNanos >= f.lastNanos) {
            f.lastNanos = tsNanos;
            f.fileLast = packetFile;
        } else if (tsNanos < f.firstNanos) {
            f.firstNanos = tsNanos; // a packet stamped earlier than the flow's first (captures on several queues)
            f.fileFirst = packetFile;
        }
        if (d.protocol == IpProtocol.TCP) {
            if ((d.tcpFlags & 0x12) == 0x12 && !fwd) {
                f.synAckSeq = d.tcpSeq; // where the responder's data starts (one past it)
                if (f.synSeq < 0) {
                    f.synSeq = (d.tcpAck - 1) & 0xffffffffL; // the SYN it answers (not captured, or not yet: a mirror's order)
                }
            }
            int state = f.tcpState;
            updateTcpState(f, d.tcpFlags, fwd);
            if (f.tcpState != state) {
                touch(f); // the list follows the TCP state; nothing else moves a flow between lists
            }
        }
        return f;
    }

    /**
     * For an ICMP error ({@link Decoded#icmpError}) at {@code tsNanos}: the open flow its quoted packet
     * belongs to, with the error counted on it ({@link Flow#icmpErrors}), or null when that flow is not
     * in the table or silent past its timeout, as {@link #update} would have ended it (then the error
     * goes to {@link #update} as an ICMP packet, and {@link #unrelatedError} keeps what it was about).
     * The flow's counters, times and state are not changed: the error is not one of its packets. Only
     * ICMP errors come here, so the lookup is not the per-packet one of {@link #update}.
     */
    public Flow related(Decoded d, long tsNanos) {
        int proto = d.quotedProtocol;
        long sHi = d.quotedSrcHi;
        long sLo = d.quotedSrcLo;
        long dHi = d.quotedDstHi;
        long dLo = d.quotedDstLo;
        int sPort = d.quotedSrcPort;
        int dPort = d.quotedDstPort;
        int vl = d.vlan;
        int ipv = d.ipVersion;
        int h = hash(seed, sHi, sLo, sPort, dHi, dLo, dPort, proto, vl, ipv);
        Flow[] sl = slots;
        int m = mask;
        for (int i = h & m; sl[i] != null; i = (i + 1) & m) {
            Flow f = sl[i];
            if (f.hash == h && f.protocol == proto && f.vlan == vl && f.ipVersion == ipv
                    && ((f.aLo == sLo && f.bLo == dLo && f.aPort == sPort && f.bPort == dPort && f.aHi == sHi && f.bHi == dHi)
                    || (f.aLo == dLo && f.bLo == sLo && f.aPort == dPort && f.bPort == sPort && f.aHi == dHi && f.bHi == sHi))) {
                if (tsNanos - f.lastNanos > listTimeout[f.list]) {
                    return null; // ended by its silence, whether the expiry scan has reached it yet or not
                }
                if (f.icmpErrors == null) {
                    f.icmpErrors = new IcmpErrors();
                }
                f.icmpErrors.add(d);
                return f;
            }
        }
        return null;
    }

    /** An ICMP error whose quoted flow is not open, counted on the ICMP flow {@code f} that {@link #update} gave it. */
    public static void unrelatedError(Flow f, Decoded d) {
        if (f.icmpCarried == null) {
            f.icmpCarried = new IcmpErrors();
        }
        f.icmpCarried.add(d);
    }

    /**
     * The key's hash as {@link #update} computes it inline (see there why inline): each end mixed,
     * then combined so that both directions hash alike. Should the two ever differ, no ICMP error
     * would find its flow ({@code IcmpErrorsTest} fails).
     */
    static int hash(long seed, long sHi, long sLo, int sPort, long dHi, long dLo, int dPort, int proto, int vl, int ipv) {
        long x = (sHi ^ seed) * 0xff51afd7ed558ccdL ^ sLo;
        x = (x ^ (x >>> 33)) * 0xc4ceb9fe1a85ec53L;
        x = x ^ (x >>> 29) ^ ((long) sPort * 0x9e3779b97f4a7c15L);
        long y = (dHi ^ seed) * 0xff51afd7ed558ccdL ^ dLo;
        y = (y ^ (y >>> 33)) * 0xc4ceb9fe1a85ec53L;
        y = y ^ (y >>> 29) ^ ((long) dPort * 0x9e3779b97f4a7c15L);
        long hh = (x + y) ^ (x * y) ^ ((long) proto << 40) ^ ((long) vl << 20) ^ ((long) ipv << 56);
        hh *= 0x9e3779b97f4a7c15L;
        hh ^= hh >>> 32;
        hh *= 0xc2b2ae3d27d4eb4fL;
        return (int) (hh ^ (hh >>> 29));
    }

    private static boolean isSynOnly(int flags) {
        return (flags & 0x12) == 0x02;
    }

    private void updateTcpState(Flow f, int flags, boolean fwd) {
        if ((flags & 0x04) != 0) {
            f.tcpState = Flow.TCP_CLOSED_RST;
            return;
        }
        if ((flags & 0x01) != 0) {
            if (fwd) {
                f.finFwd = true;
            } else {
                f.finRev = true;
            }
        }
        if (f.tcpState == Flow.TCP_CLOSED_RST) {
            return;
        }
        if (f.finFwd && f.finRev) {
            f.tcpState = Flow.TCP_CLOSED_FIN;
        } else if (f.tcpState < Flow.TCP_ESTABLISHED && (((flags & 0x12) == 0x12) || (f.packetsFwd > 0 && f.packetsRev > 0))) {
            f.tcpState = Flow.TCP_ESTABLISHED;
        }
    }

    private Flow create(Decoded d, int sPort, int dPort, int h, long ts) {
        Flow f = new Flow();
        f.id = nextId++;
        flowsCreated++;
        f.hash = h;
        f.protocol = d.protocol;
        f.vlan = d.vlan;
        f.ipVersion = d.ipVersion;
        if (d.protocol == IpProtocol.ICMP || d.protocol == IpProtocol.ICMPV6) {
            f.icmpType = d.srcPort;
            f.icmpCode = d.dstPort;
        }
        boolean srcIsA = compare(d.srcHi, d.srcLo, sPort, d.dstHi, d.dstLo, dPort) <= 0;
        if (srcIsA) {
            f.aHi = d.srcHi; f.aLo = d.srcLo; f.aPort = sPort;
            f.bHi = d.dstHi; f.bLo = d.dstLo; f.bPort = dPort;
        } else {
            f.aHi = d.dstHi; f.aLo = d.dstLo; f.aPort = dPort;
            f.bHi = d.srcHi; f.bLo = d.srcLo; f.bPort = sPort;
        }
        boolean senderInitiates = true;
        if (d.protocol == IpProtocol.TCP) {
            int flags = d.tcpFlags;
            if ((flags & 0x12) == 0x02) {
                senderInitiates = true;
                f.synSeq = d.tcpSeq;
            } else if ((flags & 0x12) == 0x12) {
                senderInitiates = false; // a SYN-ACK comes from the responder
            } else {
                f.directionInferred = true;
                senderInitiates = !looksLikeResponder(IpProtocol.TCP, sPort, dPort);
            }
            f.tcpState = Flow.TCP_ATTEMPTED;
        } else if (d.protocol == IpProtocol.UDP) {
            if ((isService(IpProtocol.UDP, sPort) && !isService(IpProtocol.UDP, dPort))
                    || (sPort == DHCP_SERVER && dPort == DHCP_CLIENT) || (sPort == DHCPV6_SERVER && dPort == DHCPV6_CLIENT)) {
                // The first packet seen comes from a service port: a reply. A DHCP server's answer too, both of whose ports
                // are below 1024 (its request missed, or seen after it: the reply was the client's "unexpected" port 68).
                f.directionInferred = true;
                senderInitiates = false;
            }
        } else if ((d.protocol == IpProtocol.ICMP && d.srcPort == ICMP_ECHO_REPLY)
                || (d.protocol == IpProtocol.ICMPV6 && d.srcPort == ICMPV6_ECHO_REPLY) || d.icmpError) {
            // An echo reply first: its request was not captured. An error first (its quoted flow not open): it answers
            // a packet of the receiver's, who is the initiator as for the flow it quotes.
            f.directionInferred = true;
            senderInitiates = false;
        }
        f.initiatorIsA = senderInitiates == srcIsA;
        f.firstNanos = ts;
        f.lastNanos = ts;
        f.fileFirst = packetFile;
        return f;
    }

    /** A catalog port, or a well-known one. */
    private boolean isService(int proto, int port) {
        return servicePorts.isService(proto, port) || port < WELL_KNOWN_PORTS;
    }

    /** Mid-connection: the endpoint on a catalog or well-known port, else the lower port, is the responder. */
    private boolean looksLikeResponder(int proto, int sPort, int dPort) {
        boolean s = servicePorts.isService(proto, sPort);
        boolean dd = servicePorts.isService(proto, dPort);
        if (s != dd) {
            return s;
        }
        boolean sw = sPort < WELL_KNOWN_PORTS;
        boolean dw = dPort < WELL_KNOWN_PORTS;
        if (sw != dw) {
            return sw;
        }
        return sPort < dPort;
    }

    static int compare(long aHi, long aLo, int aPort, long bHi, long bLo, int bPort) {
        int c = Long.compareUnsigned(aHi, bHi);
        if (c != 0) {
            return c;
        }
        c = Long.compareUnsigned(aLo, bLo);
        if (c != 0) {
            return c;
        }
        return Integer.compare(aPort, bPort);
    }

    private void insert(Flow f) {
        if ((size + 1) * 2 > slots.length && slots.length < maxSlots) {
            grow();
        }
        int i = f.hash & mask;
        while (slots[i] != null) {
            i = (i + 1) & mask;
        }
        slots[i] = f;
        size++;
        if (size > peak) {
            peak = size;
        }
        f.list = listOf(f);
        append(f);
    }

    /** Doubles the slot array and re-places every flow (amortised O(1) per flow). */
    private void grow() {
        Flow[] old = slots;
        Flow[] bigger = new Flow[old.length * 2];
        int m = bigger.length - 1;
        for (Flow g : old) {
            if (g != null) {
                int i = g.hash & m;
                while (bigger[i] != null) {
                    i = (i + 1) & m;
                }
                bigger[i] = g;
            }
        }
        slots = bigger;
        mask = m;
    }

    private static int listOf(Flow f) {
        if (f.protocol != IpProtocol.TCP) {
            return LIST_OTHER;
        }
        return switch (f.tcpState) {
            case Flow.TCP_ESTABLISHED -> LIST_TCP_ESTABLISHED;
            case Flow.TCP_CLOSED_FIN, Flow.TCP_CLOSED_RST -> LIST_TCP_FINISHED;
            default -> LIST_TCP_OTHER;
        };
    }

    private long timeoutOf(int list) {
        return switch (list) {
            case LIST_TCP_ESTABLISHED -> config.tcpEstablishedTimeoutNanos();
            case LIST_TCP_OTHER -> config.tcpOtherTimeoutNanos();
            case LIST_TCP_FINISHED -> config.tcpClosedTimeoutNanos();
            default -> config.udpTimeoutNanos();
        };
    }

    /**
     * Keeps a flow in the list of its timeout, moving it only when its TCP state changes that. The
     * per-packet move to the newest end is left out (it writes to two neighbouring flows, random
     * memory, on every packet): an expiry or eviction scan that finds a flow active since it was
     * appended gives it a second chance at the newest end instead.
     */
    private void touch(Flow f) {
        int l = listOf(f);
        if (l != f.list) {
            unlink(f);
            f.list = l;
            append(f);
        }
    }

    private void append(Flow f) {
        int l = f.list;
        f.listKey = f.lastNanos;
        f.newer = null;
        f.older = tails[l];
        if (tails[l] != null) {
            tails[l].newer = f;
        } else {
            heads[l] = f;
        }
        tails[l] = f;
    }

    private void unlink(Flow f) {
        int l = f.list;
        if (f.older != null) {
            f.older.newer = f.newer;
        } else if (heads[l] == f) {
            heads[l] = f.newer;
        }
        if (f.newer != null) {
            f.newer.older = f.older;
        } else if (tails[l] == f) {
            tails[l] = f.older;
        }
        f.older = f.newer = null;
    }

    /**
     * Closes every flow idle for longer than its timeout at time {@code ts} (a finished TCP flow: its
     * close timeout, and it ends as closed, not idle). Lists are ordered by
     * {@code listKey}; a flow active since it was appended is moved to the newest end (second chance).
     * A flow is never closed before its timeout; one that was re-appended may be found up to one
     * timeout later than it expired.
     */
    public void expireIdle(long ts) {
        for (int l = 0; l < LISTS; l++) {
            long timeout = listTimeout[l];
            Flow f = heads[l];
            while (f != null && f.listKey - ts > CLOCK_WENT_BACK) {
                // Appended at a time far ahead of this one: the clock went back since. Counted from now, so that
                // it does not keep the scans from the flows behind it (its own end waits for its last packet's time).
                unlink(f);
                append(f);
                f.listKey = ts;
                f = heads[l];
            }
            while (f != null && ts - f.listKey > timeout) {
                Flow next = f.newer;
                if (ts - f.lastNanos > timeout) {
                    endSilent(f);
                } else {
                    unlink(f); // active since it was appended: to the newest end
                    append(f);
                }
                f = next;
            }
        }
    }

    /** Ends a flow silent for longer than its list's timeout: a finished TCP flow as closed, any other as idle. */
    private void endSilent(Flow f) {
        if (f.list == LIST_TCP_FINISHED) {
            closedFinished++;
            remove(f, Flow.END_CLOSED);
        } else {
            expiredIdle++;
            remove(f, Flow.END_IDLE);
        }
    }

    /** The list head appended longest ago, of all lists; null when the table is empty. */
    private Flow oldestHead() {
        Flow oldest = null;
        for (int l = 0; l < LISTS; l++) {
            Flow h = heads[l];
            if (h != null && (oldest == null || h.listKey < oldest.listKey)) {
                oldest = h;
            }
        }
        return oldest;
    }

    /**
     * Makes room (the table is full): the TCP flow that finished longest ago goes first when it has
     * been silent for {@link #FINISHED_GRACE} (its end was seen and its last packets are in: it ends
     * as closed, not counted as closed early); otherwise the longest-idle flow is closed early,
     * flows active since their append getting a second chance.
     */
    private void evictOldest() {
        Flow finished = heads[LIST_TCP_FINISHED];
        if (finished != null && now - finished.lastNanos >= FINISHED_GRACE) {
            evictedFinished++;
            remove(finished, Flow.END_CLOSED);
            return;
        }
        while (true) {
            Flow victim = oldestHead();
            if (victim.lastNanos != victim.listKey) {
                unlink(victim);
                append(victim);
                continue;
            }
            evictedEarly++;
            remove(victim, Flow.END_EVICTED);
            return;
        }
    }

    private void remove(Flow f, int reason) {
        unlink(f);
        int i = f.hash & mask;
        while (slots[i] != f) {
            i = (i + 1) & mask;
        }
        // Backward-shift deletion keeps probe chains intact without tombstones.
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            Flow g = slots[j];
            if (g == null) {
                break;
            }
            int home = g.hash & mask;
            boolean between = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!between) {
                slots[i] = g;
                i = j;
            }
        }
        slots[i] = null;
        size--;
        f.endReason = reason;
        sink.closed(f);
    }

    /** Closes every open flow (end of capture), oldest first. */
    public void closeAll() {
        Flow f;
        while ((f = oldestHead()) != null) {
            remove(f, Flow.END_CAPTURE);
        }
    }

    public int size() {
        return size;
    }

    /**
     * Gives every open flow to {@code each}, least recently appended first in each of the table's lists; the table is
     * not changed (nothing is moved, nothing ends). {@code each} must not change the table either.
     */
    public void forEachOpen(java.util.function.Consumer<Flow> each) {
        for (int l = 0; l < LISTS; l++) {
            for (Flow f = heads[l]; f != null; f = f.newer) {
                each.accept(f);
            }
        }
    }

    /** The longest run of occupied slots (what a lookup may walk at the most); a scan of the slots, for tests and diagnostics. */
    public int longestRun() {
        int longest = 0;
        int run = 0;
        for (int pass = 0; pass < 2; pass++) { // (twice round: a run may wrap past the array's end)
            for (Flow f : slots) {
                run = f == null ? 0 : run + 1;
                longest = Math.max(longest, Math.min(run, slots.length));
            }
        }
        return longest;
    }

    public int peak() {
        return peak;
    }

    public long flowsCreated() {
        return flowsCreated;
    }

    /** Finished TCP flows (FIN both ways, RST) removed to make room before their timeout; not closed early. */
    public long evictedFinished() {
        return evictedFinished;
    }

    /** Flows closed early because the table was full: not finished, so later packets of theirs start a new flow. */
    public long evictedEarly() {
        return evictedEarly;
    }

    public long expiredIdle() {
        return expiredIdle;
    }

    /** Finished TCP flows closed after their close timeout (not those making room: {@link #evictedFinished}). */
    public long closedFinished() {
        return closedFinished;
    }

    public long restarted() {
        return restarted;
    }

    public long now() {
        return now;
    }
}
