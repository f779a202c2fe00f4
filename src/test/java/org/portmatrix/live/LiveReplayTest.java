package org.portmatrix.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    /** Ended by SIGHUP (the terminal that started it closing): the same final report as SIGTERM, status 129. */
    @Test
    void sampleReplayGivesTheOfflineVerdicts() throws Exception {
        replayAndCompare(Workload.SAMPLE, Workload.SAMPLE_TOPOLOGY, Workload.SAMPLE_PACKETS, 1000, "HUP", 1);
    }

    @Test
    void workloadCutReplayGivesTheOfflineVerdicts() throws Exception {
        Path[] mix = Workload.mixCut();
        replayAndCompare(mix[0], mix[1], Workload.MIX_PACKETS, 10_000, "TERM", 15);
    }

    private void replayAndCompare(Path pcap, Path topology, int packets, int pps, String signal, int signalNumber) throws Exception {
        Path flows = dir.resolve("flows.jsonl");
        Path reports = dir.resolve("report");
        try (Netns ns = Netns.create();
                LiveProcess live = LiveProcess.start(ns, dir.resolve("run"), "--topology", topology.toString(), "--format", "jsonl",
                        "--output", flows.toString(), "--report-dir", reports.toString(), "--report-every", "1")) {
            live.awaitCapturing();
            String replay = ns.replay(pcap, pps, 1);
            assertEquals(packets, Netns.successfulPackets(replay), replay);
            live.awaitSummary(reports, s -> s.path("capture").path("analyzed").asLong() >= packets, 60);
            live.signal(signal);
            assertEquals(128 + signalNumber, live.awaitExit(60), live.stderrText());
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
            assertFalse(s.path("upstream_loss").path("includes_drops_on_this_host").asBoolean(), s.toString());

            List<JsonNode> live_ = Workload.jsonLines(List.of(flows));
            List<JsonNode> offline = Workload.offline(pcap, topology);
            assertEquals(offline.size(), live_.size());
            assertEquals(Workload.verdictKeys(offline), Workload.verdictKeys(live_));
            assertEquals(offline.size(), s.path("flows").path("closed").asLong());
            assertEquals(0, s.path("flows").path("open").asLong());
            assertEquals(0, s.path("flows").path("with_drops_on_this_host").asLong(), "no drops, no flow marked: " + s.path("flows"));
            for (JsonNode r : live_) {
                assertFalse(r.path("drops_on_this_host").asBoolean(), r.toString());
            }
        }
    }

    /**
     * Flow lines that cannot be written (a full disk: /dev/full) stop the capture by themselves: the
     * flows captured until then are closed and counted, the final summary is written, and the
     * failure comes last on stderr, exit status 2. A table of two flows makes the sample's flows
     * close (evicted) while it is replayed.
     */
    @Test
    void anOutputThatCannotBeWrittenStopsTheCaptureWithItsSummary() throws Exception {
        Path reports = dir.resolve("report");
        try (Netns ns = Netns.create();
                LiveProcess live = LiveProcess.start(ns, dir.resolve("run"), "--topology", Workload.SAMPLE_TOPOLOGY.toString(),
                        "--format", "jsonl", "--output", "/dev/full", "--flow-capacity", "2", "--report-dir", reports.toString())) {
            live.awaitCapturing();
            String replay = ns.replay(Workload.SAMPLE, 1000, 1);
            assertEquals(Workload.SAMPLE_PACKETS, Netns.successfulPackets(replay), replay);
            assertEquals(2, live.awaitExit(60), live.stderrText());
            String err = live.stderrText();
            assertTrue(err.contains("portmatrix live: /dev/full: cannot write: No space left on device; stopping the capture"), err);
            String[] lines = err.strip().split("\n");
            assertEquals("portmatrix: /dev/full: cannot write: No space left on device (flows closed after it are counted in the summary,"
                    + " not written)", lines[lines.length - 1], err);
            assertFalse(err.contains("Exception") || err.contains("\tat "), err);
            JsonNode s = live.summary(reports);
            assertTrue(s.path("final").asBoolean(), s.toString());
            assertEquals("output_error", s.path("stopped_by").asText());
            JsonNode f = s.path("flows");
            assertTrue(f.path("evicted_early").asLong() > 0, f.toString());
            assertEquals(0, f.path("open").asLong(), f.toString());
            assertEquals(f.path("created").asLong(), f.path("closed").asLong(), "every flow captured is closed and counted: " + f);
            assertEquals(0, f.path("written").asLong(), "nothing reached /dev/full: " + f);
            assertTrue(Files.readString(reports.resolve("summary.txt")).contains("final report (output_error)"));
        }
    }

    /**
     * A real full disk under --output (a tmpfs of one page): the capture stops with its summary, and the
     * file ends with a whole line, holding exactly the lines counted written; the space freed, a second
     * run appending to the file writes whole lines after them. The line that the full disk cut had been
     * left at the file's end (a JSON reader failed on it), and the next run's first line was glued to it.
     */
    @Test
    void aFullDiskLeavesOnlyWholeLinesAndARunAfterItAppendsWholeLines() throws Exception {
        Path disk = dir.resolve("disk");
        Files.createDirectories(disk);
        Netns.run("mount", "-t", "tmpfs", "-o", "size=4k", "pmtest-full", disk.toString());
        try {
            Path flows = disk.resolve("flows.jsonl");
            Path reports = dir.resolve("report");
            try (Netns ns = Netns.create();
                    LiveProcess live = LiveProcess.start(ns, dir.resolve("run"), "--topology", Workload.SAMPLE_TOPOLOGY.toString(),
                            "--format", "jsonl", "--output", flows.toString(), "--flow-capacity", "2", "--report-dir", reports.toString())) {
                live.awaitCapturing();
                String replay = ns.replay(Workload.SAMPLE, 1000, 1);
                assertEquals(Workload.SAMPLE_PACKETS, Netns.successfulPackets(replay), replay);
                assertEquals(2, live.awaitExit(60), live.stderrText());
                String err = live.stderrText();
                String[] lines = err.strip().split("\n");
                assertEquals("portmatrix: " + flows + ": cannot write: No space left on device (flows closed after it are counted in the"
                        + " summary, not written)", lines[lines.length - 1], err);
                JsonNode f = live.summary(reports).path("flows");
                assertTrue(f.path("closed").asLong() > f.path("written").asLong(), "the disk held only some of the lines: " + f);
                String text = Files.readString(flows);
                assertTrue(text.isEmpty() || text.endsWith("\n"), "the file ends with a whole line: ..." + text.substring(Math.max(0,
                        text.length() - 80)));
                assertEquals(f.path("written").asLong(), Workload.jsonLines(List.of(flows)).size(), "the lines counted written are in the file");
            }
            long before = Workload.jsonLines(List.of(flows)).size();
            Netns.run("mount", "-o", "remount,size=1m", disk.toString()); // the space freed
            try (Netns ns = Netns.create();
                    LiveProcess live = LiveProcess.start(ns, dir.resolve("run2"), "--topology", Workload.SAMPLE_TOPOLOGY.toString(),
                            "--format", "jsonl", "--output", flows.toString(), "--duration", "6")) {
                live.awaitCapturing();
                String replay = ns.replay(Workload.SAMPLE, 1000, 1);
                assertEquals(Workload.SAMPLE_PACKETS, Netns.successfulPackets(replay), replay);
                assertEquals(0, live.awaitExit(60), live.stderrText());
                assertFalse(live.stderrText().contains("ended in the middle of a line"), live.stderrText());
            }
            assertEquals(before + Workload.offline(Workload.SAMPLE, Workload.SAMPLE_TOPOLOGY).size(), Workload.jsonLines(List.of(flows)).size(),
                    "every line of both runs is whole JSON");
        } finally {
            Netns.run("umount", disk.toString());
        }
    }

    /**
     * Flows open while packets were dropped on this host carry {@code drops_on_this_host: true}: the
     * workload cut written at full speed while the tool is stopped (the kernel's 1 MiB buffer fills and
     * drops the rest) gives flows whose verdicts or counts differ from the offline analysis (a lost
     * handshake reads as unverifiable, a lost request changes the counts), and every one of them is
     * marked; the sample replayed once the drops are counted and a second has passed is not. Nothing
     * told a flow cut by the drops from a whole one: a user saw an unverifiable or a protocol_mismatch
     * with nothing to doubt it.
     */
    @Test
    void flowsOpenWhilePacketsWereDroppedOnThisHostAreMarked() throws Exception {
        Path[] mix = Workload.mixCut();
        Path flows = dir.resolve("flows.jsonl");
        Path reports = dir.resolve("report");
        try (Netns ns = Netns.create();
                LiveProcess live = startOnMix(ns, "--queue-size", "1", "--buffer-size", "1")) {
            replayWhileStopped(ns, live, mix[0]); // the kernel's 1 MiB buffer fills, and the rest of the replay is dropped there
            live.awaitSummary(reports, x -> x.path("capture").path("kernel_dropped").asLong() > 0, 60);
            Thread.sleep(1500); // (the sample's flows begin more than a second after the drops were counted)
            String replay = ns.replay(Workload.SAMPLE, 1000, 1);
            assertEquals(Workload.SAMPLE_PACKETS, Netns.successfulPackets(replay), replay);
            live.signal("TERM");
            assertEquals(128 + 15, live.awaitExit(60), live.stderrText());

            List<JsonNode> lines = Workload.jsonLines(List.of(flows));
            Map<String, Integer> offlineMix = Workload.verdictKeys(Workload.offline(mix[0], mix[1]));
            Map<String, Integer> offlineSample = Workload.verdictKeys(Workload.offline(Workload.SAMPLE, mix[1]));
            List<JsonNode> sample = new ArrayList<>();
            long differing = 0;
            long marked = 0;
            for (JsonNode r : lines) {
                assertTrue(r.path("drops_on_this_host").isBoolean(), "every line says whether drops met it: " + r);
                boolean drops = r.path("drops_on_this_host").asBoolean();
                marked += drops ? 1 : 0;
                String key = Workload.verdictKeys(List.of(r)).keySet().iterator().next();
                if (r.path("src_ip").asText().startsWith("127.")) {
                    sample.add(r);
                } else if (!offlineMix.containsKey(key)) {
                    differing++;
                    assertTrue(drops, "a flow that differs from the offline analysis is marked: " + r);
                }
            }
            assertTrue(differing > 0, "the drops changed flows");
            assertEquals(Workload.SAMPLE_PACKETS, packets(sample), "the sample's flows are whole");
            assertEquals(offlineSample, Workload.verdictKeys(sample));
            for (JsonNode r : sample) {
                assertFalse(r.path("drops_on_this_host").asBoolean(), "begun after the drops: " + r);
            }
            JsonNode f = live.summary(reports).path("flows");
            assertEquals(marked, f.path("with_drops_on_this_host").asLong(), f.toString());
            assertTrue(Files.readString(reports.resolve("summary.txt")).contains("closed flows open while packets were dropped on this host "
                    + marked + " (marked drops_on_this_host"));
        }
    }

    /**
     * The same drops with no packet after them: the flows they cut close as idle on the wall-clock timer
     * (short timeouts), before any packet could carry the drops to the analysis, and are marked all the
     * same. The drops had waited in the capture thread for the next packet, and those flows were written
     * with drops_on_this_host: false.
     */
    @Test
    void flowsCutByDropsAndClosedAsIdleWithNoPacketAfterAreMarked() throws Exception {
        Path[] mix = Workload.mixCut();
        Path flows = dir.resolve("flows.jsonl");
        Path reports = dir.resolve("report");
        try (Netns ns = Netns.create();
                LiveProcess live = startOnMix(ns, "--queue-size", "1", "--buffer-size", "1", "--udp-timeout", "1", "--tcp-timeout", "1",
                        "--tcp-other-timeout", "1", "--tcp-closed-timeout", "1")) {
            replayWhileStopped(ns, live, mix[0]); // the kernel's 1 MiB buffer fills, and the rest of the replay is dropped there
            JsonNode s = live.awaitSummary(reports, x -> x.path("capture").path("kernel_dropped").asLong() > 0
                    && x.path("flows").path("open").asLong() == 0 && x.path("flows").path("closed").asLong() > 0, 60);
            live.signal("TERM");
            assertEquals(128 + 15, live.awaitExit(60), live.stderrText());
            Map<String, Integer> offlineMix = Workload.verdictKeys(Workload.offline(mix[0], mix[1]));
            long differing = 0;
            for (JsonNode r : Workload.jsonLines(List.of(flows))) {
                String key = Workload.verdictKeys(List.of(r)).keySet().iterator().next();
                if (!offlineMix.containsKey(key)) {
                    differing++;
                    assertTrue(r.path("drops_on_this_host").asBoolean(), "a flow that differs from the offline analysis is marked: " + r
                            + "\n" + s.path("flows"));
                }
            }
            assertTrue(differing > 0, "the drops changed flows");
        }
    }

    /**
     * A report directory whose files cannot be replaced (summary.json is a directory there) does not stop the capture: said once on stderr while it runs, the flows are all
     * written, and the final summary's failure comes last, exit status 2.
     */
    @Test
    void aReportDirectoryThatCannotBeWrittenDoesNotStopTheCapture() throws Exception {
        Path flows = dir.resolve("flows.jsonl");
        Path reports = dir.resolve("report");
        Path blocked = reports.resolve("summary.json");
        Files.createDirectories(blocked.resolve("in-the-way"));
        try (Netns ns = Netns.create();
                LiveProcess live = LiveProcess.start(ns, dir.resolve("run"), "--topology", Workload.SAMPLE_TOPOLOGY.toString(),
                        "--format", "jsonl", "--output", flows.toString(), "--report-dir", reports.toString(), "--report-every", "1",
                        "--duration", "6")) {
            live.awaitCapturing();
            String replay = ns.replay(Workload.SAMPLE, 1000, 1);
            assertEquals(Workload.SAMPLE_PACKETS, Netns.successfulPackets(replay), replay);
            assertEquals(2, live.awaitExit(60), live.stderrText());
            String err = live.stderrText();
            String why = "cannot write the summary: " + blocked + ": Is a directory";
            assertEquals(1, err.split(java.util.regex.Pattern.quote("portmatrix live: " + why + " (tried again at the next report)"), -1).length - 1,
                    "said once while running: " + err);
            String[] lines = err.strip().split("\n");
            assertEquals("portmatrix: " + why, lines[lines.length - 1], err);
            assertTrue(err.contains("final report (duration)"), err);
            assertEquals(Workload.offline(Workload.SAMPLE, Workload.SAMPLE_TOPOLOGY).size(), Workload.jsonLines(List.of(flows)).size(),
                    "every flow written");
        }
    }

    /**
     * A report directory on a disk too small for report.html (a tmpfs of 48 KiB; the page is 60 KB before a flow closes)
     * still gets summary.json, summary.txt and the history's lines, the final report's included: only the page is missing,
     * said once while the capture runs and last at the end, exit status 2. The page had been written first and its failure
     * ended the report: summary.json was never written (or stayed at an earlier report's), nor summary.txt and stats.jsonl.
     */
    @Test
    void aReportDirectoryTooSmallForThePageStillGetsTheSummariesAndHistory() throws Exception {
        Path reports = dir.resolve("report");
        Files.createDirectories(reports);
        Netns.run("mount", "-t", "tmpfs", "-o", "size=48k", "pmtest-small", reports.toString());
        try (Netns ns = Netns.create();
                LiveProcess live = LiveProcess.start(ns, dir.resolve("run"), "--topology", Workload.SAMPLE_TOPOLOGY.toString(),
                        "--format", "jsonl", "--output", dir.resolve("flows.jsonl").toString(), "--report-dir", reports.toString(),
                        "--report-every", "1", "--duration", "6")) {
            live.awaitCapturing();
            String replay = ns.replay(Workload.SAMPLE, 1000, 1);
            assertEquals(Workload.SAMPLE_PACKETS, Netns.successfulPackets(replay), replay);
            assertEquals(2, live.awaitExit(60), live.stderrText());
            String err = live.stderrText();
            String why = "cannot write the summary: " + reports.resolve("report.html") + ": cannot write: No space left on device";
            assertEquals(1, err.split(java.util.regex.Pattern.quote("portmatrix live: " + why + " (tried again at the next report)"), -1).length - 1,
                    "said once while running: " + err);
            String[] lines = err.strip().split("\n");
            assertEquals("portmatrix: " + why, lines[lines.length - 1], err);
            JsonNode s = live.summary(reports);
            assertTrue(s != null && s.path("final").asBoolean(), "the final summary.json: " + s);
            assertEquals(Workload.SAMPLE_PACKETS, s.path("capture").path("received").asLong(), s.toString());
            assertEquals(Workload.offline(Workload.SAMPLE, Workload.SAMPLE_TOPOLOGY).size(), s.path("flows").path("closed").asLong(), s.toString());
            assertTrue(Files.readString(reports.resolve("summary.txt")).contains("final report (duration)"));
            List<String> history = Files.readAllLines(reports.resolve("stats.jsonl"));
            assertTrue(history.size() >= 5, "a line per report: " + history.size());
            JsonNode lastLine = new com.fasterxml.jackson.databind.ObjectMapper().readTree(history.get(history.size() - 1));
            assertTrue(lastLine.path("final").asBoolean(), lastLine.toString());
            assertEquals(s.path("flows"), lastLine.path("flows"));
            assertFalse(Files.exists(reports.resolve("report.html")), "the page never fitted");
        } finally {
            Netns.run("umount", reports.toString());
        }
    }

    /**
     * The report directory removed while the capture runs (a clean-up job): made again at the next
     * report, and the run ends as usual. It was never made again: every report failed, with a message
     * naming a new temporary file each time (so "said once" said it every time), and the run ended 2.
     */
    @Test
    void aReportDirectoryRemovedWhileRunningIsMadeAgain() throws Exception {
        Path reports = dir.resolve("report");
        try (Netns ns = Netns.create();
                LiveProcess live = LiveProcess.start(ns, dir.resolve("run"), "--topology", Workload.SAMPLE_TOPOLOGY.toString(),
                        "--format", "jsonl", "--output", dir.resolve("flows.jsonl").toString(), "--report-dir", reports.toString(),
                        "--report-every", "1", "--duration", "8")) {
            live.awaitCapturing();
            live.awaitSummary(reports, s -> true, 30);
            boolean removed = false;
            for (int attempt = 0; !removed && attempt < 10; attempt++) {
                // (rm -rf may meet a report being written: a temporary file appearing in the directory)
                removed = new ProcessBuilder("rm", "-rf", reports.toString()).redirectErrorStream(true).start().waitFor() == 0
                        && !Files.exists(reports);
            }
            assertTrue(removed, "the report directory removed");
            String replay = ns.replay(Workload.SAMPLE, 1000, 1);
            assertEquals(Workload.SAMPLE_PACKETS, Netns.successfulPackets(replay), replay);
            assertEquals(0, live.awaitExit(60), live.stderrText());
            assertFalse(live.stderrText().contains("cannot write"), live.stderrText());
            JsonNode s = live.summary(reports);
            assertTrue(s.path("final").asBoolean(), s.toString());
            assertEquals(Workload.SAMPLE_PACKETS, s.path("capture").path("received").asLong(), s.toString());
            assertTrue(Files.isRegularFile(reports.resolve("report.html")));
        }
    }

    /**
     * A TCP connection's line is written once it has finished (FIN both ways) and been silent for the
     * 5 s close timeout, while the capture goes on: not after the 120 s idle timeout, nor only at the
     * end. The sample's seven TCP connections closed by FIN are in flows.jsonl within 30 s of the
     * replay's end, as `closed`; its UDP flows are not, until the capture stops.
     */
    @Test
    void finishedTcpConnectionsAreWrittenSecondsAfterTheirEnd() throws Exception {
        Path flows = dir.resolve("flows.jsonl");
        Path reports = dir.resolve("report");
        List<JsonNode> offline = Workload.offline(Workload.SAMPLE, Workload.SAMPLE_TOPOLOGY);
        long finished = offline.stream().filter(r -> r.path("tcp_state").asText().equals("closed_fin")).count();
        assertEquals(7, finished, "the sample's TCP connections closed by FIN both ways");
        try (Netns ns = Netns.create();
                LiveProcess live = LiveProcess.start(ns, dir.resolve("run"), "--topology", Workload.SAMPLE_TOPOLOGY.toString(),
                        "--format", "jsonl", "--output", flows.toString(), "--report-dir", reports.toString(), "--report-every", "1")) {
            live.awaitCapturing();
            String replay = ns.replay(Workload.SAMPLE, 1000, 1);
            assertEquals(Workload.SAMPLE_PACKETS, Netns.successfulPackets(replay), replay);
            long replayed = System.nanoTime();
            live.awaitSummary(reports, s -> s.path("flows").path("written").asLong() >= finished, 30);
            double seconds = (System.nanoTime() - replayed) / 1e9;
            List<JsonNode> written = Workload.jsonLines(List.of(flows));
            assertEquals(finished, written.size(), "the finished connections only, the capture still running: " + written);
            for (JsonNode r : written) {
                assertEquals("closed", r.path("end").asText(), r.toString());
                assertEquals("closed_fin", r.path("tcp_state").asText(), r.toString());
            }
            assertTrue(seconds < 30, "written " + seconds + " s after the replay");
            live.signal("TERM");
            assertEquals(128 + 15, live.awaitExit(60), live.stderrText());
            List<JsonNode> all = Workload.jsonLines(List.of(flows));
            assertEquals(offline.size(), all.size());
            assertEquals(Workload.verdictKeys(offline), Workload.verdictKeys(all));
        }
    }

    /**
     * {@code live} on the namespace's capture end with the workload cut's topology, JSON lines to
     * flows.jsonl and a report every second in report/, capturing; {@code more} options after those.
     */
    /**
     * The capture stopped (SIGSTOP) while the whole of {@code pcap} is replayed at top speed, then let go on: what the
     * kernel's buffer cannot hold meanwhile is dropped there. Checks that tcpreplay sent every packet.
     */
    private static void replayWhileStopped(Netns ns, LiveProcess live, Path pcap) throws Exception {
        live.signal("STOP");
        String replay;
        try {
            replay = ns.replayTopSpeed(pcap);
        } finally {
            live.signal("CONT");
        }
        assertEquals(Workload.MIX_PACKETS, Netns.successfulPackets(replay), replay);
    }

    /**
     * Replays {@code pcap} at 5,000 packets/s while {@code during} runs, waits for every packet of the
     * mix to be analysed, and ends the capture with SIGTERM (status 143).
     */
    private void whileReplaying(Netns ns, LiveProcess live, Path pcap, Path reports, org.junit.jupiter.api.function.Executable during)
            throws Throwable {
        Process replay = ns.replayInBackground(pcap, 5000, 1, dir.resolve("tcpreplay.txt"));
        try {
            during.execute();
            replay.waitFor();
            live.awaitSummary(reports, s -> s.path("capture").path("analyzed").asLong() >= Workload.MIX_PACKETS, 60);
            live.signal("TERM");
            assertEquals(128 + 15, live.awaitExit(60), live.stderrText());
        } finally {
            replay.destroy();
            replay.waitFor();
        }
    }

    private LiveProcess startOnMix(Netns ns, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("--topology", Workload.mixCut()[1].toString(), "--format", "jsonl",
                "--output", dir.resolve("flows.jsonl").toString(), "--report-dir", dir.resolve("report").toString(), "--report-every", "1"));
        args.addAll(List.of(more));
        LiveProcess live = LiveProcess.start(ns, dir.resolve("run"), args.toArray(new String[0]));
        live.awaitCapturing();
        return live;
    }

    /** The packets of the flow records, both directions. */
    private static long packets(List<JsonNode> records) {
        long n = 0;
        for (JsonNode r : records) {
            n += r.path("packets_fwd").asLong() + r.path("packets_rev").asLong() + r.path("icmp_errors").asLong();
        }
        return n;
    }

    /**
     * The link of the capture interface lost (the veth's other end set down: no carrier, as a mirror port
     * whose cable is pulled) and back: each change is said once on stderr, the summary gives the state and
     * the time down, and the capture goes on through it. libpcap reports nothing of a lost carrier: the
     * status lines showed 0 packets/s and nothing else.
     */
    @Test
    void aLinkDownAndUpAgainIsSaidAndTheCaptureGoesOn() throws Exception {
        Path[] mix = Workload.mixCut();
        Path reports = dir.resolve("report");
        try (Netns ns = Netns.create();
                LiveProcess live = startOnMix(ns)) {
            JsonNode s = live.awaitSummary(reports, x -> x.path("capture").path("link").asText().equals("up"), 30);
            assertEquals(0, s.path("capture").path("link_down_events").asLong(), s.toString());
            ns.exec("ip", "link", "set", ns.sendIface, "down");
            s = live.awaitSummary(reports, x -> x.path("capture").path("link_down_events").asLong() == 1, 30);
            String state = s.path("capture").path("link").asText();
            assertTrue(!state.equals("up") && !state.equals("unknown"), s.toString());
            // The report's status line goes to stderr just after its summary.json has replaced the last one.
            String err = live.awaitStderr(", LINK DOWN (" + state + ", ", 10);
            assertTrue(err.contains("portmatrix live: " + ns.captureIface + " went down at ") && err.contains("(its state is \"" + state
                    + "\"): no packet can arrive until it is up again; the capture goes on"), err);
            assertTrue(err.contains(", LINK DOWN (" + state + ", "), "the status line says so: " + err);
            Thread.sleep(1500);
            ns.exec("ip", "link", "set", ns.sendIface, "up");
            s = live.awaitSummary(reports, x -> x.path("capture").path("link").asText().equals("up"), 30);
            err = live.stderrText();
            assertTrue(err.contains("portmatrix live: " + ns.captureIface + " is up again at ") && err.contains(" down: nothing was"
                    + " captured in between"), err);
            assertEquals(1, err.split(" went down at ", -1).length - 1, "said once: " + err);
            // The capture went on: packets sent after the link came back are received.
            String replay = ns.replay(mix[0], 20000, 1);
            assertEquals(Workload.MIX_PACKETS, Netns.successfulPackets(replay), replay);
            live.awaitSummary(reports, x -> x.path("capture").path("received").asLong() >= Workload.MIX_PACKETS, 60);
            live.signal("TERM");
            assertEquals(128 + 15, live.awaitExit(60), live.stderrText());
            s = live.summary(reports);
            assertEquals(1, s.path("capture").path("link_down_events").asLong(), s.toString());
            assertTrue(s.path("capture").path("link_down_seconds").asLong() >= 1, s.toString());
            assertTrue(Files.readString(reports.resolve("summary.txt")).contains("  link: up; went down once, down "),
                    Files.readString(reports.resolve("summary.txt")));
        }
    }

    /**
     * The capture interface deleted in the middle of a replay (a mirror port's NIC reset): exit status 3,
     * and every packet the tool received is in the report. The batch being filled when libpcap failed was
     * dropped (hundreds of packets "queued", never analysed, while the message said everything captured
     * was in the report).
     */
    @Test
    void anInterfaceDeletedMidCaptureLosesNoPacketTheToolReceived() throws Exception {
        Path[] mix = Workload.mixCut();
        Path flows = dir.resolve("flows.jsonl");
        Path reports = dir.resolve("report");
        try (Netns ns = Netns.create();
                LiveProcess live = startOnMix(ns)) {
            Process replay = ns.replayInBackground(mix[0], 5000, 1, dir.resolve("tcpreplay.txt"));
            try {
                live.awaitSummary(reports, s -> s.path("capture").path("received").asLong() >= 5_000, 60);
                ns.exec("ip", "link", "del", ns.captureIface);
                assertEquals(3, live.awaitExit(60), live.stderrText());
            } finally {
                replay.destroy();
                replay.waitFor();
            }
            assertTrue(live.stderrText().contains("(every packet received before it is in the report)"), live.stderrText());
            JsonNode s = live.summary(reports);
            JsonNode cap = s.path("capture");
            long received = cap.path("received").asLong();
            assertTrue(received >= 5_000, cap.toString());
            assertEquals(0, cap.path("queued").asLong(), cap.toString());
            assertEquals(received, cap.path("analyzed").asLong() + cap.path("dropped_in_tool").asLong(), cap.toString());
            assertEquals(s.path("packets").path("decoded").asLong(), packets(Workload.jsonLines(List.of(flows))),
                    "every decoded packet is in a written flow");
            assertEquals(cap.path("analyzed").asLong(), s.path("packets").path("read").asLong(), s.toString());
            // The link as it is at the end: gone (it said "up; went down never").
            assertEquals("gone", cap.path("link").asText(), cap.toString());
            assertTrue(Files.readString(reports.resolve("summary.txt")).contains("  link: gone; went down once, down "),
                    Files.readString(reports.resolve("summary.txt")));
        }
    }

    /**
     * The capture interface renamed (udev, NetworkManager; the kernel renames a link only while it is
     * down): libpcap looks the device up again by its old name and calls it disappeared. Still exit
     * status 3, but the message names the new name, as a deletion's cannot.
     */
    @Test
    void aRenamedInterfaceIsNamedInTheFailure() throws Exception {
        try (Netns ns = Netns.create();
                LiveProcess live = startOnMix(ns)) {
            live.awaitSummary(dir.resolve("report"), x -> x.path("capture").path("link").asText().equals("up"), 30);
            String renamed = ns.captureIface.substring(0, ns.captureIface.length() - 1) + "r";
            ns.exec("ip", "link", "set", ns.captureIface, "down");
            ns.exec("ip", "link", "set", ns.captureIface, "name", renamed);
            assertEquals(3, live.awaitExit(60), live.stderrText());
            assertTrue(live.stderrText().contains("capture on " + ns.captureIface + " failed: ")
                    && live.stderrText().contains(" (it was renamed to " + renamed + ": start the capture on " + renamed + ")"),
                    live.stderrText());
        }
    }

    /**
     * With the smallest kernel buffer and queue, a replay while the tool is stopped (SIGSTOP) is dropped on
     * this host by the kernel: the gaps those drops leave in TCP streams are not called loss before the
     * host, which nothing upstream of this veth pair could have caused (it said "loss before this host").
     * (A replay at full speed alone did not always overflow the buffers: at 52,000 packets/s, on a slow
     * run of this machine, nothing was dropped.)
     */
    @Test
    void dropsOnThisHostAreNotCalledLossBeforeIt() throws Exception {
        Path[] mix = Workload.mixCut();
        Path reports = dir.resolve("report");
        try (Netns ns = Netns.create();
                LiveProcess live = startOnMix(ns, "--queue-size", "1", "--buffer-size", "1")) {
            replayWhileStopped(ns, live, mix[0]); // the kernel's 1 MiB buffer fills, and the rest of the replay is dropped there
            live.signal("TERM");
            assertEquals(128 + 15, live.awaitExit(60), live.stderrText());
            JsonNode s = live.summary(reports);
            JsonNode cap = s.path("capture");
            long onHost = cap.path("dropped_in_tool").asLong() + cap.path("kernel_dropped").asLong() + cap.path("interface_dropped").asLong();
            assertTrue(onHost > 0, "a full-speed replay into the smallest buffers drops on this host: " + cap);
            JsonNode loss = s.path("upstream_loss");
            assertTrue(loss.path("includes_drops_on_this_host").asBoolean(), s.toString());
            String text = Files.readString(reports.resolve("summary.txt"));
            assertTrue(text.contains("  loss before this host and the drops on it above (TCP data ACKed but never seen): "), text);
        }
    }

    /**
     * The flow output removed while the capture runs, rotation on: a new file is begun, the capture goes on,
     * and the lines that went with the removed file are counted apart. The rename of the next rotation
     * had failed and stopped the capture (exit 2, "cannot write" without a reason).
     */
    @Test
    void anOutputRemovedWhileWrittenIsBegunAgainAndTheCaptureGoesOn() throws Throwable {
        Path[] mix = Workload.mixCut();
        Path flows = dir.resolve("flows.jsonl");
        Path reports = dir.resolve("report");
        try (Netns ns = Netns.create();
                LiveProcess live = startOnMix(ns, "--rotate-size", "0.05", "--tcp-closed-timeout", "1")) {
            whileReplaying(ns, live, mix[0], reports, () -> {
                live.awaitSummary(reports, s -> s.path("flows").path("written").asLong() >= 20, 60);
                // Removed while empty (just rotated, nothing written into it yet) or between a rotation's link and its
                // rename (the lines stay in the part), the file takes no line with it: removed again until one is lost.
                for (int attempt = 1; ; attempt++) {
                    Files.deleteIfExists(flows);
                    try {
                        live.awaitSummary(reports, s -> s.path("flows").path("lost_with_removed_output").asLong() > 0, 3);
                        break;
                    } catch (AssertionError e) {
                        if (attempt == 5 || !live.process.isAlive()) {
                            throw e;
                        }
                    }
                }
            });
            assertTrue(live.stderrText().contains("portmatrix live: " + flows + " was removed while it was written: "), live.stderrText());
            JsonNode f = live.summary(reports).path("flows");
            long lost = f.path("lost_with_removed_output").asLong();
            assertTrue(lost > 0, f.toString());
            assertEquals(f.path("closed").asLong(), f.path("written").asLong() + lost, f.toString());
            List<Path> parts;
            try (Stream<Path> files = Files.list(dir)) {
                parts = files.filter(p -> p.getFileName().toString().startsWith("flows.jsonl")).sorted().toList();
            }
            assertTrue(parts.contains(flows), "a new output file: " + parts);
            assertEquals(f.path("written").asLong(), Workload.jsonLines(parts).size(), "the lines counted written are in the files");
        }
    }

    /**
     * logrotate's default rotation of --output (the file renamed, a new empty one created under its
     * name): the lines go on in the new file, stderr says so once, and no line is lost or counted lost.
     * They went on into the renamed file, and into nothing once its compression deleted it.
     */
    @Test
    void anOutputMovedAwayByLogRotationIsFollowedToTheNewFile() throws Throwable {
        outputMovedAway(dir.resolve("flows.jsonl.1"), true, "another file is under the name " + dir.resolve("flows.jsonl"));
    }

    /**
     * --output moved away with nothing put under its name (a plain mv, logrotate's "nocreate"): a new file
     * is begun, stderr says where the lines went, and none is counted lost (all were, as for a removal).
     */
    @Test
    void anOutputMovedAwayWithNothingInItsPlaceLosesNoLine() throws Throwable {
        outputMovedAway(dir.resolve("kept.jsonl"), false,
                dir.resolve("flows.jsonl") + " was moved away while it was written, and no file took its name: ");
        assertFalse(stderrOfLastRun.contains("was removed while it was written"), stderrOfLastRun);
    }

    private String stderrOfLastRun;

    /** Moves --output to {@code moved} during a replay (and makes a new empty file under its name when {@code another}). */
    private void outputMovedAway(Path moved, boolean another, String said) throws Throwable {
        Path[] mix = Workload.mixCut();
        Path flows = dir.resolve("flows.jsonl");
        Path reports = dir.resolve("report");
        try (Netns ns = Netns.create(); LiveProcess live = startOnMix(ns, "--tcp-closed-timeout", "1")) {
            whileReplaying(ns, live, mix[0], reports, () -> {
                live.awaitSummary(reports, s -> s.path("flows").path("written").asLong() >= 20, 60);
                if (another) {
                    // logrotate's create without its window: the file written under its rotated name too (a hard link), then a
                    // new empty file takes the name in one rename. Renamed, then created, the capture's check fell between the
                    // two now and then and rightly said that no file took the name (a CI run failed so).
                    Path fresh = Files.createFile(dir.resolve("flows.jsonl.new"));
                    Files.createLink(moved, flows);
                    Files.move(fresh, flows, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                } else {
                    Files.move(flows, moved);
                }
                live.awaitStderr("portmatrix live: " + said, 30);
            });
            stderrOfLastRun = live.stderrText();
            JsonNode f = live.summary(reports).path("flows");
            assertEquals(0, f.path("lost_with_removed_output").asLong(), f.toString());
            assertEquals(f.path("closed").asLong(), f.path("written").asLong(), f.toString());
            long before = Workload.jsonLines(List.of(moved)).size();
            long after = Workload.jsonLines(List.of(flows)).size();
            assertTrue(before >= 20 && after > 0, before + " lines before the move, " + after + " after");
            assertEquals(f.path("written").asLong(), before + after, "every line written is in one of the two files");
        }
    }

    @Test
    void sigintDuringReplayStillWritesACompleteFinalReport() throws Exception {
        Path[] mix = Workload.mixCut();
        Path flows = dir.resolve("flows.jsonl");
        Path reports = dir.resolve("report");
        try (Netns ns = Netns.create();
                LiveProcess live = startOnMix(ns, "--rotate-size", "0.05")) {
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
            assertEquals(f.path("closed").asLong(), f.path("written").asLong());
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
