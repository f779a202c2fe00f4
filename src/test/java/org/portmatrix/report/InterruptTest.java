package org.portmatrix.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.portmatrix.report.ReportTests.SAMPLE;
import static org.portmatrix.report.ReportTests.TOPOLOGY;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A signal (SIGTERM here; Ctrl-C's SIGINT takes the same path) in the middle of {@code analyze}: the
 * read stops, the flows read so far are reported in full, the reports and the summary say where the
 * read stopped, and the JVM exits with 128 + the signal. The capture comes through a FIFO that this test keeps feeding (the sample's packets again
 * and again, ten seconds later each time), so the signal lands in the middle of the read.
 */
class InterruptTest {
    /** Bytes fed before the signal: the FIFO holds 64 KiB, so the tool has read nearly all of them. */
    private static final long BEFORE_SIGNAL = 8 << 20;

    @TempDir
    Path dir;

    @Test
    void aSignalDuringTheReadStillWritesTheReportsOfWhatWasRead() throws Exception {
        Path fifo = dir.resolve("capture.pcap");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mk.waitFor());
        Path json = dir.resolve("flows.jsonl");
        Path reports = dir.resolve("reports");
        Path err = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:-UsePerfData",
                "-cp", System.getProperty("java.class.path"), "org.portmatrix.cli.Main", "analyze", fifo.toString(), "--topology", TOPOLOGY,
                "--format", "jsonl", "--output", json.toString(), "--report-dir", reports.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
        AtomicLong fed = new AtomicLong();
        Thread feeder = new Thread(() -> feed(fifo, fed), "fifo-feeder");
        feeder.setDaemon(true);
        feeder.start();
        try {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (fed.get() < BEFORE_SIGNAL && p.isAlive() && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            assertTrue(p.isAlive(), "analyze ended before the signal: " + Files.readString(err));
            assertTrue(fed.get() >= BEFORE_SIGNAL, "the FIFO was not read: " + Files.readString(err));
            // SIGTERM, not SIGINT: a process started in the background by a shell that is not interactive (a CI
            // job's) ignores SIGINT from birth, and the JVM then leaves it ignored. Both signals take the same path.
            assertEquals(0, new ProcessBuilder("sh", "-c", "kill -TERM " + p.pid()).start().waitFor()); // the shell's own kill
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "analyze did not end after SIGTERM");
        } finally {
            p.destroyForcibly();
        }
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertEquals(128 + 15, p.exitValue(), stderr);
        assertTrue(stderr.contains("portmatrix: stopped by SIGTERM after "), stderr);
        assertTrue(stderr.contains("; writing the reports of what was read"), stderr);

        Matcher read = Pattern.compile("packets read ([0-9,]+), not decoded ([0-9,]+)").matcher(stderr);
        assertTrue(read.find(), stderr);
        long packets = Long.parseLong(read.group(1).replace(",", ""));
        long notDecoded = Long.parseLong(read.group(2).replace(",", ""));
        assertTrue(packets * 1500 >= BEFORE_SIGNAL - (64 << 10), "about as many packets as were fed: " + packets);
        assertTrue(stderr.contains("interrupted: stopped by SIGTERM after " + String.format(java.util.Locale.ROOT, "%,d", packets)
                + " packets, at " + fifo + " offset "), stderr);

        // Every decoded packet read before the signal is in a reported flow, in both JSON lines files.
        for (Path f : List.of(json, reports.resolve(ReportSet.DIR_JSONL))) {
            long inFlows = 0;
            for (JsonNode r : ReportTests.jsonLines(f)) {
                inFlows += r.path("packets_fwd").asLong() + r.path("packets_rev").asLong();
            }
            assertEquals(packets - notDecoded, inFlows, f.toString());
        }
        assertTrue(Files.readString(reports.resolve(ReportSet.DIR_HTML)).contains("interrupted: stopped by SIGTERM"));
        assertTrue(Files.readString(reports.resolve(ReportSet.DIR_TEXT)).contains("interrupted: stopped by SIGTERM"));
        try (var files = Files.list(reports)) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList(), "no temporary file left");
        }
    }

    /**
     * A signal once every packet was read, while the report is written (an HTML page of 150 KB into a pipe this test reads
     * one byte of, then the rest once the signal is sent; the 15 captures of captures/inspect): the report is whole and says no interruption, and the exit
     * status is the signal's, as the JVM gives it; stderr says which, last. It had said nothing: a 143 with reports that
     * name no interruption, which a script takes for a part of the input.
     */
    @Test
    void aSignalAfterTheReadSaysTheReportsAreWhole() throws Exception {
        Path err = dir.resolve("stderr.txt");
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:-UsePerfData", "-cp", System.getProperty("java.class.path"), "org.portmatrix.cli.Main", "analyze",
                "--topology", "captures/inspect/inspect-topology.yaml", "--format", "html"));
        try (java.util.stream.Stream<Path> files = Files.list(Path.of("captures/inspect"))) {
            files.filter(f -> f.toString().endsWith(".pcap")).sorted().forEach(f -> command.add(f.toString()));
        }
        Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
        byte[] page;
        try {
            // The page is written after the read (by the run's end), and is larger than the pipe: its first byte is there
            // once the read is over, and the rest waits for this test.
            int first = p.getInputStream().read();
            assertEquals('<', first, Files.readString(err));
            assertEquals(0, new ProcessBuilder("sh", "-c", "kill -TERM " + p.pid()).start().waitFor());
            page = p.getInputStream().readAllBytes();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), Files.readString(err));
        } finally {
            p.destroyForcibly();
        }
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertEquals(128 + 15, p.exitValue(), stderr);
        String html = new String(page, StandardCharsets.UTF_8);
        assertTrue(page.length > 100_000 && html.endsWith("</html>\n"), "the whole page: " + page.length + " bytes");
        assertFalse(html.contains("interrupted"), html);
        assertFalse(stderr.contains("interrupted:"), stderr);
        assertTrue(stderr.startsWith("portmatrix: 70 flows, 1,293 packets in captures/inspect/"), stderr);
        String[] lines = stderr.strip().split("\n");
        assertEquals("portmatrix: stopped by SIGTERM after the read was over: every packet was read and reported (the exit status is"
                + " the signal's all the same)", lines[lines.length - 1], stderr);
    }

    /**
     * JSON lines into a pipe whose reader goes away after its first bytes (as with {@code | head}):
     * with nothing left to write, the read stops instead of going on for the summary alone (here the
     * FIFO would feed it forever), the summary says so on stderr, then the failure, exit status 2.
     */
    @Test
    void aReaderThatGoesAwayStopsTheRead() throws Exception {
        Path fifo = dir.resolve("capture.pcap");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        Path err = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:-UsePerfData",
                "-cp", System.getProperty("java.class.path"), "org.portmatrix.cli.Main", "analyze", fifo.toString(), "--topology", TOPOLOGY,
                "--format", "jsonl").redirectError(err.toFile()).start();
        AtomicLong fed = new AtomicLong();
        Thread feeder = new Thread(() -> feed(fifo, fed), "fifo-feeder");
        feeder.setDaemon(true);
        feeder.start();
        try {
            byte[] first = p.getInputStream().readNBytes(100);
            assertEquals(100, first.length, Files.readString(err));
            assertEquals('{', first[0]);
            p.getInputStream().close(); // the reader goes away
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the read went on: " + Files.readString(err));
        } finally {
            p.destroyForcibly();
        }
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertEquals(2, p.exitValue(), stderr);
        assertTrue(stderr.contains("interrupted: stopped with no output left to write after "), stderr);
        String[] lines = stderr.strip().split("\n");
        assertEquals("portmatrix: standard output: cannot write (a full disk or a closed pipe); the report is incomplete",
                lines[lines.length - 1], stderr);
    }

    /**
     * A capture piped from a writer that has gone quiet (tcpdump on an idle link, signalled alone): the
     * read is blocked on the pipe and cannot see the signal at a stretch's end. It is woken, and every
     * packet read before the signal is reported, as for a file; before, the JVM exited after 5 s
     * with no report and not a word (and the set-up had waited for 128 KiB of the pipe before that).
     */
    @Test
    void aReadBlockedOnAQuietPipeIsWokenAndWhatWasReadIsReported() throws Exception {
        Path json = dir.resolve("flows.jsonl");
        byte[] pcap = Files.readAllBytes(Path.of(SAMPLE));
        String stderr = signalledOnAQuietStandardInput(json, stdin -> stdin.write(pcap));
        ByteBuffer r = ByteBuffer.wrap(pcap).order(ByteOrder.LITTLE_ENDIAN);
        int last = 24;
        for (int at = 24; at < pcap.length; at += 16 + r.getInt(at + 8)) {
            last = at;
        }
        assertTrue(stderr.contains("interrupted: stopped by SIGTERM after 182 packets, at (standard input) offset "
                + last + ": the packets after it were not read"), "the last packet's record: " + stderr);
        long inFlows = 0;
        List<JsonNode> flows = ReportTests.jsonLines(json);
        for (JsonNode f : flows) {
            inFlows += f.path("packets_fwd").asLong() + f.path("packets_rev").asLong();
        }
        assertEquals(182, inFlows, "every packet read is in a reported flow");
        assertEquals(10, flows.size());
    }

    /**
     * SIGHUP (the terminal that started the run closing) takes the same path, exit status 129, and the
     * lines name it: they said "stopped by SIGINT or SIGTERM" whichever signal came.
     */
    @Test
    void aSighupIsNamedAndWhatWasReadIsReported() throws Exception {
        Path json = dir.resolve("flows.jsonl");
        byte[] pcap = Files.readAllBytes(Path.of(SAMPLE));
        String stderr = signalledOnAQuietStandardInput(json, stdin -> stdin.write(pcap), "HUP", 1);
        assertTrue(stderr.contains("portmatrix: stopped by SIGHUP after 182 packets, at (standard input) offset "), stderr);
        assertTrue(stderr.contains("interrupted: stopped by SIGHUP after 182 packets, at (standard input) offset "), stderr);
        assertFalse(stderr.contains("SIGTERM") || stderr.contains("SIGINT"), stderr);
        assertEquals(182, packetsInFlows(json), "every packet read is in a reported flow");
    }

    /**
     * The same through gzip: the pipe is read by the thread that inflates ahead, which hands over
     * what it inflated once the pipe brings nothing more, and which the signal ends as well; every
     * packet the pipe brought is reported. (Its wake had been an
     * interrupt, and the interrupted thread died without ending the stream: the read waited until
     * the JVM gave up and nothing was reported.)
     */
    @Test
    void aGzipCaptureOnAQuietPipeIsWokenToo() throws Exception {
        Path json = dir.resolve("flows.jsonl");
        byte[] raw = sampleThirtyTimes(); // 1.4 MB inflated
        String stderr = signalledOnAQuietStandardInput(json, stdin -> {
            java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(stdin, true);
            gz.write(raw);
            gz.flush(); // every byte written so far goes out compressed; the stream stays open, quiet
        });
        // Every packet inflated is read: what the pipe brought is handed over once it brings nothing more (the inflating
        // thread had held it until a MiB was inflated: the first 3,986 packets were read, the rest lost).
        assertTrue(stderr.contains("interrupted: stopped by SIGTERM after 5,460 packets, at (standard input) offset "), stderr);
        assertEquals(5460, packetsInFlows(json), "every packet read is in a reported flow");
    }

    /**
     * The same between two gzip members: the first ended (its trailer sent), the writer quiet before the
     * next (ring-buffer files sent one after another). The signal's closing of the pipe fails the read
     * of the next member's header, which the JDK's gzip stream takes for the end of the stream: the
     * run had ended as if the capture were whole, without the interrupted line.
     */
    @Test
    void aGzipCaptureOnAPipeQuietBetweenTwoMembersIsInterruptedNotEnded() throws Exception {
        Path json = dir.resolve("flows.jsonl");
        byte[] raw = sampleThirtyTimes();
        String stderr = signalledOnAQuietStandardInput(json, stdin -> {
            java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(stdin);
            gz.write(raw);
            gz.finish(); // the member ends, trailer and all; the pipe stays open, quiet before the next one
        });
        assertTrue(stderr.contains("interrupted: stopped by SIGTERM after 5,460 packets, at (standard input) offset "), stderr);
        assertFalse(stderr.contains("damaged"), stderr);
        assertEquals(5460, packetsInFlows(json), "every packet read is in a reported flow");
    }

    /** The sample's global header, then its records 30 times, each 10 s later: 1.4 MB, more than the first chunk the set-up waits for. */
    private static byte[] sampleThirtyTimes() throws IOException {
        byte[] pcap = Files.readAllBytes(Path.of(SAMPLE));
        java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
        raw.write(pcap, 0, 24);
        for (int loop = 0; loop < 30; loop++) {
            raw.write(recordsLater(pcap, 10 * loop));
        }
        return raw.toByteArray();
    }

    private static long packetsInFlows(Path json) throws Exception {
        long inFlows = 0;
        for (JsonNode f : ReportTests.jsonLines(json)) {
            inFlows += f.path("packets_fwd").asLong() + f.path("packets_rev").asLong();
        }
        return inFlows;
    }

    /** What is written to the standard input of an {@code analyze -}. */
    private interface Feed {
        void write(OutputStream stdin) throws IOException;
    }

    /**
     * Runs {@code analyze -} into {@code json}, writes {@code feed} to its standard input and keeps the
     * pipe open, quiet; once the set-up is over (the output's temporary file is made beside it) and the
     * read has had 2 s, sends SIGTERM. Returns standard error, the exit status checked (143).
     */
    private String signalledOnAQuietStandardInput(Path json, Feed feed) throws Exception {
        return signalledOnAQuietStandardInput(json, feed, "TERM", 15);
    }

    /** The same with the signal {@code signal} (its number {@code number}: the exit status is 128 + it). */
    private String signalledOnAQuietStandardInput(Path json, Feed feed, String signal, int number) throws Exception {
        Path err = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:-UsePerfData",
                "-cp", System.getProperty("java.class.path"), "org.portmatrix.cli.Main", "analyze", "-", "--topology", TOPOLOGY,
                "--format", "jsonl", "--output", json.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
        OutputStream stdin = p.getOutputStream();
        try {
            feed.write(stdin);
            stdin.flush();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (p.isAlive() && System.nanoTime() < until && !temporaryFileIn(dir)) {
                Thread.sleep(10);
            }
            assertTrue(temporaryFileIn(dir), "the set-up did not end: " + Files.readString(err));
            Thread.sleep(2000);
            assertTrue(p.isAlive(), Files.readString(err));
            assertEquals(0, new ProcessBuilder("sh", "-c", "kill -" + signal + " " + p.pid()).start().waitFor());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "analyze did not end after SIG" + signal);
        } finally {
            p.destroyForcibly();
            stdin.close();
        }
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertEquals(128 + number, p.exitValue(), stderr);
        return stderr;
    }

    private static boolean temporaryFileIn(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".tmp"));
        }
    }

    /** The records of the little-endian pcap {@code pcap} (its global header left out), each {@code seconds} later. */
    private static byte[] recordsLater(byte[] pcap, int seconds) {
        byte[] records = java.util.Arrays.copyOfRange(pcap, 24, pcap.length);
        ByteBuffer r = ByteBuffer.wrap(records).order(ByteOrder.LITTLE_ENDIAN);
        for (int at = 0; at < records.length; at += 16 + r.getInt(at + 8)) {
            r.putInt(at, r.getInt(at) + seconds);
        }
        return records;
    }

    /** The sample's global header, then its records again and again, ten seconds later each time, until the reader goes away. */
    private static void feed(Path fifo, AtomicLong fed) {
        try {
            byte[] pcap = Files.readAllBytes(Path.of(SAMPLE));
            ByteBuffer b = ByteBuffer.wrap(pcap).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(0xa1b2c3d4, b.getInt(0), "a little-endian microsecond pcap");
            try (OutputStream out = Files.newOutputStream(fifo)) {
                out.write(pcap, 0, 24);
                for (int loop = 0; ; loop++) {
                    byte[] records = recordsLater(pcap, 10 * loop);
                    out.write(records);
                    fed.addAndGet(records.length);
                }
            }
        } catch (IOException e) {
            // the reader has gone: the pipe is broken
        }
    }
}
