package org.portmatrix.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
    static final String SAMPLE = "captures/sample.pcap";
    static final String TOPOLOGY = "captures/sample-topology.yaml";
    static final List<String> CONTRACT_FIELDS = List.of("ts_first", "ts_last", "transport", "src_ip", "src_port", "dst_ip",
            "dst_port", "direction_inferred", "src_roles", "dst_roles", "app_protocol", "verdict", "rule", "reason",
            "packets_fwd", "packets_rev", "bytes_fwd", "bytes_rev", "community_id");

    @TempDir
    Path dir;

    record Run(int status, String out, String err) {}

    static Run run(String... args) {
        Runs.Ran r = Runs.main(args);
        return new Run(r.status(), r.out(), r.err());
    }

    static void assertOneLineError(Run r, String expectedPart) {
        assertEquals(2, r.status(), r.err());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, "one line: " + r.err());
        assertTrue(lines[0].startsWith("portmatrix: "), r.err());
        assertTrue(lines[0].contains(expectedPart), r.err());
        assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), r.err());
    }

    static List<JsonNode> jsonLines(String text) throws Exception {
        ObjectMapper m = new ObjectMapper();
        List<JsonNode> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                out.add(m.readTree(line));
            }
        }
        return out;
    }

    @Test
    void unknownOptionIsOneLineAndStatus2() {
        assertOneLineError(run("analyze", SAMPLE, "--no-such-option"), "--no-such-option");
    }

    @Test
    void unknownCommandIsOneLineAndStatus2() {
        assertOneLineError(run("analyse", SAMPLE), "unknown command 'analyse' (did you mean analyze? commands: analyze, catalog, live, topology,"
                + " help, version)");
        assertOneLineError(run("report", SAMPLE), "unknown command 'report' (commands: analyze, catalog, live, topology, help, version)");
    }

    @Test
    void missingCaptureIsOneLineAndStatus2() {
        assertOneLineError(run("analyze", "no/such/file.pcap"), "no/such/file.pcap: no such file");
    }

    @Test
    void fileThatIsNotACaptureIsRefused() {
        assertOneLineError(run("analyze", TOPOLOGY), "not a pcap");
    }

    @Test
    void emptyCaptureIsRefused() throws Exception {
        Path empty = Files.createFile(dir.resolve("empty.pcap"));
        assertOneLineError(run("analyze", empty.toString()), "empty file");
    }

    @Test
    void unreadableTopologyIsOneLineAndStatus2() throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "roles:\n  front-end: [10.1.1.0/24\n");
        assertOneLineError(run("analyze", SAMPLE, "--topology", bad.toString()), bad.toString());
        assertOneLineError(run("analyze", SAMPLE, "--topology", "nope.yaml"), "nope.yaml: no such file");
    }

    /**
     * The packets are read from before the topology is loaded (PacketThread): a topology that fails
     * then stops the read and reports nothing, replaces no earlier report, gives the topology's
     * one-line error, and leaves no thread of the run behind. With an unreadable capture too, the
     * topology's error still comes first, as it did when the captures were opened after it.
     */
    @Test
    void aTopologyThatFailsWhileThePacketsAreReadWritesNothingAndLeavesNoThread() throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "roles:\n  front-end: [10.1.1.0/24\n");
        Path out = dir.resolve("report.jsonl");
        Files.writeString(out, "an earlier report\n");
        byte[] sample = Files.readAllBytes(Path.of(SAMPLE));
        Path many = dir.resolve("many.pcap"); // 19 MB: still being read when the topology fails
        try (var o = Files.newOutputStream(many)) {
            o.write(sample);
            for (int i = 0; i < 400; i++) {
                o.write(sample, 24, sample.length - 24);
            }
        }
        assertOneLineError(run("analyze", many.toString(), "--topology", bad.toString(), "--format", "jsonl", "--output", out.toString()),
                bad.toString());
        assertEquals("an earlier report\n", Files.readString(out));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList(), "no temporary file left");
        }
        assertNoThreadOfTheRunLeft();
        assertOneLineError(run("analyze", "no-such.pcap", "--topology", bad.toString()), bad.toString());
        assertOneLineError(run("analyze", many.toString(), "--topology", bad.toString(), "--extract", dir.resolve("x.pcap").toString()),
                bad.toString());
        assertFalse(Files.exists(dir.resolve("x.pcap")));
        assertNoThreadOfTheRunLeft();
    }

    /**
     * A capture from a pipe that has gone quiet (its writer still open): opening it waits for its
     * first packets, so a pipe is opened only once the topology is loaded (files are read from before,
     * PacketThread), and a bad topology is reported at once, not when the pipe brings more.
     */
    @Test
    void aTopologyThatFailsIsReportedAtOnceWhileTheReadWaitsOnAQuietPipe() throws Exception {
        Path fifo = dir.resolve("capture.fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "roles:\n  front-end: [10.1.1.0/24\n");
        byte[] sample = Files.readAllBytes(Path.of(SAMPLE));
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Thread writer = new Thread(() -> {
            try (var o = Files.newOutputStream(fifo)) {
                o.write(sample, 0, 2000); // the header and the first packets, then nothing until released
                o.flush();
                release.await(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                // the reader went away
            }
        }, "quiet-pipe");
        writer.setDaemon(true);
        writer.start();
        long t0 = System.nanoTime();
        Run r = run("analyze", fifo.toString(), "--topology", bad.toString());
        long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
        release.countDown(); // end of the pipe: the blocked read ends
        assertOneLineError(r, bad.toString());
        assertTrue(seconds < 30, "the error waited " + seconds + " s for the pipe");
        writer.join(10_000);
        assertNoThreadOfTheRunLeft();
    }

    /** The packet and flow threads of earlier runs have ended (waited for a few seconds). */
    private static void assertNoThreadOfTheRunLeft() throws InterruptedException {
        long until = System.nanoTime() + 10_000_000_000L;
        while (true) {
            List<String> left = new ArrayList<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.isAlive() && (t.getName().equals("portmatrix-packets") || t.getName().equals("portmatrix-flows"))) {
                    left.add(t.getName());
                }
            }
            if (left.isEmpty()) {
                return;
            }
            assertTrue(System.nanoTime() < until, "still running: " + left);
            Thread.sleep(20);
        }
    }

    @Test
    void unknownFormatIsRefused() {
        assertOneLineError(run("analyze", SAMPLE, "--format", "xml"), "unknown format 'xml'");
    }

    @Test
    void noOutputFileIsLeftBehindOnError() throws Exception {
        Path out = dir.resolve("report.jsonl");
        Run r = run("analyze", SAMPLE, "no-such.pcap", "--format", "jsonl", "--output", out.toString());
        assertEquals(2, r.status());
        assertFalse(Files.exists(out));
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "no temporary file left either");
        }
    }

    @Test
    void analyzeHelpListsItsOptions() {
        for (String[] args : List.of(new String[] {"analyze", "--help"}, new String[] {"analyze", "-h"}, new String[] {"analyze", SAMPLE, "--help"})) {
            Run r = run(args);
            assertEquals(0, r.status(), r.err());
            assertTrue(r.out().contains("--extract <FILE>") && r.out().contains("--no-inspect"), r.out());
        }
    }

    @Test
    void anIcmpFlowSeenFromItsEchoReplyKeepsTheSpecsCommunityId() throws Exception {
        // The Community ID spec's icmp.pcap cut to its echo reply (frame 3; the requests, frames 1 and 2, not
        // captured): the flow's direction is inferred (the request's sender initiated), and its ID is the one
        // the spec's baseline gives both the request and the reply: 1:X0snYXpgwiv9TZtqg64sgzUn6Dk=.
        byte[] all = Files.readAllBytes(Path.of("../shared/corpus/community-id/icmp.pcap"));
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(all).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xa1b2c3d4, in.getInt(0), "a little-endian, microsecond pcap");
        int at = 24;
        for (int frame = 1; frame < 3; frame++) {
            at += 16 + in.getInt(at + 8);
        }
        int length = 16 + in.getInt(at + 8);
        byte[] cut = new byte[24 + length];
        System.arraycopy(all, 0, cut, 0, 24);
        System.arraycopy(all, at, cut, 24, length);
        Path reply = Files.write(dir.resolve("reply.pcap"), cut);
        Run r = run("analyze", reply.toString(), "--no-infer", "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        List<JsonNode> flows = jsonLines(r.out());
        assertEquals(1, flows.size(), r.out());
        JsonNode f = flows.get(0);
        assertEquals("icmp", f.get("transport").asText());
        assertTrue(f.get("direction_inferred").asBoolean(), "an echo reply first: its receiver initiated");
        assertEquals("192.168.0.89", f.get("src_ip").asText());
        assertEquals("1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", f.get("community_id").asText());
    }

    @Test
    void aFlowCapacityBeyondWhatATableCanHoldIsAUsageError() {
        assertOneLineError(run("analyze", SAMPLE, "--flow-capacity", "1073741824"), "--flow-capacity: '1073741824' is more than");
        assertOneLineError(run("live", "-i", "lo", "--flow-capacity", "268435457"), "--flow-capacity: '268435457' is more than");
        assertEquals(0, run("analyze", SAMPLE, "--flow-capacity", "268435456", "--format", "jsonl").status(), "the largest is taken");
    }

    static final String IMPORT_XML = "captures/topology/northwind-edge-nat.xml";

    /** The empty path is the working directory: {@code analyze ''} read every file in it as a capture. */
    @Test
    void anEmptyFileNameIsRefusedForEveryFileOptionAndArgument() {
        assertOneLineError(run("analyze", "", "--topology", TOPOLOGY), "analyze: empty file name as an argument");
        for (String option : List.of("--topology", "--catalog", "--output", "--report-dir", "--extract")) {
            assertOneLineError(run("analyze", SAMPLE, option, ""), "analyze: empty file name for " + option);
        }
        assertOneLineError(run("analyze", SAMPLE, "--write-topology", ""), "analyze: empty file name for --write-topology");
        assertOneLineError(run("catalog", "--catalog", ""), "catalog: empty file name for --catalog");
        assertOneLineError(run("topology", "import", ""), "topology import: empty file name as an argument");
        for (String option : List.of("--hosts", "--resolve-from", "--output", "--catalog")) {
            assertOneLineError(run("topology", "import", IMPORT_XML, option, ""), "topology import: empty file name for " + option);
        }
        for (String option : List.of("--topology", "--catalog", "--output", "--report-dir")) { // (--duration: the old code captured)
            assertOneLineError(run("live", "-i", "lo", "--duration", "1", option, ""), "live: empty file name for " + option);
        }
    }

    /** Commons CLI kept the first value of an option given twice and dropped the second without a word. */
    @Test
    void aSingleValuedOptionGivenTwiceIsRefused() throws Exception {
        assertOneLineError(run("analyze", SAMPLE, "-t", TOPOLOGY, "--topology", "other.yaml"), "analyze: --topology given twice");
        assertOneLineError(run("analyze", SAMPLE, "-o", dir.resolve("a").toString(), "-o", dir.resolve("b").toString()),
                "analyze: --output given twice");
        assertOneLineError(run("analyze", SAMPLE, "-f", "jsonl", "-f", "csv"), "analyze: --format given twice");
        assertOneLineError(run("analyze", SAMPLE, "--flow-capacity", "10", "--flow-capacity", "20"), "analyze: --flow-capacity given twice");
        assertOneLineError(run("catalog", "-f", "json", "--format", "text"), "catalog: --format given twice");
        Path bad = dir.resolve("bad.csv");
        Files.writeString(bad, "fe01.northwind.test,10.1.1.300\n");
        assertOneLineError(run("topology", "import", IMPORT_XML, "--hosts", bad.toString(), "--hosts", bad.toString()),
                "topology import: --hosts given twice");
        assertOneLineError(run("live", "-i", "lo", "-i", "lo", "--duration", "1"), "live: --interface given twice");
        assertOneLineError(run("live", "-i", "lo", "--duration", "1", "--duration", "2"), "live: --duration given twice");
        // --resolve-from is documented as repeatable: both captures are read.
        Run r = run("topology", "import", IMPORT_XML, "--resolve-from", "captures/topology/dns-answers.pcap", "--resolve-from", SAMPLE);
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("dns-answers.pcap: ") && r.err().contains("sample.pcap: 0 DNS responses"), r.err());
    }

    @Test
    void anOptionWithoutItsValueIsSaidAlikeByEveryCommand() {
        assertOneLineError(run("analyze", SAMPLE, "--output"), "analyze: option --output needs a value (FILE)");
        assertOneLineError(run("catalog", "--catalog"), "catalog: option --catalog needs a value (FILE)");
        assertOneLineError(run("live", "-i"), "live: option --interface needs a value (IFACE)");
        assertOneLineError(run("topology", "import", IMPORT_XML, "--hosts"), "topology import: option --hosts needs a value (FILE.csv)");
    }

    @Test
    void aNumberTooLargeIsSaidToBeTooLargeWithTheLimit() {
        assertOneLineError(run("analyze", SAMPLE, "--flow-capacity", "2147483648"),
                "--flow-capacity: '2147483648' is more than a flow table can hold (at most 268435456)");
        assertOneLineError(run("analyze", SAMPLE, "--tcp-timeout", "2147483648"), "--tcp-timeout: '2147483648' is too large (at most 2147483647)");
        assertOneLineError(run("analyze", SAMPLE, "--udp-timeout", "99999999999999999999"), "--udp-timeout: '99999999999999999999' is too large");
        assertOneLineError(run("live", "-i", "lo", "--duration", "2147483648"), "--duration: '2147483648' is too large (at most 2147483647)");
        assertOneLineError(run("live", "-i", "lo", "--snaplen", "2147483648"), "--snaplen: '2147483648' is too large (at most 262144)");
        assertOneLineError(run("live", "-i", "lo", "--buffer-size", "4096"), "--buffer-size: '4096' is too large (at most 2047)");
        assertOneLineError(run("analyze", SAMPLE, "--tcp-timeout", "-5"), "--tcp-timeout: '-5' is not a positive whole number");
        assertOneLineError(run("analyze", SAMPLE, "--tcp-timeout", "5s"), "--tcp-timeout: '5s' is not a positive whole number");
    }

    /** The JDK's NoSuchFileException carries no reason: its class name had been the message. */
    @Test
    void anOutputWhoseDirectoryIsMissingOrTakesNoFileIsSaidSo() {
        Path missing = dir.resolve("no-such-dir");
        assertOneLineError(run("analyze", SAMPLE, "--write-topology", missing.resolve("x.yaml").toString()),
                "x.yaml: cannot write the topology: no such directory " + missing);
        assertOneLineError(run("topology", "import", IMPORT_XML, "-o", missing.resolve("imp.yaml").toString()),
                "imp.yaml: cannot write output: no such directory " + missing);
        assertOneLineError(run("analyze", SAMPLE, "-t", TOPOLOGY, "--report-dir", "/proc"), "/proc: cannot write reports: cannot create a file in /proc");
    }

    /** {@code -o -} is standard output, as a capture of {@code -} is standard input (it had written a file named "-"). */
    @Test
    void anOutputOfADashIsStandardOutput() throws Exception {
        Path dash = Path.of("-");
        try {
            Run r = run("analyze", SAMPLE, "-t", TOPOLOGY, "-f", "jsonl", "-o", "-");
            assertEquals(0, r.status(), r.err());
            assertEquals(10, jsonLines(r.out()).size(), r.out());
            assertFalse(Files.exists(dash), "no file named -");
            r = run("live", "-i", "lo", "--duration", "1", "-o", "-");
            assertEquals(0, r.status(), r.err());
            assertTrue(r.err().contains("closed flows to standard output"), r.err());
            assertFalse(Files.exists(dash), "no file named -");
            // The extract and the inferred topology are files: "-" is refused for them, not written as a file named "-".
            for (String option : List.of("--extract", "--write-topology")) {
                r = run("analyze", SAMPLE, option, "-");
                assertEquals(2, r.status(), r.err());
                assertEquals("portmatrix: analyze: " + option + " writes a file; '-' (standard output) is for --output only", r.err().strip());
                assertFalse(Files.exists(dash), "no file named -");
            }
        } finally {
            Files.deleteIfExists(dash);
        }
    }

    /**
     * A topology, catalog, Lync XML or hosts file the user may not read says so as a capture does; it
     * said "X: cannot read: X" (the JDK's AccessDeniedException's message is the file's name). Run as
     * root without the capabilities that read any file, in a process of its own.
     */
    @Test
    void aConfigurationFileThatMayNotBeReadSaysPermissionDenied() throws Exception {
        Path topology = Files.copy(Path.of(TOPOLOGY), dir.resolve("t.yaml"));
        Path xml = Files.copy(Path.of(IMPORT_XML), dir.resolve("t.xml"));
        Path hosts = dir.resolve("h.csv");
        Files.writeString(hosts, "fe01.northwind.test,10.1.1.21\n");
        for (Path p : List.of(topology, xml, hosts)) {
            Files.setPosixFilePermissions(p, Set.of());
        }
        Path readable = Files.copy(Path.of(IMPORT_XML), dir.resolve("r.xml"));
        assertUnreadable(topology, "analyze", SAMPLE, "--topology", topology.toString());
        assertUnreadable(topology, "catalog", "--catalog", topology.toString());
        assertUnreadable(xml, "topology", "import", xml.toString());
        assertUnreadable(hosts, "topology", "import", readable.toString(), "--hosts", hosts.toString());
    }

    private static void assertUnreadable(Path file, String... args) throws Exception {
        Process p = new ProcessBuilder(Runs.withoutFileOverride(Main.class, args)).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        assertOneLineError(new Run(p.exitValue(), "", err), file + ": not readable (permission denied)");
    }

    @Test
    void everyCommandsHelpListsItsOptions() {
        // Each command's --help (or -h), anywhere among its arguments: its options, exit status 0, nothing on stderr.
        String[][] cases = {
            {"catalog", "--help"}, {"catalog", "-h"}, {"catalog", "--format", "json", "--help"},
            {"topology", "import", "--help"}, {"topology", "import", "-h"}, {"topology", "import", "lync.xml", "--help"},
            {"live", "--help"}, {"live", "-h"}, {"live", "-i", "lo", "--duration", "5", "--help"},
        };
        String[] expected = {"--catalog <FILE>", "--catalog <FILE>", "--catalog <FILE>",
            "--resolve-from <CAPTURE>", "--resolve-from <CAPTURE>", "--resolve-from <CAPTURE>", "--bpf <EXPR>", "--bpf <EXPR>", "--bpf <EXPR>"};
        for (int i = 0; i < cases.length; i++) {
            Run r = run(cases[i]);
            assertEquals(0, r.status(), String.join(" ", cases[i]) + ": " + r.err());
            assertTrue(r.out().contains(expected[i]) && r.out().contains("usage:"), String.join(" ", cases[i]) + ": " + r.out());
            assertEquals("", r.err(), String.join(" ", cases[i]));
        }
        // Not a help request: an unknown option is still a one-line usage error.
        Run bad = run("catalog", "--helpme");
        assertEquals(2, bad.status());
        assertTrue(bad.err().contains("unknown option --helpme"), bad.err());
    }

    /**
     * Flows closed early because the table was full are counted among the counters; a run where that happened ends with a
     * warning saying what it does to the verdicts (a flow cut in two is checked as two, the second without its start) and
     * what to do. (Helper sb: at --flow-capacity 64 on the reference mix, 832 of 1,773 flagged flows were such second
     * halves, unverifiable, with nothing but the counter to say why.)
     */
    @Test
    void flowsClosedEarlyEndTheRunWithAWarning() {
        Run full = run("analyze", SAMPLE, "-t", TOPOLOGY, "-f", "jsonl", "--flow-capacity", "2");
        assertEquals(0, full.status(), full.err());
        long evicted = full.out().lines().filter(l -> l.contains("\"end\":\"evicted\"")).count();
        assertTrue(evicted > 0, full.out());
        assertTrue(full.err().contains("flows closed early " + evicted + "\n"), full.err());
        List<String> last = full.err().lines().toList();
        assertEquals("portmatrix: warning: " + evicted + " flows were closed early because the flow table was full (--flow-capacity 2): the"
                + " packets of such a flow after that made a flow of their own, seen without its start (which end initiated inferred,"
                + " its protocol often unverifiable); a larger --flow-capacity keeps them whole", last.get(last.size() - 1));
        Run whole = run("analyze", SAMPLE, "-t", TOPOLOGY, "-f", "jsonl");
        assertFalse(whole.err().contains("closed early because"), whole.err());
    }

    /**
     * `portmatrix version` and `--version` print the version the build was made as (pom.xml's) and the git commit it was
     * built from (this clone's HEAD, as git itself gives it; the version alone in a copy without .git or in a second working
     * tree of `git worktree add`, where the plugin would read the first one's), and the HTML
     * page's footer names both: two builds of one SNAPSHOT version had said the same.
     */
    @Test
    void versionIsThePomsWithTheCommitAndTheHtmlPageNamesIt() throws Exception {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<artifactId>portmatrix</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(Path.of("pom.xml")));
        assertTrue(m.find(), "pom.xml's version");
        String version = m.group(1);
        java.util.regex.Pattern built;
        if (Files.isDirectory(Path.of(".git"))) { // a clone's own working tree (pom.xml's profile git-commit)
            Process git = new ProcessBuilder("git", "rev-parse", "HEAD").redirectErrorStream(true).start();
            String head = new String(git.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).trim();
            assertEquals(0, git.waitFor(), head);
            assertTrue(head.matches("[0-9a-f]{40}"), head);
            built = java.util.regex.Pattern.compile("portmatrix " + java.util.regex.Pattern.quote(version) + ", commit "
                    + head.substring(0, 7) + "( with uncommitted changes)? \\(Java ");
        } else { // a copy without .git, or a second working tree of `git worktree add`
            built = java.util.regex.Pattern.compile("portmatrix " + java.util.regex.Pattern.quote(version) + " \\(Java ");
        }
        String line = null;
        for (String command : new String[] {"version", "--version"}) {
            Run r = run(command);
            assertEquals(0, r.status(), r.err());
            assertTrue(built.matcher(r.out()).lookingAt(), r.out());
            assertTrue(r.out().contains(" (Java " + Runtime.version() + ", "), r.out());
            assertEquals(1, r.out().lines().count(), r.out());
            line = r.out();
        }
        String said = line.substring(0, line.indexOf(" (Java ")); // the version and the commit
        Run html = run("analyze", SAMPLE, "-t", TOPOLOGY, "-f", "html");
        assertEquals(0, html.status(), html.err());
        assertTrue(html.out().contains("<footer>" + said + " &middot; "), "the page's footer");
    }

    /**
     * `help version` and `version --help` print what the command does, as `help COMMAND` does for the others (the synopsis
     * and the list of commands name it; `help version` had been refused as an unknown command); an argument after it is
     * refused (`version foo` had printed the version, exit status 0).
     */
    @Test
    void versionHasItsHelpAndTakesNoArgument() {
        for (String[] command : new String[][] {{"help", "version"}, {"version", "--help"}, {"--version", "-h"}}) {
            Run r = run(command);
            assertEquals(0, r.status(), String.join(" ", command) + ": " + r.err());
            assertTrue(r.out().startsWith("usage: portmatrix version\n"), String.join(" ", command) + ": " + r.out());
        }
        assertOneLineError(run("version", "foo"), "version: unexpected argument 'foo'");
        assertOneLineError(run("--version", "analyze"), "version: unexpected argument 'analyze'");
        assertOneLineError(run("help", "versoin"), "help: unknown command 'versoin' (did you mean version? commands: analyze, catalog, live,"
                + " topology, version)");
    }

    /**
     * Each command's help lays its options out as one table: every option's description, and each of its
     * wrapped lines, starts in one column, and no line ends in spaces. (Commons CLI 1.10's newer formatter started some
     * wrapped lines a column to the left of the others, padded lines with spaces to the table's width, and centred an
     * "Options / Description" heading over it.)
     */
    @Test
    void eachCommandsHelpIsOneTableOfOptions() {
        for (String[] command : new String[][] {{"help", "analyze"}, {"help", "live"}, {"help", "catalog"}, {"help", "topology"}}) {
            Run r = run(command);
            assertEquals(0, r.status(), r.err());
            String name = String.join(" ", command);
            java.util.Set<Integer> columns = new java.util.TreeSet<>();
            int rows = 0;
            for (String line : r.out().split("\n")) {
                assertFalse(line.endsWith(" "), name + ": a line ending in spaces: '" + line + "'");
                if (line.startsWith(" -") || line.startsWith("    --")) {
                    rows++;
                    java.util.regex.Matcher m = java.util.regex.Pattern.compile("^ +-\\S*( <[^>]+>)? +").matcher(line);
                    assertTrue(m.find(), name + ": " + line);
                    columns.add(m.end());
                } else if (rows > 0 && line.startsWith(" ")) {
                    columns.add(line.length() - line.stripLeading().length()); // a description's wrapped line
                }
            }
            assertTrue(rows >= 2, name + ": " + r.out());
            assertEquals(1, columns.size(), name + ": descriptions start in columns " + columns + ":\n" + r.out());
            assertFalse(r.out().contains("Description"), name + ": " + r.out());
        }
    }

    @Test
    void helpNamingACommandPrintsThatCommandsHelp() {
        // `portmatrix help topology` had printed analyze's options, as `help` alone does, and `help foo` had too.
        String[][] cases = {{"help", "catalog"}, {"help", "topology"}, {"help", "topology", "import"}, {"help", "live"}, {"--help", "live"}};
        String[] expected = {"--catalog <FILE>", "--resolve-from <CAPTURE>", "--resolve-from <CAPTURE>", "--bpf <EXPR>", "--bpf <EXPR>"};
        for (int i = 0; i < cases.length; i++) {
            Run r = run(cases[i]);
            assertEquals(0, r.status(), String.join(" ", cases[i]) + ": " + r.err());
            assertTrue(r.out().contains(expected[i]), String.join(" ", cases[i]) + ": " + r.out());
            assertFalse(r.out().contains("--fail-on-unexpected"), String.join(" ", cases[i]) + ": analyze's options: " + r.out());
            assertEquals("", r.err(), String.join(" ", cases[i]));
        }
        Run analyze = run("help", "analyze");
        assertEquals(0, analyze.status(), analyze.err());
        assertTrue(analyze.out().contains("--fail-on-unexpected"), analyze.out());
        assertOneLineError(run("help", "analyse"), "help: unknown command 'analyse' (did you mean analyze? commands: analyze, catalog, live, topology,"
                + " version)");
        // help is one of the commands the refusal of an unknown command lists: `help help` had been refused as unknown.
        Run help = run("help", "help");
        assertEquals(0, help.status(), help.err());
        assertEquals(run("help").out(), help.out());
        assertOneLineError(run("hepl"), "unknown command 'hepl' (did you mean help? commands: analyze, catalog, live, topology, help, version)");
        // A word after the command is refused, as `version foo` is: `help live extra` had printed live's help, saying nothing of "extra".
        assertOneLineError(run("help", "live", "extra"), "help: unexpected argument 'extra' (help takes one command: portmatrix help live)");
        assertOneLineError(run("help", "topology", "import", "x.xml"),
                "help: unexpected argument 'x.xml' (help takes one command: portmatrix help topology import)");
        assertOneLineError(run("--help", "analyze", "sample.pcap"), "help: unexpected argument 'sample.pcap' (help takes one command: portmatrix help analyze)");
    }

    /**
     * A capture of another network than the topology's (no address of it in the topology): every flow is unknown_host,
     * and the run says, at the end, that the topology may be the wrong one. It had said nothing: ten groups of
     * "outside the topology", each advising to add the host.
     */
    @Test
    void aCaptureWithNoHostInTheTopologyIsSaidToBeOfAnotherNetwork() throws Exception {
        Path other = dir.resolve("contoso.yaml");
        Files.writeString(other, "roles:\n  front-end: [10.1.1.0/24]\n  client: [10.2.0.0/16]\n");
        Run r = run("analyze", SAMPLE, "--topology", other.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("0 expected, 10 outside the matrix (unknown_host 10)"), r.out());
        assertEquals("portmatrix: warning: no address of the 10 flows is in the topology " + other
                + ": is it the topology of the network captured?\n", r.err());
        // One flow with a host of the topology, and the warning is not given: the topology is this network's.
        Run sample = run("analyze", SAMPLE, "--topology", TOPOLOGY, "--format", "jsonl");
        assertEquals(0, sample.status(), sample.err());
        assertFalse(sample.err().contains("warning"), sample.err());
    }

    /**
     * The Lync topology XML given to analyze as it is: the refusal says what it is and the command that converts it.
     * It had said "malformed YAML: mapping values are not allowed here" at line 5 of the XML.
     */
    @Test
    void aLyncTopologyGivenAsTheTopologyIsToldToBeImported() throws Exception {
        String xml = "../shared/samples/contoso-topology.xml";
        assertOneLineError(run("analyze", SAMPLE, "--topology", xml), "portmatrix: " + xml + ":1: an XML file, not a topology file (YAML or"
                + " JSON); a Lync topology (Get-CsTopology -AsXml, or Topology Builder's .tbxml) is turned into one by: portmatrix topology"
                + " import " + xml + " --output topology.yaml");
        // Windows PowerShell 5.1's Out-File: UTF-16 with its byte-order mark.
        Path utf16 = dir.resolve("topology.xml");
        byte[] text = Files.readString(Path.of(xml)).getBytes(StandardCharsets.UTF_16LE);
        byte[] withMark = new byte[text.length + 2];
        withMark[0] = (byte) 0xff;
        withMark[1] = (byte) 0xfe;
        System.arraycopy(text, 0, withMark, 2, text.length);
        Files.write(utf16, withMark);
        assertOneLineError(run("analyze", SAMPLE, "--topology", utf16.toString()), utf16 + ":1: an XML file, not a topology file");
        // Topology Builder's export of an SfB lab, which has no ': ' and so parses as one YAML scalar: it had been refused
        // as "the topology must be a mapping".
        String tbxml = "captures/topology/sfbautomatedlab-contoso.tbxml";
        assertOneLineError(run("analyze", SAMPLE, "--topology", tbxml), tbxml + ":1: an XML file, not a topology file");
        // YAML that is a scalar and not XML is said as before.
        Path scalar = dir.resolve("scalar.yaml");
        Files.writeString(scalar, "front-end 10.1.1.0/24\n");
        assertOneLineError(run("analyze", SAMPLE, "--topology", scalar.toString()), scalar + ":1: the topology must be a mapping");
        // Malformed YAML that is not XML is said as before.
        Path yaml = dir.resolve("t.yaml");
        Files.writeString(yaml, "roles:\n  front-end: [10.1.1.0/24\n  client: [10.2.0.0/16]\n");
        assertOneLineError(run("analyze", SAMPLE, "--topology", yaml.toString()), yaml + ":3: malformed YAML");
    }

    @Test
    void aMisspeltOptionIsNamedWithTheOptionMeant() {
        // Commons CLI's "Unrecognized option: --topolgy" named no option to use instead.
        assertOneLineError(run("analyze", SAMPLE, "--topolgy", TOPOLOGY),
                "analyze: unknown option --topolgy (did you mean --topology? `portmatrix help analyze` lists the options)");
        assertOneLineError(run("topology", "import", "lync.xml", "--hots", "h.csv"),
                "topology import: unknown option --hots (did you mean --hosts? `portmatrix help topology` lists the options)");
        assertOneLineError(run("analyze", SAMPLE, "--frobnicate"),
                "analyze: unknown option --frobnicate (`portmatrix help analyze` lists the options)");
    }

    /**
     * A long option misspelt after one dash: "-topolgy FILE" had been read as -t with the value "opolgy" (Commons CLI's
     * short option and its value in one word), and the run ended in "opolgy: no such file". Upper case is suggested too.
     * The exact name after one dash is still the long option, and a short option with its value in one word still works.
     */
    @Test
    void aLongOptionMisspeltAfterOneDashOrInCapitalsIsNamed() {
        assertOneLineError(run("analyze", SAMPLE, "-topolgy", TOPOLOGY),
                "analyze: unknown option -topolgy (did you mean --topology? `portmatrix help analyze` lists the options)");
        assertOneLineError(run("analyze", SAMPLE, "-formt", "csv"),
                "analyze: unknown option -formt (did you mean --format? `portmatrix help analyze` lists the options)");
        assertOneLineError(run("analyze", SAMPLE, "--TOPOLOGY", TOPOLOGY),
                "analyze: unknown option --TOPOLOGY (did you mean --topology? `portmatrix help analyze` lists the options)");
        Run exact = run("analyze", SAMPLE, "-topology", TOPOLOGY);
        Run joined = run("analyze", SAMPLE, "-t" + TOPOLOGY);
        Run plain = run("analyze", SAMPLE, "--topology", TOPOLOGY);
        assertEquals(0, exact.status(), exact.err());
        assertEquals(plain.out(), exact.out());
        assertEquals(plain.out(), joined.out());
        // A prefix of a long option after one dash is that option, as after two and as before the refusal was added
        // ("-form csv", "-topolo FILE" had been refused as misspelt).
        assertEquals(plain.out(), run("analyze", SAMPLE, "-topolo", TOPOLOGY).out());
        Run prefix = run("analyze", SAMPLE, "--topology", TOPOLOGY, "-form", "csv");
        assertEquals(0, prefix.status(), prefix.err());
        assertEquals(run("analyze", SAMPLE, "--topology", TOPOLOGY, "--format", "csv").out(), prefix.out());
        // After "--" every word is a file name, however it is spelt.
        assertOneLineError(run("analyze", "--topology", TOPOLOGY, "--", "-topolgy"), "-topolgy");
    }

    @Test
    void anOutputThatIsAnInputIsRefusedAndTheInputKept() throws Exception {
        Path capture = Files.copy(Path.of(SAMPLE), dir.resolve("in.pcap"));
        byte[] before = Files.readAllBytes(capture);
        Path link = Files.createSymbolicLink(dir.resolve("link.pcap"), capture.getFileName());
        Path topology = Files.copy(Path.of(TOPOLOGY), dir.resolve("topology.yaml"));
        assertOneLineError(run("analyze", capture.toString(), "--output", capture.toString()), "it is the same file as the input");
        assertOneLineError(run("analyze", capture.toString(), "--extract", link.toString()), "it is the same file as the input");
        assertOneLineError(run("analyze", capture.toString(), "--topology", topology.toString(), "--output", topology.toString()),
                "it is the same file as the input");
        assertArrayEquals(before, Files.readAllBytes(capture));
        assertEquals(Files.readString(Path.of(TOPOLOGY)), Files.readString(topology));
        // A capture directory: a report in it would be one of its captures; one below it is not read.
        Path ring = Files.createDirectory(dir.resolve("ring"));
        Files.copy(Path.of(SAMPLE), ring.resolve("ring_00001.pcap"));
        assertOneLineError(run("analyze", ring.toString(), "--output", ring.resolve("report.txt").toString()), "inside the capture directory");
        assertOneLineError(run("analyze", ring.toString(), "--extract", ring.resolve("ring_00001.pcap").toString()), "inside the capture directory");
        Path below = Files.createDirectory(ring.resolve("reports"));
        assertEquals(0, run("analyze", ring.toString(), "--output", below.resolve("report.txt").toString()).status());
        // One file for two outputs: the last renamed into place would win.
        Path twice = dir.resolve("twice.out");
        assertOneLineError(run("analyze", SAMPLE, "--output", twice.toString(), "--extract", twice.toString()), "named for two outputs");
        assertFalse(Files.exists(twice));
    }

    @Test
    void anExtractOntoAFifoIsRefusedAndTheFifoKept() throws Exception {
        Path fifo = dir.resolve("extract.fifo");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mk.waitFor());
        assertOneLineError(run("analyze", SAMPLE, "--topology", TOPOLOGY, "--extract", fifo.toString()), "not a regular file");
        assertTrue(Files.exists(fifo) && !Files.isRegularFile(fifo), "still a FIFO");
    }

    @Test
    void jsonLinesCarryEveryContractFieldForEveryFlow() throws Exception {
        Run r = run("analyze", SAMPLE, "--topology", TOPOLOGY, "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        List<JsonNode> flows = jsonLines(r.out());
        assertEquals(10, flows.size(), "the sample holds 10 conversations (captures/README.md)");
        Set<String> verdicts = new HashSet<>();
        for (JsonNode f : flows) {
            for (String field : CONTRACT_FIELDS) {
                assertTrue(f.has(field), "field " + field + " missing in " + f);
            }
            assertTrue(f.get("ts_first").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z"), f.toString());
            assertTrue(f.get("community_id").asText().startsWith("1:"), f.toString());
            assertFalse(f.get("reason").asText().isBlank());
            verdicts.add(f.get("verdict").asText());
        }
        assertTrue(verdicts.contains("expected"));
        assertTrue(verdicts.contains("unknown_host"), "127.0.99.1 is outside the topology");
        assertTrue(verdicts.contains("unexpected_port"), "RDP on 3389 is not in the matrix");
    }

    @Test
    void samplesOutsideFlowsAreExplained() throws Exception {
        List<JsonNode> flows = jsonLines(run("analyze", SAMPLE, "--topology", TOPOLOGY, "--format", "jsonl").out());
        JsonNode rdp = flows.stream().filter(f -> f.get("dst_port").asInt() == 3389).findFirst().orElseThrow();
        assertEquals("unexpected_port", rdp.get("verdict").asText());
        assertEquals("127.0.10.23", rdp.get("src_ip").asText());
        assertTrue(rdp.get("rule").isNull());
        assertTrue(rdp.get("reason").asText().contains("TCP 3389"), rdp.toString());
        JsonNode stranger = flows.stream().filter(f -> f.get("src_ip").asText().equals("127.0.99.1")).findFirst().orElseThrow();
        assertEquals("unknown_host", stranger.get("verdict").asText());
        assertTrue(stranger.get("src_roles").isEmpty());
        assertTrue(stranger.get("reason").asText().contains("127.0.99.1"));
        JsonNode mtls = flows.stream().filter(f -> f.get("src_ip").asText().equals("127.0.3.10")).findFirst().orElseThrow();
        assertEquals("expected", mtls.get("verdict").asText());
        assertEquals("fe-sip-mtls-5061", mtls.get("rule").asText());
        assertEquals("edge-internal", mtls.get("src_roles").get(0).asText());
    }

    @Test
    void noInspectGivesPortVerdictsAndSaysTheProtocolWasNotChecked() throws Exception {
        List<JsonNode> inspected = jsonLines(run("analyze", SAMPLE, "--topology", TOPOLOGY, "--format", "jsonl").out());
        List<JsonNode> flows = jsonLines(run("analyze", SAMPLE, "--topology", TOPOLOGY, "--format", "jsonl", "--no-inspect").out());
        assertEquals(inspected.size(), flows.size());
        // The cleartext SIP on 5061 that inspection flags passes on its port alone.
        JsonNode cleartext = inspected.stream().filter(f -> f.get("verdict").asText().equals("protocol_mismatch")).findFirst().orElseThrow();
        JsonNode same = flows.stream().filter(f -> f.get("community_id").equals(cleartext.get("community_id"))).findFirst().orElseThrow();
        assertEquals("expected", same.get("verdict").asText());
        assertTrue(same.get("reason").asText().contains("not inspected (--no-inspect)"), same.toString());
        for (JsonNode f : flows) {
            assertTrue(f.get("app_protocol").isNull(), f.toString());
            assertTrue(f.get("tls").isNull(), f.toString());
        }
        // Verdicts that do not depend on the payload are unchanged.
        for (String v : List.of("unknown_host", "unexpected_port")) {
            assertEquals(inspected.stream().filter(f -> f.get("verdict").asText().equals(v)).count(),
                    flows.stream().filter(f -> f.get("verdict").asText().equals(v)).count(), v);
        }
    }

    @Test
    void aFullDiskIsAnErrorNamingTheOutputNotASilentSuccess() throws Exception {
        // The summary of what was read is printed first; the failure is the last line.
        Run devFull = run("analyze", SAMPLE, "--topology", TOPOLOGY, "--format", "jsonl", "--output", "/dev/full");
        assertEquals(2, devFull.status(), devFull.err());
        String[] lines = devFull.err().strip().split("\n");
        assertEquals("portmatrix: /dev/full: cannot write: No space left on device", lines[lines.length - 1], devFull.err());
        assertTrue(devFull.err().contains("7 expected, 3 outside the matrix"), devFull.err());
        assertFalse(devFull.err().contains("Exception") || devFull.err().contains("\tat "), devFull.err());
        // standard output on a full disk: a PrintStream keeps the error to itself unless asked
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream full = new PrintStream(new java.io.FileOutputStream("/dev/full"), true, StandardCharsets.UTF_8);
        int status = new Main(full, new PrintStream(err, true, StandardCharsets.UTF_8))
                .run(new String[] {"analyze", SAMPLE, "--topology", TOPOLOGY, "--format", "jsonl"});
        assertEquals(2, status, err.toString(StandardCharsets.UTF_8));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("standard output: cannot write"), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void withoutTopologyEveryHostIsUnknown() throws Exception {
        List<JsonNode> flows = jsonLines(run("analyze", SAMPLE, "--format", "jsonl").out());
        assertFalse(flows.isEmpty());
    }

    @Test
    void outputFileIsWrittenWhole() throws Exception {
        Path out = dir.resolve("flows.jsonl");
        Run r = run("analyze", SAMPLE, "--topology", TOPOLOGY, "--format", "jsonl", "--output", out.toString());
        assertEquals(0, r.status(), r.err());
        assertEquals("", r.out());
        assertEquals(10, jsonLines(Files.readString(out)).size());
    }

    @Test
    void outputToAPipeIsWrittenInPlaceNeverReplaced() throws Exception {
        Path fifo = dir.resolve("flows.fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        java.util.concurrent.CompletableFuture<String> read = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return Files.readString(fifo);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Run r = run("analyze", SAMPLE, "--topology", TOPOLOGY, "--format", "jsonl", "--output", fifo.toString());
        assertEquals(0, r.status(), r.err());
        assertEquals(10, jsonLines(read.get(60, java.util.concurrent.TimeUnit.SECONDS)).size());
        assertFalse(Files.isRegularFile(fifo), "the pipe must not be replaced by a regular file");
        assertTrue(Files.exists(fifo));
    }

    @Test
    void failOnUnexpectedGivesStatus1() {
        assertEquals(1, run("analyze", SAMPLE, "--topology", TOPOLOGY, "--fail-on-unexpected").status());
        assertEquals(0, run("analyze", SAMPLE, "--topology", TOPOLOGY).status());
    }

    @Test
    void textReportExplainsTheFlaggedFlows() {
        Run r = run("analyze", SAMPLE, "--topology", TOPOLOGY);
        assertEquals(0, r.status(), r.err());
        String text = r.out();
        int outside = text.indexOf("OUTSIDE THE MATRIX");
        assertTrue(outside > 0, text);
        assertTrue(text.indexOf("127.0.99.1", outside) > 0, "the host outside the topology is named: " + text);
        assertTrue(text.indexOf("3389", outside) > 0, "the undocumented port is named: " + text);
        assertTrue(text.contains("unknown_host") && text.contains("unexpected_port"), text);
    }

    @Test
    void catalogJsonCitesSeedRows() throws Exception {
        Run r = run("catalog", "--format", "json");
        assertEquals(0, r.status(), r.err());
        JsonNode root = new ObjectMapper().readTree(r.out());
        assertEquals(101, root.get("rules").size());
        JsonNode first = root.get("rules").get(0);
        for (String k : List.of("id", "src_roles", "dst_roles", "transport", "port_min", "port_max", "protocol", "service",
                "note", "citation")) {
            assertTrue(first.has(k), k);
        }
    }

    @Test
    void catalogRefusesABrokenUserCatalogWithItsLine() throws Exception {
        Path bad = dir.resolve("cat.yaml");
        Files.writeString(bad, "rules:\n  - id: x\n    src: [any]\n    dst: [front-end]\n    transport: tcp\n    port: 0\n    protocol: tls\n");
        assertOneLineError(run("catalog", "--catalog", bad.toString()), bad + ":6");
        assertOneLineError(run("analyze", SAMPLE, "--catalog", bad.toString()), bad + ":6");
    }

    /**
     * {@code -Dportmatrix.timing=true} splits a run for benchmarks/compare.sh and the README's "where the time goes": the
     * read's line gives the packet thread's CPU, and a line of its own the flow thread's (the second core's main user); off,
     * neither is printed.
     */
    @Test
    void timingGivesThePacketAndFlowThreadsCpu() {
        System.setProperty("portmatrix.timing", "true");
        Run on;
        try {
            on = run("analyze", SAMPLE, "--topology", TOPOLOGY, "--format", "jsonl");
        } finally {
            System.clearProperty("portmatrix.timing");
        }
        assertEquals(0, on.status(), on.err());
        assertTrue(on.err().matches("(?s).*timing: read .*packet thread CPU +\\d+ ms\\R.*"), on.err());
        assertTrue(on.err().matches("(?s).*timing: flow thread CPU \\d+ ms \\(read and finish\\)\\R.*"), on.err());
        Run off = run("analyze", SAMPLE, "--topology", TOPOLOGY, "--format", "jsonl");
        assertEquals(0, off.status(), off.err());
        assertFalse(off.err().contains("timing:"), off.err());
        assertEquals(off.out(), on.out());
    }
}
