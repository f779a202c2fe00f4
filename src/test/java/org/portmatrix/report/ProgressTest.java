package org.portmatrix.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.portmatrix.report.ReportTests.SAMPLE;
import static org.portmatrix.report.ReportTests.TOPOLOGY;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.report.ReportTests.Exec;
import org.portmatrix.report.ReportTests.Run;

/**
 * The progress bar shows on a terminal only. The terminal is a real pseudo-terminal made by
 * util-linux {@code script}; the portmatrix JVM runs under it with this test's class path.
 */
class ProgressTest {
    @TempDir
    Path dir;

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private String command(String output) {
        return java() + " -cp " + System.getProperty("java.class.path") + " org.portmatrix.cli.Main analyze " + SAMPLE + " --topology "
                + TOPOLOGY + " --format jsonl --output " + output;
    }

    @Test
    void aTerminalGetsTheBarAndTheOneScreenSummary() throws Exception {
        Path out = dir.resolve("flows.jsonl");
        Exec e = ReportTests.exec(120, "script", "-q", "-e", "-c", command(out.toString()), "/dev/null");
        assertEquals(0, e.status(), e.out() + e.err());
        String tty = e.out();
        assertTrue(tty.contains("reading") && tty.contains("MiB") && tty.contains("packets/s"), "a progress bar: " + tty);
        assertTrue(tty.contains("7 expected, 3 outside the matrix"), "the one-screen summary at the end: " + tty);
        assertEquals(10, Files.readAllLines(out).size(), "the report itself went to its file");
    }

    @Test
    void noBarWhenStandardErrorIsNotATerminal() throws Exception {
        Path out = dir.resolve("flows.jsonl");
        Exec e = ReportTests.exec(120, "sh", "-c", command(out.toString()));
        assertEquals(0, e.status(), e.err());
        assertFalse(e.err().contains("reading") || e.err().contains("MiB") || e.err().contains("\r"),
                "no bar on a standard error that is a file or a pipe: " + e.err());
        assertTrue(e.err().contains("7 expected, 3 outside the matrix"), "only the summary: " + e.err());
        assertEquals(10, Files.readAllLines(out).size());
    }

    @Test
    void inProcessRunsGetNoBar() {
        Run r = ReportTests.run("analyze", SAMPLE, "--topology", TOPOLOGY, "--format", "jsonl");
        assertEquals(0, r.status());
        assertFalse(r.err().contains("reading") || r.err().contains("MiB") || r.err().contains("\r"), r.err());
    }

    @Test
    void ratesAreShort() {
        assertEquals("950", Progress.si(950));
        assertEquals("12k", Progress.si(12_345));
        assertEquals("1.2M", Progress.si(1_234_567));
    }
}
