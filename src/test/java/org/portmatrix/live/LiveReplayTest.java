package org.portmatrix.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code portmatrix live} on one end of a veth pair in a namespace of the test's own, tcpreplay
 * writing real captures onto the other end at fixed rates: what the live tool reports must equal
 * the offline analysis of the same file, every packet it received must be accounted for, and a
 * SIGINT in the middle of a replay must still leave a complete final report.
 */
class LiveReplayTest {
    @TempDir
    Path dir;

    @Test
    void sampleReplayGivesTheOfflineVerdicts() throws Exception {
        replayAndCompare(Workload.SAMPLE, Workload.SAMPLE_TOPOLOGY, Workload.SAMPLE_PACKETS, 1000);
    }

    @Test
    void workloadCutReplayGivesTheOfflineVerdicts() throws Exception {
        Path[] mix = Workload.mixCut();
        replayAndCompare(mix[0], mix[1], Workload.MIX_PACKETS, 10_000);
    }

    private void replayAndCompare(Path pcap, Path topology, int packets, int pps) throws Exception {
        Path flows = dir.resolve("flows.jsonl");
        Path reports = dir.resolve("report");
        try (Netns ns = Netns.create();
                LiveProcess live = LiveProcess.start(ns, dir.resolve("run"), "--topology", topology.toString(), "--format", "jsonl",
                        "--output", flows.toString(), "--report-dir", reports.toString(), "--report-every", "1")) {
            live.awaitCapturing();
            String replay = ns.replay(pcap, pps, 1);
            assertEquals(packets, Netns.successfulPackets(replay), replay);
            live.awaitSummary(reports, s -> s.path("capture").path("analyzed").asLong() >= packets, 60);
            live.signal("TERM");
            assertEquals(128 + 15, live.awaitExit(60), live.stderrText());
            JsonNode s = live.summary(reports);
            JsonNode cap = s.path("capture");
            assertTrue(s.path("final").asBoolean(), s.toString());
            assertEquals("signal", s.path("stopped_by").asText());
            assertEquals(packets, cap.path("received").asLong(), "every replayed frame reached the tool: " + cap);
            assertEquals(cap.path("received").asLong(), cap.path("analyzed").asLong() + cap.path("dropped_in_tool").asLong(), cap.toString());
            assertEquals(0, cap.path("dropped_in_tool").asLong(), cap.toString());
            assertEquals(0, cap.path("kernel_dropped").asLong(), cap.toString());
            assertEquals(packets, cap.path("kernel_received").asLong(), cap.toString());
            assertEquals(0, s.path("upstream_loss").path("gap_events").asLong(), "nothing was lost before the tool: " + s);

            List<JsonNode> live_ = Workload.jsonLines(List.of(flows));
            List<JsonNode> offline = Workload.offline(pcap, topology);
            assertEquals(offline.size(), live_.size());
            assertEquals(Workload.verdictKeys(offline), Workload.verdictKeys(live_));
            assertEquals(offline.size(), s.path("flows").path("closed").asLong());
            assertEquals(0, s.path("flows").path("open").asLong());
        }
    }

    @Test
    void sigintDuringReplayStillWritesACompleteFinalReport() throws Exception {
        Path[] mix = Workload.mixCut();
        Path flows = dir.resolve("flows.jsonl");
        Path reports = dir.resolve("report");
        try (Netns ns = Netns.create();
                LiveProcess live = LiveProcess.start(ns, dir.resolve("run"), "--topology", mix[1].toString(), "--format", "jsonl",
                        "--output", flows.toString(), "--rotate-size", "0.05", "--report-dir", reports.toString(), "--report-every", "1")) {
            live.awaitCapturing();
            Process replay = ns.replayInBackground(mix[0], 5000, 1, dir.resolve("tcpreplay.txt"));
            try {
                live.awaitSummary(reports, s -> s.path("capture").path("received").asLong() >= 10_000, 60);
                assertTrue(replay.isAlive(), "the replay is still going when the tool is interrupted");
                live.signal("INT");
                assertEquals(128 + 2, live.awaitExit(60), live.stderrText());
            } finally {
                replay.destroy();
                replay.waitFor();
            }
            JsonNode s = live.summary(reports);
            JsonNode cap = s.path("capture");
            assertTrue(s.path("final").asBoolean(), s.toString());
            assertEquals("signal", s.path("stopped_by").asText());
            long received = cap.path("received").asLong();
            assertTrue(received >= 10_000 && received < Workload.MIX_PACKETS, cap.toString());
            assertEquals(received, cap.path("analyzed").asLong() + cap.path("dropped_in_tool").asLong(), cap.toString());
            assertEquals(0, cap.path("queued").asLong());
            assertEquals(received, s.path("packets").path("read").asLong());

            // Every flow was closed and written, across the rotated files, as whole lines.
            List<Path> parts;
            try (Stream<Path> files = Files.list(dir)) {
                parts = files.filter(p -> p.getFileName().toString().startsWith("flows.jsonl")).sorted().toList();
            }
            assertTrue(parts.size() > 1, "--rotate-size 0.05 rotated the flow lines: " + parts);
            List<JsonNode> records = Workload.jsonLines(parts);
            JsonNode f = s.path("flows");
            assertEquals(0, f.path("open").asLong());
            assertEquals(f.path("created").asLong(), f.path("closed").asLong());
            assertEquals(f.path("closed").asLong(), records.size());
            long packets = 0;
            Map<String, Long> verdicts = new HashMap<>();
            for (JsonNode r : records) {
                packets += r.path("packets_fwd").asLong() + r.path("packets_rev").asLong();
                verdicts.merge(r.path("verdict").asText(), 1L, Long::sum);
            }
            assertEquals(s.path("packets").path("decoded").asLong(), packets, "every decoded packet is in a written flow");
            List<String> counted = new ArrayList<>();
            s.path("verdicts").fields().forEachRemaining(e -> {
                if (e.getValue().asLong() > 0) {
                    counted.add(e.getKey() + "=" + e.getValue().asLong());
                }
            });
            List<String> fromLines = verdicts.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
            assertEquals(counted.stream().sorted().toList(), fromLines.stream().sorted().toList());
            String text = Files.readString(reports.resolve("summary.txt"));
            assertTrue(text.contains("final report (signal)"), text);
            String html = Files.readString(reports.resolve("report.html"));
            assertTrue(html.contains("</html>"), "the final HTML report is complete");
            try (Stream<Path> files = Files.list(reports)) {
                assertEquals(List.of(), files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList(),
                        "no temporary file is left behind");
            }
        }
    }
}
