package org.portmatrix.report;

import java.util.List;
import org.portmatrix.classify.Verdict;

/**
 * The flows still open at one moment of a live capture, each classified with what has been seen of it so far
 * (provisional: a flow's verdict can change as more packets arrive, a TLS handshake not yet complete): totals per
 * verdict for every open flow, and, for those outside the matrix only, their groups and the whole records of the
 * first {@link ReportContext#maxFlaggedRecords()} (as {@link ReportData} keeps those of closed flows). Made anew at
 * each report; its memory is bounded whatever the number of open flows: an expected flow is counted, not kept, and a
 * flow outside the matrix gets a record only when one is kept ({@link #flaggedUnlessRecordWanted}).
 */
public final class OpenFlows {
    private final ReportData.Totals all = new ReportData.Totals();
    private final ReportData.Totals[] byVerdict = new ReportData.Totals[ReportData.VERDICTS];
    private final ReportData flagged;

    public OpenFlows(ReportContext context) {
        for (int i = 0; i < byVerdict.length; i++) {
            byVerdict[i] = new ReportData.Totals();
        }
        // No rules: the open flows' coverage is shown nowhere, and without a record there is nothing to count it from.
        flagged = new ReportData(new ReportContext(List.of(), List.of(), context.allFlows(), context.maxFlaggedRecords()));
    }

    /** An open flow whose verdict so far is expected: counted only. */
    public void expected(long firstNanos, long lastNanos, long packets, long bytes) {
        all.add(firstNanos, lastNanos, packets, bytes);
        byVerdict[Verdict.EXPECTED.ordinal()].add(firstNanos, lastNanos, packets, bytes);
    }

    /** An open flow outside the matrix so far, with its provisional record ({@code end} "open"). */
    public void flagged(FlowRecord r) {
        all.add(r);
        byVerdict[ReportData.verdict(r).ordinal()].add(r);
        flagged.add(r);
    }

    /**
     * An open flow outside the matrix counted without its record, when none is wanted: not kept whole, and not its
     * group's example ({@link ReportData#addUnlessRecordUsed}); true then. False: nothing counted, give it to
     * {@link #flagged} with its record. With a million open flows outside the matrix, a report made a million records
     * (and their reasons' text) to keep a thousand.
     */
    public boolean flaggedUnlessRecordWanted(Verdict v, List<String> srcRoles, List<String> dstRoles, String transport, int port,
                                             long firstNanos, long lastNanos, long flowId, long packets, long bytes) {
        if (!flagged.addUnlessRecordUsed(v, srcRoles, dstRoles, transport, port, firstNanos, lastNanos, flowId, packets, bytes)) {
            return false;
        }
        all.add(firstNanos, lastNanos, packets, bytes);
        byVerdict[v.ordinal()].add(firstNanos, lastNanos, packets, bytes);
        return true;
    }

    private long nanos;

    /** How long taking this snapshot held the analysis thread (packets wait in the queue meanwhile). */
    public void took(long nanos) {
        this.nanos = nanos;
    }

    public long nanos() {
        return nanos;
    }

    /** Every open flow. */
    public ReportData.Totals all() {
        return all;
    }

    public ReportData.Totals totals(Verdict v) {
        return byVerdict[v.ordinal()];
    }

    /** Open flows outside the matrix (every verdict but expected). */
    public long outside() {
        return all.flows() - byVerdict[Verdict.EXPECTED.ordinal()].flows();
    }

    /** The open flows outside the matrix: their groups ({@link ReportData#flaggedGroups()}) and the records kept whole. */
    public ReportData flaggedData() {
        return flagged;
    }

    /** The records kept of open flows outside the matrix, most severe verdict first, then by first packet. */
    public List<FlowRecord> records() {
        return flagged.flaggedRecords();
    }

    /** Open flows outside the matrix whose records were not kept (past the cap). */
    public long recordsLeftOut() {
        return flagged.flaggedOmitted();
    }
}
