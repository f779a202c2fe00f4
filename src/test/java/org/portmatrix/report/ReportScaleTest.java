package org.portmatrix.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringWriter;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.portmatrix.classify.Verdict;

/**
 * Many flows through the aggregated reports: the text report stays readable (groups, capped), the
 * HTML table keeps a bounded number of whole records and says how many it left out, and the groups
 * stay bounded.
 */
class ReportScaleTest {
    private static final long T0 = 1_700_000_000_000_000_000L;

    static FlowRecord record(long id, String verdict, List<String> src, List<String> dst, int dstPort) {
        return record(id, verdict, src, dst, "tcp", dstPort);
    }

    static FlowRecord record(long id, String verdict, List<String> src, List<String> dst, String transport, int dstPort) {
        return new FlowRecord(T0 + id * 1_000_000L, T0 + id * 1_000_000L + 500_000L, transport, "10.2.0." + (id % 250 + 1),
                40000 + (int) (id % 20000), "10.1.1.11", dstPort, false, src, dst, null, verdict, null, "reason " + id, 3, 2, 180, 120,
                "1:x", -1, "attempted", "idle", id, 0, null);
    }

    @Test
    void fiftyThousandFlaggedFlowsMakeAShortTextReportAndABoundedTable() throws Exception {
        ReportContext context = new ReportContext(List.of(), List.of("front-end", "client"), false, ReportContext.DEFAULT_MAX_FLAGGED_RECORDS);
        StringWriter text = new StringWriter();
        StringWriter html = new StringWriter();
        ReportSet set = new ReportSet(context);
        set.add("text", text);
        set.add("html", html);
        for (long i = 0; i < 50_000; i++) {
            set.flow(record(i, "unexpected_port", List.of("client"), List.of("front-end"), 1024 + (int) i)); // a port scan
            set.flow(record(100_000 + i, "expected", List.of("client"), List.of("front-end"), 5061));
        }
        set.finish(new RunSummary(List.of("scan.pcap"), 500_000, 500_000, java.util.Map.of(), 100_000, 0, 100_000, List.of(), "built-in",
                "t.yaml"));
        long lines = text.toString().lines().count();
        assertTrue(lines < 60, "a scan of 50,000 ports is a few lines, not 50,000: " + lines + "\n" + text);
        assertTrue(text.toString().contains("unexpected_port: 50,000 flows, 250,000 packets, 15,000,000 bytes"), text.toString());
        // The HTML page holds 2,000 groups: it is not where every group of these 50,000 is (the hint said "--format html or csv").
        assertTrue(text.toString().contains("... 49,990 more ports (tcp 1034-51023): 49,990 flows, 249,950 packets, 14,997,000 bytes"
                + " (every group: --format csv, or --all-flows)"), text.toString());
        Matcher rows = Pattern.compile("<tr class=\"flow\"").matcher(html.toString());
        int n = 0;
        while (rows.find()) {
            n++;
        }
        assertEquals(ReportContext.DEFAULT_MAX_FLAGGED_RECORDS, n, "the HTML table keeps 10,000 flagged flows");
        assertTrue(html.toString().contains("data-omitted=\"40000\">40,000 more flagged flows are not in this table"));
        // Where the rest is: in whichever JSON lines or CSV report was asked for (flows.jsonl and flows.csv exist with --report-dir only).
        assertTrue(html.toString().contains("every flow is in the JSON lines and CSV reports (<code>--format jsonl</code> or <code>csv</code>,"
                + " or <code>--report-dir</code>'s flows.jsonl and flows.csv)"), "the omitted flows' note");
        assertEquals(10_000, set.data().flaggedRecords().size());
        assertEquals(40_000, set.data().flaggedOmitted());
    }

    /**
     * Past the 10,000 flagged flows kept whole, the first flow of each verdict in each role pair that has none kept still gets
     * a row: 12,000 scan flows end first, then a client's protocol_mismatch and a Director's unexpected_role_pair. The HTML
     * table had no row of either, so its verdict filter showed none, while the matrix counted them; flows of a verdict and
     * pair already in the table stay omitted.
     */
    @Test
    void everyVerdictOfEveryRolePairHasARowInTheTable() throws IOException {
        ReportContext context = new ReportContext(List.of(), List.of("front-end", "client", "director"), false,
                ReportContext.DEFAULT_MAX_FLAGGED_RECORDS);
        StringWriter html = new StringWriter();
        ReportSet set = new ReportSet(context);
        set.add("html", html);
        for (long i = 0; i < 12_000; i++) {
            set.flow(record(i, "unexpected_port", List.of("client"), List.of("front-end"), 1024 + (int) i));
        }
        set.flow(record(20_000, "protocol_mismatch", List.of("client"), List.of("front-end"), 5061));
        set.flow(record(20_001, "protocol_mismatch", List.of("client"), List.of("front-end"), 5061));
        set.flow(record(20_002, "unexpected_role_pair", List.of("director"), List.of("front-end"), 5067));
        set.finish(new RunSummary(List.of("scan.pcap"), 60_000, 60_000, java.util.Map.of(), 12_003, 0, 12_003, List.of(), "built-in",
                "t.yaml"));
        List<Long> kept = set.data().flaggedRecords().stream().map(FlowRecord::flowId).toList();
        assertEquals(10_002, kept.size());
        assertTrue(kept.contains(20_000L) && kept.contains(20_002L) && !kept.contains(20_001L), "one row each: " + kept.subList(0, 3));
        assertEquals(2_001, set.data().flaggedOmitted());
        assertTrue(html.toString().contains("data-omitted=\"2001\">2,001 more flagged flows are not in this table (it keeps the first"
                + " 10,000, and the first flow of each verdict in each role pair that has none among them)"), "the note");
        Matcher rows = Pattern.compile("<tr class=\"flow\"").matcher(html.toString());
        int n = 0;
        while (rows.find()) {
            n++;
        }
        assertEquals(10_002, n);
    }

    /** The text report counts the flagged flows the HTML table left out only when an HTML report is written. */
    @Test
    void theTextCountsFlowsLeftOutOfTheHtmlTableOnlyWithOne() throws IOException {
        for (boolean withHtml : new boolean[] {false, true}) {
            ReportSet set = new ReportSet(new ReportContext(List.of(), List.of("front-end", "client"), false, 100));
            StringWriter text = new StringWriter();
            set.add("text", text);
            if (withHtml) {
                set.add("html", new StringWriter());
            }
            for (long i = 0; i < 150; i++) {
                set.flow(record(i, "unexpected_port", List.of("client"), List.of("front-end"), 1024 + (int) i));
            }
            set.finish(new RunSummary(List.of("scan.pcap"), 750, 750, java.util.Map.of(), 150, 0, 150, List.of(), "built-in", "t.yaml"));
            assertEquals(withHtml, text.toString().contains("flagged flows not kept whole for the HTML table (it keeps the first 100,"
                    + " and one of each verdict in each role pair): 50"), text.toString());
        }
    }

    @Test
    void groupsBeyondTheLimitFoldIntoOtherPorts() {
        ReportData data = new ReportData(ReportContext.none());
        long id = 0;
        List<List<String>> sources = List.of(List.of("a"), List.of("b"), List.of("c"));
        for (List<String> src : sources) {
            for (int port = 1; port <= 40_000; port++) {
                data.add(record(id++, "unexpected_port", src, List.of("front-end"), port));
            }
        }
        assertTrue(data.groupCount() <= ReportData.MAX_GROUPS + sources.size(), "groups stay bounded: " + data.groupCount());
        long flows = 0;
        boolean other = false;
        for (ReportData.VerdictGroups vg : data.flaggedGroups()) {
            for (ReportData.RolePair rp : vg.rolePairs()) {
                for (ReportData.Group g : rp.ports()) {
                    flows += g.totals().flows();
                    other |= g.key().port() == ReportData.OTHER_PORTS;
                }
            }
        }
        assertEquals(120_000, flows, "no flow is lost in the folding");
        assertTrue(other);
        assertEquals(120_000, data.totals(Verdict.UNEXPECTED_PORT).flows());
    }

    /** Groups that fit the HTML page's grouped table (2,000): the text report's hint names the page too. */
    @Test
    void aFewHiddenPortsPointToTheHtmlPageToo() throws Exception {
        StringWriter text = new StringWriter();
        ReportSet set = new ReportSet(new ReportContext(List.of(), List.of("front-end", "client"), false,
                ReportContext.DEFAULT_MAX_FLAGGED_RECORDS));
        set.add("text", text);
        for (int i = 0; i < 12; i++) {
            set.flow(record(i, "unexpected_port", List.of("client"), List.of("front-end"), 1024 + i));
        }
        set.finish(new RunSummary(List.of("scan.pcap"), 60, 60, java.util.Map.of(), 12, 0, 12, List.of(), "built-in", "t.yaml"));
        assertTrue(text.toString().contains("... 2 more ports (tcp 1034-1035): 2 flows, 10 packets, 600 bytes"
                + " (every group: --format html or csv, or --all-flows)"), text.toString());
    }

    /**
     * Ports left out of both transports are summed up with a range per transport: one range over both ("between 1034 and
     * 50001") mixed TCP's port numbers with UDP's. Role pairs left out say where every group is, as ports left out do.
     */
    @Test
    void hiddenPortsAreRangedPerTransportAndHiddenRolePairsSayWhereTheRestIs() throws Exception {
        StringWriter text = new StringWriter();
        List<String> roles = List.of("front-end", "client", "edge-internal", "director", "mediation", "sql-backend", "office-web-apps",
                "persistent-chat", "archiving", "monitoring", "exchange-um", "video-interop", "pstn-gateway", "reverse-proxy", "wac",
                "sba", "load-balancer");
        ReportSet set = new ReportSet(new ReportContext(List.of(), roles, false, ReportContext.DEFAULT_MAX_FLAGGED_RECORDS));
        set.add("text", text);
        long id = 0;
        for (int i = 0; i < 10; i++) { // ten ports of two flows each: the ones shown
            set.flow(record(id++, "unexpected_port", List.of("client"), List.of("front-end"), 2000 + i));
            set.flow(record(id++, "unexpected_port", List.of("client"), List.of("front-end"), 2000 + i));
        }
        for (int port : new int[] {1034, 1040}) {
            set.flow(record(id++, "unexpected_port", List.of("client"), List.of("front-end"), "tcp", port));
        }
        for (int port : new int[] {50001, 50009, 50005}) {
            set.flow(record(id++, "unexpected_port", List.of("client"), List.of("front-end"), "udp", port));
        }
        for (int r = 2; r < roles.size(); r++) { // sixteen more role pairs: one past the fifteen shown
            set.flow(record(id++, "unexpected_port", List.of(roles.get(r)), List.of("front-end"), 3000));
        }
        set.finish(new RunSummary(List.of("scan.pcap"), id * 5, id * 5, java.util.Map.of(), id, 0, id, List.of(), "built-in", "t.yaml"));
        String t = text.toString();
        assertTrue(t.contains("... 5 more ports (tcp 1034-1040, udp 50001-50009): 5 flows, 25 packets, 1,500 bytes (every group: --format"
                + " html or csv, or --all-flows)"), t);
        assertTrue(t.contains("  ... 1 more role pair: 1 flow, 5 packets, 300 bytes (every group: --format html or csv, or --all-flows)"), t);
    }

    @Test
    void anEmptyCaptureRecommendsClosingNothing() throws Exception {
        org.portmatrix.classify.Roles roles = new org.portmatrix.classify.Roles();
        ReportContext context = new ReportContext(org.portmatrix.classify.Catalog.builtIn(roles).rules(), List.of("front-end", "client"),
                false, ReportContext.DEFAULT_MAX_FLAGGED_RECORDS);
        StringWriter text = new StringWriter();
        TextReport report = new TextReport(text, context);
        report.finish(new RunSummary(List.of("empty.pcap"), 0, 0, java.util.Map.of(), 0, 0, 0, List.of(), "built-in", "t.yaml"));
        assertTrue(text.toString().contains("CANDIDATES TO CLOSE: not assessed"), text.toString());
        StringWriter html = new StringWriter();
        HtmlReport.render(new ReportData(context), new RunSummary(List.of("empty.pcap"), 0, 0, java.util.Map.of(), 0, 0, 0, List.of(),
                "built-in", "t.yaml"), html);
        // The page said "0 documented ports on those roles saw no flow." above "Not assessed".
        assertTrue(html.toString().contains("unused ports not assessed (no TCP or UDP flow reached a host of the topology)."), html.toString());
        assertFalse(html.toString().contains("saw no flow"), html.toString());
        ReportData data = new ReportData(context);
        data.add(record(1, "expected", List.of("client"), List.of("front-end"), 443));
        assertTrue(data.coverage().assessed() && !data.coverage().candidates().isEmpty(), "one flow to the topology: assessed");
    }

    @Test
    void timelineStaysBoundedAndKeepsEveryFlow() {
        Timeline t = new Timeline(Verdict.values().length);
        for (long i = 0; i < 100_000; i++) {
            t.add(T0 + i * 37_000_000L, (int) (i % 6)); // one flow every 37 ms for an hour
        }
        List<Timeline.Bucket> bars = t.bars(120);
        assertTrue(bars.size() <= 120 && bars.size() > 60, "bars: " + bars.size());
        assertEquals(100_000, bars.stream().mapToLong(Timeline.Bucket::total).sum());
        for (int i = 1; i < bars.size(); i++) {
            assertEquals(bars.get(i - 1).startNanos() + bars.get(i - 1).widthNanos(), bars.get(i).startNanos(), "consecutive");
        }
    }
    /**
     * A page whose writer fails midway (a full disk under a large table): the failure is the writer's
     * IOException, which the outputs' handling reports in one line, not the template engine's unchecked
     * exception (a stack trace and exit status 1 from analyze; live ended without its final report).
     */
    @Test
    void aPageWhoseWriterFailsMidwayFailsWithTheWritersException() throws Exception {
        ReportContext context = new ReportContext(List.of(), List.of("front-end", "client"), false, ReportContext.DEFAULT_MAX_FLAGGED_RECORDS);
        java.io.Writer full = new java.io.Writer() {
            long written;

            @Override
            public void write(char[] cbuf, int off, int len) throws java.io.IOException {
                written += len;
                if (written > 200_000) {
                    throw new java.io.IOException("No space left on device");
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        ReportData data = new ReportData(context);
        for (long i = 0; i < 5_000; i++) {
            data.add(record(i, "unexpected_port", List.of("client"), List.of("front-end"), 1024 + (int) i));
        }
        RunSummary summary = new RunSummary(List.of("scan.pcap"), 5_000, 5_000, java.util.Map.of(), 5_000, 0, 5_000, List.of(), "built-in",
                "t.yaml");
        java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> HtmlReport.render(data, summary, full));
        assertEquals("No space left on device", e.getMessage());
    }
}
