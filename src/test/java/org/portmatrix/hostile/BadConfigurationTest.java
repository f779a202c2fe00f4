package org.portmatrix.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.hostile.HostileCaptures.Run;

/**
 * Bad arguments and bad configuration files: each is refused with status 2 and one line on stderr
 * that names the option, or the file and line, and what is wrong; no stack trace; and no output
 * file, whole or half-written, left behind. (cli/MainTest covers the first cases: an unknown option
 * and command, a missing or non-capture file, an unclosed bracket in a topology, an unknown format,
 * port 0 in a catalog; these are the others.)
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BadConfigurationTest {
    static final String SAMPLE = "captures/sample.pcap";
    static final String TOPOLOGY = "captures/sample-topology.yaml";

    @TempDir
    Path dir;

    /** Runs with JSON lines to a file in the test directory; refused: status 2, one line, no file left. */
    private String refused(String... args) throws Exception {
        Set<Path> before = listing();
        Run r = HostileCaptures.run(args);
        assertEquals(2, r.status(), "status 2: " + r.err() + r.out());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, "one line: " + r.err());
        assertTrue(lines[0].startsWith("portmatrix: "), r.err());
        assertEquals(before, listing(), "no output file left behind (nor a temporary one)");
        return lines[0];
    }

    private String refusedAnalysis(String... extra) throws Exception {
        Path out = dir.resolve("flows.jsonl");
        String[] base = {"analyze", SAMPLE, "--format", "jsonl", "--output", out.toString()};
        String[] args = Stream.concat(Stream.of(base), Stream.of(extra)).toArray(String[]::new);
        String line = refused(args);
        assertFalse(Files.exists(out));
        return line;
    }

    private Set<Path> listing() throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.collect(Collectors.toSet());
        }
    }

    private Path file(String name, String content) throws Exception {
        return Files.writeString(dir.resolve(name), content);
    }

    private static void assertNames(String line, String... parts) {
        for (String p : parts) {
            assertTrue(line.contains(p), "'" + p + "' in: " + line);
        }
    }

    // ---- arguments ----

    @Test
    void unknownOptionOfTheCatalogCommandIsNamed() throws Exception {
        assertNames(refused("catalog", "--bogus"), "--bogus");
    }

    @Test
    void noCommandOrSubcommandIsOneLineOnStandardError() throws Exception {
        // (The usage had gone to standard output, exit status 2 with nothing on standard error.)
        Run r = HostileCaptures.run();
        assertEquals("", r.out());
        assertNames(refused(), "no command given", "analyze, catalog, live, topology, help, version");
        assertNames(refused("topology"), "topology: no subcommand given", "import");
    }

    @Test
    void noInferWithATopologyIsRefused() throws Exception {
        // With a topology no role is inferred: the option said something the run did not do.
        assertNames(refusedAnalysis("--topology", TOPOLOGY, "--no-infer"), "--no-infer is for runs without --topology");
    }

    @Test
    void optionWithoutItsValueIsNamed() throws Exception {
        assertNames(refused("analyze", SAMPLE, "--topology"), "topology");
    }

    @Test
    void flowCapacityThatIsNotAPositiveNumberIsRefused() throws Exception {
        for (String bad : List.of("lots", "-5", "0", "99999999999", "1e6")) {
            assertNames(refusedAnalysis("--flow-capacity", bad), "--flow-capacity", "'" + bad + "'");
        }
    }

    @Test
    void timeoutThatIsNotAPositiveNumberIsRefused() throws Exception {
        assertNames(refusedAnalysis("--udp-timeout", "0"), "--udp-timeout", "'0'");
        assertNames(refusedAnalysis("--tcp-timeout", "an hour"), "--tcp-timeout", "'an hour'");
    }

    // ---- topology ----

    @Test
    void badCidrsAreRefusedWithTheirLine() throws Exception {
        for (String cidr : List.of("10.1.1.0/33", "10.1.300.0/24", "fd00::/129", "10.1.1.0/-1", "10.1.1/24", "fd00::zz/64")) {
            Path t = file("topology.yaml", "roles:\n  front-end:\n    - 10.1.1.0/24\n    - " + cidr + "\n");
            assertNames(refusedAnalysis("--topology", t.toString()), t + ":4:", "'" + cidr + "'", "not an address or CIDR");
        }
    }

    @Test
    void aRoleGivenTwiceInATopologyIsRefusedWithTheLineOfTheSecond() throws Exception {
        // A firewall team adds addresses under a role that is already there: the first list must not vanish.
        Path t = file("topology.yaml", "roles:\n  front-end: [10.1.1.0/24]\n  client: [10.2.0.0/16]\n  front-end: [10.1.9.0/24]\n");
        assertNames(refusedAnalysis("--topology", t.toString()), t + ":4:", "duplicate key 'front-end'");
    }

    @Test
    void hostNameInATopologyIsRefusedNotLookedUp() throws Exception {
        Path t = file("topology.yaml", "roles:\n  front-end: [pool01.corp.example.com]\n");
        assertNames(refusedAnalysis("--topology", t.toString()), t + ":2:", "'pool01.corp.example.com'");
    }

    @Test
    void aNameThatLooksLikeAnIpv6LiteralIsRefusedNotLookedUp() throws Exception {
        // ".ad:be" is made of hex digits, '.' and ':' but starts with '.', which the JDK resolves as a name:
        // here through a hosts file of the test's own (jdk.net.hosts.file), so that no lookup leaves the machine.
        Path hosts = file("hosts", "10.66.66.66 .ad:be\n");
        Path t = file("topology.yaml", "roles:\n  front-end: [\".ad:be\"]\n");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:-UsePerfData",
                "-Djdk.net.hosts.file=" + hosts, "-cp", System.getProperty("java.class.path"), "org.portmatrix.cli.Main",
                "analyze", SAMPLE, "--topology", t.toString(), "--format", "jsonl", "--output", dir.resolve("flows.jsonl").toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), out);
        assertNames(out, t + ":2:", "'.ad:be'");
    }

    /**
     * The topology XML and the hosts CSV are read whole, each up to 64 MiB: a larger one is refused with
     * its name, also in a heap smaller than twice that (readNBytes gathers pieces and copies them into
     * one array: a 205 MB hosts file under -Xmx100m ran out of memory, and the hosts file had no limit at
     * all). Sparse files: nothing of the 64 MiB is written. One within the limit that the heap cannot hold is out of memory,
     * with advice for this command.
     */
    @Test
    void topologyImportInputsOverTheirLimitAreRefusedInASmallHeap() throws Exception {
        Path xml = dir.resolve("huge.xml");
        Path hosts = dir.resolve("huge.csv");
        for (Path p : List.of(xml, hosts)) {
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(p.toFile(), "rw")) {
                f.setLength((64L << 20) + 1);
            }
        }
        Path out = dir.resolve("topology.yaml");
        String[][] cases = {
            {xml.toString(), xml + ": larger than 64 MiB (a published topology is a few MB): not a topology"},
            {"../shared/samples/contoso-topology.xml", hosts + ": larger than 64 MiB (a topology's hosts take a few thousand lines): not a hosts file"}};
        for (String[] c : cases) {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:-UsePerfData",
                    "-Xmx100m", "-cp", System.getProperty("java.class.path"), "org.portmatrix.cli.Main",
                    "topology", "import", c[0], "--hosts", hosts.toString(), "--output", out.toString()).redirectErrorStream(true).start();
            String err = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(2, p.exitValue(), err);
            assertEquals("portmatrix: " + c[1], err.strip());
            assertFalse(Files.exists(out));
        }
        // Just within the limit, the heap is too small (64 Mi characters decoded take 128 MiB): the advice fits the command
        // (it also said "or fewer open flows with --flow-capacity", an option of analyze and live only).
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(hosts.toFile(), "rw")) {
            f.setLength(64L << 20);
        }
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:-UsePerfData",
                "-Xmx100m", "-cp", System.getProperty("java.class.path"), "org.portmatrix.cli.Main",
                "topology", "import", "../shared/samples/contoso-topology.xml", "--hosts", hosts.toString(), "--output", out.toString())
                .redirectErrorStream(true).start();
        String err = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), err);
        assertEquals("portmatrix: out of memory: the Java heap (100 MiB) is full; give it more with PORTMATRIX_JAVA_OPTS=-Xmx<size>",
                err.strip());
        assertFalse(Files.exists(out));
    }

    @Test
    void anUnknownProtocolInATopologyPortIsRefusedWithItsLine() throws Exception {
        // It loaded, and the port then took any protocol: the entry's protocol is checked on the wire.
        Path t = file("topology.yaml", "roles:\n  pstn-gateway: [10.1.5.0/24]\nports:\n"
                + "  - {role: pstn-gateway, transport: tcp, port: \"5067\",\n     protocol: sips}\n");
        assertNames(refusedAnalysis("--topology", t.toString()), t + ":5:", "protocol 'sips' is none of mtls, tls, https");
    }

    @Test
    void anEmptyHostsListInATopologyPortIsRefusedWithItsLine() throws Exception {
        // Left out, an entry applies to every host of its role; an empty list meaning the same would be a surprise.
        Path t = file("topology.yaml", "roles:\n  mediation: [10.1.4.0/24]\nports:\n"
                + "  - {role: mediation, transport: udp, port: \"40000-40999\",\n     hosts: []}\n");
        assertNames(refusedAnalysis("--topology", t.toString()), t + ":5:", "'hosts' is empty");
    }

    @Test
    void invalidRoleIdInATopologyIsRefusedWithItsLine() throws Exception {
        Path t = file("topology.yaml", "roles:\n  client: [10.2.0.0/16]\n  Front End!: [10.1.1.0/24]\n");
        assertNames(refusedAnalysis("--topology", t.toString()), t + ":3:", "'Front End!'");
    }

    /**
     * A topology that is not UTF-8 text (Latin-1, a binary file, UTF-16 without its byte-order mark) is
     * refused at the line of its first such byte or character, in words: SnakeYAML had named the JDK's
     * MalformedInputException and no line, or "special characters are not allowed" and no line.
     */
    @Test
    void aTopologyThatIsNotTextIsRefusedAtItsLine() throws Exception {
        String head = "roles:\n  front-end: [10.1.1.0/24]\n  director: [10.1.2.0/24]\n  client: [10.2.0.0/16]\n";
        Path latin1 = dir.resolve("latin1.yaml");
        Files.write(latin1, (head + "  # caf\u00e9 on line 5\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        String line = refusedAnalysis("--topology", latin1.toString());
        assertNames(line, latin1 + ":5:", "not UTF-8 text", "save it as UTF-8");
        assertFalse(line.contains("Exception"), line);
        // (past SnakeYAML's first buffer of 1,024 characters, where it names a place in its buffer, not in the file)
        String comments = "  # a comment to fill a line, and the next, and the one after it\n".repeat(100);
        Path nul = file("nul.yaml", head + comments + "  edge-internal: [10.1.3.0/24]\u0000\n");
        assertNames(refusedAnalysis("--topology", nul.toString()), nul + ":105:", "a NUL character");
        Path bell = file("bell.yaml", "roles:\n  front-end: [10.1.1.0/24] \u0007\n");
        assertNames(refusedAnalysis("--topology", bell.toString()), bell + ":2:", "U+0007");
        Path utf16 = dir.resolve("utf16.yaml");
        Files.write(utf16, head.getBytes(java.nio.charset.StandardCharsets.UTF_16LE));
        assertNames(refusedAnalysis("--topology", utf16.toString()), utf16 + ":1:", "UTF-16");
    }

    /** A symbolic link to nothing (its target gone, or a loop) is said as such, not "no such file": the link is there. */
    @Test
    void aSymbolicLinkToNothingIsSaidAsSuch() throws Exception {
        Path loopA = dir.resolve("a");
        Path loopB = Files.createSymbolicLink(dir.resolve("b"), loopA);
        Files.createSymbolicLink(loopA, loopB);
        Path gone = Files.createSymbolicLink(dir.resolve("gone.yaml"), dir.resolve("deleted.yaml"));
        assertNames(refused("analyze", loopA.toString()), loopA + ": a symbolic link to nothing (its target is missing, or links loop)");
        assertNames(refusedAnalysis("--topology", gone.toString()), gone + ": a symbolic link to nothing");
    }

    @Test
    void tabIndentedTopologyIsMalformedYamlWithItsLine() throws Exception {
        Path t = file("topology.yaml", "roles:\n\tfront-end: [10.1.1.0/24]\n");
        assertNames(refusedAnalysis("--topology", t.toString()), t + ":2:", "malformed YAML");
    }

    @Test
    void topologyThatIsAListIsRefused() throws Exception {
        Path t = file("topology.yaml", "- 10.1.1.0/24\n- 10.2.0.0/16\n");
        assertNames(refusedAnalysis("--topology", t.toString()), t.toString(), "mapping");
    }

    @Test
    void topologyWithAnUnknownKeyIsRefusedWithItsLine() throws Exception {
        Path t = file("topology.yaml", "roles:\n  client: [10.2.0.0/16]\nrole:\n  front-end: [10.1.1.0/24]\n");
        assertNames(refusedAnalysis("--topology", t.toString()), t + ":", "unknown key 'role'");
    }

    @Test
    void truncatedJsonTopologyIsRefused() throws Exception {
        Path t = file("topology.json", "{\"roles\": {\"front-end\": [\"10.1.1.0/24\"");
        assertNames(refusedAnalysis("--topology", t.toString()), t.toString(), "malformed YAML");
    }

    @Test
    void emptyTopologyIsRefused() throws Exception {
        Path t = file("topology.yaml", "");
        assertNames(refusedAnalysis("--topology", t.toString()), t.toString(), "empty");
    }

    @Test
    void aliasBombIsRefusedQuickly() throws Exception {
        // "Billion laughs": nine levels of ten aliases each would expand to 10^9 entries.
        StringBuilder y = new StringBuilder("a: &a [\"10.1.1.1\",\"10.1.1.2\",\"10.1.1.3\",\"10.1.1.4\",\"10.1.1.5\"]\n");
        for (char c = 'b'; c <= 'j'; c++) {
            char p = (char) (c - 1);
            y.append(c).append(": &").append(c).append(" [*").append(p);
            for (int i = 1; i < 10; i++) {
                y.append(",*").append(p);
            }
            y.append("]\n");
        }
        y.append("roles:\n  front-end: *j\n");
        Path t = file("topology.yaml", y.toString());
        // Line 2 holds ten aliases of a list; the eleventh is the first of line 3.
        assertNames(refusedAnalysis("--topology", t.toString()), t + ":3:", "more than 10 aliases of lists or mappings");
    }

    /**
     * One long line (a comment, a quoted value): SnakeYAML's reader copies its buffer for every 1,024
     * characters of a token, so 8 MiB took 27 s and 1 GB, 64 MiB over 11 minutes and 6 GB. Refused at
     * its line once it passes 1 Mi characters; a line of just 1 Mi is read.
     */
    @Test
    void aLineOverTheLimitIsRefusedAtItsLineAtOnce() throws Exception {
        String roles = "roles:\n  front-end: [10.1.1.10]\n";
        // Lines as YAML ends them (LF, CR LF, CR alone), none counted in its line; characters as code points.
        String full = "# " + "x".repeat((1 << 20) - 2);
        String emoji = "# " + "\uD83D\uDE00".repeat((1 << 20) - 2); // 2 Mi UTF-16 units, 1 Mi code points
        String crOnly = "roles:\r  front-end: [10.1.1.10]\r" + "# short\r".repeat(300_000); // 2.4 Mi characters, no LF
        for (String content : List.of(roles + full + "\n", roles.replace("\n", "\r\n") + full + "\r\n", roles + emoji + "\n", crOnly)) {
            Path ok = file("topology-ok.yaml", content);
            Run fine = HostileCaptures.run("analyze", SAMPLE, "--topology", ok.toString(), "--format", "jsonl");
            assertEquals(0, fine.status(), fine.err());
        }
        Path crLong = file("topology-cr.yaml", crOnly + "# " + "x".repeat(1 << 20) + "\r");
        assertNames(refusedAnalysis("--topology", crLong.toString()), crLong + ":" + (2 + 300_000 + 1) + ":", "a line longer than");
        for (String longLine : List.of("# " + "x".repeat(16 << 20), "  client: [\"" + "1".repeat(16 << 20) + "\"]")) {
            Path t = file("topology.yaml", roles + longLine + "\n");
            long start = System.nanoTime();
            assertNames(refusedAnalysis("--topology", t.toString()), t + ":3:", "a line longer than 1 Mi characters");
            assertTrue(System.nanoTime() - start < 60_000_000_000L, "refused without reading the line to its end");
        }
    }

    /** SnakeYAML's own size limit is looked at between tokens: 65 MiB of comments after the last entry went through. */
    @Test
    void aFileOverTheSizeLimitIsRefusedEvenWhenItsEndIsComments() throws Exception {
        StringBuilder y = new StringBuilder("roles:\n  front-end: [10.1.1.10]\n");
        String comment = "# " + "c".repeat(1021) + "\n"; // 1 Ki characters a line
        int lines = (65 << 20) / comment.length();
        y.append(comment.repeat(lines));
        Path t = file("topology.yaml", y.toString());
        // 32 characters on lines 1-2, then lines of 1,024: the 64 Mi + 1st character is on line 2 + 65,536.
        assertNames(refusedAnalysis("--topology", t.toString()), t + ":" + (2 + (64 << 10)) + ":", "larger than 64 Mi characters");
    }

    @Test
    void topologyThatIsADirectoryIsRefused() throws Exception {
        Path d = Files.createDirectory(dir.resolve("topology.d"));
        assertNames(refusedAnalysis("--topology", d.toString()), d.toString(), "not a regular file");
    }

    // ---- catalog ----

    private Path catalog(String port, String dst) throws Exception {
        return file("catalog.yaml", "rules:\n  - id: local-sip\n    src: [client]\n    dst: [" + dst + "]\n    transport: tcp\n"
                + "    port: " + port + "\n    protocol: tls\n");
    }

    @Test
    void catalogPortOutOfRangeIsRefusedWithItsLine() throws Exception {
        for (String port : List.of("65536", "70000", "-1", "5063-5061", "49152-65536", "99999999999")) {
            Path c = catalog(port, "front-end");
            String line = refusedAnalysis("--catalog", c.toString());
            assertNames(line, c + ":6:", port);
            assertNames(refused("catalog", "--catalog", c.toString()), c + ":6:");
        }
    }

    @Test
    void catalogRuleNamingAnUnknownRoleIsRefusedWithItsLine() throws Exception {
        Path c = catalog("5061", "front-ends");
        assertNames(refusedAnalysis("--catalog", c.toString()), c + ":4:", "unknown role 'front-ends'");
    }

    @Test
    void catalogWrittenWithTheJsonOutputsNamesIsToldSoAndTheKeysComeInAFixedOrder() throws Exception {
        // `portmatrix catalog --format json` writes "citation"; a catalog file cites with "cite" (catalog.yaml's shape).
        Path c = file("catalog.yaml", "rules:\n  - id: local-sip\n    src: [client]\n    dst: [front-end]\n    transport: tcp\n"
                + "    port: 5061\n    protocol: tls\n    citation: {document: mine, table: t, row: 1}\n");
        String expected = c + ":8: unknown key 'citation' in a rule (expected one of [id, src, dst, transport, port, protocol, service,"
                + " note, reading, cite]); a catalog file has catalog.yaml's keys, not the names of `portmatrix catalog --format json`";
        assertTrue(refused("catalog", "--catalog", c.toString()).endsWith(expected), "in the same words at every run: " + expected);
        assertTrue(refusedAnalysis("--catalog", c.toString()).endsWith(expected));
    }

    @Test
    void catalogWithAnUnclosedQuoteIsMalformedYaml() throws Exception {
        Path c = file("catalog.yaml", "rules:\n  - id: \"local-sip\n    src: [client]\n");
        assertNames(refusedAnalysis("--catalog", c.toString()), c.toString(), "malformed YAML");
    }

    @Test
    void catalogThatDoesNotExistIsNamed() throws Exception {
        Path c = dir.resolve("no-such-catalog.yaml");
        assertNames(refusedAnalysis("--catalog", c.toString()), c.toString(), "no such file");
    }

    // ---- output ----

    @Test
    void outputIntoADirectoryThatDoesNotExistIsRefusedBeforeAnyWork() throws Exception {
        Path out = dir.resolve("missing").resolve("flows.jsonl");
        assertNames(refused("analyze", SAMPLE, "--format", "jsonl", "--output", out.toString()), out.toString());
        assertFalse(Files.exists(out.getParent()));
    }

    @Test
    void outputUnderARegularFileIsRefused() throws Exception {
        Path notADir = file("plain.txt", "a file, not a directory\n");
        Path out = notADir.resolve("flows.jsonl");
        assertNames(refused("analyze", SAMPLE, "--format", "jsonl", "--output", out.toString()), out.toString());
        assertEquals("a file, not a directory\n", Files.readString(notADir));
    }

    @Test
    void outputThatIsADirectoryIsRefusedAndTheDirectoryKept() throws Exception {
        Path out = Files.createDirectory(dir.resolve("flows.jsonl"));
        Files.writeString(out.resolve("keep.txt"), "kept");
        assertNames(refused("analyze", SAMPLE, "--format", "jsonl", "--output", out.toString()), out.toString());
        assertEquals("kept", Files.readString(out.resolve("keep.txt")));
    }

    @Test
    void reportDirectoryUnderARegularFileIsRefused() throws Exception {
        Path notADir = file("plain.txt", "a file\n");
        Path reports = notADir.resolve("reports");
        assertNames(refused("analyze", SAMPLE, "--report-dir", reports.toString()), reports.toString());
    }

    @Test
    void aReportInTheDirectoryThatIsADirectoryIsNamedItself() throws Exception {
        // It said "rdy: cannot write reports: Is a directory", naming the directory that was fine.
        Path reports = dir.resolve("rdy");
        Files.createDirectories(reports.resolve("report.html"));
        String line = refused("analyze", SAMPLE, "--report-dir", reports.toString());
        assertEquals("portmatrix: " + reports.resolve("report.html") + ": cannot write the report: is a directory", line);
    }

    @Test
    void extractIntoADirectoryThatDoesNotExistIsRefused() throws Exception {
        Path extract = dir.resolve("missing").resolve("flagged.pcap");
        assertNames(refused("analyze", SAMPLE, "--topology", TOPOLOGY, "--extract", extract.toString()), extract.toString());
    }

    @Test
    void aRefusedSecondCaptureLeavesNoOutputOfTheFirst() throws Exception {
        Path bad = file("notes.pcap", "these are my notes, not a capture\n");
        Path out = dir.resolve("flows.jsonl");
        Path reports = dir.resolve("reports");
        String line = refused("analyze", SAMPLE, bad.toString(), "--format", "jsonl", "--output", out.toString());
        assertNames(line, bad.toString(), "offset 0");
        refused("analyze", SAMPLE, bad.toString(), "--report-dir", reports.toString());
    }

    @Test
    void anExistingOutputFileIsKeptWhenTheRunIsRefused() throws Exception {
        Path out = file("flows.jsonl", "the previous report\n");
        Path t = file("topology.yaml", "roles:\n  front-end: [10.1.1.0/33]\n");
        refused("analyze", SAMPLE, "--topology", t.toString(), "--format", "jsonl", "--output", out.toString());
        assertEquals("the previous report\n", Files.readString(out), "the old report is not truncated by a refused run");
    }
}
