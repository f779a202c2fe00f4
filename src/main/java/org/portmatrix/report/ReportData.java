package org.portmatrix.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.portmatrix.classify.Verdict;

/**
 * What the text and HTML reports show, aggregated as flows end, in memory bounded whatever the
 * number of flows: totals per verdict; flagged flows grouped by verdict, role pair and
 * transport/port (at most {@link #MAX_GROUPS} groups, beyond which new ports of a verdict and role
 * pair fold into one "other ports" group); the role matrix; catalog coverage; the timeline; and the
 * whole records of the first flagged flows only (up to {@link ReportContext#maxFlaggedRecords()}).
 */
public final class ReportData {
    /** Most distinct flagged (verdict, role pair, transport, port) groups kept apart. */
    public static final int MAX_GROUPS = 100_000;
    /** The port of the group that collects a verdict and role pair's ports beyond {@link #MAX_GROUPS}. */
    public static final int OTHER_PORTS = -2;
    static final int VERDICTS = Verdict.values().length;
    private static final Map<String, Verdict> BY_ID = new HashMap<>();

    static {
        for (Verdict v : Verdict.values()) {
            BY_ID.put(v.id(), v);
        }
    }

    private final ReportContext context;
    final Totals all = new Totals();
    final Totals[] byVerdict = new Totals[VERDICTS];
    private final Map<GroupKey, Group> groups = new HashMap<>();
    private final Map<String, Map<String, long[]>> matrix = new HashMap<>();
    final Coverage coverage;
    final Timeline timeline = new Timeline(VERDICTS);
    private final List<FlowRecord> flaggedRecords = new ArrayList<>();
    private long flaggedOmitted;
    /** Flagged records kept past {@link ReportContext#maxFlaggedRecords()}, each the first of its verdict and role pair. */
    private int cellExamples;
    /** At most so many of those (role pairs are few; a bound all the same). */
    static final int MAX_CELL_EXAMPLES = 1000;

    private static final int LABELS = 1024;
    private final Map<List<String>, String> labels = new HashMap<>();

    public ReportData(ReportContext context) {
        this.context = context;
        for (int i = 0; i < VERDICTS; i++) {
            byVerdict[i] = new Totals();
        }
        this.coverage = new Coverage(context.rules(), context.topologyRoles());
    }

    public ReportContext context() {
        return context;
    }

    /** The verdict of a record; a verdict id outside the contract counts as {@code unverifiable}. */
    static Verdict verdict(FlowRecord r) {
        Verdict v = BY_ID.get(r.verdict());
        return v == null ? Verdict.UNVERIFIABLE : v;
    }

    static String roleLabel(List<String> roles) {
        return roles.isEmpty() ? "unknown" : String.join("+", roles);
    }

    /** {@link #roleLabel}, remembered for the first {@link #LABELS} role lists: a deployment has few. */
    private String label(List<String> roles) {
        String l = labels.get(roles);
        if (l == null) {
            l = roleLabel(roles);
            if (labels.size() < LABELS) {
                labels.put(List.copyOf(roles), l);
            }
        }
        return l;
    }

    /** Adds one ended flow. */
    public void add(FlowRecord r) {
        Verdict v = verdict(r);
        all.add(r);
        byVerdict[v.ordinal()].add(r);
        String src = label(r.srcRoles());
        String dst = label(r.dstRoles());
        long[] cell = matrix.computeIfAbsent(src, k -> new HashMap<>()).computeIfAbsent(dst, k -> new long[VERDICTS + 3]);
        cell[v.ordinal()]++;
        cell[VERDICTS] += r.packets();
        cell[VERDICTS + 1] += r.bytes();
        coverage.add(r);
        timeline.add(r.tsFirstNanos(), v.ordinal());
        if (!v.flagged()) {
            return;
        }
        GroupKey key = new GroupKey(v, src, dst, r.transport(), r.dstPort());
        Group g = groups.get(key);
        if (g == null) {
            if (groups.size() >= MAX_GROUPS) {
                key = new GroupKey(v, src, dst, r.transport(), OTHER_PORTS);
                g = groups.get(key);
            }
            if (g == null) {
                g = new Group(key);
                groups.put(key, g);
            }
        }
        g.add(r);
        // The first flows kept whole, and past them the first of each verdict in each role pair that has none kept: a
        // verdict or role pair whose flows ended after the first 10,000 had no row in the HTML table at all.
        long inTable = 1L << v.ordinal();
        boolean cellHasRow = (cell[VERDICTS + 2] & inTable) != 0;
        int max = context.maxFlaggedRecords();
        if (flaggedRecords.size() < max || (!cellHasRow && max > 0 && cellExamples < MAX_CELL_EXAMPLES)) {
            if (flaggedRecords.size() >= max) {
                cellExamples++;
            }
            flaggedRecords.add(r);
            cell[VERDICTS + 2] |= inTable;
        } else {
            flaggedOmitted++;
        }
    }

    /**
     * A flow outside the matrix counted without its record, when {@link #add} would not use the record: not kept whole
     * (past the first {@link ReportContext#maxFlaggedRecords()}, and its verdict in its role pair has its row), and not
     * its group's example (the group is there, and its example started before it). Then it is counted exactly as
     * {@link #add} counts it (its totals, its group's, the matrix cell, the timeline; among the records left out), but
     * for {@link Coverage}, which reads a record's fields (so only without rules, which have none to count), and true is
     * returned; otherwise nothing is counted, and false: {@link #add} it with its record. A live report's open flows are
     * streamed so, a record made only for the few that need one.
     *
     * @param srcRoles the initiator's roles, as a record has them ({@code dstRoles} the responder's)
     * @param port the responder's port, -1 for a transport without ports, as a record has it
     */
    boolean addUnlessRecordUsed(Verdict v, List<String> srcRoles, List<String> dstRoles, String transport, int port, long firstNanos,
                                long lastNanos, long flowId, long packets, long bytes) {
        if (!context.rules().isEmpty()) {
            return false; // (coverage needs the record)
        }
        String src = label(srcRoles);
        String dst = label(dstRoles);
        Map<String, long[]> row = matrix.get(src);
        long[] cell = row == null ? null : row.get(dst);
        boolean cellHasRow = cell != null && (cell[VERDICTS + 2] & 1L << v.ordinal()) != 0;
        int max = context.maxFlaggedRecords();
        if (flaggedRecords.size() < max || (!cellHasRow && max > 0 && cellExamples < MAX_CELL_EXAMPLES)) {
            return false;
        }
        Group g = groups.get(new GroupKey(v, src, dst, transport, port));
        if (g == null && groups.size() >= MAX_GROUPS) {
            g = groups.get(new GroupKey(v, src, dst, transport, OTHER_PORTS));
        }
        if (g == null || firstNanos < g.example.tsFirstNanos() || (firstNanos == g.example.tsFirstNanos() && flowId < g.example.flowId())) {
            return false;
        }
        // (the group was made by a record, and its cell with it)
        all.add(firstNanos, lastNanos, packets, bytes);
        byVerdict[v.ordinal()].add(firstNanos, lastNanos, packets, bytes);
        cell[v.ordinal()]++;
        cell[VERDICTS] += packets;
        cell[VERDICTS + 1] += bytes;
        timeline.add(firstNanos, v.ordinal());
        g.totals.add(firstNanos, lastNanos, packets, bytes);
        flaggedOmitted++;
        return true;
    }

    /** Flows, packets, bytes and the time span of a set of flows. */
    public static final class Totals {
        long flows;
        long packets;
        long bytes;
        long firstNanos = Long.MAX_VALUE;
        long lastNanos = Long.MIN_VALUE;

        void add(FlowRecord r) {
            flows++;
            packets += r.packets();
            bytes += r.bytes();
            firstNanos = Math.min(firstNanos, r.tsFirstNanos());
            lastNanos = Math.max(lastNanos, r.tsLastNanos());
        }

        void add(long first, long last, long packets, long bytes) {
            flows++;
            this.packets += packets;
            this.bytes += bytes;
            firstNanos = Math.min(firstNanos, first);
            lastNanos = Math.max(lastNanos, last);
        }

        void add(Totals t) {
            flows += t.flows;
            packets += t.packets;
            bytes += t.bytes;
            firstNanos = Math.min(firstNanos, t.firstNanos);
            lastNanos = Math.max(lastNanos, t.lastNanos);
        }

        public long flows() {
            return flows;
        }

        public long packets() {
            return packets;
        }

        public long bytes() {
            return bytes;
        }

        /** First packet, or 0 when there is no flow. */
        public long firstNanos() {
            return flows == 0 ? 0 : firstNanos;
        }

        public long lastNanos() {
            return flows == 0 ? 0 : lastNanos;
        }
    }

    /** A group's identity: verdict, role pair (role labels, "unknown" for none), transport and responder port. */
    public record GroupKey(Verdict verdict, String srcRoles, String dstRoles, String transport, int port) {
        /** "tcp/5061", "icmp", or "tcp/other ports". */
        public String transportPort() {
            if (port == OTHER_PORTS) {
                return transport + "/other ports";
            }
            return port < 0 ? transport : transport + "/" + port;
        }

        public String rolePair() {
            return srcRoles + " -> " + dstRoles;
        }

        // Written out: a record's generated equals and hashCode are bootstrapped through method
        // handles at their first call, which spun 29 classes at run time (the class-data archive
        // does not keep them), on the flow thread while the JIT's queue is longest.
        @Override
        public boolean equals(Object o) {
            return o instanceof GroupKey k && k.verdict == verdict && k.port == port && k.srcRoles.equals(srcRoles)
                    && k.dstRoles.equals(dstRoles) && k.transport.equals(transport);
        }

        @Override
        public int hashCode() {
            return (((verdict.hashCode() * 31 + srcRoles.hashCode()) * 31 + dstRoles.hashCode()) * 31 + transport.hashCode()) * 31 + port;
        }
    }

    /** Flagged flows sharing a {@link GroupKey}, with one example: the flow that started first. */
    public static final class Group {
        private final GroupKey key;
        final Totals totals = new Totals();
        private FlowRecord example;

        Group(GroupKey key) {
            this.key = key;
        }

        void add(FlowRecord r) {
            totals.add(r);
            if (example == null || r.tsFirstNanos() < example.tsFirstNanos()
                    || (r.tsFirstNanos() == example.tsFirstNanos() && r.flowId() < example.flowId())) {
                example = r;
            }
        }

        public GroupKey key() {
            return key;
        }

        public Totals totals() {
            return totals;
        }

        public FlowRecord example() {
            return example;
        }
    }

    /** A role pair of one verdict, its groups by transport/port (most flows first). */
    public record RolePair(String srcRoles, String dstRoles, Totals totals, List<Group> ports) {
        public String label() {
            return srcRoles + " -> " + dstRoles;
        }
    }

    /** The flagged flows of one verdict: role pairs, most flows first. */
    public record VerdictGroups(Verdict verdict, Totals totals, List<RolePair> rolePairs) {}

    private static final Comparator<Group> BY_FLOWS = Comparator.<Group>comparingLong(g -> -g.totals.flows)
            .thenComparing(g -> g.key.transport()).thenComparingInt(g -> g.key.port() == OTHER_PORTS ? Integer.MAX_VALUE : g.key.port());

    /** Flagged flows by verdict (most severe first) → role pair → transport/port. */
    public List<VerdictGroups> flaggedGroups() {
        Map<Verdict, Map<String, List<Group>>> tree = new LinkedHashMap<>();
        for (Verdict v : Verdict.values()) {
            if (v.flagged()) {
                tree.put(v, new HashMap<>());
            }
        }
        for (Group g : groups.values()) {
            tree.get(g.key.verdict()).computeIfAbsent(g.key.srcRoles() + "\u0000" + g.key.dstRoles(), k -> new ArrayList<>()).add(g);
        }
        List<VerdictGroups> out = new ArrayList<>();
        for (Map.Entry<Verdict, Map<String, List<Group>>> e : tree.entrySet()) {
            if (e.getValue().isEmpty()) {
                continue;
            }
            List<RolePair> pairs = new ArrayList<>();
            for (List<Group> gs : e.getValue().values()) {
                gs.sort(BY_FLOWS);
                Totals t = new Totals();
                for (Group g : gs) {
                    t.add(g.totals);
                }
                GroupKey k = gs.get(0).key;
                pairs.add(new RolePair(k.srcRoles(), k.dstRoles(), t, List.copyOf(gs)));
            }
            pairs.sort(Comparator.<RolePair>comparingLong(p -> -p.totals().flows).thenComparing(RolePair::label));
            out.add(new VerdictGroups(e.getKey(), byVerdict[e.getKey().ordinal()], List.copyOf(pairs)));
        }
        return out;
    }

    public int groupCount() {
        return groups.size();
    }

    public Totals all() {
        return all;
    }

    public Totals totals(Verdict v) {
        return byVerdict[v.ordinal()];
    }

    public long flaggedFlows() {
        return all.flows - byVerdict[Verdict.EXPECTED.ordinal()].flows;
    }

    public long flaggedPackets() {
        return all.packets - byVerdict[Verdict.EXPECTED.ordinal()].packets;
    }

    public long flaggedBytes() {
        return all.bytes - byVerdict[Verdict.EXPECTED.ordinal()].bytes;
    }

    /** The order of {@link #flaggedRecords}: most severe verdict first, then by start, then by flow id. */
    static final Comparator<FlowRecord> FLAGGED_ORDER = Comparator.<FlowRecord>comparingInt(r -> verdict(r).ordinal())
            .thenComparingLong(FlowRecord::tsFirstNanos).thenComparingLong(FlowRecord::flowId);

    /** The whole records kept of flagged flows, most severe verdict first, then by start. */
    public List<FlowRecord> flaggedRecords() {
        List<FlowRecord> out = new ArrayList<>(flaggedRecords);
        out.sort(FLAGGED_ORDER);
        return out;
    }

    /** How many flagged records are kept whole ({@link #flaggedRecords}). */
    public int flaggedKept() {
        return flaggedRecords.size();
    }

    /** The kept flagged records in the order they were added (read-only). */
    List<FlowRecord> flaggedKeptInOrder() {
        return java.util.Collections.unmodifiableList(flaggedRecords);
    }

    /** Whether an HTML report shows the kept records (unknown: true). */
    private boolean htmlTable = true;

    /** Says whether an HTML report is written of these flows: the text report counts the flows its table left out only then. */
    void htmlTable(boolean written) {
        htmlTable = written;
    }

    boolean htmlTable() {
        return htmlTable;
    }

    /** Flagged flows whose records were not kept (beyond {@link ReportContext#maxFlaggedRecords()}). */
    public long flaggedOmitted() {
        return flaggedOmitted;
    }

    /** Role labels seen as initiator or responder: topology order first, combined roles after, "unknown" last. */
    public List<String> matrixAxis() {
        java.util.Set<String> labels = new java.util.HashSet<>(matrix.keySet());
        for (Map<String, long[]> row : matrix.values()) {
            labels.addAll(row.keySet());
        }
        List<String> order = context.topologyRoles();
        List<String> out = new ArrayList<>(labels);
        out.sort(Comparator.<String>comparingInt(l -> {
            if (l.equals("unknown")) {
                return Integer.MAX_VALUE;
            }
            int i = order.indexOf(l);
            return i >= 0 ? i : order.size();
        }).thenComparing(Comparator.naturalOrder()));
        return out;
    }

    /**
     * Flows by verdict from {@code src} to {@code dst} (index = ordinal), then packets, then bytes (then the verdicts with a
     * row kept whole, as bits); null if none.
     */
    public long[] matrixCell(String src, String dst) {
        Map<String, long[]> row = matrix.get(src);
        return row == null ? null : row.get(dst);
    }

    /** Flows whose two ends are both outside the topology (the role pair unknown -> unknown). */
    public long flowsBetweenUnknownHosts() {
        long[] cell = matrixCell("unknown", "unknown");
        long n = 0;
        for (int v = 0; cell != null && v < VERDICTS; v++) {
            n += cell[v];
        }
        return n;
    }

    public Coverage coverage() {
        return coverage;
    }

    public Timeline timeline() {
        return timeline;
    }
}
