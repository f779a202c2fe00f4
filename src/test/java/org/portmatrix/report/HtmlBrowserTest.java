package org.portmatrix.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.portmatrix.report.ReportTests.HOSTILE;
import static org.portmatrix.report.ReportTests.SAMPLE;
import static org.portmatrix.report.ReportTests.TOPOLOGY;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.report.ReportTests.Exec;
import org.portmatrix.report.ReportTests.Run;

/**
 * Opens the HTML reports in headless Chromium (Debian's {@code chromium}) and checks the DOM after
 * the page's script ran: the matrix, one table row per flagged flow, filtering and sorting, and on
 * the hostile capture that no script from the wire ran. Chromium gets a fresh profile, no
 * background networking, a host resolver that resolves nothing, and (as root) a network namespace
 * of its own with no interface up: the page must work with no network at all.
 */
class HtmlBrowserTest {
    static final Pattern ROW = Pattern.compile("<tr class=\"flow\" data-verdict=\"(\\w+)\" data-flow-id=\"(\\d+)\"( hidden=\"\")?>");
    @TempDir
    static Path dir;
    static Path sample;
    static Path hostile;
    static boolean ownNetwork;

    @BeforeAll
    static void reports() throws Exception {
        Run r = ReportTests.run("analyze", SAMPLE, "--topology", TOPOLOGY, "--report-dir", dir.resolve("sample").toString());
        assertEquals(0, r.status(), r.err());
        r = ReportTests.run("analyze", HOSTILE, "--topology", TOPOLOGY, "--report-dir", dir.resolve("hostile").toString());
        assertEquals(0, r.status(), r.err());
        sample = dir.resolve("sample");
        hostile = dir.resolve("hostile");
        ownNetwork = ReportTests.exec(10, "unshare", "--net", "true").status() == 0;
    }

    /** Runs headless Chromium on a file URL with the given extra options; returns its standard output. */
    static String chromium(Path html, String fragment, String... options) throws Exception {
        Path profile = Files.createTempDirectory(dir, "chromium-profile");
        List<String> cmd = new ArrayList<>();
        if (ownNetwork) {
            cmd.addAll(List.of("unshare", "--net"));
        }
        cmd.addAll(List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile, "--host-resolver-rules=MAP * ~NOTFOUND"));
        cmd.addAll(List.of(options));
        cmd.add(html.toUri() + fragment);
        Exec e = ReportTests.exec(120, cmd.toArray(String[]::new));
        assertEquals(0, e.status(), "chromium failed: " + e.err());
        return e.out();
    }

    static String dom(Path html, String fragment) throws Exception {
        String dom = chromium(html, fragment, "--dump-dom");
        assertTrue(dom.contains("data-report-script=\"ran\""), "the page's own script ran (its marker is set): " + dom.substring(0,
                Math.min(400, dom.length())));
        return dom;
    }

    static List<String[]> rows(String dom) {
        List<String[]> out = new ArrayList<>();
        Matcher m = ROW.matcher(dom);
        while (m.find()) {
            out.add(new String[] {m.group(1), m.group(2), m.group(3) == null ? "shown" : "hidden"});
        }
        return out;
    }

    @Test
    void matrixAndFlowTableAfterTheScriptRan() throws Exception {
        String dom = dom(sample.resolve("report.html"), "");
        List<JsonNode> flows = ReportTests.jsonLines(sample.resolve("flows.jsonl"));
        long flagged = flows.stream().filter(f -> !f.get("verdict").asText().equals("expected")).count();
        List<String[]> rows = rows(dom);
        assertEquals(flagged, rows.size(), "one row per flagged flow");
        assertTrue(rows.stream().allMatch(r -> r[2].equals("shown")));
        assertTrue(dom.contains("<span id=\"flow-count\" class=\"note\">" + flagged + " of " + flagged + " shown</span>"), "the script counted the rows");
        Matcher cells = Pattern.compile("<td class=\"cell c-\\w+\" data-src=\"([^\"]*)\" data-dst=\"([^\"]*)\" data-flows=\"(\\d+)\"").matcher(dom);
        long cellFlows = 0;
        int cellCount = 0;
        while (cells.find()) {
            cellCount++;
            cellFlows += Long.parseLong(cells.group(3));
        }
        assertEquals(flows.size(), cellFlows, "the matrix cells add up to every flow");
        assertEquals(flows.stream().map(f -> ReportTests.text(f.get("src_roles")) + ReportTests.text(f.get("dst_roles"))).distinct().count(),
                cellCount, "one cell per role pair seen");
        assertTrue(dom.contains("<title>portmatrix report</title>"));
    }

    @Test
    void aLinkCanFilterTheFlows() throws Exception {
        String dom = dom(sample.resolve("report.html"), "#q=3389");
        List<String[]> rows = rows(dom);
        assertEquals(1, rows.stream().filter(r -> r[2].equals("shown")).count(), "only the RDP flow is left");
        assertEquals("unexpected_port", rows.stream().filter(r -> r[2].equals("shown")).findFirst().get()[0]);
        assertTrue(dom.contains("1 of " + rows.size() + " shown"));
        String byVerdict = dom(sample.resolve("report.html"), "#v=unknown_host");
        assertEquals(List.of("unknown_host"), rows(byVerdict).stream().filter(r -> r[2].equals("shown")).map(r -> r[0]).toList());
    }

    @Test
    void aLinkCanSortTheFlows() throws Exception {
        List<JsonNode> flagged = ReportTests.jsonLines(sample.resolve("flows.jsonl")).stream()
                .filter(f -> !f.get("verdict").asText().equals("expected")).toList();
        List<String> byBytesDesc = flagged.stream()
                .sorted((a, b) -> Long.compare(bytes(b), bytes(a))).map(f -> f.get("flow_id").asText()).toList();
        List<String> desc = rows(dom(sample.resolve("report.html"), "#sort=bytes&desc")).stream().map(r -> r[1]).toList();
        assertEquals(byBytesDesc, desc);
        List<String> asc = rows(dom(sample.resolve("report.html"), "#sort=bytes")).stream().map(r -> r[1]).toList();
        List<String> byBytesAsc = new ArrayList<>(byBytesDesc);
        java.util.Collections.reverse(byBytesAsc);
        assertEquals(byBytesAsc, asc);
    }

    /**
     * The sample moved (editcap -t) so that it straddles 2001-09-09T01:46:40Z, where times in nanoseconds
     * gain a digit: sorted by first seen, the flows come in time order. The column was compared as text,
     * which put 10^18 before 9.99 x 10^17.
     */
    @Test
    void sortingByFirstSeenIsByTimeAcrossADigitBoundary() throws Exception {
        // The boundary between the first two flagged flows' starts.
        List<java.time.Instant> starts = ReportTests.jsonLines(sample.resolve("flows.jsonl")).stream()
                .filter(f -> !f.get("verdict").asText().equals("expected")).map(f -> java.time.Instant.parse(f.get("ts_first").asText()))
                .sorted().toList();
        double mid = (starts.get(0).getEpochSecond() + starts.get(0).getNano() / 1e9 + starts.get(1).getEpochSecond()
                + starts.get(1).getNano() / 1e9) / 2;
        Path moved = dir.resolve("moved.pcap");
        Exec e = ReportTests.exec(60, "editcap", "-t", String.format(java.util.Locale.ROOT, "%.6f", 1_000_000_000L - mid), SAMPLE,
                moved.toString());
        assertEquals(0, e.status(), e.err());
        Path out = dir.resolve("moved");
        Run r = ReportTests.run("analyze", moved.toString(), "--topology", TOPOLOGY, "--report-dir", out.toString());
        assertEquals(0, r.status(), r.err());
        List<JsonNode> flagged = ReportTests.jsonLines(out.resolve("flows.jsonl")).stream()
                .filter(f -> !f.get("verdict").asText().equals("expected")).toList();
        java.time.Instant boundary = java.time.Instant.ofEpochSecond(1_000_000_000L);
        assertTrue(flagged.stream().anyMatch(f -> java.time.Instant.parse(f.get("ts_first").asText()).isBefore(boundary))
                && flagged.stream().anyMatch(f -> java.time.Instant.parse(f.get("ts_first").asText()).isAfter(boundary)),
                "straddles the boundary: " + flagged);
        List<String> byTime = flagged.stream().sorted(java.util.Comparator.comparing(f -> java.time.Instant.parse(f.get("ts_first").asText())))
                .map(f -> f.get("flow_id").asText()).toList();
        assertEquals(byTime, rows(dom(out.resolve("report.html"), "#sort=first")).stream().map(x -> x[1]).toList());
    }

    private static long bytes(JsonNode f) {
        return f.get("bytes_fwd").asLong() + f.get("bytes_rev").asLong();
    }

    @Test
    void noScriptFromTheWireRuns() throws Exception {
        String dom = dom(hostile.resolve("report.html"), "");
        // An injected <script> would set document.title to pwned-…; an injected <img onerror> would too.
        assertTrue(dom.contains("<title>portmatrix report</title>"), "the title is untouched");
        assertFalse(dom.contains("pwned-cert</title>") || dom.contains("pwned-img</title>") || dom.contains("pwned-sip</title>"));
        assertFalse(dom.contains("<img"), "no image element came from a certificate subject");
        assertEquals(1, dom.split("<script", -1).length - 1, "only the report's own script element");
        assertEquals(2, rows(dom).size(), "both hostile flows are in the table");
        assertTrue(dom.contains("&lt;img src"), "the subject is shown as text");
    }

    /**
     * A day's captures in a directory with a path as long as real ones are: each flagged row names its files under its
     * first-seen time, and the table of flagged flows still fits the page (a 1400-pixel window) without scrolling
     * sideways. The paths on one line, as the time cell had them, made that cell wider than the window and pushed the
     * addresses, roles and reasons out of sight. Measured by Chromium, in a copy of the page with a script of the
     * test's own that writes the table's width and its box's into the page (the page's policy admits its own script only).
     */
    @Test
    void longCaptureFilePathsWrapInsideTheFlaggedFlowsTable() throws Exception {
        Path day = Files.createDirectories(dir.resolve("srv/captures/lync-pool01-front-end-mirror-port-a/2026-12-07"));
        Exec cut = ReportTests.exec(60, "editcap", "-c", "25", SAMPLE, day.resolve("fe01-mirror-port-a.pcap").toString());
        assertEquals(0, cut.status(), cut.err());
        Path out = dir.resolve("long-paths");
        Run r = ReportTests.run("analyze", day.toString(), "--topology", TOPOLOGY, "--report-dir", out.toString());
        assertEquals(0, r.status(), r.err());
        String html = Files.readString(out.resolve("report.html"));
        Matcher file = Pattern.compile("<span class=\"file\">in ([^<]*)</span>").matcher(html);
        int files = 0;
        while (file.find()) {
            files++;
            assertTrue(file.group(1).startsWith(day.toString()) && file.group(1).length() > 100, file.group(1));
        }
        assertEquals(rows(html).size(), files, "every flagged row names its files");
        String measure = "<script>var t = document.getElementById('flows');"
                + " document.body.setAttribute('data-measured', t.offsetWidth + ' ' + t.parentElement.clientWidth);</script></body>";
        Path measured = out.resolve("measured.html");
        Files.writeString(measured, html.replaceFirst("<meta http-equiv=\"Content-Security-Policy\"[^>]*>", "").replace("</body>", measure));
        String dom = chromium(measured, "", "--dump-dom", "--window-size=1400,1000");
        Matcher m = Pattern.compile("data-measured=\"(\\d+) (\\d+)\"").matcher(dom);
        assertTrue(m.find(), "the test's script ran");
        int table = Integer.parseInt(m.group(1));
        int box = Integer.parseInt(m.group(2));
        assertTrue(box > 1000 && table <= box, "the flagged flows' table (" + table + " px) fits its box (" + box + " px)");
    }

    @Test
    void screenshotOfTheReport() throws Exception {
        Path png = Path.of("target", "report-screenshot.png").toAbsolutePath();
        Files.createDirectories(png.getParent());
        Files.deleteIfExists(png);
        chromium(sample.resolve("report.html"), "", "--hide-scrollbars", "--screenshot=" + png, "--window-size=1400,1000");
        byte[] b = Files.readAllBytes(png);
        assertTrue(b.length > 10_000, "a real picture, not an empty page");
        assertEquals(0x89504E47, ByteBuffer.wrap(b, 0, 4).getInt(), "PNG signature");
        assertEquals(1400, ByteBuffer.wrap(b, 16, 4).getInt(), "IHDR width");
        assertEquals(1000, ByteBuffer.wrap(b, 20, 4).getInt(), "IHDR height");
    }
}
