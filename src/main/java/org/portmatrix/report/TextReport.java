package org.portmatrix.report;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.portmatrix.classify.Verdict;

/**
 * The human-readable report: totals; flagged flows grouped by verdict → role pair → transport/port,
 * each group with its flows, packets, bytes, first and last seen, and one example flow with its
 * reason; the catalog's coverage with the documented ports nobody used; then the run's counters.
 * It reads the same for ten flows and for millions: it shows groups, not flows, and caps the number
 * of groups printed (the HTML and CSV outputs have them all). {@link ReportContext#allFlows()} adds
 * every flow, one line each, streamed to temporary files as flows end rather than kept in memory.
 */
public final class TextReport implements FlowReport {
    /** Role pairs printed per verdict, and ports per role pair, unless every flow is asked for. */
    static final int MAX_ROLE_PAIRS = 15;
    static final int MAX_PORTS = 10;
    private static final String RULE_LINE = "  %-44s %-16s %-36s %7s %9s %13s%n";

    private final PrintWriter out;
    private final ReportData data;
    private final boolean ownsData;
    private final boolean allFlows;
    private Path flaggedLines;
    private Path expectedLines;
    private BufferedWriter flaggedWriter;
    private BufferedWriter expectedWriter;

    /** A text report without catalog or topology context (no coverage). */
    public TextReport(Writer out) {
        this(out, new ReportData(ReportContext.none()), true);
    }

    /** A text report that aggregates the flows it is given. */
    public TextReport(Writer out, ReportContext context) {
        this(out, new ReportData(context), true);
    }

    /**
     * A text report over aggregates that the caller feeds ({@code ownsData} false: {@link #flow}
     * only writes the per-flow lines of {@link ReportContext#allFlows()}).
     */
    public TextReport(Writer out, ReportData data, boolean ownsData) {
        this.out = out instanceof PrintWriter p ? p : new PrintWriter(out);
        this.data = data;
        this.ownsData = ownsData;
        this.allFlows = data.context().allFlows();
    }

    @Override
    public void flow(FlowRecord r) throws IOException {
        if (ownsData) {
            data.add(r);
        }
        if (!allFlows) {
            return;
        }
        if (flaggedWriter == null) {
            flaggedLines = Files.createTempFile("portmatrix-flagged", ".txt");
            expectedLines = Files.createTempFile("portmatrix-expected", ".txt");
            flaggedWriter = Files.newBufferedWriter(flaggedLines, StandardCharsets.UTF_8);
            expectedWriter = Files.newBufferedWriter(expectedLines, StandardCharsets.UTF_8);
        }
        BufferedWriter w = r.flagged() ? flaggedWriter : expectedWriter;
        w.write(flowLine(r));
        w.newLine();
        if (r.flagged()) {
            w.write("      ");
            w.write(oneLine(r.reason()));
            w.newLine();
        }
        if (r.tls() != null) {
            w.write("      ");
            w.write(oneLine(tlsLine(r.tls())));
            w.newLine();
        }
    }

    /** "tls: TLS 1.2, SNI pool01.contoso.test, TLS_..., certificate requested, client certificate present (CN=...)". */
    static String tlsLine(org.portmatrix.inspect.TlsInfo t) {
        StringBuilder b = new StringBuilder("tls: ").append(t.version() == null ? t.handshakeText() : t.version());
        if (t.sni() != null) {
            b.append(", SNI ").append(t.sni());
        }
        if (t.cipher() != null) {
            b.append(", ").append(t.cipher());
        }
        if (Boolean.TRUE.equals(t.certificateRequest())) {
            b.append(", certificate requested");
        }
        b.append(", client certificate ").append(t.clientCertificate());
        if (!t.clientCertificates().isEmpty()) {
            b.append(" (").append(t.clientCertificates().get(0).subject()).append(')');
        }
        if (!t.serverCertificates().isEmpty()) {
            b.append(", server ").append(t.serverCertificates().get(0).subject());
        }
        if (t.alert() != null) {
            b.append(", ended by a fatal alert, ").append(t.alert());
        }
        return b.toString();
    }

    @Override
    public void finish(RunSummary s) throws IOException {
        try {
            header(s);
            flagged();
            certificates(s);
            coverage();
            if (allFlows) {
                everyFlow();
            }
            counters(s);
            out.flush();
        } finally {
            deleteTemp();
        }
    }

    /**
     * A count with thousands separators ("1,234,567"), as {@code String.format(Locale.ROOT, "%,d", v)}
     * writes it. Measured reason for not calling that: the formatter (locale lookups, a pattern
     * parse per call) was 98% of the HTML page's rendering time, which prints two counts per
     * flagged flow (reference workload: 10,000 rows, about 350 ms).
     */
    public static String n(long v) {
        String digits = Long.toString(v);
        int sign = v < 0 ? 1 : 0;
        int len = digits.length() - sign;
        if (len <= 3) {
            return digits;
        }
        StringBuilder sb = new StringBuilder(digits.length() + (len - 1) / 3);
        sb.append(digits, 0, sign);
        int first = len % 3 == 0 ? 3 : len % 3;
        sb.append(digits, sign, sign + first);
        for (int i = sign + first; i < digits.length(); i += 3) {
            sb.append(',').append(digits, i, i + 3);
        }
        return sb.toString();
    }

    public static String plural(long v, String one) {
        return n(v) + " " + one + (v == 1 ? "" : "s");
    }

    static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(Character.isISOControl(c) ? ' ' : c);
        }
        return b.toString();
    }

    static String duration(long nanos) {
        double s = nanos / 1e9;
        if (s < 1) { // "0.0 s" would say nothing: a capture of a few packets, the HTML timeline's buckets of one
            double ms = nanos / 1e6;
            return ms < 10 ? String.format(Locale.ROOT, "%.1f ms", ms) : String.format(Locale.ROOT, "%.0f ms", ms);
        }
        if (s < 120) {
            return String.format(Locale.ROOT, "%.1f s", s);
        }
        if (s < 7200) {
            return String.format(Locale.ROOT, "%.1f min", s / 60);
        }
        return String.format(Locale.ROOT, "%.1f h", s / 3600);
    }

    private void header(RunSummary s) {
        ReportData.Totals all = data.all();
        out.printf("portmatrix: %s, %s, %s in %s%n", plural(all.flows(), "flow"), plural(all.packets(), "packet"),
                plural(all.bytes(), "byte"), oneLine(String.join(", ", s.sources())));
        if (all.flows() > 0) {
            out.printf("  from %s to %s (%s)%n", Timestamps.iso(all.firstNanos()), Timestamps.iso(all.lastNanos()),
                    duration(all.lastNanos() - all.firstNanos()));
        }
        out.printf("  catalog: %s; topology: %s%n", oneLine(s.catalogSource()), oneLine(s.topologySource()));
        out.printf("  %s expected, %s outside the matrix%s%n%n", n(data.totals(Verdict.EXPECTED).flows()),
                n(data.flaggedFlows()), verdictCounts());
    }

    private String verdictCounts() {
        StringBuilder by = new StringBuilder();
        for (Verdict v : Verdict.values()) {
            long c = data.totals(v).flows();
            if (v.flagged() && c > 0) {
                by.append(by.length() == 0 ? "" : ", ").append(v.id()).append(' ').append(n(c));
            }
        }
        return by.length() == 0 ? "" : " (" + by + ")";
    }

    private void flagged() {
        List<ReportData.VerdictGroups> verdicts = data.flaggedGroups();
        if (verdicts.isEmpty()) {
            out.println("No flow outside the matrix.");
            out.println();
            return;
        }
        out.printf("FLOWS OUTSIDE THE MATRIX: %s, %s, %s in %s (verdict -> role pair -> transport/port)%n%n",
                plural(data.flaggedFlows(), "flow"), plural(data.flaggedPackets(), "packet"),
                plural(data.flaggedBytes(), "byte"), plural(data.groupCount(), "group"));
        // Where every group is: the HTML page's grouped table holds the first MAX_GROUP_ROWS of them only (without --all-flows).
        String everyGroup = data.groupCount() <= HtmlReport.MAX_GROUP_ROWS ? "--format html or csv, or --all-flows"
                : "--format csv, or --all-flows";
        for (ReportData.VerdictGroups vg : verdicts) {
            out.printf("%s: %s%n", vg.verdict().id(), amounts(vg.totals()));
            int shownPairs = 0;
            ReportData.Totals hiddenPairs = new ReportData.Totals();
            int hiddenPairCount = 0;
            for (ReportData.RolePair rp : vg.rolePairs()) {
                if (!allFlows && shownPairs >= MAX_ROLE_PAIRS) {
                    hiddenPairs.add(rp.totals());
                    hiddenPairCount++;
                    continue;
                }
                shownPairs++;
                out.printf("  %s: %s%n", rp.label(), amounts(rp.totals()));
                out.printf("    %-18s %9s %11s %14s  %-27s  %s%n", "TRANSPORT/PORT", "FLOWS", "PACKETS", "BYTES", "FIRST SEEN",
                        "LAST SEEN");
                int shownPorts = 0;
                ReportData.Totals hiddenPorts = new ReportData.Totals();
                int hiddenPortCount = 0;
                // The ports left out, by transport: lowest and highest of each ("tcp 1024-5000, udp 50000-50100"; one range
                // over both had mixed TCP's numbers with UDP's), in the order the transports come.
                java.util.Map<String, int[]> hiddenRanges = new java.util.LinkedHashMap<>();
                for (ReportData.Group g : rp.ports()) {
                    if (!allFlows && shownPorts >= MAX_PORTS) {
                        hiddenPorts.add(g.totals());
                        hiddenPortCount++;
                        if (g.key().port() >= 0) {
                            int[] r = hiddenRanges.computeIfAbsent(g.key().transport(), t -> new int[] {Integer.MAX_VALUE, Integer.MIN_VALUE});
                            r[0] = Math.min(r[0], g.key().port());
                            r[1] = Math.max(r[1], g.key().port());
                        }
                        continue;
                    }
                    shownPorts++;
                    ReportData.Totals t = g.totals();
                    out.printf("    %-18s %9s %11s %14s  %-27s  %s%n", g.key().transportPort(), n(t.flows()), n(t.packets()),
                            n(t.bytes()), Timestamps.iso(t.firstNanos()), Timestamps.iso(t.lastNanos()));
                    FlowRecord e = g.example();
                    out.printf("      e.g. %s %s -> %s%s%s%n", e.transport(), endpoint(e.srcIp(), e.srcPort()),
                            endpoint(e.dstIp(), e.dstPort()), e.directionInferred() ? " (direction inferred)" : "",
                            e.files() == null ? "" : " in " + oneLine(e.files()));
                    out.printf("           %s%n", oneLine(e.reason()));
                }
                if (hiddenPortCount > 0) {
                    StringBuilder ranges = new StringBuilder();
                    for (java.util.Map.Entry<String, int[]> r : hiddenRanges.entrySet()) {
                        ranges.append(ranges.length() == 0 ? " (" : ", ").append(r.getKey()).append(' ').append(r.getValue()[0]);
                        if (r.getValue()[1] > r.getValue()[0]) {
                            ranges.append('-').append(r.getValue()[1]);
                        }
                    }
                    out.printf("    ... %s more %s%s: %s (every group: %s)%n", n(hiddenPortCount),
                            hiddenPortCount == 1 ? "port" : "ports", ranges.length() == 0 ? "" : ranges.append(')'),
                            amounts(hiddenPorts), everyGroup);
                }
            }
            if (hiddenPairCount > 0) {
                out.printf("  ... %s more %s: %s (every group: %s)%n", n(hiddenPairCount), hiddenPairCount == 1 ? "role pair" : "role pairs",
                        amounts(hiddenPairs), everyGroup);
            }
            out.println();
        }
    }

    static String amounts(ReportData.Totals t) {
        return plural(t.flows(), "flow") + ", " + plural(t.packets(), "packet") + ", " + plural(t.bytes(), "byte");
    }

    /** The coverage's note on flows counted under more than one rule (text report and HTML page). */
    static String severalRules(Coverage c) {
        long flows = c.flowsUnderSeveralRules();
        return (flows == 1 ? "1 flow counts" : n(flows) + " flows count") + " under more than one rule, so the rules count "
                + plural(c.countsUnderOtherRules(), "flow") + " more than there are: where the catalog cites the same traffic more than once (the same"
                + " roles, transport, port and protocol), each of those rules counts it";
    }

    private void coverage() {
        Coverage c = data.coverage();
        if (c.isEmpty()) {
            return;
        }
        List<Coverage.RuleRow> rows = c.rows();
        long seen = rows.stream().filter(Coverage.RuleRow::seen).count();
        long applicable = rows.stream().filter(Coverage.RuleRow::applies).count();
        out.printf("CATALOG COVERAGE: %s of %s carried traffic; %s apply to roles of this topology%n", n(seen),
                plural(rows.size(), "rule"), n(applicable));
        if (c.flowsUnderSeveralRules() > 0) {
            out.printf("  %s%n", severalRules(c));
        }
        if (seen > 0) {
            out.printf(RULE_LINE, "RULE", "PORT", "ON", "FLOWS", "PACKETS", "BYTES");
            for (Coverage.RuleRow r : rows) {
                if (!r.seen() && !allFlows) {
                    continue;
                }
                out.printf(RULE_LINE, r.rule().id(), r.transportPort(), abbreviate(r.destinations(), 36),
                        n(r.flows()), n(r.packets()), n(r.bytes()));
                if (r.flaggedFlows() > 0) {
                    out.printf("      %s of these flagged anyway (protocol_mismatch or unverifiable: the protocol on the wire)%n", plural(r.flaggedFlows(), "flow"));
                }
                String otherPorts = r.otherPortsText();
                if (otherPorts != null) {
                    out.printf("      %s%n", otherPorts);
                }
            }
        }
        List<Coverage.Candidate> candidates = c.candidates();
        out.println();
        if (!c.assessed()) {
            out.println("CANDIDATES TO CLOSE: not assessed (no TCP or UDP flow reached a host of the topology)");
        } else if (candidates.isEmpty()) {
            out.println("CANDIDATES TO CLOSE: none (every documented port on the topology's roles carried traffic)");
        } else {
            out.printf("CANDIDATES TO CLOSE: %s documented on roles of this topology that no flow reached%n",
                    plural(candidates.size(), "port"));
            out.printf("  %-16s %-36s %s%n", "TRANSPORT/PORT", "ON", "RULES");
            for (Coverage.Candidate k : candidates) {
                out.printf("  %-16s %-36s %s%n", k.transportPort(), abbreviate(k.destinations(), 36), String.join(", ", k.ruleIds()));
            }
        }
        out.println();
    }

    static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 3) + "...";
    }

    private void everyFlow() throws IOException {
        if (flaggedWriter == null) {
            return;
        }
        flaggedWriter.close();
        expectedWriter.close();
        String head = String.format("  %-20s %-5s %-47s %-47s %-8s %11s %14s  %s", "VERDICT", "PROTO", "INITIATOR", "RESPONDER",
                "APP", "PACKETS", "BYTES", "ROLES");
        if (data.flaggedFlows() > 0) {
            out.println("EVERY FLOW OUTSIDE THE MATRIX (in the order the flows ended)");
            out.println(head);
            copy(flaggedLines);
            out.println();
        }
        if (data.totals(Verdict.EXPECTED).flows() > 0) {
            out.println("EVERY EXPECTED FLOW (in the order the flows ended)");
            out.println(head);
            copy(expectedLines);
            out.println();
        }
    }

    private void copy(Path p) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(p, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                out.println(line);
            }
        }
    }

    private void deleteTemp() throws IOException {
        if (flaggedWriter != null) {
            flaggedWriter.close();
            expectedWriter.close();
            Files.deleteIfExists(flaggedLines);
            Files.deleteIfExists(expectedLines);
            flaggedWriter = null;
        }
    }

    static String flowLine(FlowRecord r) {
        String roles = ReportData.roleLabel(r.srcRoles()) + " -> " + ReportData.roleLabel(r.dstRoles());
        // The roles last: of any length (a host of several roles: "front-end+mediation+sql-backend -> pstn-gateway"), they
        // pushed the columns after them out of line.
        return String.format(Locale.ROOT, "  %-20s %-5s %-47s %-47s %-8s %11s %14s  %s", r.verdict(), r.transport(),
                endpoint(r.srcIp(), r.srcPort()) + (r.directionInferred() ? " (?)" : ""), endpoint(r.dstIp(), r.dstPort()),
                r.appProtocol() == null ? "-" : oneLine(r.appProtocol()), n(r.packets()), n(r.bytes()), roles)
                + (r.vlan() >= 0 ? "  vlan " + r.vlan() : "") + (r.icmpErrors() > 0 ? "  icmp errors " + n(r.icmpErrors()) : "")
                + (r.files() == null ? "" : "  in " + oneLine(r.files()));
    }

    /** "10.1.1.1:5061", "[fd00::1]:5061", or the address alone for a port of -1 (transports without ports). */
    public static String endpoint(String ip, int port) {
        if (port < 0) {
            return ip;
        }
        return ip.indexOf(':') >= 0 ? "[" + ip + "]:" + port : ip + ":" + port;
    }

    /** The certificate inventory (inspect stage): every distinct certificate, soonest expiry first. */
    private void certificates(RunSummary s) {
        List<org.portmatrix.inspect.CertificateRecord> certs = s.certificates();
        if (certs.isEmpty()) {
            return;
        }
        long withFindings = certs.stream().filter(c -> !c.findings().isEmpty()).count();
        out.printf("CERTIFICATES: %s seen in TLS handshakes, %s with findings%n", n(certs.size()), n(withFindings));
        for (org.portmatrix.inspect.CertificateRecord c : certs) {
            org.portmatrix.inspect.CertificateInfo i = c.certificate();
            out.printf("  %s  (%s)%n", oneLine(i.subject()), c.asServer() && c.asClient() ? "server and client"
                    : c.asServer() ? "server" : "client");
            long days = c.daysToExpiry();
            boolean expired = i.notAfterMillis() * 1_000_000L < c.lastSeenNanos();
            out.printf("      %s %s (%s), %s %d bits, %s%n", expired ? "expired" : "expires",
                    java.time.Instant.ofEpochMilli(i.notAfterMillis()).toString().substring(0, 10),
                    expired ? (days == 0 ? "less than a day" : plural(-days, "day")) + " before it was last seen"
                            : plural(days, "day") + " after it was last seen",
                    oneLine(i.keyType()), i.keyBits(), oneLine(i.signatureAlgorithm()));
            out.printf("      issuer %s; SANs %s%n", oneLine(i.issuer()), i.sans().isEmpty() ? "none" : oneLine(String.join(", ", i.sans())));
            out.printf("      presented by %s in %s%n", oneLine(String.join(", ", c.presentedBy())), plural(c.flows(), "flow"));
            if (!c.findings().isEmpty()) {
                out.printf("      FINDINGS: %s%n", oneLine(String.join("; ", c.findings())));
            }
            out.printf("      sha256 %s%n", i.sha256());
        }
        out.println();
    }

    private void counters(RunSummary s) {
        out.println("COUNTERS");
        out.printf("  packets read %s, decoded into flows %s, not decoded %s%n", n(s.packetsRead()), n(s.packetsDecoded()),
                n(s.packetsRead() - s.packetsDecoded()));
        if (s.icmpErrorsOnFlows() > 0) {
            out.printf("    of those decoded, ICMP errors counted on the flow they quote (icmp_errors) %s%n", n(s.icmpErrorsOnFlows()));
        }
        for (java.util.Map.Entry<String, Long> e : s.undecodable().entrySet()) {
            out.printf("    %-60s %s%n", e.getKey(), n(e.getValue()));
        }
        out.printf("  flows %s (peak open %s), closed early because the flow table was full %s%n", n(s.flows()),
                n(s.peakFlows()), n(s.flowsEvictedEarly()));
        if (data.flaggedOmitted() > 0 && data.htmlTable()) {
            out.printf("  flagged flows not kept whole for the HTML table (it keeps the first %s, and one of each verdict in each"
                    + " role pair): %s%n", n(data.context().maxFlaggedRecords()), n(data.flaggedOmitted()));
        }
        for (String d : s.damage()) {
            out.printf("  damaged input: %s%n", d);
        }
        if (s.interrupted() != null) {
            out.printf("  interrupted: %s%n", s.interrupted());
        }
    }

    /**
     * The one-screen summary printed at the end of a run whose main output is not this text report
     * (JSON lines, CSV or HTML, or several files with {@code --report-dir}).
     */
    public static void oneScreen(ReportData data, RunSummary s, List<String> written, PrintWriter out) {
        ReportData.Totals all = data.all();
        out.printf("portmatrix: %s, %s in %s%n", plural(all.flows(), "flow"), plural(all.packets(), "packet"),
                oneLine(String.join(", ", s.sources())));
        TextReport t = new TextReport(out, data, false);
        out.printf("  %s expected, %s outside the matrix%s%n", n(data.totals(Verdict.EXPECTED).flows()), n(data.flaggedFlows()),
                t.verdictCounts());
        int shown = 0;
        List<ReportData.Group> top = new java.util.ArrayList<>();
        for (ReportData.VerdictGroups vg : data.flaggedGroups()) {
            for (ReportData.RolePair rp : vg.rolePairs()) {
                top.addAll(rp.ports());
            }
        }
        top.sort(java.util.Comparator.<ReportData.Group>comparingLong(g -> -g.totals().flows())
                .thenComparingInt(g -> g.key().verdict().ordinal()));
        for (ReportData.Group g : top) {
            if (shown++ == 8) {
                out.printf("    ... %s more %s%n", n(top.size() - 8), top.size() - 8 == 1 ? "group" : "groups");
                break;
            }
            out.printf("    %-20s %-40s %-14s %s%n", g.key().verdict().id(), abbreviate(g.key().rolePair(), 40),
                    g.key().transportPort(), plural(g.totals().flows(), "flow"));
        }
        Coverage c = data.coverage();
        if (!c.isEmpty()) {
            List<Coverage.RuleRow> rows = c.rows();
            out.printf("  coverage: %s of %s rules carried traffic; %s%n", n(rows.stream().filter(Coverage.RuleRow::seen).count()),
                    n(rows.size()), c.assessed() ? plural(c.candidates().size(), "documented port") + " unused on this topology's roles"
                            + " (candidates to close)" : "unused ports not assessed (no TCP or UDP flow reached a host of the topology)");
        }
        out.printf("  packets read %s, not decoded %s; flows closed early %s%n", n(s.packetsRead()),
                n(s.packetsRead() - s.packetsDecoded()), n(s.flowsEvictedEarly()));
        if (s.icmpErrorsOnFlows() > 0) {
            out.printf("  ICMP errors counted on the flow they quote %s (not flows of their own)%n", n(s.icmpErrorsOnFlows()));
        }
        for (java.util.Map.Entry<String, Long> e : s.undecodable().entrySet()) {
            out.printf("    not decoded: %s %s%n", e.getKey(), n(e.getValue()));
        }
        for (String d : s.damage()) {
            out.printf("  damaged input: %s%n", d);
        }
        if (s.interrupted() != null) {
            out.printf("  interrupted: %s%n", s.interrupted());
        }
        for (String w : written) {
            out.printf("  wrote %s%n", w);
        }
        out.flush();
    }
}
