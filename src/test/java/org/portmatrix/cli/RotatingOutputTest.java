package org.portmatrix.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code live --output} rotation: whole lines in every part, and {@code --rotate-keep} keeping the newest parts. */
class RotatingOutputTest {
    @TempDir
    Path dir;

    /** Writes {@code lines} lines ("line N"), rotating after each (a 1-byte limit), and closes. */
    private static RotatingOutput write(Path file, int lines, int keep) throws Exception {
        RotatingOutput out = RotatingOutput.file(file, 1, 0, keep);
        for (int i = 1; i <= lines; i++) {
            out.writer().write("line " + i + "\n");
            out.flush();
            out.maybeRotate();
        }
        out.close();
        return out;
    }

    /** The lines of every file in the directory, oldest part first as the rotation named them, the live file last. */
    private List<String> partsInOrder(String base) throws Exception {
        List<Path> parts;
        try (var files = Files.list(dir)) {
            parts = new ArrayList<>(files.filter(p -> p.getFileName().toString().matches(java.util.regex.Pattern.quote(base)
                    + "\\.\\d{8}T\\d{6}Z(-\\d+)?")).toList());
        }
        // NAME.STAMP, NAME.STAMP-1, ..., NAME.STAMP-10: by stamp, then by the number after it.
        parts.sort((a, b) -> {
            String x = a.getFileName().toString().substring(base.length() + 1);
            String y = b.getFileName().toString().substring(base.length() + 1);
            int c = x.substring(0, 16).compareTo(y.substring(0, 16));
            return c != 0 ? c : Integer.compare(suffix(x), suffix(y));
        });
        List<String> lines = new ArrayList<>();
        for (Path p : parts) {
            lines.addAll(Files.readAllLines(p));
        }
        return lines;
    }

    private static int suffix(String part) {
        return part.length() > 16 ? Integer.parseInt(part.substring(17)) : 0;
    }

    /**
     * A file that a run before left in the middle of a line (killed while writing it): a line end is
     * added before the first new line, so the new lines are whole and the cut one stays apart. The
     * first new line had been glued to the cut one, both lost to a JSON reader.
     */
    @Test
    void aFileEndingInTheMiddleOfALineGetsItsLineEndFirst() throws Exception {
        Path file = dir.resolve("flows.jsonl");
        Files.writeString(file, "{\"a\":1}\n{\"b\":");
        RotatingOutput out = RotatingOutput.file(file, 0, 0, 0);
        out.writer().write("{\"c\":3}\n");
        out.close();
        assertTrue(out.endedMidLine());
        assertEquals(List.of("{\"a\":1}", "{\"b\":", "{\"c\":3}"), Files.readAllLines(file));

        RotatingOutput again = RotatingOutput.file(file, 0, 0, 0); // ends with a line end now: nothing added
        again.writer().write("{\"d\":4}\n");
        again.close();
        assertEquals(false, again.endedMidLine());
        assertEquals(List.of("{\"a\":1}", "{\"b\":", "{\"c\":3}", "{\"d\":4}"), Files.readAllLines(file));
    }

    /**
     * logrotate's copytruncate (the file copied, then cut to nothing under the writer) and then a full
     * disk: the file is cut back to where its last flushed line ends, not to the count of bytes written
     * since the file was opened (larger than the file after the truncation), which left the start of the
     * line the full disk cut at the file's end.
     */
    @Test
    void aFullDiskAfterCopytruncateStillLeavesOnlyWholeLines() throws Exception {
        Path file = dir.resolve("flows.jsonl");
        RotatingOutput out = RotatingOutput.file(file, 0, 0, 0);
        out.writer().write("{\"a\":1}\n");
        out.flush();
        try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            c.truncate(0); // copytruncate
        }
        out.writer().write("{\"b\":2}\n");
        out.flush();
        // What a full disk leaves of the next batch: its first bytes, the rest refused.
        Files.writeString(file, "{\"c\":3,\"reason\":\"cut by the full", java.nio.file.StandardOpenOption.APPEND);
        out.abandon();
        out.close();
        assertEquals("{\"b\":2}\n", Files.readString(file));
    }

    /**
     * An output file the capture's user may write but not read (mode -w-, as a non-root capture with
     * CAP_NET_RAW may be given): the look at its last byte had made the run refuse it ("cannot write the
     * live output: ...: permission denied"); it is appended to as before. Run as root without the
     * capabilities that override file permissions ({@link Runs#withoutFileOverride}).
     */
    @Test
    void aFileThatMayBeWrittenButNotReadIsAppendedTo() throws Exception {
        Path file = dir.resolve("flows.jsonl");
        Files.writeString(file, "{\"a\":1}\n");
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("-w--w--w-"));
        Process p = new ProcessBuilder(Runs.withoutFileOverride(AppendOnlyProbe.class, file.toString())).redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), said);
        assertEquals("{\"a\":1}\n{\"b\":2}\n", Files.readString(file));
    }

    @Test
    void everyPartIsKeptWithoutALimit() throws Exception {
        Path file = dir.resolve("flows.jsonl");
        RotatingOutput out = write(file, 12, 0);
        assertEquals(12, out.rotations());
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= 12; i++) {
            expected.add("line " + i);
        }
        assertEquals(expected, partsInOrder("flows.jsonl"));
        assertEquals(0, Files.size(file), "the live file is new and empty after the last rotation");
    }

    /**
     * Twelve rotations within a second or two: most parts get a "-N" suffix, past "-9"; the three
     * newest are kept, by number ("-10" is newer than "-9"), not by the names' text order.
     */
    @Test
    void onlyTheNewestPartsAreKept() throws Exception {
        Path file = dir.resolve("flows.jsonl");
        Files.writeString(dir.resolve("flows.jsonl.notapart"), "x\n"); // not a rotated part: left alone
        Files.writeString(dir.resolve("other.jsonl.20200101T000000Z"), "x\n"); // another output's part: left alone
        write(file, 12, 3);
        assertEquals(List.of("line 10", "line 11", "line 12"), partsInOrder("flows.jsonl"), "the three newest parts");
        try (var files = Files.list(dir)) {
            assertEquals(6, files.count(), "three parts, the live file, and the two files that are not parts of it");
        }
        assertTrue(Files.exists(dir.resolve("other.jsonl.20200101T000000Z")));
        assertTrue(Files.exists(dir.resolve("flows.jsonl.notapart")));
    }
    /**
     * A rotation never leaves the file's name missing, even for a moment: a reader polling it, a
     * clean-up job deleting it (the live test's), a shipper would find nothing there. A second thread
     * looks at the name the whole time 300 rotations take.
     */
    @Test
    void theNameIsNeverMissingDuringARotation() throws Exception {
        Path file = dir.resolve("flows.jsonl");
        RotatingOutput out = RotatingOutput.file(file, 1, 0, 0);
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong looks = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong missing = new java.util.concurrent.atomic.AtomicLong();
        Thread watcher = new Thread(() -> {
            while (!done.get()) {
                looks.incrementAndGet();
                if (!Files.exists(file)) {
                    missing.incrementAndGet();
                }
            }
        });
        watcher.start();
        try {
            for (int i = 1; i <= 300; i++) {
                out.writer().write("line " + i + "\n");
                out.flush();
                assertEquals(RotatingOutput.ROTATED, out.maybeRotate());
            }
        } finally {
            done.set(true);
            watcher.join();
            out.close();
        }
        assertEquals(0, missing.get(), "times the name was missing, of " + looks.get() + " looks");
        assertEquals(300, partsInOrder("flows.jsonl").size());
        // The new file has the permissions any new file gets here, not a temporary file's owner-only ones.
        Path plain = Files.createFile(dir.resolve("plain"));
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(file));
    }
    /**
     * A clean-up job deleting the file over and over while it rotates: every rotation either makes a
     * part or begins the file again (its lines gone), never fails (a removal between the look at the
     * name and the rotation's link, or the new file's size, stopped the capture).
     */
    @Test
    void aFileRemovedWhileItRotatesIsBegunAgainNeverAFailure() throws Exception {
        Path file = dir.resolve("flows.jsonl");
        RotatingOutput out = RotatingOutput.file(file, 1, 0, 0);
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread cleaner = new Thread(() -> {
            while (!done.get()) {
                try {
                    Files.deleteIfExists(file);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        });
        cleaner.start();
        int removed = 0;
        int rotated = 0;
        try {
            for (int i = 1; i <= 3000; i++) {
                out.writer().write("line " + i + "\n");
                out.flush();
                int r = out.maybeRotate();
                removed += r == RotatingOutput.REMOVED ? 1 : 0;
                rotated += r == RotatingOutput.ROTATED ? 1 : 0;
            }
        } finally {
            done.set(true);
            cleaner.join();
            out.close();
        }
        assertEquals(3000, removed + rotated);
        assertEquals(rotated, partsInOrder("flows.jsonl").size(), "a part for each rotation");
    }
    /**
     * logrotate's default ("create"): the file renamed away and a new empty one made under its name.
     * The lines go on in the new file (they went on into the renamed one, and into nothing once its
     * compression deleted it); the lines before stay in the renamed one. A file that is merely written
     * to by someone else stays the one written.
     */
    @Test
    void aFileMovedAwayAndMadeAgainIsTheOneWrittenFromThenOn() throws Exception {
        Path file = dir.resolve("flows.jsonl");
        Path moved = dir.resolve("flows.jsonl.1");
        RotatingOutput out = RotatingOutput.file(file, 0, 0, 0);
        out.writer().write("line 1\nline 2\n");
        out.flush();
        assertEquals(RotatingOutput.KEPT, out.reopenIfRemoved());
        Files.writeString(file, "by hand\n", java.nio.file.StandardOpenOption.APPEND);
        assertEquals(RotatingOutput.KEPT, out.reopenIfRemoved(), "the same file, appended to");
        Files.move(file, moved);
        Files.createFile(file);
        assertEquals(RotatingOutput.REPLACED, out.reopenIfRemoved());
        out.writer().write("line 3\n");
        out.flush();
        assertEquals(RotatingOutput.KEPT, out.reopenIfRemoved());
        out.close();
        assertEquals(List.of("line 1", "line 2", "by hand"), Files.readAllLines(moved));
        assertEquals(List.of("line 3"), Files.readAllLines(file));
    }

    /**
     * The file moved away and nothing made under its name (a plain mv, logrotate's "nocreate"): a new file
     * is begun, and the lines before are not lost, they are in the file moved away (it was taken as removed:
     * its lines counted lost). Removed, it is: the open file has no name left.
     */
    @Test
    void aFileMovedAwayWithNothingInItsPlaceIsToldFromOneRemoved() throws Exception {
        Path file = dir.resolve("flows.jsonl");
        Path moved = dir.resolve("elsewhere.jsonl");
        RotatingOutput out = RotatingOutput.file(file, 0, 0, 0);
        out.writer().write("line 1\n");
        out.flush();
        Files.move(file, moved);
        assertEquals(RotatingOutput.MOVED, out.reopenIfRemoved());
        assertTrue(Files.exists(file), "a new file under the name");
        out.writer().write("line 2\n");
        out.flush();
        Files.delete(file);
        assertEquals(RotatingOutput.REMOVED, out.reopenIfRemoved());
        out.writer().write("line 3\n");
        out.close();
        assertEquals(List.of("line 1"), Files.readAllLines(moved));
        assertEquals(List.of("line 3"), Files.readAllLines(file));
    }
}
