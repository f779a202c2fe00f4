package org.portmatrix.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.portmatrix.cli.Runs;

/**
 * What the hostile-capture tests share: the flows written before and after the damage, running
 * the command in-process, and the checks on its answer.
 */
final class HostileCaptures {
    /** Source ports of the flows written before the damage, and after it. */
    static final List<Integer> BEFORE = List.of(40001, 40002);
    static final List<Integer> AFTER = List.of(40003, 40004);
    /** Reading a small capture needs its read buffers (64 KiB chunks) and a little more, never a buffer sized by a length field. */
    static final int READ_HEAP_MIB = 32;

    private HostileCaptures() {}

    /** A TCP handshake (10.0.0.1:40001 -> 10.0.0.2:5061) and a UDP datagram (10.0.0.3:40002 -> 10.0.0.4:3478). */
    static List<byte[]> before() {
        return List.of(
                Frames.tcp("10.0.0.1", 40001, "10.0.0.2", 5061, Frames.SYN, new byte[0]),
                Frames.tcp("10.0.0.2", 5061, "10.0.0.1", 40001, Frames.SYN | Frames.ACK, new byte[0]),
                Frames.tcp("10.0.0.1", 40001, "10.0.0.2", 5061, Frames.ACK, new byte[0]),
                Frames.udp("10.0.0.3", 40002, "10.0.0.4", 3478, Frames.ascii("before the damage")));
    }

    /** A UDP datagram (10.0.0.5:40003 -> 10.0.0.6:3478) and a SYN (10.0.0.7:40004 -> 10.0.0.8:443). */
    static List<byte[]> after() {
        return List.of(
                Frames.udp("10.0.0.5", 40003, "10.0.0.6", 3478, Frames.ascii("after the damage")),
                Frames.tcp("10.0.0.7", 40004, "10.0.0.8", 443, Frames.SYN, new byte[0]));
    }

    static PcapBytes pcapBefore() {
        PcapBytes w = new PcapBytes();
        before().forEach(w::packet);
        return w;
    }

    static PcapBytes after(PcapBytes w) {
        after().forEach(w::packet);
        return w;
    }

    record Run(int status, String out, String err) {
        /** The stderr line naming {@code file} at {@code offset}, or "" if none does. */
        String damageLine(Path file, long offset) {
            String wanted = file + ": offset " + offset + ":";
            for (String line : (err + "\n" + out).split("\n")) {
                if (line.contains(wanted)) {
                    return line;
                }
            }
            return "";
        }

        List<Integer> srcPorts() throws IOException {
            List<Integer> ports = new ArrayList<>();
            ObjectMapper m = new ObjectMapper();
            for (String line : out.split("\n")) {
                if (!line.isBlank()) {
                    JsonNode r = m.readTree(line);
                    ports.add(r.get("src_port").asInt());
                }
            }
            return ports;
        }
    }

    static Run run(String... args) {
        Runs.Ran ran = Runs.main(args);
        Run r = new Run(ran.status(), ran.out(), ran.err());
        assertNoStackTrace(r);
        return r;
    }

    static void assertNoStackTrace(Run r) {
        assertFalse(r.err().contains("Exception") || r.err().contains("\tat ") || r.out().contains("\tat "), r.err());
    }

    /** A topology for the test addresses, so that no inference pass runs. */
    static Path topology(Path dir) throws IOException {
        Path t = dir.resolve("topology.yaml");
        if (!Files.exists(t)) {
            Files.writeString(t, "roles:\n  client: [10.0.0.0/29]\n  front-end: [10.0.0.8/29]\n");
        }
        return t;
    }

    /** Runs the JSON-lines analysis of {@code capture}. */
    static Run jsonl(Path dir, Path capture) throws IOException {
        return run("analyze", capture.toString(), "--topology", topology(dir).toString(), "--format", "jsonl");
    }

    /** Runs the text analysis of {@code capture} (its counters name what could not be decoded). */
    static Run text(Path dir, Path capture) throws IOException {
        return run("analyze", capture.toString(), "--topology", topology(dir).toString(), "--format", "text");
    }

    /**
     * Damaged but read: status 3, the damage named with the file and its offset (and the given
     * words), every flow before it in the output, and, when reading goes on, every flow after it.
     */
    static Run assertDamagedButRead(Path dir, Path capture, long offset, boolean readsOn, String... words) throws IOException {
        Run r = jsonl(dir, capture);
        assertEquals(3, r.status(), "status 3 (damaged but read): " + r.err());
        String line = r.damageLine(capture, offset);
        assertFalse(line.isEmpty(), "the damage is named with its offset " + offset + ": " + r.err());
        for (String w : words) {
            assertTrue(line.toLowerCase(Locale.ROOT).contains(w.toLowerCase(Locale.ROOT)), "'" + w + "' in: " + line);
        }
        List<Integer> ports = r.srcPorts();
        assertTrue(ports.containsAll(BEFORE), "the flows before the damage are reported: " + ports);
        if (readsOn) {
            assertTrue(ports.containsAll(AFTER), "reading went on past the damage: " + ports);
        }
        return r;
    }

    /** Nothing readable: status 2 and one line naming the file (and the given words). */
    static void assertRefused(Path dir, Path capture, String... words) throws IOException {
        Path out = dir.resolve("refused.jsonl");
        Run r = run("analyze", capture.toString(), "--topology", topology(dir).toString(), "--format", "jsonl", "--output", out.toString());
        assertEquals(2, r.status(), r.err());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, "one line: " + r.err());
        assertTrue(lines[0].startsWith("portmatrix: " + capture), r.err());
        for (String w : words) {
            assertTrue(lines[0].toLowerCase(Locale.ROOT).contains(w.toLowerCase(Locale.ROOT)), "'" + w + "' in: " + lines[0]);
        }
        assertFalse(Files.exists(out), "no output file for a refused capture");
    }

    /**
     * A malformed packet is traffic, not damage: status 0, the packet counted under its reason in
     * the counters with the offset of the first such record, the flows before and after reported.
     */
    static void assertCountedAndSkipped(Path dir, Path capture, String reason, long count, long firstOffset) throws IOException {
        Run j = jsonl(dir, capture);
        assertEquals(0, j.status(), j.err());
        List<Integer> ports = j.srcPorts();
        assertTrue(ports.containsAll(BEFORE) && ports.containsAll(AFTER), "flows before and after the bad packet: " + ports);
        Run t = text(dir, capture);
        assertEquals(0, t.status(), t.err());
        String line = "";
        for (String l : t.out().split("\n")) {
            if (l.contains(reason)) {
                line = l.strip();
            }
        }
        assertFalse(line.isEmpty(), "counter '" + reason + "' in:\n" + t.out());
        assertTrue(line.endsWith(" " + count), "count " + count + " in: " + line);
        assertTrue(line.contains(capture + " offset " + firstOffset), "first offset " + firstOffset + " in: " + line);
    }

    /**
     * Reads {@code capture} to its end in a JVM whose heap is {@value #READ_HEAP_MIB} MiB: a buffer
     * sized by a lying length field (hundreds of MiB or GiB) cannot be allocated there.
     */
    static void assertReadInBoundedMemory(Path capture) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + READ_HEAP_MIB + "m", "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
                ReadToEnd.class.getName(), capture.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "reading ended");
        assertEquals(0, p.exitValue(), "read in a " + READ_HEAP_MIB + " MiB heap: " + out);
        assertFalse(out.contains("OutOfMemoryError"), out);
    }
}
