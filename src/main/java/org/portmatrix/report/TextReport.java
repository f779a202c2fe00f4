package org.portmatrix.report;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.portmatrix.classify.Verdict;

/**
 * The human-readable report: totals, then every flow in a table with the flagged flows first (most
 * severe verdict first), each with its reason, then the run's counters.
 */
public final class TextReport implements FlowReport {
    private final PrintWriter out;
    private final List<FlowRecord> records = new ArrayList<>();

    public TextReport(Writer out) {
        this.out = new PrintWriter(out);
    }

    @Override
    public void flow(FlowRecord record) {
        records.add(record);
    }

    private static int severity(FlowRecord r) {
        for (Verdict v : Verdict.values()) {
            if (v.id().equals(r.verdict())) {
                return v.ordinal();
            }
        }
        return Verdict.values().length;
    }

    @Override
    public void finish(RunSummary s) throws IOException {
        records.sort(Comparator.comparingInt(TextReport::severity).thenComparingLong(FlowRecord::tsFirstNanos)
                .thenComparingLong(FlowRecord::flowId));
        Map<Verdict, Integer> counts = new EnumMap<>(Verdict.class);
        for (FlowRecord r : records) {
            counts.merge(Verdict.values()[Math.min(severity(r), Verdict.values().length - 1)], 1, Integer::sum);
        }
        long flagged = records.stream().filter(FlowRecord::flagged).count();
        out.printf("portmatrix: %d flows in %s%n", records.size(), String.join(", ", s.sources()));
        out.printf("  catalog: %s; topology: %s%n", s.catalogSource(), s.topologySource());
        StringBuilder by = new StringBuilder();
        for (Map.Entry<Verdict, Integer> e : counts.entrySet()) {
            if (!e.getKey().flagged()) {
                continue;
            }
            by.append(by.length() == 0 ? "" : ", ").append(e.getKey().id()).append(' ').append(e.getValue());
        }
        out.printf("  %d expected, %d outside the matrix%s%n%n", records.size() - flagged, flagged,
                by.length() == 0 ? "" : " (" + by + ")");
        if (flagged > 0) {
            out.println("FLOWS OUTSIDE THE MATRIX");
            table(records.stream().filter(FlowRecord::flagged).toList());
            out.println();
        }
        List<FlowRecord> expected = records.stream().filter(r -> !r.flagged()).toList();
        if (!expected.isEmpty()) {
            out.println("EXPECTED FLOWS");
            table(expected);
            out.println();
        }
        counters(s);
        out.flush();
    }

    private void table(List<FlowRecord> rows) {
        out.printf("  %-20s %-5s %-41s %-41s %-34s %-8s %7s %9s%n", "VERDICT", "PROTO", "INITIATOR", "RESPONDER",
                "ROLES", "APP", "PACKETS", "BYTES");
        for (FlowRecord r : rows) {
            String roles = roles(r.srcRoles()) + " -> " + roles(r.dstRoles());
            out.printf("  %-20s %-5s %-41s %-41s %-34s %-8s %7d %9d%n", r.verdict(), r.transport(),
                    endpoint(r.srcIp(), r.srcPort()) + (r.directionInferred() ? " (?)" : ""),
                    endpoint(r.dstIp(), r.dstPort()), roles, r.appProtocol() == null ? "-" : r.appProtocol(),
                    r.packets(), r.bytes());
            out.printf("      %s%n", r.reason());
        }
    }

    private static String roles(List<String> roles) {
        return roles.isEmpty() ? "unknown" : String.join("+", roles);
    }

    static String endpoint(String ip, int port) {
        if (port < 0) {
            return ip;
        }
        return ip.indexOf(':') >= 0 ? "[" + ip + "]:" + port : ip + ":" + port;
    }

    private void counters(RunSummary s) {
        out.println("COUNTERS");
        out.printf("  packets read %d, decoded into flows %d, not decoded %d%n", s.packetsRead(), s.packetsDecoded(),
                s.packetsRead() - s.packetsDecoded());
        for (Map.Entry<String, Long> e : s.undecodable().entrySet()) {
            out.printf("    %-60s %d%n", e.getKey(), e.getValue());
        }
        out.printf("  flows %d (peak open %d), closed early because the flow table was full %d%n", s.flows(),
                s.peakFlows(), s.flowsEvictedEarly());
        for (String d : s.damage()) {
            out.printf("  damaged input: %s%n", d);
        }
    }
}
