package org.portmatrix.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A day of captures as a rotating tcpdump leaves it: many small files, plain or gzip, read together
 * in a JVM of {@value #HEAP_MIB} MiB of heap. The merge had kept each finished file's last read
 * chunk (1-2 MiB a file), and chunks were pooled only at their exact size: 1,334 files of 150
 * packets peaked at 627 MiB; gzip files at 2-3 GB for a day, and there the read-ahead thread died of
 * the full heap and the run hung with no report. The same capture named twice is refused: read
 * twice, every count of its flows was doubled without a word.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ManyCapturesTest {
    private static final Path SAMPLE = Path.of("captures/sample.pcap");
    private static final String TOPOLOGY = "captures/sample-topology.yaml";
    /** Far below what the files' chunks held before (182 files: about 200 MiB). */
    private static final int HEAP_MIB = 32;

    @TempDir
    Path dir;

    @Test
    void aCaptureCutIntoAFileAPacketIsReadInBoundedMemoryWithTheSameFlows() throws Exception {
        byte[] pcap = Files.readAllBytes(SAMPLE);
        ByteBuffer b = ByteBuffer.wrap(pcap).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xa1b2c3d4, b.getInt(0), "a little-endian microsecond pcap");
        Path plain = Files.createDirectory(dir.resolve("plain"));
        Path gz = Files.createDirectory(dir.resolve("gz"));
        int files = 0;
        for (int at = 24; at < pcap.length; files++) {
            int next = at + 16 + b.getInt(at + 8);
            byte[] one = new byte[24 + next - at];
            System.arraycopy(pcap, 0, one, 0, 24);
            System.arraycopy(pcap, at, one, 24, next - at);
            String name = String.format("day-%05d.pcap", files);
            Files.write(plain.resolve(name), one);
            try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz.resolve(name + ".gz")))) {
                out.write(one);
            }
            at = next;
        }
        assertEquals(182, files);
        String whole = analyze(SAMPLE.toString());
        String fromPlain = analyze(plain.toString());
        assertEquals(whole, filesLeftOut(fromPlain), "a file a packet: the same flows, byte for byte (but the files they were read from)");
        assertEquals(whole, filesLeftOut(analyze(gz.toString())), "gzip files: the same flows, byte for byte (but their files)");
        assertTrue(fromPlain.startsWith("{") && fromPlain.contains("\"file_first\":\"" + plain.resolve("day-00000.pcap") + "\""), fromPlain);
    }

    /**
     * A directory of captures with files that are none (a README beside the ring buffer, a zero-byte
     * file, a file cut inside its header when tcpdump was killed right after rotating): each is
     * skipped as damage (exit status 3), and every capture in it is read. One such file refused the
     * whole day's run. A file named on the command line is still refused; a directory of nothing but
     * such files too.
     */
    @Test
    void filesOfADirectoryThatAreNoCapturesAreSkippedAsDamage() throws Exception {
        Path day = Files.createDirectory(dir.resolve("day"));
        Files.copy(SAMPLE, day.resolve("ring_00001.pcap"));
        Files.writeString(day.resolve("README.txt"), "mirror of switch port 12\n");
        Files.write(day.resolve("ring_00002.pcap"), new byte[0]);
        Files.write(day.resolve("ring_00003.pcap"), Arrays.copyOf(Files.readAllBytes(SAMPLE), 10));
        HostileCaptures.Run whole = HostileCaptures.run("analyze", SAMPLE.toString(), "--topology", TOPOLOGY, "--format", "jsonl");
        HostileCaptures.Run r = HostileCaptures.run("analyze", day.toString(), "--topology", TOPOLOGY, "--format", "jsonl");
        assertEquals(3, r.status(), r.err());
        assertEquals(whole.out(), filesLeftOut(r.out()), "every flow of the capture in it");
        String inRing = "\"file_first\":\"" + day.resolve("ring_00001.pcap") + "\",\"file_last\":\"" + day.resolve("ring_00001.pcap") + "\"";
        assertTrue(Arrays.stream(r.out().split("\n")).allMatch(l -> l.contains(inRing)), r.out());
        assertTrue(r.err().contains(day.resolve("README.txt") + ": offset 0: not a pcap or pcapng capture (magic 0x6d697272); the file"
                + " was skipped"), r.err());
        assertTrue(r.err().contains(day.resolve("ring_00002.pcap") + ": offset 0: empty file; the file was skipped"), r.err());
        assertTrue(r.err().contains(day.resolve("ring_00003.pcap") + ": offset 0: truncated pcap global header (10 of 24 bytes); the file"
                + " was skipped"), r.err());
        HostileCaptures.Run named = HostileCaptures.run("analyze", SAMPLE.toString(), day.resolve("README.txt").toString(), "--topology",
                TOPOLOGY);
        assertEquals(2, named.status(), named.err());
        Files.delete(day.resolve("ring_00001.pcap"));
        HostileCaptures.Run none = HostileCaptures.run("analyze", day.toString(), "--topology", TOPOLOGY);
        assertEquals(2, none.status(), none.err());
    }

    /**
     * tcpdump -C's files cut between a STUN request and its answer stamped in the same microsecond: the
     * request last in cap.pcap9, the answer first in cap.pcap10. A directory (or a shell's glob) names
     * cap.pcap10 before cap.pcap9, and at the same time the merge took the file given first: the answer
     * was read first, the flow's direction inferred from it. Now the file begun first goes first: the same
     * flows as the packets in one file. (Bytes: the sample's, the answer's time set to the request's.)
     */
    @Test
    void packetsAtTheSameTimeInTwoFilesGoInTheOrderTheFilesWereWritten() throws Exception {
        byte[] pcap = Files.readAllBytes(SAMPLE);
        ByteBuffer b = ByteBuffer.wrap(pcap).order(ByteOrder.LITTLE_ENDIAN);
        int request = 24;
        for (int frame = 1; frame < 57; frame++) {
            request += 16 + b.getInt(request + 8);
        }
        int answer = request + 16 + b.getInt(request + 8);
        assertEquals(3478, Short.toUnsignedInt(b.order(ByteOrder.BIG_ENDIAN).getShort(request + 16 + 14 + 20 + 2)), "frame 57: the STUN request to 3478");
        b.order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(answer, b.getLong(request)); // (seconds and microseconds)
        Path one = dir.resolve("one.pcap");
        Files.write(one, pcap);
        Path ring = Files.createDirectory(dir.resolve("ring"));
        Files.write(ring.resolve("cap.pcap9"), Arrays.copyOf(pcap, answer));
        byte[] rest = new byte[24 + pcap.length - answer];
        System.arraycopy(pcap, 0, rest, 0, 24);
        System.arraycopy(pcap, answer, rest, 24, pcap.length - answer);
        Files.write(ring.resolve("cap.pcap10"), rest);
        HostileCaptures.Run whole = HostileCaptures.run("analyze", one.toString(), "--topology", TOPOLOGY, "--format", "jsonl");
        assertTrue(whole.out().contains("\"src_ip\":\"127.0.10.21\",\"src_port\":50864,\"dst_ip\":\"127.0.3.10\",\"dst_port\":3478,"
                + "\"direction_inferred\":false"), whole.out());
        HostileCaptures.Run r = HostileCaptures.run("analyze", ring.toString(), "--topology", TOPOLOGY, "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        assertEquals(whole.out(), filesLeftOut(r.out()), "the directory: the request first");
        r = HostileCaptures.run("analyze", ring.resolve("cap.pcap10").toString(), ring.resolve("cap.pcap9").toString(), "--topology", TOPOLOGY,
                "--format", "jsonl");
        assertEquals(whole.out(), filesLeftOut(r.out()), "the glob's order: the request first");
    }

    /**
     * tcpdump -C's files given by a shell's glob, which lists cap.pcap10 before cap.pcap2: the summary named
     * them in that order, "cap.pcap, cap.pcap1, cap.pcap10 and 9 more, to cap.pcap9", the last named not the
     * last read; now in the order of their first packets. (The sample cut into 13 files with editcap -r.)
     */
    @Test
    void capturesGivenOneByOneAreNamedInTimeOrder() throws Exception {
        Path day = Files.createDirectory(dir.resolve("tcpdump-C"));
        java.util.List<String> glob = new java.util.ArrayList<>();
        for (int k = 0; k < 13; k++) {
            Path f = day.resolve(k == 0 ? "cap.pcap" : "cap.pcap" + k);
            exec("editcap", "-r", SAMPLE.toString(), f.toString(), (k * 14 + 1) + "-" + (k * 14 + 14));
            glob.add(f.toString());
        }
        java.util.Collections.sort(glob); // (the shell's order)
        assertEquals(day.resolve("cap.pcap10").toString(), glob.get(2));
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("analyze"));
        args.addAll(glob);
        args.addAll(java.util.List.of("--topology", TOPOLOGY, "--format", "jsonl"));
        HostileCaptures.Run r = HostileCaptures.run(args.toArray(String[]::new));
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().startsWith("portmatrix: 10 flows, 182 packets in " + day.resolve("cap.pcap") + ", " + day.resolve("cap.pcap1") + ", "
                + day.resolve("cap.pcap2") + " and 10 more, to " + day.resolve("cap.pcap12") + "\n"), r.err());
    }

    /**
     * A day's captures of two mirror ports kept in a directory each, beside a few files of the day itself:
     * {@code analyze day} read the day's own files alone, without a word of the ports' directories (exit 0,
     * their flows lost). Now a warning names them and the command that reads them; a directory of nothing
     * but such directories names them in its error; a report directory inside is not named.
     */
    @Test
    void subdirectoriesOfCapturesAreNamedAsNotRead() throws Exception {
        Path day = Files.createDirectory(dir.resolve("day"));
        Path portA = Files.createDirectory(day.resolve("portA"));
        Path portB = Files.createDirectory(day.resolve("portB"));
        Path report = Files.createDirectory(day.resolve("report"));
        exec("editcap", "-r", SAMPLE.toString(), day.resolve("own.pcap").toString(), "1-20");
        exec("editcap", "-r", SAMPLE.toString(), portA.resolve("a.pcapng").toString(), "21-100");
        exec("editcap", "-r", SAMPLE.toString(), portB.resolve("b.pcapng").toString(), "101-182");
        Files.writeString(report.resolve("summary.txt"), "portmatrix: 10 flows\n");
        HostileCaptures.Run r = HostileCaptures.run("analyze", day.toString(), "--topology", TOPOLOGY, "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().startsWith("portmatrix: warning: " + day + ": its subdirectories portA, portB are not read (a directory's captures"
                + " are the files in it); to read them too: portmatrix analyze " + day + " " + portA + " " + portB + "\n"), r.err());
        HostileCaptures.Run all = HostileCaptures.run("analyze", day.toString(), portA.toString(), portB.toString(), "--topology", TOPOLOGY,
                "--format", "jsonl");
        assertEquals(0, all.status(), all.err());
        assertFalse(all.err().contains("warning"), all.err());
        assertEquals(HostileCaptures.run("analyze", SAMPLE.toString(), "--topology", TOPOLOGY, "--format", "jsonl").out(), filesLeftOut(all.out()),
                "the three directories: every flow of the sample");
        Files.delete(day.resolve("own.pcap"));
        HostileCaptures.Run none = HostileCaptures.run("analyze", day.toString(), "--topology", TOPOLOGY);
        assertEquals(2, none.status(), none.err());
        assertEquals("portmatrix: " + day + ": directory without capture files; its subdirectories portA, portB are not read (a directory's"
                + " captures are the files in it); to read them: portmatrix analyze " + portA + " " + portB, none.err().strip());
    }

    /**
     * The command a warning of subdirectories not read gives keeps what else was named: {@code analyze day day/portA}
     * was told "to read it too: portmatrix analyze day day/portB", which read portA no more (and warned of it in
     * turn), and {@code analyze day other.pcap} of a day of nothing but the ports' directories "to read them:
     * portmatrix analyze day/portA day/portB", other.pcap left out. Run as said, the command now reads everything.
     */
    @Test
    void theCommandThatReadsSubdirectoriesKeepsTheOtherCapturesNamed() throws Exception {
        Path day = Files.createDirectory(dir.resolve("day"));
        Path portA = Files.createDirectory(day.resolve("portA"));
        Path portB = Files.createDirectory(day.resolve("portB"));
        exec("editcap", "-r", SAMPLE.toString(), day.resolve("own.pcap").toString(), "1-20");
        exec("editcap", "-r", SAMPLE.toString(), portA.resolve("a.pcapng").toString(), "21-100");
        exec("editcap", "-r", SAMPLE.toString(), portB.resolve("b.pcapng").toString(), "101-182");
        HostileCaptures.Run r = HostileCaptures.run("analyze", day.toString(), portA.toString(), "--topology", TOPOLOGY, "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().startsWith("portmatrix: warning: " + day + ": its subdirectory portB is not read (a directory's captures"
                + " are the files in it); to read it too: portmatrix analyze " + day + " " + portB + " " + portA + "\n"), r.err());
        Files.delete(day.resolve("own.pcap"));
        Path other = dir.resolve("other.pcap");
        exec("editcap", "-r", SAMPLE.toString(), other.toString(), "1-20");
        HostileCaptures.Run none = HostileCaptures.run("analyze", day.toString(), other.toString(), "--topology", TOPOLOGY);
        assertEquals(2, none.status(), none.err());
        assertEquals("portmatrix: " + day + ": directory without capture files; its subdirectories portA, portB are not read (a directory's"
                + " captures are the files in it); to read them: portmatrix analyze " + portA + " " + portB + " " + other, none.err().strip());
    }

    /**
     * Links among a day's subdirectories (day/latest -> portA, day/self -> .) were named as subdirectories not read,
     * "to read them too: portmatrix analyze day day/latest day/portA day/self", a command refused as it was given
     * ("day/portA/a.pcapng and day/latest/a.pcapng are the same file", exit 2). Now a link to a subdirectory, to the
     * directory or to what was named is not named again, and the command given reads every flow.
     */
    @Test
    void linksToSubdirectoriesAlreadyNamedAreNotNamedAgain() throws Exception {
        Path day = Files.createDirectory(dir.resolve("day"));
        Path portA = Files.createDirectory(day.resolve("portA"));
        exec("editcap", "-r", SAMPLE.toString(), day.resolve("own.pcap").toString(), "1-20");
        exec("editcap", "-r", SAMPLE.toString(), portA.resolve("a.pcapng").toString(), "21-182");
        Files.createSymbolicLink(day.resolve("latest"), Path.of("portA"));
        Files.createSymbolicLink(day.resolve("self"), Path.of("."));
        HostileCaptures.Run r = HostileCaptures.run("analyze", day.toString(), "--topology", TOPOLOGY, "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().startsWith("portmatrix: warning: " + day + ": its subdirectory portA is not read (a directory's captures"
                + " are the files in it); to read it too: portmatrix analyze " + day + " " + portA + "\n"), r.err());
        HostileCaptures.Run all = HostileCaptures.run("analyze", day.toString(), portA.toString(), "--topology", TOPOLOGY, "--format", "jsonl");
        assertEquals(0, all.status(), all.err());
        assertFalse(all.err().contains("warning"), all.err());
        assertEquals(HostileCaptures.run("analyze", SAMPLE.toString(), "--topology", TOPOLOGY, "--format", "jsonl").out(), filesLeftOut(all.out()));
    }

    /**
     * A report directory in the captures' directory, holding the extract of a run before: {@code analyze day
     * --report-dir day/report --extract day/report/extract.pcap} run a second time warned "its subdirectory report is
     * not read ...; to read it too: portmatrix analyze day day/report", whose command reads the extract's packets a
     * second time with the day's own (every flagged flow's counts doubled). Neither the run's own report directory or
     * extract's, nor a report directory of another run (it holds summary.txt), is named.
     */
    @Test
    void aReportDirectoryHoldingAnExtractIsNotNamedAsCapturesNotRead() throws Exception {
        assertEquals(org.portmatrix.report.ReportSet.DIR_TEXT, org.portmatrix.capture.Captures.REPORT_FILE, "what marks a report directory");
        Path day = Files.createDirectory(dir.resolve("day"));
        exec("editcap", "-r", SAMPLE.toString(), day.resolve("a.pcap").toString(), "1-90");
        exec("editcap", "-r", SAMPLE.toString(), day.resolve("b.pcap").toString(), "91-182");
        Path report = day.resolve("report");
        for (int run = 0; run < 2; run++) {
            HostileCaptures.Run r = HostileCaptures.run("analyze", day.toString(), "--topology", TOPOLOGY, "--report-dir", report.toString(),
                    "--extract", report.resolve("extract.pcap").toString());
            assertEquals(0, r.status(), r.err());
            assertFalse(r.err().contains("warning"), "run " + run + ": " + r.err());
        }
        assertTrue(Files.size(report.resolve("extract.pcap")) > 24, "an extract with packets");
        HostileCaptures.Run r = HostileCaptures.run("analyze", day.toString(), "--topology", TOPOLOGY, "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        assertFalse(r.err().contains("warning"), "another run's report directory: " + r.err());
        Path flagged = Files.createDirectory(day.resolve("flagged"));
        Files.copy(report.resolve("extract.pcap"), flagged.resolve("monday.pcap"));
        r = HostileCaptures.run("analyze", day.toString(), "--topology", TOPOLOGY, "--format", "jsonl", "--extract",
                flagged.resolve("tuesday.pcap").toString());
        assertEquals(0, r.status(), r.err());
        assertFalse(r.err().contains("warning"), "the extract's own directory: " + r.err());
    }

    /**
     * A Network Monitor capture (what a Windows server's administrator records) among the day's files, or named:
     * named as such with the conversion that reads it, and the conversion it names, run as said, gives the flows
     * of the packets it holds. It was "not a pcap or pcapng capture (magic 0x474d4255)".
     */
    @Test
    void aNetworkMonitorCaptureIsNamedWithTheConversionThatReadsIt() throws Exception {
        Path netmon = Path.of("captures/foreign/sample-netmon2.cap");
        String said = ": offset 0: a Microsoft Network Monitor 2.x capture (.cap); not read: convert it with Wireshark's editcap"
                + " (editcap -F pcapng FILE FILE.pcapng)";
        HostileCaptures.Run named = HostileCaptures.run("analyze", netmon.toString(), "--topology", TOPOLOGY);
        assertEquals(2, named.status(), named.err());
        assertEquals("portmatrix: " + netmon + said, named.err().strip());
        Path day = Files.createDirectory(dir.resolve("day"));
        Files.copy(SAMPLE, day.resolve("a.pcap"));
        Files.copy(netmon, day.resolve("b.cap"));
        HostileCaptures.Run mixed = HostileCaptures.run("analyze", day.toString(), "--topology", TOPOLOGY, "--format", "jsonl");
        assertEquals(3, mixed.status(), mixed.err());
        assertTrue(mixed.err().contains(day.resolve("b.cap") + said + "; the file was skipped"), mixed.err());
        Path converted = dir.resolve("sample-netmon2.pcapng");
        Path first = dir.resolve("first.pcap");
        assertEquals(0, new ProcessBuilder("editcap", "-F", "pcapng", netmon.toString(), converted.toString()).inheritIO().start().waitFor());
        assertEquals(0, new ProcessBuilder("editcap", "-r", SAMPLE.toString(), first.toString(), "1-4").inheritIO().start().waitFor());
        HostileCaptures.Run read = HostileCaptures.run("analyze", converted.toString(), "--topology", TOPOLOGY, "--format", "jsonl");
        HostileCaptures.Run original = HostileCaptures.run("analyze", first.toString(), "--topology", TOPOLOGY, "--format", "jsonl");
        assertEquals(0, read.status(), read.err());
        assertFalse(read.out().isBlank());
        assertEquals(original.out(), read.out(), "the packets it holds, as the sample's first four");
    }

    @Test
    void aCaptureNamedTwiceIsRefused() throws Exception {
        Path link = Files.createSymbolicLink(dir.resolve("again.pcap"), SAMPLE.toAbsolutePath());
        HostileCaptures.Run r = HostileCaptures.run("analyze", SAMPLE.toString(), link.toString(), "--topology", TOPOLOGY);
        assertEquals(2, r.status(), r.err());
        assertEquals("portmatrix: " + link + " and " + SAMPLE + " are the same file; give each capture once", r.err().strip());
        r = HostileCaptures.run("analyze", SAMPLE.toString(), SAMPLE.toString(), "--topology", TOPOLOGY);
        assertEquals(2, r.status(), r.err());
        assertEquals("portmatrix: " + SAMPLE + ": named twice; give each capture once", r.err().strip());
    }

    /**
     * Captures of the same period from many mirror ports, all open at once from their first packet to their
     * last: 80 files, each holding every 80th packet of the sample (editcap -r), some gzip-compressed, read
     * with an open-files limit of 64 (ulimit -n). They took every descriptor, and the JVM could no longer
     * open its own files: a stack trace ("Error loading java.security file"), exit status 1, no report.
     * Now the files read longest ago let their descriptors go and are opened again where they were: the
     * same flows as the sample, byte for byte.
     */
    @Test
    void capturesOfManyMirrorPortsAreReadWithinTheOpenFilesLimit() throws Exception {
        Path ports = Files.createDirectory(dir.resolve("ports"));
        int n = 80;
        for (int k = 0; k < n; k++) {
            Path f = ports.resolve(String.format("port%02d.pcap", k));
            java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("editcap", "-r", SAMPLE.toString(), f.toString()));
            for (int packet = k + 1; packet <= 182; packet += n) {
                cmd.add(Integer.toString(packet));
            }
            exec(cmd.toArray(String[]::new));
            if (k % 4 == 0) {
                exec("gzip", f.toString());
            }
        }
        Path err = dir.resolve("stderr.txt");
        Path json = dir.resolve("flows.jsonl");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder("bash", "-c", "ulimit -n 64 && exec \"$0\" -XX:-UsePerfData -cp \"$1\" org.portmatrix.cli.Main "
                + "analyze \"$2\" --topology \"$3\" --format jsonl", java, System.getProperty("java.class.path"), ports.toString(), TOPOLOGY)
                .redirectOutput(json.toFile()).redirectError(err.toFile()).start();
        boolean ended = p.waitFor(60, TimeUnit.SECONDS);
        p.destroyForcibly();
        String stderr = Files.readString(err);
        assertTrue(ended, stderr);
        assertEquals(0, p.exitValue(), stderr);
        assertTrue(stderr.startsWith("portmatrix: 10 flows, 182 packets in " + ports + "\n") && !stderr.contains("Exception")
                && !stderr.contains("damage"), "the summary alone: " + stderr);
        assertEquals(analyze(SAMPLE.toString()), filesLeftOut(Files.readString(json, StandardCharsets.UTF_8)),
                "the same flows, byte for byte (but the files they were read from)");
    }

    /**
     * JSON lines with the files each flow was read from ({@code file_first}, {@code file_last}, named only when several
     * captures are read) set to null, as a run over one capture has them: the rest must be the same byte for byte.
     */
    static String filesLeftOut(String jsonLines) {
        return jsonLines.replaceAll("\"file_first\":(null|\"(?:[^\"\\\\]|\\\\.)*\"),\"file_last\":(null|\"(?:[^\"\\\\]|\\\\.)*\")",
                "\"file_first\":null,\"file_last\":null");
    }

    private static void exec(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
    }

    /** JSON lines of {@code capture} from a JVM of {@link #HEAP_MIB} MiB of heap, which must end with status 0. */
    private String analyze(String capture) throws IOException, InterruptedException {
        Path err = dir.resolve("stderr.txt");
        Path json = dir.resolve("flows.jsonl");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + HEAP_MIB + "m",
                "-XX:+UseSerialGC", "-XX:-UsePerfData", "-cp", System.getProperty("java.class.path"), "org.portmatrix.cli.Main",
                "analyze", capture, "--topology", TOPOLOGY, "--format", "jsonl").redirectOutput(json.toFile()).redirectError(err.toFile()).start();
        boolean ended = p.waitFor(50, TimeUnit.SECONDS);
        p.destroyForcibly();
        String stderr = Files.readString(err);
        assertTrue(ended, "analyze " + capture + " did not end (a read waiting for a chunk that never comes): " + stderr);
        String out = Files.readString(json, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), capture + " in " + HEAP_MIB + " MiB: " + stderr);
        assertTrue(Arrays.stream(out.split("\n")).allMatch(l -> l.startsWith("{")), out);
        return out;
    }
}
