package org.portmatrix.live;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.cli.Runs;

/** The contract of {@code portmatrix live} for what goes wrong before a capture starts: one line, exit 2. */
class LiveCommandLineTest {
    record Run(int status, String out, String err) {}

    static Run run(String... args) {
        Runs.Ran r = Runs.main(args);
        return new Run(r.status(), r.out(), r.err());
    }

    static void assertOneLineError(int status, String err, String expectedPart) {
        assertEquals(2, status, err);
        String[] lines = err.strip().split("\n");
        assertEquals(1, lines.length, "one line: " + err);
        assertTrue(lines[0].startsWith("portmatrix: "), err);
        assertTrue(lines[0].contains(expectedPart), err);
        assertFalse(err.contains("Exception") || err.contains("\tat ") || err.contains("SLF4J"), err);
    }

    @Test
    void aMissingInterfaceIsOneLine() {
        Run r = run("live", "-i", "pmnosuch0");
        assertOneLineError(r.status(), r.err(), "pmnosuch0: no such network interface");
    }

    @Test
    void noInterfaceIsAUsageError() {
        Run r = run("live", "--duration", "1");
        assertOneLineError(r.status(), r.err(), "no interface given");
    }

    @Test
    void anUnknownFormatIsAUsageError() {
        Run r = run("live", "-i", "lo", "--format", "xml");
        assertOneLineError(r.status(), r.err(), "unknown format 'xml'");
    }

    @Test
    void rotationNeedsAnOutputFile() {
        Run r = run("live", "-i", "lo", "--rotate-size", "10");
        assertOneLineError(r.status(), r.err(), "--rotate-size and --rotate-every need --output FILE");
    }

    @Test
    void keepingRotatedFilesNeedsRotation() {
        Run r = run("live", "-i", "lo", "--output", "flows.jsonl", "--rotate-keep", "3");
        assertOneLineError(r.status(), r.err(), "--rotate-keep needs --rotate-size or --rotate-every");
        r = run("live", "-i", "lo", "--output", "flows.jsonl", "--rotate-size", "1", "--rotate-keep", "0");
        assertOneLineError(r.status(), r.err(), "--rotate-keep");
    }

    @Test
    void numbersAreChecked() {
        Run r = run("live", "-i", "lo", "--report-every", "0");
        assertOneLineError(r.status(), r.err(), "--report-every");
        r = run("live", "-i", "lo", "--rotate-size", "-1");
        assertOneLineError(r.status(), r.err(), "--rotate-size");
        r = run("live", "-i", "lo", "--snaplen", "20");
        assertOneLineError(r.status(), r.err(), "--snaplen");
    }

    /**
     * Every file live writes (the flow lines, the report directory's files) is checked against its
     * inputs and against each other before the capture, as analyze's outputs are: the flow lines had
     * been appended to the topology (with --rotate-size, the topology renamed away), and each report
     * renamed summary.txt over a flow file of that name. ({@code --duration}: the old code captured.)
     */
    @Test
    void anOutputThatIsAnInputOrAnotherOutputIsRefusedBeforeTheCapture(@TempDir Path dir) throws Exception {
        Path topology = Files.copy(Path.of("captures/sample-topology.yaml"), dir.resolve("t.yaml"));
        Path catalog = Files.copy(Path.of("src/main/resources/org/portmatrix/classify/catalog.yaml"), dir.resolve("c.yaml"));
        byte[] before = Files.readAllBytes(topology);
        Run r = run("live", "-i", "lo", "--duration", "1", "-t", topology.toString(), "-o", topology.toString());
        assertOneLineError(r.status(), r.err(), topology + ": not written: it is the same file as the input " + topology);
        r = run("live", "-i", "lo", "--duration", "1", "-t", topology.toString(), "-o", topology.toString(), "--rotate-size", "1");
        assertOneLineError(r.status(), r.err(), topology + ": not written: it is the same file as the input " + topology);
        r = run("live", "-i", "lo", "--duration", "1", "--catalog", catalog.toString(), "-o", catalog.toString(), "-f", "jsonl");
        assertOneLineError(r.status(), r.err(), catalog + ": not written: it is the same file as the input " + catalog);
        Path reports = dir.resolve("reports");
        Path flows = reports.resolve("summary.txt");
        r = run("live", "-i", "lo", "--duration", "1", "-o", flows.toString(), "--report-dir", reports.toString());
        assertOneLineError(r.status(), r.err(), flows + ": not written: named for two outputs");
        r = run("live", "-i", "lo", "--duration", "1", "-o", reports.resolve("stats.jsonl.1").toString(), "--report-dir", reports + "/.");
        assertOneLineError(r.status(), r.err(), "stats.jsonl.1: not written: named for two outputs");
        assertArrayEquals(before, Files.readAllBytes(topology), "the topology kept");
    }

    /**
     * An output that cannot be written is refused before the capture opens, in analyze's words (live
     * had opened the capture first, then said "cannot write the live output: ...: no such file or
     * directory"). The interface does not exist: the old code failed on it instead.
     */
    @Test
    void anOutputThatCannotBeWrittenIsRefusedBeforeTheCaptureAsAnalyzeDoes(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("nope");
        Run r = run("live", "-i", "pmnosuch0", "-o", missing.resolve("x.txt").toString());
        assertOneLineError(r.status(), r.err(), missing.resolve("x.txt") + ": cannot write output: no such directory " + missing);
        Path file = Files.writeString(dir.resolve("file"), "x");
        r = run("live", "-i", "pmnosuch0", "-o", dir.toString());
        assertOneLineError(r.status(), r.err(), dir + ": cannot write output: is a directory");
        r = run("live", "-i", "pmnosuch0", "--report-dir", file.resolve("reports").toString());
        assertOneLineError(r.status(), r.err(), file.resolve("reports") + ": cannot create the report directory: " + file + " is not a directory");
        Run a = run("analyze", "captures/sample.pcap", "-o", missing.resolve("x.txt").toString());
        assertEquals(a.err(), run("live", "-i", "pmnosuch0", "-o", missing.resolve("x.txt").toString()).err(), "the same line as analyze's");
        assertFalse(Files.exists(missing));
    }

    /** A report directory that takes no new file: the reason, not the JDK's exception's name (NoSuchFileException). */
    @Test
    void aReportDirectoryThatTakesNoFileIsSaidSo() {
        Run r = run("live", "-i", "lo", "--duration", "1", "--report-dir", "/proc");
        assertEquals(2, r.status(), r.err());
        String[] lines = r.err().strip().split("\n");
        assertEquals("portmatrix: cannot write the summary: /proc/summary.json: cannot create a file in /proc", lines[lines.length - 1], r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }

    @Test
    void aBadFilterIsNamed() {
        // Opening lo only to compile the filter against it; the run ends before any packet is read.
        Run r = run("live", "-i", "lo", "--bpf", "port ((");
        assertOneLineError(r.status(), r.err(), "--bpf 'port (('");
    }

    /**
     * An interface set down by hand before the start: libpcap refuses to open it ("That device is not
     * up"), so live says what to do, in one line, exit 2 (the old line was libpcap's words alone).
     */
    @Test
    void anInterfaceSetDownBeforeTheStartIsSaidWithWhatToDo() throws Exception {
        try (Netns ns = Netns.create()) {
            Netns.run("ip", "-n", ns.name, "link", "set", ns.captureIface, "down");
            Process p = new ProcessBuilder(ns.inside(LiveProcess.javaCommand("live", "-i", ns.captureIface, "--duration", "1"))).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals("", out);
            assertOneLineError(p.exitValue(), err, "cannot capture on " + ns.captureIface + ": " + ns.captureIface
                    + " is down (administratively); bring it up with `ip link set " + ns.captureIface + " up` before starting live");
        }
    }

    @Test
    void helpListsTheOptions() {
        Run r = run("live", "--help");
        assertEquals(0, r.status(), r.err());
        for (String option : List.of("--interface", "--bpf", "--snaplen", "--buffer-size", "--duration", "--report-every", "--topology",
                "--format", "--output", "--report-dir", "--rotate-size", "--rotate-every")) {
            assertTrue(r.out().contains(option), option + " in " + r.out());
        }
    }

    @Test
    void withoutCaptureCapabilitiesItSaysWhatIsNeeded() throws Exception {
        // Root without CAP_NET_RAW and CAP_NET_ADMIN (dropped from the bounding and inheritable sets
        // before exec), as an unprivileged user would be.
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--bounding-set=-net_raw,-net_admin", "--inh-caps=-net_raw,-net_admin"));
        cmd.addAll(LiveProcess.javaCommand("live", "-i", "lo"));
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals("", out);
        assertOneLineError(p.exitValue(), err, "capture needs root or CAP_NET_RAW and CAP_NET_ADMIN");
    }
}
