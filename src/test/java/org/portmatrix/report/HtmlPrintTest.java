package org.portmatrix.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.report.ReportTests.Exec;
import org.portmatrix.report.ReportTests.Run;

/**
 * The HTML report as a change board gets it: printed. Headless Chromium prints the page to PDF
 * ({@code --print-to-pdf}, as "Save as PDF" does), and poppler's {@code pdftotext} reads the paper back. Six captures
 * analysed with no topology ({@code --no-infer}) make 51 flows, every one flagged.
 */
class HtmlPrintTest {
    static final List<String> CAPTURES = List.of("captures/sample.pcap", "captures/inspect/sip.pcap", "captures/inspect/tls.pcap",
            "captures/inspect/others.pcap", "captures/inspect/lookalikes.pcap", "captures/topology/dns-answers.pcap");
    @TempDir
    static Path dir;
    static List<JsonNode> flows;
    static String text;
    static Path pdf;

    @BeforeAll
    static void print() throws Exception {
        List<String> args = new ArrayList<>(List.of("analyze"));
        args.addAll(CAPTURES);
        args.addAll(List.of("--no-infer", "--report-dir", dir.resolve("out").toString()));
        Run r = ReportTests.run(args.toArray(String[]::new));
        assertEquals(0, r.status(), r.err());
        flows = ReportTests.jsonLines(dir.resolve("out/flows.jsonl"));
        pdf = dir.resolve("report.pdf");
        text = printed(dir.resolve("out/report.html").toUri().toString(), pdf);
    }

    /** The page at {@code url} printed to {@code to} by headless Chromium, and the paper's text as pdftotext reads it. */
    static String printed(String url, Path to) throws Exception {
        List<String> cmd = new ArrayList<>();
        if (ReportTests.exec(10, "unshare", "--net", "true").status() == 0) {
            cmd.addAll(List.of("unshare", "--net"));
        }
        cmd.addAll(List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--user-data-dir=" + Files.createTempDirectory(dir, "profile"),
                "--host-resolver-rules=MAP * ~NOTFOUND", "--no-pdf-header-footer", "--print-to-pdf=" + to, url));
        Exec e = ReportTests.exec(120, cmd.toArray(String[]::new));
        assertEquals(0, e.status(), "chromium failed: " + e.err());
        Exec t = ReportTests.exec(60, "pdftotext", "-layout", to.toString(), "-");
        assertEquals(0, t.status(), t.err());
        return t.out();
    }

    /**
     * Every flagged flow is on paper, with its reason whole. The long tables scroll on screen in a box
     * 560 px high; printed, that box clipped them: 4 of the 51 flagged flows reached the paper, and the
     * reason column was cut at the page's edge.
     */
    @Test
    void everyFlaggedFlowIsPrintedWithItsInitiatorAndResponder() {
        assertEquals(51, flows.size());
        String flat = text.replaceAll("\\s+", "");
        List<String> missing = new ArrayList<>();
        for (JsonNode f : flows) {
            String src = f.get("src_ip").asText() + ":" + f.get("src_port").asText();
            String dst = f.get("dst_ip").asText() + ":" + f.get("dst_port").asText();
            if (!flat.contains(src) || !flat.contains(dst)) {
                missing.add(f.get("transport").asText() + " " + src + " -> " + dst);
            }
        }
        assertTrue(missing.isEmpty(), missing.size() + " of " + flows.size() + " flagged flows not on paper: " + missing);
        // the reason's last words, which the page's right edge cut off
        String reason = flows.get(0).get("reason").asText();
        String end = reason.substring(reason.length() - 30).replaceAll("\\s+", "");
        assertTrue(flat.contains(end), "the end of the first reason on paper: " + end);
    }

    /**
     * A page opened filtered (a link such as report.html#q=5061, or a filter typed before printing) prints the rows the
     * filter keeps, and the paper says so: the print stylesheet had hidden the filter controls with their count, so
     * the 11 flows of a filtered page reached the change board as if they were all the flagged flows. The count and
     * the filter's text stay on paper; an empty filter box and "every verdict" do not.
     */
    @Test
    void aFilteredPagePrintsItsFilterAndHowManyRowsItShows() throws Exception {
        assertTrue(text.contains(flows.size() + " of " + flows.size() + " shown"), "the unfiltered count on paper");
        assertTrue(!text.contains("every verdict"), "the verdict box left as it is is not printed");
        String filtered = printed(dir.resolve("out/report.html").toUri() + "#q=5061", dir.resolve("filtered.pdf"));
        String table = filtered.substring(filtered.indexOf("Flagged flows"));
        // (--no-infer: every flow is unknown_host; a row's line starts with its verdict and first-seen time, indented by a
        // space on a later page as pdftotext lays it out, which a longer reason had made the rows reach)
        long rows = table.lines().filter(l -> l.matches("\\s*unknown_host +\\d{4}-\\d\\d-\\d\\dT.*")).count();
        assertTrue(rows > 0 && rows < flows.size(), rows + " rows printed");
        String count = table.lines().filter(l -> l.contains(" of " + flows.size() + " shown")).findFirst().orElse("");
        assertTrue(count.contains(rows + " of " + flows.size() + " shown") && count.contains("5061"),
                "the filter and its count on paper, on the line: '" + count + "'");
    }
}
