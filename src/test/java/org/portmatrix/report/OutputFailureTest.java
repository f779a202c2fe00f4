package org.portmatrix.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.portmatrix.report.ReportTests.SAMPLE;
import static org.portmatrix.report.ReportTests.TOPOLOGY;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.report.ReportTests.Exec;

/**
 * An output that cannot be written (a full disk; here a file-size limit, {@code ulimit -f}, that the
 * sample's HTML page of about 80 KiB exceeds and its other reports do not) loses only itself: the
 * other outputs are written whole, the summary is printed, the failure comes last, exit status 2,
 * and no partial or temporary file is left.
 */
class OutputFailureTest {
    private static final int LIMIT_KIB = 32;

    @TempDir
    Path dir;

    @Test
    void aReportOfTheDirectoryThatCannotBeWrittenLosesOnlyItself() throws Exception {
        Path reports = dir.resolve("reports");
        Path json = dir.resolve("flows.jsonl");
        Path pcap = dir.resolve("flagged.pcap");
        Exec e = ReportTests.limited(LIMIT_KIB, SAMPLE, "--topology", TOPOLOGY, "--format", "jsonl", "--output", json.toString(),
                "--report-dir", reports.toString(), "--extract", pcap.toString());
        assertEquals(2, e.status(), e.err());
        String[] err = e.err().strip().split("\n");
        assertEquals("portmatrix: " + reports.resolve(ReportSet.DIR_HTML) + ": cannot write: File too large", err[err.length - 1], e.err());
        assertTrue(e.err().contains("7 expected, 3 outside the matrix"), "the summary is printed: " + e.err());
        assertTrue(e.err().contains("wrote " + reports.resolve(ReportSet.DIR_JSONL)), e.err());
        assertTrue(e.err().contains("  wrote " + json + "\n"), "the --output file is listed with the directory's: " + e.err());
        assertTrue(!e.err().contains("wrote " + reports.resolve(ReportSet.DIR_HTML)), e.err());
        assertEquals(10, ReportTests.jsonLines(json).size(), "the main output is whole");
        assertEquals(10, ReportTests.jsonLines(reports.resolve(ReportSet.DIR_JSONL)).size(), "the directory's JSON lines are whole");
        assertEquals(11, Files.readAllLines(reports.resolve(ReportSet.DIR_CSV)).size(), "a header and a row per flow");
        assertTrue(Files.readString(reports.resolve(ReportSet.DIR_TEXT)).contains("7 expected, 3 outside the matrix"));
        assertTrue(Files.size(pcap) > 24, "the extract is written");
        assertEquals(List.of(ReportSet.DIR_CSV, ReportSet.DIR_JSONL, ReportSet.DIR_TEXT), names(reports), "no page, no temporary file");
    }

    @Test
    void theMainOutputThatCannotBeWrittenLosesOnlyItself() throws Exception {
        Path reports = dir.resolve("reports");
        Path html = dir.resolve("page.html");
        Exec e = ReportTests.limited(LIMIT_KIB, SAMPLE, "--topology", TOPOLOGY, "--format", "html", "--output", html.toString(),
                "--report-dir", reports.toString());
        assertEquals(2, e.status(), e.err());
        String[] err = e.err().strip().split("\n");
        // In the order the outputs were given: the main output, then the directory's.
        assertEquals("portmatrix: " + html + ": cannot write: File too large", err[err.length - 2], e.err());
        assertEquals("portmatrix: " + reports.resolve(ReportSet.DIR_HTML) + ": cannot write: File too large", err[err.length - 1], e.err());
        assertTrue(e.err().contains("7 expected, 3 outside the matrix"), "the summary is printed: " + e.err());
        assertEquals(10, ReportTests.jsonLines(reports.resolve(ReportSet.DIR_JSONL)).size());
        assertEquals(List.of("reports"), names(dir), "no page, no temporary file");
        assertEquals(List.of(ReportSet.DIR_CSV, ReportSet.DIR_JSONL, ReportSet.DIR_TEXT), names(reports));
    }

    private static List<String> names(Path d) throws Exception {
        try (var files = Files.list(d)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
