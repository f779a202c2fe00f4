package org.portmatrix.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code portmatrix live}'s {@code stats.jsonl}: one line per report, moved to {@code stats.jsonl.1}
 * when the next line would take it past its limit, so that a capture left running for weeks keeps a
 * bounded history: the newest lines, in order, none cut.
 */
class LiveStatsHistoryTest {
    @TempDir
    Path dir;

    @Test
    void theHistoryMovesAsideAtItsLimitAndKeepsTheNewestLinesWhole() throws Exception {
        Path stats = dir.resolve(LiveStatus.STATS_JSONL);
        Path previous = dir.resolve(LiveStatus.STATS_JSONL + ".1");
        long limit = 1_000;
        List<String> written = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            String line = "{\"report\":" + i + ",\"padding\":\"" + "x".repeat(i % 7 * 10) + "\"}";
            written.add(line);
            LiveStatus.appendStats(stats, line, limit);
            assertTrue(Files.size(stats) <= limit, "stats.jsonl past its limit after line " + i);
            if (Files.exists(previous)) {
                assertTrue(Files.size(previous) <= limit, "stats.jsonl.1 past the limit after line " + i);
            }
        }
        List<String> older = Files.readAllLines(previous);
        List<String> newer = Files.readAllLines(stats);
        assertFalse(older.isEmpty());
        assertFalse(newer.isEmpty());
        // The two files hold the newest lines exactly as written, in order, with nothing between them lost.
        List<String> kept = new ArrayList<>(older);
        kept.addAll(newer);
        assertEquals(written.subList(written.size() - kept.size(), written.size()), kept);
        // Each file was filled up to the limit before it moved aside: the next line would not have fitted.
        String firstNewer = newer.get(0);
        assertTrue(Files.size(previous) + firstNewer.length() + 1 > limit);
    }

    @Test
    void aLineLongerThanTheLimitIsStillWrittenWhole() throws Exception {
        Path stats = dir.resolve(LiveStatus.STATS_JSONL);
        String big = "{\"big\":\"" + "y".repeat(300) + "\"}";
        LiveStatus.appendStats(stats, "{\"a\":1}", 100);
        LiveStatus.appendStats(stats, big, 100);
        assertEquals(List.of(big), Files.readAllLines(stats));
        assertEquals(List.of("{\"a\":1}"), Files.readAllLines(dir.resolve(LiveStatus.STATS_JSONL + ".1")));
        LiveStatus.appendStats(stats, "{\"b\":2}", 100); // the long line moves aside in its turn
        assertEquals(List.of("{\"b\":2}"), Files.readAllLines(stats));
        assertEquals(List.of(big), Files.readAllLines(dir.resolve(LiveStatus.STATS_JSONL + ".1")));
    }
    /**
     * A real full disk (a tmpfs of one page) under the history: the line it cannot hold is not left cut at the file's
     * end, and once space is freed the next lines follow the whole ones. The cut line had stayed, and the next report's
     * line glued to it: a JSON reader of the history failed on both. A file found ending mid-line (cut before this
     * code) gets a line end first.
     */
    @Test
    void aFullDiskLeavesTheHistoryInWholeLines() throws Exception {
        Path disk = dir.resolve("disk");
        Files.createDirectories(disk);
        mount("mount", "-t", "tmpfs", "-o", "size=4k", "pmtest-stats", disk.toString());
        try {
            Path stats = disk.resolve(LiveStatus.STATS_JSONL);
            List<String> written = new ArrayList<>();
            java.io.IOException full = null;
            for (int i = 0; i < 10 && full == null; i++) {
                String line = "{\"report\":" + i + ",\"padding\":\"" + "z".repeat(1300) + "\"}";
                try {
                    LiveStatus.appendStats(stats, line, 1 << 20);
                    written.add(line);
                } catch (java.io.IOException e) {
                    full = e;
                }
            }
            assertTrue(full != null && String.valueOf(full.getMessage()).contains("No space left"), "the disk filled: " + full);
            assertFalse(written.isEmpty());
            String text = Files.readString(stats);
            assertTrue(text.endsWith("\n"), "whole lines only, the file ends with: " + text.substring(Math.max(0, text.length() - 40)));
            assertEquals(written, Files.readAllLines(stats));
            mount("mount", "-o", "remount,size=1m", disk.toString()); // the space freed
            LiveStatus.appendStats(stats, "{\"report\":\"after\"}", 1 << 20);
            written.add("{\"report\":\"after\"}");
            assertEquals(written, Files.readAllLines(stats));
        } finally {
            mount("umount", disk.toString());
        }
        Path cut = dir.resolve("cut.jsonl");
        Files.writeString(cut, "{\"a\":1}\n{\"b\":");
        LiveStatus.appendStats(cut, "{\"c\":3}", 1 << 20);
        assertEquals(List.of("{\"a\":1}", "{\"b\":", "{\"c\":3}"), Files.readAllLines(cut), "the next line on a line of its own");
    }

    private static void mount(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
    }

    /** Neither name goes missing while the history moves aside, even for a moment (a monitoring job reading them). */
    @Test
    void neitherFileIsEverMissingWhileTheHistoryMovesAside() throws Exception {
        Path stats = dir.resolve(LiveStatus.STATS_JSONL);
        Path previous = dir.resolve(LiveStatus.STATS_JSONL + ".1");
        LiveStatus.appendStats(stats, "{\"first\":0}", 20);
        LiveStatus.appendStats(stats, "{\"second\":0}", 20);
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong missing = new java.util.concurrent.atomic.AtomicLong();
        Thread watcher = new Thread(() -> {
            while (!done.get()) {
                if (!Files.exists(stats) || !Files.exists(previous)) {
                    missing.incrementAndGet();
                }
            }
        });
        watcher.start();
        try {
            for (int i = 0; i < 300; i++) {
                LiveStatus.appendStats(stats, "{\"line\":" + i + "}", 20); // each line moves the one before aside
            }
        } finally {
            done.set(true);
            watcher.join();
        }
        assertEquals(0, missing.get(), "times a file was missing");
        assertEquals(List.of("{\"line\":299}"), Files.readAllLines(stats));
        assertEquals(List.of("{\"line\":298}"), Files.readAllLines(previous));
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary file left behind");
        }
    }
}
