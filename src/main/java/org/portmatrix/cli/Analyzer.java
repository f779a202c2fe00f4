package org.portmatrix.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.portmatrix.capture.CaptureDamage;
import org.portmatrix.capture.LinkType;
import org.portmatrix.capture.PacketRef;
import org.portmatrix.capture.PacketSource;
import org.portmatrix.classify.Addresses;
import org.portmatrix.classify.Classification;
import org.portmatrix.classify.Classifier;
import org.portmatrix.classify.CompiledCatalog;
import org.portmatrix.classify.Rule;
import org.portmatrix.decode.DecodeStats;
import org.portmatrix.decode.Decoded;
import org.portmatrix.decode.IpProtocol;
import org.portmatrix.decode.PacketDecoder;
import org.portmatrix.flow.CommunityId;
import org.portmatrix.flow.Flow;
import org.portmatrix.flow.FlowConfig;
import org.portmatrix.flow.FlowSink;
import org.portmatrix.flow.FlowTable;
import org.portmatrix.flow.IcmpErrors;
import org.portmatrix.flow.ServicePorts;
import org.portmatrix.inspect.Inspection;
import org.portmatrix.report.FlowRecord;
import org.portmatrix.report.FlowReport;
import org.portmatrix.report.RunSummary;
import org.portmatrix.report.TextReport;

/**
 * The pipeline: capture → decode → flow → classify → inspect → report. Per packet it decodes into
 * one reused view, updates one flow, and hands payload to inspection only while the flow is
 * undecided; everything per flow happens once, when the flow ends.
 */
public final class Analyzer implements FlowSink {
    /** Set before the first ended flow is reported (and, with the extract, before the first packet): {@link #classifyWith}. */
    private Classifier classifier;
    private final Inspection inspection;
    private final PacketDecoder decoder;
    private final FlowTable table;
    /** Set by {@link #reportTo}; the flow thread waits for it ({@link #attached}). */
    private FlowReport report;
    /** Open once the reports are attached, or the run abandoned: the flow thread waits for it before its first flow. */
    private final java.util.concurrent.CountDownLatch attached = new java.util.concurrent.CountDownLatch(1);
    private boolean attachedSeen;
    private volatile boolean abandoned;
    /** Made by the reporting thread at its first flow: its SHA-1 brings up the JDK's security providers (10-20 ms). */
    private CommunityId communityId;
    private final DecodeStats stats = new DecodeStats();
    /** Per undecodable reason, where its first frame was ("FILE offset N"): one string per reason and run. */
    private final String[] firstUndecodable = new String[DecodeStats.reasons()];
    private int firstUnsupportedLinkType = -1;
    /** Packets of an unsupported link type other than the first were read too (captures of several link types). */
    private boolean otherUnsupportedLinkTypes;
    private String firstUnsupportedSource;
    private final List<String> sourceNames = new ArrayList<>();
    /**
     * The name of each capture file of the run, by {@code PacketRef.sourceIndex}, when it reads several; else null
     * (one capture, a live interface). Set before the first packet is read; the flow thread reads it for flows
     * handed over after that.
     */
    private volatile String[] fileNames;
    private final List<String> damage = new ArrayList<>();
    private long packetsRead;
    private long packetsDecoded;
    private long flagged;
    /** Decoded packets that were ICMP errors counted on the open flow they quote ({@link FlowTable#related}). */
    private long icmpErrorsOnFlows;
    private boolean inspect = true;
    private FlowHandoff handoff;
    private ExtractStream extract;
    /** Asked between stretches of packets why to stop reading, null to go on (a signal: {@link Interruption}; no output left). */
    private volatile java.util.function.Supplier<String> stop = () -> null;
    /** Where and why the read stopped before the captures' end, or null. */
    private String interrupted;
    /** The protocol check's words while deciding for the extract on the packet thread (not kept). */
    private final StringBuilder extractScratch = new StringBuilder();

    public Analyzer(Classifier classifier, FlowConfig flowConfig, boolean vlanInKey, FlowReport report) {
        this(classifier.catalog(), flowConfig, vlanInKey);
        classifyWith(classifier);
        reportTo(report);
    }

    /**
     * An analyzer that can read packets before the topology is loaded and the reports are open
     * ({@link PacketThread}): the packet path needs only the catalog (the inspectors' port hints
     * and the service ports). {@link #classifyWith} and {@link #reportTo} complete it; until then
     * the ended flows wait in the hand-over to the flow thread ({@link #reportOnOwnThread}).
     */
    Analyzer(CompiledCatalog catalog, FlowConfig flowConfig, boolean vlanInKey) {
        this.inspection = new Inspection(catalog);
        this.decoder = new PacketDecoder(vlanInKey);
        this.table = new FlowTable(flowConfig, servicePorts(catalog), this);
    }

    /** The classifier, over the catalog this analyzer was made with (the topology may have extended its roles since). */
    void classifyWith(Classifier classifier) {
        this.classifier = classifier;
    }

    /** Where the ended flows go; the flow thread starts reporting them once this is set. */
    void reportTo(FlowReport report) {
        this.report = report;
        attached.countDown();
    }

    /**
     * The set-up failed while packets were being read: the read stops at its next stretch and the
     * flows handed over are dropped, unreported (nothing is written: the reports never opened).
     */
    void abandon() {
        abandoned = true;
        stop = () -> "the set-up failed";
        attached.countDown();
    }

    /**
     * Whether payload is inspected (the default). Off, verdicts rest on roles, transport and port
     * alone, each reason says the protocol was not checked, and no certificate is collected.
     */
    public void inspectPayload(boolean on) {
        this.inspect = on;
    }

    /**
     * Classifies and reports ended flows on a thread of their own (offline analysis), in the order
     * they ended; {@link #finish} waits for them. Without it (live capture) they are reported on the
     * caller's thread as they end.
     */
    public void reportOnOwnThread() {
        if (handoff == null) {
            handoff = new FlowHandoff(this::report);
        }
    }

    /** The flow thread's CPU time once {@link #finish} has returned, with timing on ({@link Phases}); -1 otherwise. */
    long flowThreadCpuNanos() {
        return handoff == null ? -1 : handoff.cpuNanos();
    }

    /** Stops {@link #read} at the next stretch of packets once {@code stop} gives a reason ("stopped by SIGTERM"). */
    void stopWhen(java.util.function.Supplier<String> stop) {
        this.stop = stop;
    }

    /** Where and why the read was stopped before the captures' end ("stopped by SIGTERM after ..."), or null. */
    String interrupted() {
        return interrupted;
    }

    /** Writes the packets of the flagged flows while reading (see {@link ExtractStream}). */
    void streamExtract(ExtractStream stream) {
        this.extract = stream;
    }

    /** Ports of single services (not ranges) in the catalog: the responder side when a start is missed. */
    static ServicePorts servicePorts(CompiledCatalog catalog) {
        ServicePorts sp = new ServicePorts();
        for (Rule r : catalog.catalog().rules()) {
            if (r.portMax() - r.portMin() <= 16) {
                for (int p = r.portMin(); p <= r.portMax(); p++) {
                    sp.add(r.transport(), p);
                }
            }
        }
        // SIP's registered port over UDP too: Lync documents SIP over TCP and TLS only, yet gateways and trunks
        // speak it over UDP, where a capture that missed the INVITE took the responder's reply for the start.
        sp.add(IpProtocol.UDP, SIP_PORT);
        return sp;
    }

    private static final int SIP_PORT = 5060;

    /**
     * Names the run's source whose packets are not {@link #read} but handed over (a live interface), as the summaries
     * name a capture: the live HTML page's header names it.
     */
    public void named(String source) {
        sourceNames.add(source);
    }

    /** Reads a source to its end (or its damage). */
    public void read(PacketSource source) throws IOException {
        sourceNames.add(source.name());
        if (source.files() > 1) {
            // Each flow names its files only when the run reads several (one capture is named in the summary already).
            String[] names = new String[source.files()];
            for (int i = 0; i < names.length; i++) {
                names[i] = source.fileName(i);
            }
            fileNames = names;
        }
        PacketRef ref = new PacketRef();
        Decoded d = new Decoded();
        try {
            while (readStretch(source, ref, d, stretches < SHORT_STRETCHES ? SHORT_STRETCH : STRETCH)) {
                stretches++;
                // a stretch at a time: see readStretch
                String why = stop.get();
                if (why != null) {
                    interrupted(why, source, ref);
                    break;
                }
            }
        } catch (ClosedChannelException | java.io.InterruptedIOException e) {
            // A read blocked on a quiet pipe, woken for a signal by closing it (Interruption.wakeWith): it stops here.
            String why = stop.get();
            if (why == null) {
                throw e;
            }
            interrupted(why, source, ref);
        }
        for (CaptureDamage dmg : source.damages()) {
            damage.add(dmg.describe());
        }
    }

    /** How the packet's payload is only the start of what was sent, if it is ({@link Inspection#packet}). */
    private static int payloadCut(Decoded d) {
        return d.cut ? Inspection.CUT_BY_SNAP_LENGTH : d.fragment == 1 ? Inspection.FIRST_FRAGMENT : Inspection.WHOLE;
    }

    private void interrupted(String why, PacketSource source, PacketRef ref) {
        interrupted = String.format(java.util.Locale.ROOT, "%s after %,d packets, at %s offset %d: the packets after it"
                + " were not read", why, packetsRead, packetsRead == 0 ? source.name() : source.nameOf(ref), ref.recordOffset);
    }

    /** Packets per {@link #readStretch} call. */
    private static final int STRETCH = 1024;
    /**
     * The first calls' stretches are short, so that the JIT sees the calls it counts (about 200) soon:
     * what the warm-up's stretches of 32 did before the read started early ({@link PacketThread}).
     */
    private static final int SHORT_STRETCH = 32;
    private static final int SHORT_STRETCHES = 256;
    private int stretches;

    /**
     * Reads up to {@code n} packets; false once the source has ended. Measured reason: with the whole
     * read in one call, its loop ran interpreted until the JIT's back-edge threshold (60,000 packets,
     * the first 100 ms of the read on the reference workload: -XX:+PrintCompilation), as a running
     * call cannot move to code compiled after it began; called once per stretch, the analysis moves to
     * the compiled loop at the next stretch, after the first few thousand packets (short stretches
     * first: the JIT compiles a method after about 200 calls).
     */
    private boolean readStretch(PacketSource source, PacketRef ref, Decoded d, int n) throws IOException {
        PacketDecoder dec = decoder;
        FlowTable t = table;
        for (int i = 0; i < n; i++) {
            if (!source.next(ref)) {
                return false;
            }
            packetsRead++;
            int r = dec.decode(ref.buf, ref.offset, ref.caplen, ref.linkType, d);
            if (r != DecodeStats.OK) {
                if (r == DecodeStats.UNSUPPORTED_LINK) {
                    if (firstUnsupportedLinkType < 0) {
                        firstUnsupportedLinkType = ref.linkType;
                        firstUnsupportedSource = source.name(); // (the refusal counts the packets of every capture read)
                    } else if (ref.linkType != firstUnsupportedLinkType) {
                        otherUnsupportedLinkTypes = true;
                    }
                }
                if (stats.counts[r] == 0) {
                    firstUndecodable[r] = (r == DecodeStats.UNSUPPORTED_LINK ? LinkType.name(ref.linkType) + "; " : "")
                            + "first: " + source.nameOf(ref) + " offset " + ref.recordOffset;
                }
                stats.count(r);
                continue;
            }
            packetsDecoded++;
            // The file of the packet, kept by its flow's update when it is the flow's first or last in time: a store per packet
            // (the names are looked up only when the flow is reported).
            t.packetFile = ref.sourceIndex;
            Flow f;
            if (d.icmpError) { // (false for nearly every packet: one field read)
                f = t.related(d, ref.tsNanos);
                if (f != null) { // an ICMP error about an open flow: counted on it, and kept with its packets
                    icmpErrorsOnFlows++;
                    if (extract != null && extract.active() && f.extract != ExtractStream.DROP) {
                        extract.packet(f, ref.buf, ref.offset, ref.caplen, ref.origLen, ref.tsNanos, ref.linkType);
                    }
                    continue;
                }
                f = t.update(d, ref.tsNanos, ref.origLen);
                FlowTable.unrelatedError(f, d);
            } else {
                f = t.update(d, ref.tsNanos, ref.origLen);
            }
            boolean inspected = inspect && (d.payloadLength > 0 || d.payloadCutAway) && Inspection.wants(f);
            if (inspected) {
                inspection.packet(f, t.lastForward, d.payloadSeq(), d.ackOrNone(), ref.buf, d.payloadOffset, d.payloadLength, payloadCut(d));
            }
            if (extract != null && extract.active()) {
                if (f.extract == ExtractStream.UNSEEN || (f.extract == ExtractStream.UNDECIDED
                        && (inspected || f.tcpState >= Flow.TCP_CLOSED_FIN))) {
                    decideExtract(f, false);
                }
                if (f.extract != ExtractStream.DROP) { // most packets: checked here, not by a call with eight arguments
                    extract.packet(f, ref.buf, ref.offset, ref.caplen, ref.origLen, ref.tsNanos, ref.linkType);
                }
            }
        }
        return true;
    }

    /** After {@link #abandon}, once the packet thread has stopped: ends the flow thread, which drops what it was handed. */
    void discardHandedOver() {
        if (handoff != null) {
            try {
                handoff.finish();
            } catch (IOException | RuntimeException | Error e) {
                // abandoned: nothing of this run is reported, and the set-up's failure is what the user sees. An Error too: the
                // flow thread's (out of memory) is the one the read raised, and thrown again from the close of a
                // try-with-resources it became "Self-suppression not permitted" and a stack trace.
            }
        }
    }

    /** Closes every open flow and writes the summary. */
    public RunSummary finish(String catalogSource, String topologySource) throws IOException {
        try {
            table.closeAll();
            if (handoff != null) {
                handoff.finish();
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        Map<String, Long> undecodable = new LinkedHashMap<>();
        for (int i = 1; i < DecodeStats.reasons(); i++) {
            if (stats.counts[i] > 0) {
                String first = firstUndecodable[i];
                undecodable.put(first == null ? DecodeStats.describe(i) : DecodeStats.describe(i) + " (" + first + ")", stats.counts[i]);
            }
        }
        RunSummary s = new RunSummary(List.copyOf(sourceNames), packetsRead, packetsDecoded, undecodable,
                table.flowsCreated(), table.evictedEarly(), table.peak(), List.copyOf(damage), catalogSource, topologySource,
                inspection.certificates(), interrupted, icmpErrorsOnFlows);
        report.finish(s);
        return s;
    }

    /**
     * Why the run has nothing to report although packets were read, or null: every packet was of a
     * link type the decoder does not know (a capture of another kind of network).
     */
    public String refusal() {
        if (packetsRead == 0 || packetsDecoded > 0 || stats.counts[DecodeStats.UNSUPPORTED_LINK] != packetsRead) {
            return null;
        }
        String name = LinkType.name(firstUnsupportedLinkType);
        String type = name.startsWith("link type") ? name : "link type " + firstUnsupportedLinkType + " (" + name + ")";
        return firstUnsupportedSource + ": " + type + (otherUnsupportedLinkTypes ? " and others are" : " is")
                + " not supported (Ethernet, Linux cooked SLL/SLL2, raw IPv4/IPv6 and BSD loopback are); none of its " + TextReport.n(packetsRead)
                + " packets could be decoded";
    }

    public boolean damaged() {
        return !damage.isEmpty();
    }

    public long flagged() {
        return flagged;
    }

    // ---- live capture (LiveCommand owns the loop; see read() for the offline one) ----

    /**
     * Feeds one packet. Returns its flow, or null when it did not decode; {@code d} holds the
     * decoded view and {@link #lastForward()} the packet's direction until the next call.
     */
    public Flow packet(byte[] buf, int offset, int caplen, int origLen, long tsNanos, int linkType, Decoded d) {
        packetsRead++;
        int r = decoder.decode(buf, offset, caplen, linkType, d);
        if (r != DecodeStats.OK) {
            stats.count(r);
            return null;
        }
        packetsDecoded++;
        Flow f;
        if (d.icmpError) {
            f = table.related(d, tsNanos);
            if (f != null) {
                icmpErrorsOnFlows++;
                return f; // an ICMP error about an open flow: counted on it (not one of its packets)
            }
            f = table.update(d, tsNanos, origLen);
            FlowTable.unrelatedError(f, d);
        } else {
            f = table.update(d, tsNanos, origLen);
        }
        if (inspect && (d.payloadLength > 0 || d.payloadCutAway) && Inspection.wants(f)) {
            inspection.packet(f, table.lastForward, d.payloadSeq(), d.ackOrNone(), buf, d.payloadOffset, d.payloadLength, payloadCut(d));
        }
        return f;
    }

    /** True when the packet last given to {@link #packet} came from its flow's initiator. */
    public boolean lastForward() {
        return table.lastForward;
    }

    /** Closes the flows idle at {@code nowNanos} (wall clock, for a live capture with no packets arriving). */
    public void expireIdle(long nowNanos) throws IOException {
        try {
            table.expireIdle(nowNanos);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    public int openFlows() {
        return table.size();
    }

    /** The run's counters so far, without closing a flow (the rolling summary of a live capture). */
    public RunSummary snapshot(String catalogSource, String topologySource) {
        Map<String, Long> undecodable = new LinkedHashMap<>();
        for (int i = 1; i < DecodeStats.reasons(); i++) {
            if (stats.counts[i] > 0) {
                undecodable.put(DecodeStats.describe(i), stats.counts[i]);
            }
        }
        return new RunSummary(List.copyOf(sourceNames), packetsRead, packetsDecoded, undecodable,
                table.flowsCreated(), table.evictedEarly(), table.peak(), List.copyOf(damage), catalogSource, topologySource,
                List.of(), null, icmpErrorsOnFlows);
    }

    /**
     * Whether {@code --extract} keeps a flow's packets, as far as known now ({@link Flow#extract}):
     * from its classification at its first packet, then from what inspection has seen; when the
     * flow ends, for good. Drains the extract's queue when an undecided flow is decided.
     */
    private void decideExtract(Flow f, boolean ending) {
        byte s = f.extract;
        if (s == ExtractStream.UNSEEN) {
            Classification c = classifier.classify(f, false); // verdict and rule; the reason is made when the flow is reported
            if (c.verdict != org.portmatrix.classify.Verdict.EXPECTED || (c.reversed && !inspect)) {
                s = ExtractStream.KEEP; // outside the matrix whatever the payload (a reversed media rule needs media seen)
            } else if ((c.rule == CompiledCatalog.NO_RULE && !c.reversed && (c.configured == null || c.configured.checked() == null))
                    || !inspect) {
                s = ExtractStream.DROP; // a topology port that names no protocol, or no protocol check: stays expected
            } else {
                s = ExtractStream.UNDECIDED;
            }
            f.extract = s;
        }
        if (s != ExtractStream.UNDECIDED) {
            return;
        }
        org.portmatrix.classify.Verdict v = Inspection.verdictSoFar(f, (Classification) f.classification, classifier,
                extractScratch);
        if (Inspection.holding(f) && !ending) {
            return; // bytes held ahead of a gap: what is seen so far is not what will be
        }
        if (ending || Inspection.inspectionEnded(f) || f.tcpState >= Flow.TCP_CLOSED_FIN) {
            f.extract = v.flagged() ? ExtractStream.KEEP : ExtractStream.DROP;
        } else if (v == org.portmatrix.classify.Verdict.EXPECTED && Inspection.protocolSettled(f)) {
            f.extract = ExtractStream.DROP; // the documented protocol is on the wire: checked again when reported
        } else {
            return;
        }
        extract.drain();
    }

    @Override
    public void closed(Flow f) {
        if (inspect) {
            inspection.ended(f); // (bytes held ahead of a gap never filled: looked at now, on this thread)
        }
        if (extract != null && extract.active() && f.extract != ExtractStream.KEEP && f.extract != ExtractStream.DROP) {
            decideExtract(f, true);
        }
        if (handoff != null) {
            handoff.add(f);
        } else {
            report(f);
        }
    }

    /** Classifies, completes with what inspection saw, and reports one ended flow. */
    private void report(Flow f) {
        if (!attachedSeen) { // the flow thread's first flow: the reports may not be open yet
            try {
                attached.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UncheckedIOException(new java.io.InterruptedIOException("interrupted while waiting for the reports"));
            }
            attachedSeen = true;
        }
        if (abandoned) {
            return;
        }
        if (f.initiatorRefuted()) { // (read the way its datagrams went: its own host refused them)
            turn(f);
        }
        Classification c = classifier.classify(f);
        FlowRecord r = describe(f, c, false);
        if (c.verdict.flagged()) {
            flagged++;
        }
        if (extract != null) {
            extract.reported(f, c.verdict.flagged());
        }
        try {
            report.flow(r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Completes {@code c}, the flow's classification by ports and roles, with what inspection saw and the notes of
     * its reason, and makes the flow's record. {@code open}: the flow is still open (a live report's snapshot), and
     * is left exactly as it was: inspected through {@link Inspection#finishOpen}, turned back if it was turned, its
     * end "open"; and an expected one gets no record (null).
     */
    private FlowRecord describe(Flow f, Classification c, boolean open) {
        if (!inspect) {
            c.unreverse(); // a media rule is read the other way round only for media seen on the wire
        }
        boolean turned = f.directionInferred && turnedIfOnlyThatWayAllowed(f, c);
        try {
            org.portmatrix.inspect.TlsInfo tls = null;
            if (inspect) {
                if (open) {
                    tls = inspection.finishOpen(f, c, classifier);
                } else {
                    inspection.finish(f, c, classifier);
                    tls = inspection.tls(f);
                }
            } else if (c.verdict == org.portmatrix.classify.Verdict.EXPECTED
                    && (c.rule != CompiledCatalog.NO_RULE || (c.configured != null && c.configured.checked() != null))) {
                c.reason = c.reason + " The payload was not inspected (--no-inspect), so the protocol on the wire was not checked.";
            }
            if (open && !c.verdict.flagged()) {
                openSink.expected(f.firstNanos, f.lastNanos, f.packetsFwd + f.packetsRev, f.bytesFwd + f.bytesRev);
                return null; // counted, no record
            }
            if (open && countedWithoutRecord(f, c)) { // (the verdict is final here: what follows adds to the reason only)
                return null;
            }
            if (turned) {
                c.reason = c.reason + (f.protocol() == IpProtocol.TCP ? TURNED_TCP : TURNED_UDP);
            }
            String note = classifier.inferredNote(f);
            if (!note.isEmpty()) {
                c.reason = c.reason + note;
            }
            if (f.icmpErrors != null) {
                c.reason = c.reason + icmpNote(f.icmpErrors);
                if (f.turnedByRefusal()) {
                    c.reason = c.reason + REFUSED_UDP;
                }
            }
            if (f.icmpCarried != null) {
                c.reason = c.reason + carriedNote(f.icmpCarried);
            }
            return record(f, c, tls, open ? OPEN : endName(f.endReason));
        } finally {
            if (open && turned) { // back as it is held while it is open (turning is a swap: twice is none)
                turn(f);
            }
        }
    }

    /** The {@code end} of an open flow's record (a live report's snapshot). */
    static final String OPEN = "open";

    /**
     * What the flows open now would be reported as if they ended now, into {@code open}: on the thread that owns the
     * flows (a live capture's analysis thread, between batches of packets). Each flow is classified and checked
     * against what inspection has seen so far, into a classification of its own that is not kept; nothing of the flow,
     * of its inspection or of the certificate inventory changes, so its record when it ends is the same as without
     * this. Only the flows outside the matrix that {@code open} keeps whole, or that are their group's example, get a
     * record; the others are counted into their group (those outside by hosts, roles or port without their reason's text),
     * so that what a report allocates does not grow with records it would not keep.
     */
    public void openFlows(org.portmatrix.report.OpenFlows open) {
        if (classifier == null || abandoned) {
            return;
        }
        openSink = open;
        try {
            table.forEachOpen(f -> {
                boolean refuted = f.initiatorRefuted(); // (turned as its report would be, and back: the flow stays as it is held)
                if (refuted) {
                    turn(f);
                }
                try {
                    openFlow(open, f);
                } finally {
                    if (refuted) {
                        turn(f);
                    }
                }
            });
        } finally {
            openSink = null;
        }
    }

    /** One open flow of {@link #openFlows}: counted, or its record kept. */
    private void openFlow(org.portmatrix.report.OpenFlows open, Flow f) {
        Classification c = classifier.classify(f, verdictOnly, false); // (the verdict without its text; roles, rule)
        if (c.verdict.flagged() && !c.reversed && !f.directionInferred) {
            // Outside the matrix by its hosts, roles or port: what inspection saw adds to the reason only (a flow
            // read the other way round, or whose initiator was inferred, may still change). Counted without its
            // reason when no record is wanted: the reason's text, the inspection's and the TLS summary were most of
            // what a report allocated for each open flow, a million of them outside the matrix making gigabytes.
            if (countedWithoutRecord(f, c)) {
                return;
            }
        }
        c = classifier.classify(f, new Classification(), true); // (anew, as a flow's report classifies it)
        FlowRecord r = describe(f, c, true);
        if (r != null) {
            open.flagged(r);
        }
    }

    /**
     * An open flow outside the matrix, its verdict final in {@code c}: counted in {@link #openSink} without a record, and
     * true, when none is wanted (past the records kept, and not its group's example); false otherwise. Allocates nothing
     * but the group's key.
     */
    private boolean countedWithoutRecord(Flow f, Classification c) {
        return openSink.flaggedUnlessRecordWanted(c.verdict, classifier.roles().names(c.srcRoles), classifier.roles().names(c.dstRoles),
                IpProtocol.name(f.protocol()), ported(f.protocol()) ? f.dstPort() : -1, f.firstNanos, f.lastNanos, f.id,
                f.packetsFwd + f.packetsRev, f.bytesFwd + f.bytesRev);
    }

    /** {@link #openFlows}'s classification of a flow without its reason, each flow's in turn (every field it reads is set anew). */
    private final Classification verdictOnly = new Classification();

    /** The snapshot {@link #openFlows} fills, while it runs: {@link #describe} counts there the open flows that get no record. */
    private org.portmatrix.report.OpenFlows openSink;

    private static final String TURNED_TCP = " The capture missed the connection's start (no SYN), so which end initiated was inferred:"
            + " read the other way round, as the ports first suggested, the catalog does not allow it.";
    private static final String TURNED_UDP = " The first packet seen looked like a reply, so which end initiated was inferred:"
            + " read the other way round, as the ports first suggested, the catalog does not allow it.";
    private static final String REFUSED_UDP = " So the flow is read the way its datagrams went: sent from a service port, the first"
            + " looked like a reply, which had made the other end the initiator.";
    /** The protocol check's words while deciding whether to turn a flow, on the flow thread (not kept). */
    private final StringBuilder turnScratch = new StringBuilder();

    /**
     * A flow whose initiator was inferred from its ports (a TCP connection caught without its SYN, a UDP flow
     * first seen from a service port) that the catalog does not allow as inferred, its roles or its wire
     * (unexpected_port, unexpected_role_pair, protocol_mismatch), but allows the other way round, with what
     * inspection saw fitting (expected; not unverifiable, which says nothing for that way): turned round
     * ({@link Flow#turn}, {@link Inspection#turn}), and {@code c} classified again that way; true then. The
     * inference counts only ports, and no port of a media range is a "service port": an Edge relaying video
     * from its port 49500 to a Front End's 57600, caught mid-connection, was read from the Front End's higher
     * port to the Edge's lower one, unexpected_port, while the same connection with its SYN was expected. Once
     * per flow, on the flow thread; a flow whose inferred way is allowed is not looked at twice.
     *
     * <p>Only on evidence (review): inspection recognised a protocol on the flow, no ICMP error answered it, the
     * end that would become the initiator did not send from a port below 1024, and the rule (or the topology's
     * ports entry) that allows it the other way round names a protocol, which the wire shows (not "tcp" or "udp",
     * which take anything); so never under --no-inspect. (A catalog service port of 1024 or above may turn: the
     * Edge's 50001, its logging port, also sends application sharing's STUN to a Front End's 50500.) Without these, an SMB session to a client's 445, a client's cleartext HTTP to an
     * Edge's 443, ACK and FIN scans, and UDP sent from port 53 to a client's high port, all caught without their
     * start, were turned into a client's or a Front End's traffic to a client's 1024-65535 and came out expected.
     */
    private boolean turnedIfOnlyThatWayAllowed(Flow f, Classification c) {
        int proto = f.protocol();
        if ((proto != IpProtocol.TCP && proto != IpProtocol.UDP) || c.srcRoles == 0 || c.dstRoles == 0 || !inspect
                || f.icmpErrors != null || !(f.inspection instanceof org.portmatrix.inspect.FlowInspection fi) || fi.app == null
                || f.dstPort() < 1024) {
            return false;
        }
        org.portmatrix.classify.Verdict now = verdictNow(f, c);
        if (now != org.portmatrix.classify.Verdict.UNEXPECTED_PORT && now != org.portmatrix.classify.Verdict.UNEXPECTED_ROLE_PAIR
                && now != org.portmatrix.classify.Verdict.PROTOCOL_MISMATCH) {
            return false;
        }
        turn(f);
        classifier.classify(f, c, false); // c again, the other way round
        org.portmatrix.classify.Verdict other = verdictNow(f, c);
        // Expected only: unverifiable says nothing for the other way round. Read from its port to a client's media range
        // (1024-65535 from a Front End), any connection to an undocumented port, caught in its encrypted middle, would be.
        // (The protocol the allowing rule, or topology entry, names: a catalog rule's, or a ports entry's checked one.)
        org.portmatrix.classify.RuleProtocol named = c.rule != CompiledCatalog.NO_RULE ? classifier.catalog().rule(c.rule).protocol()
                : c.configured != null ? c.configured.checked() : null;
        boolean allowed = other == org.portmatrix.classify.Verdict.EXPECTED && named != null
                && named != org.portmatrix.classify.RuleProtocol.TCP && named != org.portmatrix.classify.RuleProtocol.UDP;
        if (!allowed) {
            turn(f); // back as inferred
        }
        classifier.classify(f, c, true); // with its reason, whichever way round
        return allowed;
    }

    /** Reads the flow the other way round, its inspection's directions with it (twice is as it was). */
    private static void turn(Flow f) {
        f.turn();
        Inspection.turn(f);
    }

    /** The verdict the flow would be reported with, from its classification and what inspection saw; builds no text. */
    private org.portmatrix.classify.Verdict verdictNow(Flow f, Classification c) {
        if (c.verdict != org.portmatrix.classify.Verdict.EXPECTED
                || (c.rule == CompiledCatalog.NO_RULE && !c.reversed && (c.configured == null || c.configured.checked() == null))) {
            return c.verdict;
        }
        return Inspection.verdictSoFar(f, c, classifier, turnScratch);
    }

    /**
     * What the ICMP errors about a flow's packets say, one clause per kind, as a sentence to append to
     * its reason: "127.0.1.10 answered with ICMP port unreachable (3 times): nothing listened on UDP
     * 50002 there; ICMPv6 packet too big came back from fd00::2."
     */
    static String icmpNote(IcmpErrors e) {
        StringBuilder b = new StringBuilder();
        for (IcmpErrors.Kind k : e.kinds()) {
            String icmp = k.protocol == IpProtocol.ICMPV6 ? "ICMPv6 " : "ICMP ";
            String sender = Addresses.format(k.senderVersion, k.senderHi, k.senderLo);
            String times = k.count == 1 ? "" : " (" + TextReport.n(k.count) + " times)"; // (as every count: "1,536", not "1536")
            String quotedTo = Addresses.format(k.senderVersion, k.quotedDstHi, k.quotedDstLo);
            b.append(b.length() == 0 ? " " : "; ");
            if (k.portUnreachable() && sender.equals(quotedTo) && ported(k.quotedProtocol)) {
                b.append(sender).append(" answered with ").append(icmp).append("port unreachable").append(times)
                        .append(": nothing listened on ").append(IpProtocol.upperName(k.quotedProtocol)).append(' ').append(k.quotedDstPort)
                        .append(" there");
            } else {
                b.append(icmp).append(k.describe()).append(" came back from ").append(sender).append(times);
                if (k.prohibited()) {
                    b.append(": a filter on the way refused the flow's packets");
                }
            }
        }
        if (e.otherKinds() > 0) {
            b.append("; and ").append(TextReport.plural(e.otherKinds(), "ICMP error")).append(" of other kinds");
        }
        return b.append('.').toString();
    }

    /**
     * What an ICMP flow's errors about packets of flows not open here were about (the first of them),
     * as a sentence to append to its reason.
     */
    static String carriedNote(IcmpErrors e) {
        IcmpErrors.Kind k = e.kinds().get(0);
        String icmp = k.protocol == IpProtocol.ICMPV6 ? "ICMPv6 " : "ICMP ";
        boolean ported = ported(k.quotedProtocol);
        return " It carried " + (e.count() == 1 ? "an ICMP error" : TextReport.n(e.count()) + " ICMP errors") + " about packets whose flow is not open"
                + " here (not in the capture, or ended before); the first: " + icmp + k.describe() + " from "
                + Addresses.format(k.senderVersion, k.senderHi, k.senderLo) + " about " + IpProtocol.upperName(k.quotedProtocol) + " "
                + TextReport.endpoint(Addresses.format(k.senderVersion, k.quotedSrcHi, k.quotedSrcLo), ported ? k.quotedSrcPort : -1)
                + " -> " + TextReport.endpoint(Addresses.format(k.senderVersion, k.quotedDstHi, k.quotedDstLo), ported ? k.quotedDstPort : -1)
                + ".";
    }

    private static boolean ported(int protocol) {
        return protocol == IpProtocol.TCP || protocol == IpProtocol.UDP || protocol == IpProtocol.SCTP;
    }

    private FlowRecord record(Flow f, Classification c, org.portmatrix.inspect.TlsInfo tls, String end) {
        boolean ported = ported(f.protocol());
        boolean icmp = f.protocol() == IpProtocol.ICMP || f.protocol() == IpProtocol.ICMPV6;
        if (communityId == null) {
            communityId = new CommunityId(0);
        }
        // ICMP's ID comes from the flow's first packet, its type and code as its sender sent them: an echo reply or an
        // error seen first (the ICMP flows whose direction is inferred) was sent by the responder, the record's destination.
        String cid = end == OPEN ? null : icmp && f.directionInferred
                ? communityId.compute(f.ipVersion(), f.dstHi(), f.dstLo(), f.srcHi(), f.srcLo(), f.protocol(), f.icmpType, f.icmpCode, ported)
                : communityId.compute(f.ipVersion(), f.srcHi(), f.srcLo(), f.dstHi(), f.dstLo(), f.protocol(),
                        icmp ? f.icmpType : f.srcPort(), icmp ? f.icmpCode : f.dstPort(), ported);
        String rule = c.rule >= 0 && c.verdict != org.portmatrix.classify.Verdict.UNEXPECTED_ROLE_PAIR
                && c.verdict != org.portmatrix.classify.Verdict.UNEXPECTED_PORT ? classifier.catalog().rule(c.rule).id() : null;
        return new FlowRecord(f.firstNanos, f.lastNanos, IpProtocol.name(f.protocol()),
                Addresses.format(f.ipVersion(), f.srcHi(), f.srcLo()), ported ? f.srcPort() : -1,
                Addresses.format(f.ipVersion(), f.dstHi(), f.dstLo()), ported ? f.dstPort() : -1, f.directionInferred,
                classifier.roles().names(c.srcRoles), classifier.roles().names(c.dstRoles), c.appProtocol, c.verdict.id(),
                rule, c.reason, f.packetsFwd, f.packetsRev, f.bytesFwd, f.bytesRev, cid, f.vlan(), tcpState(f),
                end, f.id, f.icmpErrors == null ? 0 : f.icmpErrors.count(),
                fileName(f.fileFirst), fileName(f.fileLast), tls);
    }

    /** The name of capture file {@code index} as the user gave it, or null for a run of one capture. */
    private String fileName(int index) {
        String[] names = fileNames;
        return names == null || index < 0 || index >= names.length ? null : names[index];
    }

    private static String tcpState(Flow f) {
        if (f.protocol() != IpProtocol.TCP) {
            return null;
        }
        return switch (f.tcpState) {
            case Flow.TCP_ESTABLISHED -> "established";
            case Flow.TCP_CLOSED_FIN -> "closed_fin";
            case Flow.TCP_CLOSED_RST -> "closed_rst";
            default -> "attempted";
        };
    }

    private static String endName(int reason) {
        return switch (reason) {
            case Flow.END_IDLE -> "idle";
            case Flow.END_CLOSED -> "closed";
            case Flow.END_EVICTED -> "evicted";
            case Flow.END_RESTARTED -> "restarted";
            default -> "capture_end";
        };
    }
}
