package org.portmatrix.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Writer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.portmatrix.classify.Verdict;
import org.portmatrix.report.FlowField;
import org.portmatrix.report.FlowRecord;
import org.portmatrix.report.FlowReport;
import org.portmatrix.report.ReportData;
import org.portmatrix.report.RunSummary;
import org.portmatrix.report.Timestamps;

/**
 * The flow output of a live capture: every flow is written as it closes, one complete line per
 * flow, so {@code tail -f} and log shippers see whole records. JSON lines carry the fields of
 * {@link FlowField} in its order, as {@code analyze --format jsonl} writes them (same HTML-safe
 * escaping); text lines are one readable line per flow. Also counts the verdicts of closed flows
 * for the rolling summary and feeds the HTML report's aggregates ({@link ReportData}: groups and
 * at most {@code --report-flagged} whole records, so memory stays bounded).
 */
final class LiveFlowLog implements FlowReport {
    private final RotatingOutput out;
    private final boolean json;
    private final JsonGenerator gen;
    private final Map<String, long[]> verdicts = new LinkedHashMap<>();
    private final ReportData data;
    private long closed;
    private long written;
    /** {@link #written} at the last flush that succeeded: what is known to be in the output. */
    private long flushed;
    private long flagged;
    /** The packet time of the latest drop on this host known (ns since the epoch); closed flows open then are marked. */
    private long lastDrop = Long.MIN_VALUE;
    /** Closed flows that were open while packets were dropped on this host. */
    private long withDrops;
    /** Whether the flow being written was open while packets were dropped on this host. */
    private boolean flowMetDrops;
    /** Lines written into the current file (since it was begun). */
    private long inFile;
    /** Lines that went with an output file removed while it was written. */
    private long lostWithRemovedFile;
    /** Times another file was found under the output's name, and the lines the files moved away kept. */
    private long replacements;
    private long linesInReplaced;
    /** Times the file was moved away and no file took its name (a new one was begun), and the lines those kept. */
    private long moves;
    private long linesInMoved;
    private boolean dirty;
    /** Why the output could not be written ("PATH: cannot write: REASON"), or null; nothing is written after it. */
    private String failure;

    /** @param data the aggregates of the HTML report (bounded), or null when no report directory is written */
    LiveFlowLog(RotatingOutput out, String format, ReportData data) throws IOException {
        this.out = out;
        this.data = data;
        this.json = format.equals("jsonl");
        for (Verdict v : Verdict.values()) {
            verdicts.put(v.id(), new long[1]);
        }
        if (json) {
            JsonFactory f = JsonFactory.builder().build();
            f.setCodec(new ObjectMapper(f));
            gen = f.createGenerator(out.writer());
            gen.setCharacterEscapes(new org.portmatrix.report.JsonLinesReport.HtmlSafeEscapes());
            gen.setRootValueSeparator(null);
        } else {
            gen = null;
        }
    }

    /**
     * Counts the flow and writes its line. Never throws: a failed write (a full disk, a closed pipe)
     * is kept in {@link #failure()}, every later flow is still counted and none is written, and the
     * caller stops the capture. (An exception here would leave the flow table in the middle of an
     * update.)
     */
    @Override
    public void flow(FlowRecord r) {
        closed++;
        // Open from its first packet (a second before it: a lost SYN is sent again a second later) until now, its close: the
        // packets after its last one seen may be the ones lost (a FIN, a last request).
        flowMetDrops = lastDrop >= r.tsFirstNanos() - DROP_MARGIN_NANOS;
        if (flowMetDrops) {
            withDrops++;
        }
        verdicts.computeIfAbsent(r.verdict(), k -> new long[1])[0]++;
        if (r.flagged()) {
            flagged++;
        }
        if (data != null) {
            data.add(r);
        }
        if (failure != null) {
            return;
        }
        try {
            write(r);
        } catch (IOException e) {
            fail(e);
        }
    }

    private void write(FlowRecord r) throws IOException {
        Writer w = out.writer();
        if (json) {
            gen.writeStartObject();
            for (FlowField f : FlowField.values()) {
                gen.writeFieldName(f.key());
                gen.writeObject(f.value(r));
            }
            gen.writeFieldName(DROPS_FIELD);
            gen.writeBoolean(flowMetDrops);
            gen.writeEndObject();
            gen.flush();
        } else {
            w.write(textLine(r));
            if (flowMetDrops) {
                w.write(DROPS_TEXT);
            }
        }
        w.write('\n');
        written++;
        inFile++;
        dirty = true;
        long flushes = out.rotationFlushes();
        try {
            rotated(out.maybeRotate());
        } finally {
            if (out.rotationFlushes() != flushes) {
                flushed = written; // (flushed whole into the file before the rotation went on, and failed or not)
            }
        }
    }

    /**
     * After a rotation the file is new; after a removal its lines are no longer written anywhere; after
     * a replacement (moved away, a new file under the name) or a move (moved away, a new file begun)
     * they are in the file moved away.
     */
    private void rotated(int what) {
        if (what == RotatingOutput.REMOVED) {
            lostWithRemovedFile += inFile;
            written -= inFile;
        } else if (what == RotatingOutput.REPLACED) {
            replacements++;
            linesInReplaced += inFile;
        } else if (what == RotatingOutput.MOVED) {
            moves++;
            linesInMoved += inFile;
        }
        if (what != RotatingOutput.KEPT) {
            // (the file left was flushed whole first: a part renamed, a file moved away or replaced; a removed one's lines are
            // no longer counted)
            flushed = written;
            inFile = 0;
        }
    }

    /**
     * The live flow line's field (after the flow record's fields): true when packets were dropped on
     * this host while the flow was open, so that its verdict may rest on packets missing.
     */
    static final String DROPS_FIELD = "drops_on_this_host";
    private static final long DROP_MARGIN_NANOS = 1_000_000_000L;
    static final String DROPS_TEXT = " [packets were dropped on this host while this flow was open: its verdict may rest on packets missing]";

    /**
     * Packets dropped on this host, the latest at packet time {@code at}: a flow that closes from now on
     * and was open then (begun before it, or up to a second after it) is marked. A dropped packet cannot
     * be traced to its flow (it was never decoded).
     */
    void dropped(long at) {
        lastDrop = Math.max(lastDrop, at);
    }

    /** Closed flows that were open while packets were dropped on this host. */
    long withDrops() {
        return withDrops;
    }

    static String textLine(FlowRecord r) {
        return String.format("%s %-20s %-5s %s -> %s %s -> %s %s: %s", Timestamps.iso(r.tsLastNanos()), r.verdict(), r.transport(),
                endpoint(r.srcIp(), r.srcPort()) + (r.directionInferred() ? " (?)" : ""), endpoint(r.dstIp(), r.dstPort()),
                roles(r.srcRoles()), roles(r.dstRoles()), r.appProtocol() == null ? "-" : r.appProtocol(), r.reason());
    }

    private static String roles(List<String> roles) {
        return roles.isEmpty() ? "unknown" : String.join("+", roles);
    }

    private static String endpoint(String ip, int port) {
        if (port < 0) {
            return ip;
        }
        return ip.indexOf(':') >= 0 ? "[" + ip + "]:" + port : ip + ":" + port;
    }

    /**
     * Pushes the lines written since the last flush to the file (once per batch, not per flow);
     * rotates when due. A failure is kept, as by {@link #flow}.
     */
    void flush() {
        if (failure != null) {
            return;
        }
        try {
            if (dirty) {
                out.flush();
                dirty = false;
            }
            flushed = written;
            rotated(out.reopenIfRemoved());
            rotated(out.maybeRotate()); // --rotate-every also when no flow closes
        } catch (IOException e) {
            fail(e);
        }
    }

    @Override
    public void finish(RunSummary summary) {
        dirty = true;
        flush();
    }

    private void fail(IOException e) {
        failure = out.failure(e);
        written = flushed; // lines still buffered when the write failed are not in the output
        out.abandon(); // the file cut back to the lines flushed whole: none is left half written
    }

    /** Why the flows could not be written, or null while they are. */
    String failure() {
        return failure;
    }

    ReportData data() {
        return data;
    }

    /** Flows closed (and counted), written or not. */
    long closed() {
        return closed;
    }

    /** Flows whose line was written: all closed ones unless writing failed (then those known to be flushed). */
    long written() {
        return written;
    }

    long flagged() {
        return flagged;
    }

    /** Flow lines that went with an output file removed while it was written (counted in {@link #closed}, not {@link #written}). */
    long lostWithRemovedFile() {
        return lostWithRemovedFile;
    }

    /** Times another file was found under the output's name (log rotation): written to from then on. */
    long replacements() {
        return replacements;
    }

    /** Flow lines that the files moved away from the output's name kept (counted in {@link #written}). */
    long linesInReplaced() {
        return linesInReplaced;
    }

    /** Times the output file was moved away with no file put under its name (a new one was begun): written to from then on. */
    long moves() {
        return moves;
    }

    /** Flow lines that the files moved away without a replacement kept (counted in {@link #written}). */
    long linesInMoved() {
        return linesInMoved;
    }

    /** Closed flows per verdict, every verdict listed. */
    Map<String, Long> verdicts() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : verdicts.entrySet()) {
            m.put(e.getKey(), e.getValue()[0]);
        }
        return m;
    }
}
