package org.portmatrix.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A steady run: the reference workload cut replayed in a loop at a fixed rate for over two
 * minutes. The live tool samples its heap after a full GC at every report ({@code --heap-sample});
 * after a warm-up (the first loop fills the flow table) the samples must be flat, and the capture
 * thread must allocate nothing per packet.
 */
class LiveSteadyMemoryTest {
    private static final int PPS = 5000;
    /** 13 x 50,000 packets at 5,000 pps: 130 s. */
    private static final int LOOPS = 13;
    private static final long WARM_UP_SECONDS = 30;
    /** Heap-after-GC samples of the steady part may differ by this much at most. */
    private static final long FLAT_BOUND = 4L << 20;
    /** Capture-thread allocation over the steady part, all reasons together (a per-packet object would be megabytes). */
    private static final long CAPTURE_ALLOCATION_BOUND = 256L << 10;

    @TempDir
    Path dir;

    @Test
    void heapStaysFlatOverTwoMinutesAtAFixedRate() throws Exception {
        Path[] mix = Workload.mixCut();
        Path reports = dir.resolve("report");
        try (Netns ns = Netns.create();
                LiveProcess live = LiveProcess.start(ns, dir.resolve("run"), "--topology", mix[1].toString(), "--format", "jsonl",
                        "--output", dir.resolve("flows.jsonl").toString(), "--report-dir", reports.toString(), "--report-every", "5",
                        "--heap-sample",
                        // The HTML table keeps this many flagged flows whole: filled during the warm-up.
                        "--report-flagged", "100")) {
            live.awaitCapturing();
            long start = System.nanoTime();
            String replay = ns.replay(mix[0], PPS, LOOPS);
            long seconds = (System.nanoTime() - start) / 1_000_000_000L;
            assertTrue(seconds >= 120, "a steady run of at least two minutes: " + seconds + " s\n" + replay);
            long sent = Netns.successfulPackets(replay);
            assertTrue(sent > (long) LOOPS * Workload.MIX_PACKETS * 99 / 100, replay);
            // A report written after the last frame, with the queue empty.
            long endedAt = live.summary(reports).path("uptime_seconds").asLong();
            live.awaitSummary(reports, s -> s.path("uptime_seconds").asLong() >= endedAt + 6 && s.path("capture").path("queued").asLong() == 0, 60);
            live.signal("TERM");
            assertEquals(128 + 15, live.awaitExit(60), live.stderrText());

            List<JsonNode> samples = new ArrayList<>();
            ObjectMapper json = new ObjectMapper();
            for (String line : Files.readAllLines(reports.resolve("stats.jsonl"))) {
                JsonNode s = json.readTree(line);
                long up = s.path("uptime_seconds").asLong();
                if (!s.path("final").asBoolean() && up >= WARM_UP_SECONDS && up <= seconds) {
                    samples.add(s);
                }
            }
            assertTrue(samples.size() >= 15, "samples every 5 s over the steady part: " + samples.size());
            long min = Long.MAX_VALUE;
            long max = Long.MIN_VALUE;
            long captureAllocated = 0;
            StringBuilder trace = new StringBuilder();
            for (JsonNode s : samples) {
                long heap = s.path("memory").path("heap_after_gc").asLong();
                assertTrue(heap > 0, s.toString());
                min = Math.min(min, heap);
                max = Math.max(max, heap);
                captureAllocated += s.path("memory").path("capture_thread_allocated_since_last").asLong();
                trace.append(s.path("uptime_seconds").asLong()).append("s ").append(heap).append(" B; ");
            }
            System.out.printf("steady run: %d s at %d pps; heap after GC %d..%d bytes over %d samples; "
                    + "capture thread allocated %d bytes over the steady part%n", seconds, PPS, min, max, samples.size(), captureAllocated);
            assertTrue(max - min <= FLAT_BOUND, "heap after GC flat within " + FLAT_BOUND + " bytes: " + trace);
            long first = samples.get(0).path("memory").path("heap_after_gc").asLong();
            long last = samples.get(samples.size() - 1).path("memory").path("heap_after_gc").asLong();
            assertTrue(last - first <= FLAT_BOUND / 2, "no upward trend: " + trace);
            long packets = samples.get(samples.size() - 1).path("capture").path("received").asLong()
                    - samples.get(0).path("capture").path("received").asLong();
            assertTrue(packets > 300_000, "the steady part carried traffic: " + packets);
            assertTrue(captureAllocated <= CAPTURE_ALLOCATION_BOUND,
                    "the capture thread allocates nothing per packet: " + captureAllocated + " bytes for " + packets + " packets");

            JsonNode fin = live.summary(reports);
            JsonNode cap = fin.path("capture");
            assertEquals(cap.path("received").asLong(), cap.path("analyzed").asLong() + cap.path("dropped_in_tool").asLong(), cap.toString());
            assertEquals(0, cap.path("dropped_in_tool").asLong(), "the tool keeps up at " + PPS + " pps: " + cap);
            assertEquals(0, cap.path("kernel_dropped").asLong(), cap.toString());
            assertEquals(cap.path("kernel_received").asLong(), cap.path("received").asLong(),
                    "every packet the kernel captured reached the tool (wake-ups included): " + cap);
            // A frame that the veth lost after tcpreplay counted it would show as loss before the tool, not here.
            assertTrue(cap.path("received").asLong() <= sent && cap.path("received").asLong() >= sent * 999 / 1000, cap + " of " + sent);
        }
    }
}
