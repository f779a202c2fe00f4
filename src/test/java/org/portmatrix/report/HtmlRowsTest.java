package org.portmatrix.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The HTML page's flagged-flow rows are rendered as their flows end; the page must be the one a
 * snapshot renders from the kept records at the end (the rows in the table's order: most severe
 * verdict first, then by start), and a caller that adds records without passing them on still gets
 * every kept row.
 */
class HtmlRowsTest {
    private static final RunSummary SUMMARY = new RunSummary(List.of("t.pcap"), 100, 100, java.util.Map.of(), 40, 0, 40, List.of(),
            "built-in", "t.yaml");

    /** Flows ending out of start order, with verdicts of every severity, past the table's limit. */
    private static List<FlowRecord> records() {
        String[] verdicts = {"expected", "unexpected_port", "protocol_mismatch", "unknown_host", "unexpected_role_pair"};
        List<FlowRecord> out = new ArrayList<>();
        for (long i = 0; i < 40; i++) {
            long id = (i * 17) % 40; // start times out of the order the flows end in
            out.add(ReportScaleTest.record(id, verdicts[(int) (i % verdicts.length)], List.of("client"), List.of("front-end"),
                    1000 + (int) i));
        }
        return out;
    }

    @Test
    void rowsRenderedAsFlowsEndMakeTheSnapshotsPage() throws Exception {
        ReportContext context = new ReportContext(List.of(), List.of("front-end", "client"), false, 25);
        StringWriter html = new StringWriter();
        ReportSet set = new ReportSet(context);
        set.add("html", html);
        for (FlowRecord r : records()) {
            set.flow(r);
        }
        set.finish(SUMMARY);
        StringWriter snapshot = new StringWriter();
        HtmlReport.render(set.data(), SUMMARY, snapshot);
        assertEquals(snapshot.toString(), html.toString());
        List<String> ids = flowIds(html.toString());
        assertEquals(25, ids.size(), "the table keeps the first 25 flagged flows");
        List<String> expected = new ArrayList<>();
        for (FlowRecord r : set.data().flaggedRecords()) {
            expected.add(Long.toString(r.flowId()));
        }
        assertEquals(expected, ids, "rows in the table's order");
        assertTrue(ids.size() > 1 && !ids.equals(ids.stream().sorted().toList()), "the order is not simply the flow ids': " + ids);
    }

    @Test
    void recordsAddedWithoutTheReportStillGetTheirRows() throws Exception {
        ReportData data = new ReportData(new ReportContext(List.of(), List.of("front-end", "client"), false, 25));
        StringWriter html = new StringWriter();
        HtmlReport report = new HtmlReport(html, data, false);
        List<FlowRecord> records = records();
        for (int i = 0; i < records.size(); i++) {
            data.add(records.get(i));
            if (i % 3 != 0) { // a third never reaches the report
                report.flow(records.get(i));
            }
        }
        report.finish(SUMMARY);
        StringWriter snapshot = new StringWriter();
        HtmlReport.render(data, SUMMARY, snapshot);
        assertEquals(snapshot.toString(), html.toString());
        assertEquals(25, flowIds(html.toString()).size());
    }

    private static List<String> flowIds(String html) {
        Matcher m = Pattern.compile("<tr class=\"flow\" data-verdict=\"[a-z_]+\" data-flow-id=\"(-?\\d+)\"").matcher(html);
        List<String> ids = new ArrayList<>();
        while (m.find()) {
            ids.add(m.group(1));
        }
        return ids;
    }
}
