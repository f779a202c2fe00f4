package org.portmatrix.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The HTML page's timeline draws its bars (flows started per interval) and the spans of the largest groups on
 * one time axis, the one its labels name: from the start of the first interval to the later of the last
 * interval's end and the last packet. The bars had been spread over the whole width whatever the axis, so that
 * where flows went on after the last one started, every start was drawn later than it was: in tls-edges.pcap
 * (flows start over 6.3 s, the last packet 0.7 s after) the last interval was drawn at the axis's end, and in
 * tls-refused.pcap (one flow, its packets over 4.8 ms) the one interval of 1 ms filled the whole axis.
 */
class HtmlTimelineTest {
    private static final Pattern AXIS = Pattern.compile("<text x=\"(\\d+)\" y=\"\\d+\">([^<]+)</text><text x=\"(\\d+)\" y=\"\\d+\" "
            + "text-anchor=\"end\">([^<]+)</text>");
    private static final Pattern BAR = Pattern.compile("<g class=\"bar\"><title>(\\S+Z):[^<]*</title>(.*?)</g>");
    private static final Pattern RECT = Pattern.compile("<rect class=\"f-[a-z_]+\" x=\"([\\d.]+)\" y=\"[\\d.]+\" width=\"([\\d.]+)\"");
    private static final Pattern BUCKET = Pattern.compile("Flows started per (\\d+) ms,");

    private static long nanos(String iso) {
        Instant i = Instant.parse(iso);
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tls-edges.pcap", "tls-refused.pcap", "media.pcap"})
    void barsStandWhereTheirIntervalIsOnTheAxis(String capture, @TempDir Path dir) throws IOException {
        Path html = dir.resolve("report.html");
        ReportTests.Run run = ReportTests.run("analyze", "captures/inspect/" + capture, "--topology", "captures/inspect/inspect-topology.yaml",
                "--format", "html", "--output", html.toString());
        assertEquals(0, run.status(), run.err());
        String page = Files.readString(html, StandardCharsets.UTF_8);
        Matcher axis = AXIS.matcher(page);
        assertTrue(axis.find(), "the timeline's axis labels");
        double left = Double.parseDouble(axis.group(1));
        double right = Double.parseDouble(axis.group(3));
        long t0 = nanos(axis.group(2));
        long t1 = nanos(axis.group(4));
        Matcher bucket = BUCKET.matcher(page);
        assertTrue(bucket.find(), "the interval");
        double width = Long.parseLong(bucket.group(1)) * 1_000_000.0 / (t1 - t0) * (right - left);
        Matcher bar = BAR.matcher(page);
        int bars = 0;
        while (bar.find()) {
            double expected = left + (nanos(bar.group(1)) - t0) / (double) (t1 - t0) * (right - left);
            Matcher rect = RECT.matcher(bar.group(2));
            while (rect.find()) {
                double x = Double.parseDouble(rect.group(1));
                double w = Double.parseDouble(rect.group(2));
                assertEquals(expected + 0.5, x, 0.11, capture + ": the interval starting " + bar.group(1) + " is drawn at x " + x);
                assertEquals(Math.max(1, width - 1), w, 0.11, capture + ": the interval's width");
                assertTrue(x + w <= right + 0.5, capture + ": inside the axis");
            }
            bars++;
        }
        assertTrue(bars > 0, "bars drawn");
    }

    /** The interval is named exactly below two minutes (powers of two of a millisecond): "per 2 s" had stood for 2.048 s. */
    @Test
    void theIntervalIsNamedExactly() {
        assertEquals("512 ms", HtmlReport.bucketText(512_000_000L));
        assertEquals("1.024 s", HtmlReport.bucketText(1_024_000_000L));
        assertEquals("2.048 s", HtmlReport.bucketText(2_048_000_000L));
        assertEquals("65.536 s", HtmlReport.bucketText(65_536_000_000L));
        assertEquals("2.2 min", HtmlReport.bucketText(131_072_000_000L));
    }
}
