package org.portmatrix.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.flow.FlowConfig;

/**
 * A flood of distinct flows (a SYN scan: {@value #PACKETS} packets, every one a new flow) runs in
 * bounded memory at the default flow-table capacity, and the flows the table had to close early are
 * counted and reported.
 *
 * <p>The bound: the whole analysis runs in a child JVM limited to a {@value #HEAP_MIB} MiB heap
 * ({@code -Xmx}, with {@code -XX:+ExitOnOutOfMemoryError}), the way a user runs
 * {@code portmatrix analyze}. It must finish with status 0; its GC log gives the largest heap in use
 * after a collection, which the test reports and checks against the bound. {@link SynScan} generates
 * the scan on the fly into the child's standard input (read as {@code /dev/stdin}, a pipe): 760 MB
 * of pcap that never touch the disk. The text report aggregates (it keeps no record per flow), so
 * its output stays small; its counters must say that {@code PACKETS - capacity} flows were closed
 * early.
 */
class FlowFloodTest {
    static final long PACKETS = 10_000_000L;
    static final int HEAP_MIB = 1024;
    /** Generous: the run takes about a minute on 2 cores; a hang must still end. */
    static final long TIMEOUT_MINUTES = 10;
    private static final Pattern GC_AFTER = Pattern.compile("->(\\d+)M\\(");

    @TempDir
    Path dir;

    @Test
    void tenMillionDistinctFlowsRunInOneGibibyteOfHeapWithTheEarlyEvictionsCounted() throws Exception {
        long packets = Long.getLong("flood.packets", PACKETS);
        Path target = Files.createDirectories(Path.of("target", "flood"));
        Path report = target.resolve("report.txt");
        Path stderr = target.resolve("stderr.txt");
        Path gcLog = target.resolve("gc.log");
        Files.deleteIfExists(report);
        Path topology = dir.resolve("topology.yaml");
        Files.writeString(topology, "roles:\n  client: [10.2.0.0/16]\n  front-end: [10.1.0.0/16]\n");

        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + HEAP_MIB + "m", "-XX:+ExitOnOutOfMemoryError", "-Xlog:gc:file=" + gcLog,
                "-cp", System.getProperty("java.class.path"), "org.portmatrix.cli.Main",
                "analyze", "/dev/stdin", "--topology", topology.toString(), "--format", "text", "--output", report.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(stderr.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        long started = System.nanoTime();
        Process p = pb.start();
        Thread feeder = new Thread(() -> {
            try (OutputStream in = p.getOutputStream(); SynScan scan = new SynScan(packets)) {
                scan.transferTo(in);
            } catch (java.io.IOException e) {
                // the child stopped reading: its status and stderr say why
            }
        }, "syn-scan feeder");
        feeder.setDaemon(true);
        feeder.start();
        if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("the flood did not finish in " + TIMEOUT_MINUTES + " minutes");
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        String err = Files.readString(stderr);
        assertFalse(err.contains("OutOfMemoryError"), err);
        assertEquals(0, p.exitValue(), "status of the flood run: " + err);

        String text = Files.readString(report);
        long capacity = FlowConfig.DEFAULT_CAPACITY;
        assertEquals(packets, number(text, "flows (\\S+) \\(peak open"), "every packet a flow");
        assertEquals(capacity, number(text, "\\(peak open (\\S+)\\)"), "the table held its capacity at its peak");
        assertEquals(packets - capacity, number(text, "closed early because the flow table was full (\\S+)"),
                "every flow beyond the capacity closed early, and counted");
        assertTrue(text.length() < 1 << 20, "the text report aggregates: " + text.length() + " bytes");

        long peakMib = 0;
        for (String line : Files.readAllLines(gcLog)) {
            Matcher m = GC_AFTER.matcher(line);
            if (m.find()) {
                peakMib = Math.max(peakMib, Long.parseLong(m.group(1)));
            }
        }
        System.out.printf("flow flood: %,d packets (distinct flows) in %.1f s, %.2f M packets/s; largest heap after GC %d MiB "
                + "(bound %d MiB); %,d flows closed early%n", packets, seconds, packets / seconds / 1e6, peakMib, HEAP_MIB,
                packets - capacity);
        assertTrue(peakMib > 0 && peakMib < HEAP_MIB, "largest heap after GC " + peakMib + " MiB");
    }

    @Test
    void everyFlowClosedEarlyIsMarkedEvictedInItsRecord() throws Exception {
        int packets = 20_000;
        int capacity = 1_000;
        Path scan = dir.resolve("scan.pcap");
        try (OutputStream out = Files.newOutputStream(scan); SynScan gen = new SynScan(packets)) {
            gen.transferTo(out);
        }
        HostileCaptures.Run r = HostileCaptures.run("analyze", scan.toString(), "--no-infer", "--format", "jsonl",
                "--flow-capacity", String.valueOf(capacity));
        assertEquals(0, r.status(), r.err());
        String[] lines = r.out().split("\n");
        assertEquals(packets, lines.length, "one record per flow");
        long evicted = java.util.Arrays.stream(lines).filter(l -> l.contains("\"end\":\"evicted\"")).count();
        long atEnd = java.util.Arrays.stream(lines).filter(l -> l.contains("\"end\":\"capture_end\"")).count();
        assertEquals(packets - capacity, evicted, "flows closed early because the table was full");
        assertEquals(capacity, atEnd, "the flows still open at the end of the capture");
        assertTrue(r.err().replace(",", "").contains("flows closed early " + (packets - capacity)), r.err());
    }

    /** A number of the report (digits with thousands separators) captured by the pattern's group 1. */
    private static long number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), "'" + regex + "' in the report:\n" + text);
        return Long.parseLong(m.group(1).replace(",", ""));
    }
}
