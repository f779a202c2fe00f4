package org.portmatrix.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.portmatrix.report.ReportTests.HOSTILE;
import static org.portmatrix.report.ReportTests.SAMPLE;
import static org.portmatrix.report.ReportTests.TOPOLOGY;
import static org.portmatrix.report.ReportTests.text;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.classify.Verdict;
import org.portmatrix.report.ReportTests.GoldenFlow;
import org.portmatrix.report.ReportTests.Run;

/**
 * Every output format of the bundled sample against {@code sample.golden} (written from
 * captures/README.md), on named fields: the flows, their verdicts, rules, roles and counts; the text
 * report's groups and coverage; the HTML matrix, flow table and coverage table.
 */
class GoldenSampleTest {
    @TempDir
    static Path dir;
    static List<GoldenFlow> golden;
    static Run run;

    @BeforeAll
    static void analyze() throws IOException {
        golden = ReportTests.golden();
        run = ReportTests.run("analyze", SAMPLE, "--topology", TOPOLOGY, "--report-dir", dir.toString());
        assertEquals(0, run.status(), run.err());
    }

    private static Map<String, GoldenFlow> goldenByKey() {
        Map<String, GoldenFlow> m = new TreeMap<>();
        for (GoldenFlow g : golden) {
            m.put(g.key(), g);
        }
        return m;
    }

    /**
     * Each certificate of the inventory is counted once per flow, as the JSON lines show it: the test root CA,
     * in both chains of one mutual-TLS flow, was counted in 4 flows where it is in 3.
     */
    @Test
    void theCertificateInventoryCountsEachFlowOnce() throws IOException {
        Map<String, java.util.Set<Long>> flowsBySha = new TreeMap<>();
        for (JsonNode f : ReportTests.jsonLines(dir.resolve("flows.jsonl"))) {
            JsonNode tls = f.path("tls");
            for (String chain : List.of("server_certificates", "client_certificates")) {
                for (JsonNode c : tls.path(chain)) {
                    flowsBySha.computeIfAbsent(c.path("sha256").asText(), k -> new java.util.TreeSet<>()).add(f.path("flow_id").asLong());
                }
            }
        }
        String text = Files.readString(dir.resolve("summary.txt"));
        assertFalse(flowsBySha.isEmpty());
        for (Map.Entry<String, java.util.Set<Long>> e : flowsBySha.entrySet()) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile(" in (\\d+) flows?\n(?:      FINDINGS: [^\n]*\n)?      sha256 "
                    + e.getKey()).matcher(text);
            assertTrue(m.find(), e.getKey() + " in: " + text);
            assertEquals(e.getValue().size(), Integer.parseInt(m.group(1)), e.getKey() + " in flows " + e.getValue());
        }
    }

    /** The sample moved 40 days later (editcap -t): its certificates expired 10 days before, not "-11 days after". */
    @Test
    void anExpiredCertificateIsSaidToHaveExpiredSoManyDaysBefore() throws Exception {
        Path later = Files.createTempDirectory("pm-later").resolve("later.pcap");
        Process p = new ProcessBuilder("editcap", "-t", "3456000", SAMPLE, later.toString()).inheritIO().start();
        assertEquals(0, p.waitFor());
        Run r = ReportTests.run("analyze", later.toString(), "--topology", TOPOLOGY);
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("      expired 2026-12-22 (10 days before it was last seen), "), r.out());
        assertFalse(r.out().contains("days after"), r.out());
    }

    @Test
    void reportDirHoldsTheFourReportsAndNoTemporaryFile() throws IOException {
        try (var files = Files.list(dir)) {
            assertEquals(List.of("flows.csv", "flows.jsonl", "report.html", "summary.txt"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertTrue(run.out().contains("wrote " + dir.resolve("report.html")), run.out());
    }

    @Test
    void jsonLinesMatchTheGolden() throws IOException {
        List<JsonNode> lines = ReportTests.jsonLines(dir.resolve("flows.jsonl"));
        Map<String, GoldenFlow> expected = goldenByKey();
        assertEquals(expected.size(), lines.size());
        for (JsonNode n : lines) {
            String key = n.get("transport").asText() + " " + n.get("src_ip").asText() + ":" + n.get("src_port").asInt() + " "
                    + n.get("dst_ip").asText() + ":" + n.get("dst_port").asInt();
            GoldenFlow g = expected.remove(key);
            assertTrue(g != null, "a flow the golden file does not have: " + key);
            assertEquals(g.verdict(), n.get("verdict").asText(), key);
            assertEquals(g.rule(), text(n.get("rule")), key);
            assertEquals(g.app(), text(n.get("app_protocol")), key);
            assertEquals(g.srcRoles(), text(n.get("src_roles")), key);
            assertEquals(g.dstRoles(), text(n.get("dst_roles")), key);
            assertEquals(g.packetsFwd(), n.get("packets_fwd").asLong(), key);
            assertEquals(g.bytesFwd(), n.get("bytes_fwd").asLong(), key);
            assertEquals(g.packetsRev(), n.get("packets_rev").asLong(), key);
            assertEquals(g.bytesRev(), n.get("bytes_rev").asLong(), key);
            assertFalse(n.get("reason").asText().isBlank(), key);
        }
        assertTrue(expected.isEmpty(), "flows missing from the report: " + expected.keySet());
    }

    @Test
    void jsonKeysFollowTheFieldList() throws IOException {
        List<String> order = java.util.Arrays.stream(FlowField.values()).map(FlowField::key).toList();
        for (JsonNode n : ReportTests.jsonLines(dir.resolve("flows.jsonl"))) {
            List<String> keys = new ArrayList<>();
            n.fieldNames().forEachRemaining(keys::add);
            assertEquals(order, keys);
        }
    }

    @Test
    void csvHasTheJsonFieldsAsColumnsAndTheSameValues() throws IOException {
        List<JsonNode> json = ReportTests.jsonLines(dir.resolve("flows.jsonl"));
        byte[] bytes = Files.readAllBytes(dir.resolve("flows.csv"));
        // A file for a spreadsheet: the byte-order mark first (CsvReportTest.csvFilesStartWithTheByteOrderMarkAndStandardOutputDoesNot)
        assertEquals("\uFEFF", new String(bytes, 0, 3, StandardCharsets.UTF_8));
        try (Reader r = new java.io.StringReader(new String(bytes, 3, bytes.length - 3, StandardCharsets.UTF_8));
                CSVParser csv = CSVParser.builder().setReader(r).setFormat(CSVFormat.DEFAULT.builder().setHeader().get()).get()) {
            List<String> header = csv.getHeaderNames();
            List<String> expectedHeader = new ArrayList<>();
            for (FlowField f : FlowField.values()) {
                if (f.parts().isEmpty()) {
                    expectedHeader.add(f.key());
                } else {
                    f.parts().forEach(p -> expectedHeader.add(f.key() + "." + p));
                }
            }
            assertEquals(expectedHeader, header);
            List<CSVRecord> rows = csv.getRecords();
            assertEquals(json.size(), rows.size());
            Map<String, GoldenFlow> expected = goldenByKey();
            for (int i = 0; i < rows.size(); i++) {
                CSVRecord row = rows.get(i);
                JsonNode n = json.get(i);
                // Same flow, same order, same values as the JSON line.
                for (String scalar : List.of("ts_first", "ts_last", "transport", "src_ip", "src_port", "dst_ip", "dst_port", "verdict",
                        "reason", "packets_fwd", "packets_rev", "bytes_fwd", "bytes_rev", "community_id", "flow_id")) {
                    assertEquals(n.get(scalar).asText(), row.get(scalar), scalar);
                }
                GoldenFlow g = expected.get(row.get("transport") + " " + row.get("src_ip") + ":" + row.get("src_port") + " "
                        + row.get("dst_ip") + ":" + row.get("dst_port"));
                assertTrue(g != null, row.toString());
                assertEquals(g.verdict(), row.get("verdict"));
                assertEquals(g.rule(), row.get("rule").isEmpty() ? "-" : row.get("rule"));
                assertEquals(g.srcRoles(), row.get("src_roles").isEmpty() ? "-" : row.get("src_roles").replace(';', '+'));
                assertEquals(Long.toString(g.packetsFwd()), row.get("packets_fwd"));
                assertEquals(Long.toString(g.bytesRev()), row.get("bytes_rev"));
                JsonNode tls = n.get("tls");
                assertEquals(tls.isNull() ? "" : tls.get("sni").isNull() ? "" : tls.get("sni").asText(), row.get("tls.sni"));
                assertEquals(tls.isNull() ? "" : tls.get("version").asText(), row.get("tls.version"));
            }
        }
    }

    private static String n(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }

    /** The flagged golden flows grouped as the text report groups them: verdict, role pair, transport/port. */
    private static Map<String, List<GoldenFlow>> goldenGroups() {
        Map<String, List<GoldenFlow>> groups = new LinkedHashMap<>();
        golden.stream().filter(GoldenFlow::flagged)
                .sorted((a, b) -> Integer.compare(Verdict.valueOf(a.verdict().toUpperCase(Locale.ROOT)).ordinal(),
                        Verdict.valueOf(b.verdict().toUpperCase(Locale.ROOT)).ordinal()))
                .forEach(g -> groups.computeIfAbsent(g.verdict() + "|" + g.srcLabel() + " -> " + g.dstLabel() + "|" + g.transport() + "/"
                        + g.dstPort(), k -> new ArrayList<>()).add(g));
        return groups;
    }

    @Test
    void textGroupsTheFlaggedFlowsWithTotalsAndAnExample() throws IOException {
        String text = Files.readString(dir.resolve("summary.txt"));
        List<GoldenFlow> flagged = golden.stream().filter(GoldenFlow::flagged).toList();
        long packets = flagged.stream().mapToLong(GoldenFlow::packets).sum();
        long bytes = flagged.stream().mapToLong(GoldenFlow::bytes).sum();
        assertTrue(text.contains("FLOWS OUTSIDE THE MATRIX: " + flagged.size() + " flows, " + n(packets) + " packets, " + n(bytes) + " bytes"),
                text);
        assertTrue(text.contains(golden.size() - flagged.size() + " expected, " + flagged.size() + " outside the matrix"), text);
        Map<String, JsonNode> json = new LinkedHashMap<>();
        for (JsonNode j : ReportTests.jsonLines(dir.resolve("flows.jsonl"))) {
            json.put(j.get("src_ip").asText() + ":" + j.get("src_port").asInt(), j);
        }
        int previous = -1;
        for (Map.Entry<String, List<GoldenFlow>> e : goldenGroups().entrySet()) {
            String[] k = e.getKey().split("\\|");
            List<GoldenFlow> gs = e.getValue();
            long p = gs.stream().mapToLong(GoldenFlow::packets).sum();
            long b = gs.stream().mapToLong(GoldenFlow::bytes).sum();
            String amounts = gs.size() + " flow" + (gs.size() == 1 ? "" : "s") + ", " + n(p) + " packets, " + n(b) + " bytes";
            int at = text.indexOf("\n" + k[0] + ": ");
            assertTrue(at > previous, "verdicts in order of severity: " + k[0] + "\n" + text);
            previous = at;
            assertTrue(text.indexOf("\n  " + k[1] + ": " + amounts + "\n", at) > at, k[1] + " " + amounts + "\n" + text);
            JsonNode first = json.get(gs.get(0).src());
            Pattern row = Pattern.compile("\n {4}" + Pattern.quote(k[2]) + " +" + gs.size() + " +" + Pattern.quote(n(p)) + " +"
                    + Pattern.quote(n(b)) + " +" + Pattern.quote(first.get("ts_first").asText()) + " +"
                    + Pattern.quote(first.get("ts_last").asText()) + "\n {6}e\\.g\\. " + Pattern.quote(gs.get(0).transport() + " "
                            + gs.get(0).src() + " -> " + gs.get(0).dst()) + "\n {11}" + Pattern.quote(first.get("reason").asText()) + "\n");
            assertTrue(row.matcher(text).find(), "group line " + row + "\n" + text);
        }
        assertFalse(text.contains("EVERY EXPECTED FLOW"), "one line per flow only with --all-flows");
    }

    /** Flows, packets and bytes per rule, from the golden file: the record's rule and the rules that allow the flow alike. */
    private static Map<String, long[]> goldenRules() {
        Map<String, long[]> rules = new TreeMap<>();
        for (GoldenFlow g : golden) {
            if (!g.rule().equals("-")) {
                List<String> allowing = new ArrayList<>(List.of(g.rule()));
                allowing.addAll(g.alsoAllowedBy());
                for (String rule : allowing) {
                    long[] t = rules.computeIfAbsent(rule, r -> new long[4]);
                    t[0]++;
                    t[1] += g.packets();
                    t[2] += g.bytes();
                    t[3] += g.flagged() ? 1 : 0;
                }
            }
        }
        return rules;
    }

    @Test
    void textCoverageCountsTrafficPerRule() throws IOException {
        String text = Files.readString(dir.resolve("summary.txt"));
        int coverage = text.indexOf("CATALOG COVERAGE: " + goldenRules().size() + " of ");
        assertTrue(coverage > 0, text);
        for (Map.Entry<String, long[]> e : goldenRules().entrySet()) {
            long[] t = e.getValue();
            Pattern line = Pattern.compile("\n  " + Pattern.quote(e.getKey()) + " +\\S+ +\\S+ +" + t[0] + " +" + Pattern.quote(n(t[1])) + " +"
                    + Pattern.quote(n(t[2])) + "\n");
            assertTrue(line.matcher(text).find(coverage), e.getKey() + "\n" + text);
        }
        assertTrue(text.contains("1 flow of these flagged anyway"), "the mismatch on fe-sip-mtls-5061 is counted: " + text);
        assertTrue(text.indexOf("CANDIDATES TO CLOSE: ", coverage) > coverage, text);
        // Per role and port: the sample's one UDP media flow reached a Front End, not the Director nor the
        // Mediation Server, whose audio ports the same rule documents (they were not listed).
        assertTrue(Pattern.compile("\n  udp/49152-57500 +director\\+mediation +internal-audio-media-udp-49152-57500\n")
                .matcher(text).find(coverage), text);
        // One row per port, with only the topology's roles: 445 once, and no role the topology lacks.
        assertTrue(Pattern.compile("\n  tcp/445 +front-end\\+director\\+mediation +fe-cms-smb-445, cms-push-smb-445\n")
                .matcher(text).find(coverage), text);
    }

    private static final Pattern MATRIX_CELL = Pattern.compile("<td class=\"cell c-(\\w+)\" data-src=\"([^\"]*)\" data-dst=\"([^\"]*)\" "
            + "data-flows=\"(\\d+)\" data-flagged=\"(\\d+)\" data-verdict=\"(\\w+)\"");

    @Test
    void htmlMatrixHasOneCellPerRolePairColouredByTheWorstVerdict() throws IOException {
        String html = Files.readString(dir.resolve("report.html"));
        Map<String, String> expected = new TreeMap<>();
        Map<String, List<GoldenFlow>> byPair = golden.stream().collect(Collectors.groupingBy(g -> g.srcLabel() + " -> " + g.dstLabel()));
        for (Map.Entry<String, List<GoldenFlow>> e : byPair.entrySet()) {
            List<GoldenFlow> gs = e.getValue();
            String worst = gs.stream().map(g -> Verdict.valueOf(g.verdict().toUpperCase(Locale.ROOT)))
                    .min(java.util.Comparator.naturalOrder()).get().id();
            expected.put(e.getKey(), gs.size() + " " + gs.stream().filter(GoldenFlow::flagged).count() + " " + worst);
        }
        Map<String, String> actual = new TreeMap<>();
        Matcher m = MATRIX_CELL.matcher(html);
        while (m.find()) {
            assertEquals(m.group(1), m.group(6));
            actual.put(m.group(2) + " -> " + m.group(3), m.group(4) + " " + m.group(5) + " " + m.group(6));
        }
        assertEquals(expected, actual);
    }

    @Test
    void htmlFlowTableHasOneRowPerFlaggedFlow() throws IOException {
        String html = Files.readString(dir.resolve("report.html"));
        Matcher m = Pattern.compile("<tr class=\"flow\" data-verdict=\"(\\w+)\" data-flow-id=\"(\\d+)\">").matcher(html);
        List<String> verdicts = new ArrayList<>();
        while (m.find()) {
            verdicts.add(m.group(1));
        }
        assertEquals(golden.stream().filter(GoldenFlow::flagged).map(GoldenFlow::verdict)
                .sorted(java.util.Comparator.comparing(v -> Verdict.valueOf(v.toUpperCase(Locale.ROOT)))).toList(), verdicts);
        assertFalse(html.contains("id=\"flows-omitted\""), "nothing left out of a small table");
        for (GoldenFlow g : golden) {
            if (g.flagged()) {
                assertTrue(html.contains(">" + g.transport() + " " + g.src() + "<br>"), g.src());
            }
        }
    }

    @Test
    void htmlCoverageRowsAndCandidatesToClose() throws IOException {
        String html = Files.readString(dir.resolve("report.html"));
        for (Map.Entry<String, long[]> e : goldenRules().entrySet()) {
            assertTrue(html.contains("data-rule=\"" + e.getKey() + "\" data-flows=\"" + e.getValue()[0] + "\""), e.getKey());
        }
        // The MTLS rule matched the cleartext SIP flow too (flagged for the protocol on the wire): said in its row, as the text report says it.
        int mtls = html.indexOf("data-rule=\"fe-sip-mtls-5061\"");
        assertTrue(html.substring(mtls, html.indexOf("</tr>", mtls)).contains(">2 (1 flagged anyway: protocol_mismatch or unverifiable)<"), "fe-sip-mtls-5061 row");
        // The sample spans 2.6 s: the timeline's buckets are milliseconds, not "0 s"; one flow at most per bucket.
        assertTrue(html.matches("(?s).*Flows started per \\d+ ms,.*") && html.contains(">1 flow</text>"), "timeline labels");
        int table = html.indexOf("<table class=\"sortable\" id=\"candidates\">");
        assertTrue(table > 0, "candidates table");
        String candidates = html.substring(table, html.indexOf("</table>", table));
        Matcher m = Pattern.compile("<tr><td class=\"mono\">(tcp|udp)/(\\d+)(?:-(\\d+))?</td><td>([^<]*)</td>").matcher(candidates);
        int count = 0;
        boolean dcom = false;
        while (m.find()) {
            count++;
            int lo = Integer.parseInt(m.group(2));
            int hi = m.group(3) == null ? lo : Integer.parseInt(m.group(3));
            List<String> on = List.of(m.group(4).split("\\+"));
            dcom |= m.group(1).equals("tcp") && lo == 135 && on.contains("front-end");
            assertFalse(on.contains("any"), "a port on any host (DHCP's udp/67) is no role's to close: " + m.group());
            for (GoldenFlow g : golden) {
                boolean reached = g.transport().equals(m.group(1)) && lo <= g.dstPort() && g.dstPort() <= hi && on.contains(g.dstRoles());
                assertFalse(reached, "a port the sample used is no candidate to close: " + m.group() + " / " + g.key());
            }
        }
        assertTrue(count > 0 && dcom, "documented but unused (DCOM 135 on the Front End) is a candidate: " + candidates);
    }

    @Test
    void htmlCertificateInventoryWithExpiryWarnings() throws IOException {
        String html = Files.readString(dir.resolve("report.html"));
        int table = html.indexOf("<table class=\"sortable\" id=\"certificates\">");
        assertTrue(table > 0, "certificates table");
        String certs = html.substring(table, html.indexOf("</table>", table));
        // captures/README.md: the pool certificate (two SANs), the Edge client certificate, and the test CA that signs both,
        // all made with 'openssl ... -days 30' when the sample was recorded: under 30 days left at capture time.
        Matcher m = Pattern.compile("<tr class=\"(\\w+)\" data-sha256=\"[0-9a-f]{64}\"><td class=\"mono\">([^<]*)</td><td class=\"mono\">([^<]*)</td>"
                + "<td class=\"mono\">([^<]*)</td>").matcher(certs);
        Map<String, String> rows = new TreeMap<>();
        while (m.find()) {
            rows.put(m.group(2).replace("&#61;", "="), m.group(1) + " | " + m.group(4));
        }
        assertEquals(3, rows.size(), certs);
        assertEquals("warn | DNS:pool01.contoso.test, DNS:sip.contoso.test", rows.get("CN=pool01.contoso.test,O=Contoso Test"), rows.toString());
        assertEquals("warn | DNS:edge01.contoso.test", rows.get("CN=edge01.contoso.test,O=Contoso Test"), rows.toString());
        assertEquals("warn | ", rows.get("CN=Contoso Test Root CA,O=Contoso Test"), rows.toString());
        assertTrue(certs.contains("expires within 30 days"), certs);
    }

    /**
     * The sample's certificates with a capture that goes on two days after their handshakes: the sample, and its STUN
     * exchange (frames 57-58) again, moved 48 hours later (editcap -t, mergecap). Days to expiry count from the last
     * handshake each certificate was seen in: 29, in the text report ("29 days after it was last seen") and the page's
     * "days left" alike. The page's note said they counted "from the end of the capture", which would make them 27.
     */
    @Test
    void htmlDaysToExpiryAreSaidToCountFromWhenTheCertificateWasLastSeen() throws Exception {
        Path stun = dir.resolve("stun.pcap");
        Path later = dir.resolve("stun-2-days-later.pcap");
        Path capture = dir.resolve("sample-and-2-days.pcap");
        assertEquals(0, ReportTests.exec(60, "editcap", "-r", SAMPLE, stun.toString(), "57-58").status());
        assertEquals(0, ReportTests.exec(60, "editcap", "-t", "172800", stun.toString(), later.toString()).status());
        ReportTests.Exec merge = ReportTests.exec(60, "mergecap", "-F", "pcap", "-w", capture.toString(), SAMPLE, later.toString());
        assertEquals(0, merge.status(), merge.err());
        Path out = dir.resolve("two-days");
        Run r = ReportTests.run("analyze", capture.toString(), "--topology", TOPOLOGY, "--report-dir", out.toString());
        assertEquals(0, r.status(), r.err());
        String text = Files.readString(out.resolve("summary.txt"));
        assertTrue(text.contains("to 2026-11-24T04:49:"), "the capture ends two days after the handshakes: " + text);
        assertTrue(text.contains("expires 2026-12-22 (29 days after it was last seen)"), text);
        String html = Files.readString(out.resolve("report.html"));
        int table = html.indexOf("<table class=\"sortable\" id=\"certificates\">");
        String certs = html.substring(table, html.indexOf("</table>", table));
        assertEquals(3, certs.split("<td class=\"num\" data-sort=\"29\">29</td>", -1).length - 1, certs);
        String note = html.substring(html.lastIndexOf("<p class=\"note\">", table), table);
        assertFalse(note.contains("end of the capture"), note);
        assertTrue(note.contains("count from the last handshake each certificate was seen in"), note);
    }

    @Test
    void eachFormatOptionWritesWhatTheReportDirHolds() throws IOException {
        for (String[] f : new String[][] {{"jsonl", "flows.jsonl"}, {"csv", "flows.csv"}, {"html", "report.html"}, {"text", "summary.txt"}}) {
            Path out = dir.resolveSibling(dir.getFileName() + "-" + f[0]);
            Run r = ReportTests.run("analyze", SAMPLE, "--topology", TOPOLOGY, "--format", f[0], "--output", out.toString());
            assertEquals(0, r.status(), r.err());
            assertEquals(Files.readString(dir.resolve(f[1])), Files.readString(out), f[0]);
            Files.delete(out);
        }
    }

    @Test
    void allFlowsListsEveryFlowInTheTextReport() {
        Run r = ReportTests.run("analyze", SAMPLE, "--topology", TOPOLOGY, "--all-flows");
        assertEquals(0, r.status(), r.err());
        for (GoldenFlow g : golden) {
            Pattern line = Pattern.compile("\n  " + g.verdict() + " +" + g.transport() + " +" + Pattern.quote(g.src()) + " +" + Pattern.quote(g.dst())
                    + " +" + g.app() + " +" + String.format(java.util.Locale.ROOT, "%,d", g.packets()) + " +"
                    + String.format(java.util.Locale.ROOT, "%,d", g.bytes()) // with thousands separators, as every other count
                    + "  " + Pattern.quote(g.srcLabel() + " -> " + g.dstLabel()) + "\n"); // the roles last: of any length
            assertTrue(line.matcher(r.out()).find(), line + "\n" + r.out());
        }
        // Every line's columns in line, whatever its roles: the bytes end at the same place on each.
        List<String> lines = r.out().lines().filter(l -> l.matches("  (expected|unexpected_port|unexpected_role_pair|protocol_mismatch"
                + "|unverifiable|unknown_host) .*")).toList();
        assertEquals(golden.size(), lines.size(), r.out());
        int bytesEnd = "  ".length() + 20 + 1 + 5 + 1 + 47 + 1 + 47 + 1 + 8 + 1 + 11 + 1 + 14; // the columns before the roles
        for (String l : lines) {
            assertTrue(Character.isDigit(l.charAt(bytesEnd - 1)) && l.startsWith("  ", bytesEnd), l);
        }
    }

    /** With VLANs in the key, each flow's line names its VLAN (the lines did not: two flows told apart only by it looked the same). */
    @Test
    void allFlowsLinesNameTheVlan() {
        Run r = ReportTests.run("analyze", "captures/decode/vlan-both.pcap", "--vlan-in-key", "--all-flows");
        assertEquals(0, r.status(), r.err());
        List<String> lines = r.out().lines().filter(l -> l.matches("  (expected|unexpected_port|unexpected_role_pair|protocol_mismatch"
                + "|unverifiable|unknown_host) .*")).toList();
        assertEquals(10, lines.size(), r.out()); // tshark's 8 TCP and UDP conversations, and ICMP and ICMPv6
        assertTrue(lines.stream().allMatch(l -> l.endsWith("  vlan 44")), r.out());
        Run plain = ReportTests.run("analyze", SAMPLE, "--topology", TOPOLOGY, "--all-flows");
        assertFalse(plain.out().contains("  vlan "), "no VLAN in the key, none named: " + plain.out());
    }

    @Test
    void hostileWireStringsDoNotBreakTheGoldenFieldOrderOfOtherCaptures() throws IOException {
        // The hostile capture's JSON lines have the same keys in the same order (nothing from the wire becomes a key).
        Path hd = dir.resolveSibling(dir.getFileName() + "-hostile");
        Run r = ReportTests.run("analyze", HOSTILE, "--topology", TOPOLOGY, "--format", "jsonl", "--output", hd.toString());
        assertEquals(0, r.status(), r.err());
        for (JsonNode n : ReportTests.jsonLines(hd)) {
            Iterator<String> names = n.fieldNames();
            for (FlowField f : FlowField.values()) {
                assertEquals(f.key(), names.next());
            }
        }
        Files.delete(hd);
    }
}
