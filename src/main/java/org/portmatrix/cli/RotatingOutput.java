package org.portmatrix.cli;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * An append-only line output that rotates: records are appended to the file and flushed by the
 * caller (for {@code tail -F} and log shippers); when the file passes a size or an age, it is
 * renamed to {@code NAME.YYYYMMDDTHHMMSSZ} (the rotation time, with {@code -N} when that name is
 * taken) and a new file is started under the same name. Rotation happens between records only.
 * Standard output never rotates.
 */
final class RotatingOutput implements AutoCloseable {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    /** A rotated part's name after the base's: ".YYYYMMDDTHHMMSSZ", then "-N" when that name was taken. */
    private static final java.util.regex.Pattern PART = java.util.regex.Pattern.compile("\\.(\\d{8}T\\d{6}Z)(?:-(\\d{1,9}))?");

    private final Path path;
    private final long maxBytes;
    private final long maxAgeNanos;
    /** Rotated parts kept; the oldest beyond are deleted at each rotation (0: all kept). */
    private final int keep;
    private final Counting counting = new Counting();
    private Writer current;
    /** The file under {@link #current} (null for standard output): cut back to {@link #wholeBytes} when a write fails. */
    private java.nio.channels.FileChannel channel;
    /** The file's size at its last flush that succeeded: every line up to there is whole. */
    private long wholeBytes;
    /** A write failed: the file was cut back to its whole lines and closed; nothing is written or flushed any more. */
    private boolean abandoned;
    /** Whether the file, as opened at the start, ended in the middle of a line (a line end was added before the first line). */
    private boolean endedMidLine;
    /** The identity (device and inode) of the file being written, to notice another file under its name; null if unknown. */
    private Object fileKey;
    /**
     * The open file as this process's {@code /proc/self/fd/N}, whose link count tells, once the name is
     * gone, a file moved away (still linked) from one removed; null where there is no such view.
     */
    private Path openFile;
    private long openedNanos;
    private int rotations;
    /** The time in the last part's name, and its "-N" (0 for none). */
    private String lastStamp;
    private int lastN;

    private RotatingOutput(Path path, long maxBytes, long maxAgeNanos, int keep) {
        this.path = path;
        this.maxBytes = maxBytes;
        this.maxAgeNanos = maxAgeNanos;
        this.keep = keep;
    }

    /** Standard output: never rotated, never closed; a write error its PrintStream kept to itself is thrown ({@link Main.NonClosing}). */
    static RotatingOutput stdout(OutputStream out) {
        RotatingOutput r = new RotatingOutput(null, 0, 0, 0);
        r.current = new BufferedWriter(new OutputStreamWriter(new Main.NonClosing(out), StandardCharsets.UTF_8), 1 << 16);
        return r;
    }

    /** The file's path, or "standard output": how messages name it. */
    String name() {
        return path == null ? "standard output" : path.toString();
    }

    /** A failed write as one line naming this output ("PATH: cannot write: REASON"). */
    String failure(IOException e) {
        return org.portmatrix.report.ReportTarget.failure(name(), e);
    }

    /**
     * A file, appended to if it exists.
     *
     * @param maxBytes rotate when the file passes this size (0: never)
     * @param maxAgeNanos rotate when the file is this old (0: never)
     * @param keep rotated parts kept, the newest (0: all); older ones, by the time in their names, are deleted at each rotation
     */
    static RotatingOutput file(Path path, long maxBytes, long maxAgeNanos, int keep) throws IOException {
        RotatingOutput r = new RotatingOutput(path, maxBytes, maxAgeNanos, keep);
        r.endedMidLine = r.open();
        return r;
    }

    /**
     * Whether the file, as found at the start, ended in the middle of a line: a run before stopped
     * while writing it (killed, the machine down). A line end is added before the first new line, so
     * that the new lines are whole and the cut one stays a line of its own.
     */
    boolean endedMidLine() {
        return endedMidLine;
    }

    /** Opens the file for appending; true when it ended in the middle of a line (a line end is then added). */
    private boolean open() throws IOException {
        java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE);
        boolean midLine = false;
        try {
            long size = ch.size();
            if (size > 0) {
                java.nio.ByteBuffer last = java.nio.ByteBuffer.allocate(1);
                try (java.nio.channels.FileChannel read = java.nio.channels.FileChannel.open(path, StandardOpenOption.READ)) {
                    midLine = read.read(last, size - 1) == 1 && last.get(0) != '\n';
                } catch (java.nio.file.AccessDeniedException e) {
                    // a file this user may append to but not read (mode -w-, an append-only rule): not looked at, written as before
                }
                if (midLine) {
                    ch.write(java.nio.ByteBuffer.wrap(new byte[] {'\n'})); // (the new lines would have been glued to the cut one)
                }
            }
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        channel = ch;
        counting.bytes = ch.size(); // the size of the file opened (a look at the name could meet it removed meanwhile)
        wholeBytes = counting.bytes;
        Object key = keyOf(path);
        fileKey = key == GONE ? null : key;
        openFile = fileKey == null ? null : descriptorOf(fileKey);
        current = new BufferedWriter(new OutputStreamWriter(java.nio.channels.Channels.newOutputStream(ch), StandardCharsets.UTF_8.newEncoder()));
        openedNanos = System.nanoTime();
        return midLine;
    }

    /** The writer of the records: writes go to the current file. */
    Writer writer() {
        return counting;
    }

    /**
     * What {@link #maybeRotate} and {@link #reopenIfRemoved} did: nothing, a rotation, a new file for one
     * removed, the file now under the name written instead of the one moved away from it.
     */
    static final int KEPT = 0;
    static final int ROTATED = 1;
    static final int REMOVED = 2;
    static final int REPLACED = 3;
    /** The file was moved away and nothing took its name (a plain {@code mv}, logrotate's {@code nocreate}): a new file is begun; the lines before stay in the one moved away. */
    static final int MOVED = 4;

    /** This process's descriptor (as {@code /proc/self/fd/N}) of the open file whose identity is {@code key}; null if none is found. */
    private static Path descriptorOf(Object key) {
        Path fds = Path.of("/proc/self/fd");
        try (java.util.stream.Stream<Path> open = Files.list(fds)) { // (a few tens of descriptors; once per file begun)
            for (Path fd : (Iterable<Path>) open::iterator) {
                if (key.equals(keyOf(fd))) {
                    return fd;
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // no /proc: a name gone is taken as a removal
        }
        return null;
    }

    /** Whether the file system gives a file's link count ("unix:nlink"): Linux's does; elsewhere a name gone is a removal. */
    private static final boolean LINK_COUNTS = java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("unix");

    /** Whether the open file still has a name somewhere (moved away, not removed); false when that cannot be told. */
    private boolean stillLinked() {
        if (openFile == null || !LINK_COUNTS) {
            return false;
        }
        try {
            Object key = keyOf(openFile); // (the same descriptor, still this file)
            return key != null && key.equals(fileKey) && (Integer) Files.getAttribute(openFile, "unix:nlink") > 0;
        } catch (IOException e) {
            return false; // (the descriptor gone meanwhile)
        }
    }

    /** The identity of the file under {@code p} now; {@link #GONE} when there is none; null when the file system has none to give. */
    private static Object keyOf(Path p) {
        try {
            return Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        } catch (java.nio.file.NoSuchFileException e) {
            return GONE;
        } catch (IOException e) {
            return null; // cannot be told: taken as the same file
        }
    }

    private static final Object GONE = new Object();

    /**
     * Call between records: rotates when the file is too large or too old; {@link #REMOVED} when it
     * had been removed meanwhile (its lines went with it: a new file is begun, no part is kept).
     */
    int maybeRotate() throws IOException {
        if (path == null) {
            return KEPT;
        }
        if (counting.bytes == 0) {
            return KEPT; // never an empty part
        }
        boolean big = maxBytes > 0 && counting.bytes >= maxBytes;
        boolean old = maxAgeNanos > 0 && System.nanoTime() - openedNanos >= maxAgeNanos;
        return big || old ? rotate() : KEPT;
    }

    /**
     * Begins a new file when the one being written was removed (by hand, or a clean-up job): the lines
     * written would otherwise go on into a file nobody can open, to the run's end, or stop the capture at
     * the next rotation (the rename failed). {@link #REMOVED} then. When another file is under the name
     * (logrotate's default: the file renamed, a new empty one created), that one is written from now on
     * ({@link #REPLACED}; the lines before stay in the file moved away): otherwise the lines would go on
     * into the old file, and into nothing once a compression deleted it. When the name is gone but the
     * file still has one elsewhere (moved away, nothing made under the name), a new file is begun too,
     * {@link #MOVED}: its lines are not lost. Else {@link #KEPT}. A stat: called once per batch of
     * packets, not per record.
     */
    int reopenIfRemoved() throws IOException {
        if (path == null) {
            return KEPT;
        }
        Object now = keyOf(path);
        if (now != GONE) {
            if (fileKey == null) {
                fileKey = now; // not known at the opening (a file system without keys, or a look that failed): from now on
                openFile = descriptorOf(now);
                return KEPT;
            }
            if (now == null || now.equals(fileKey)) {
                return KEPT;
            }
        }
        boolean moved = now == GONE && stillLinked(); // (asked before the close: the descriptor goes with it)
        flush();
        current.close();
        open();
        return now != GONE ? REPLACED : moved ? MOVED : REMOVED;
    }

    private int rotate() throws IOException {
        int changed = reopenIfRemoved();
        if (changed != KEPT) {
            return changed; // a new file already
        }
        flush(); // (a failure here leaves the file open, to be cut back to its whole lines)
        rotationFlushes++;
        current.close();
        String stamp = STAMP.format(Instant.now());
        String base = path.getFileName() + "." + stamp;
        // Within one second the parts count up from the last one's number, never down into a name that
        // --rotate-keep has freed (that part would then sort as the oldest).
        int n = stamp.equals(lastStamp) ? lastN + 1 : 0;
        Path target = path.resolveSibling(n == 0 ? base : base + "-" + n);
        while (Files.exists(target)) {
            target = path.resolveSibling(base + "-" + ++n);
        }
        lastStamp = stamp;
        lastN = n;
        try {
            moveAside(path, target, new byte[0]);
        } catch (java.nio.file.NoSuchFileException e) {
            if (Files.exists(path)) {
                throw e;
            }
            open(); // removed between the look above and the link (a clean-up job): its lines went with it
            return REMOVED;
        }
        rotations++;
        open();
        if (keep > 0) {
            prune();
        }
        return ROTATED;
    }

    /**
     * Gives the file {@code path} the name {@code aside} (replacing a file there) and puts a new file
     * holding {@code first} under {@code path}, without either name ever going missing, even for a
     * moment (a reader polling them, a clean-up job, a log shipper would otherwise find nothing there):
     * a hard link under a temporary name renamed over {@code aside}, then the new file renamed over
     * {@code path}. Where the file system has no hard links, {@code path} is renamed and then made anew.
     */
    static void moveAside(Path path, Path aside, byte[] first) throws IOException {
        Path fresh = org.portmatrix.report.AtomicFile.tempBeside(path);
        try {
            Files.write(fresh, first);
            Path link = linkBeside(path);
            if (link == null) {
                Files.move(path, aside, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } else {
                try {
                    Files.move(link, aside, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } finally {
                    Files.deleteIfExists(link); // (gone once renamed)
                }
            }
            Files.move(fresh, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(fresh); // (gone once renamed)
        }
    }

    /** A hard link to {@code file} under a new temporary name beside it, or null where the file system has none. */
    private static Path linkBeside(Path file) throws IOException {
        try {
            return org.portmatrix.report.AtomicFile.beside(file, link -> Files.createLink(link, file));
        } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
            if (e instanceof java.nio.file.NoSuchFileException) {
                throw (IOException) e;
            }
            return null;
        }
    }

    private record Part(String stamp, int n, Path file) {}

    /**
     * Deletes the rotated parts beyond the newest {@link #keep}, ordered by the time in their names
     * and then their "-N" (numerically: "-10" came after "-9"). Parts of earlier runs with the same
     * name count too, as a log rotator's would. A part that cannot be deleted is left: the capture
     * goes on, and the next rotation tries again.
     */
    private void prune() {
        String base = path.getFileName().toString();
        List<Part> parts = new ArrayList<>();
        try (java.util.stream.Stream<Path> files = Files.list(path.toAbsolutePath().getParent())) {
            files.forEach(f -> {
                String name = f.getFileName().toString();
                if (name.startsWith(base)) {
                    java.util.regex.Matcher m = PART.matcher(name.substring(base.length()));
                    if (m.matches()) {
                        parts.add(new Part(m.group(1), m.group(2) == null ? 0 : Integer.parseInt(m.group(2)), f));
                    }
                }
            });
        } catch (IOException | java.io.UncheckedIOException e) {
            return;
        }
        parts.sort(Comparator.comparing(Part::stamp).thenComparingInt(Part::n));
        for (int i = 0; i < parts.size() - keep; i++) {
            try {
                Files.deleteIfExists(parts.get(i).file());
            } catch (IOException e) {
                // left for the next rotation
            }
        }
    }

    int rotations() {
        return rotations;
    }

    /**
     * Rotations that flushed the file whole before renaming it: its lines are in it (or in the part)
     * even when the rename or the new file then fails.
     */
    long rotationFlushes() {
        return rotationFlushes;
    }

    private long rotationFlushes;

    void flush() throws IOException {
        if (abandoned) {
            return;
        }
        current.flush();
        // The file's own size, not the bytes counted written: a file cut under the writer (logrotate's copytruncate) is
        // smaller than the count, and a cut back to the count would leave the start of the line a full disk cut.
        wholeBytes = channel != null ? channel.size() : counting.bytes;
    }

    /**
     * After a failed write (a full disk): the file is cut back to its size at the last flush that
     * succeeded, so that it ends with a whole line (a line cut by the full disk would break every
     * reader of the file, and a later run appending to it would glue its first line to the cut one),
     * and closed; nothing is written to it any more. The lines buffered since that flush are not in
     * the file. Standard output cannot be cut back: only nothing more is written to it.
     */
    void abandon() {
        if (abandoned) {
            return;
        }
        abandoned = true;
        if (channel == null) {
            return;
        }
        try {
            if (channel.size() > wholeBytes) {
                channel.truncate(wholeBytes);
            }
        } catch (IOException e) {
            // (closed meanwhile: the cut line stays; the next run's opening adds a line end after it)
        }
        try {
            channel.close();
        } catch (IOException e) {
            // nothing more to do with it
        }
    }

    @Override
    public void close() throws IOException {
        if (abandoned) {
            return; // (closing the writer would flush what it still buffers into the file cut back)
        }
        if (path == null) {
            current.flush();
        } else {
            current.close();
        }
    }

    /** Counts UTF-8 bytes (ASCII only in practice: the JSON is escaped) and forwards to the current file. */
    private final class Counting extends Writer {
        long bytes;

        @Override
        public void write(char[] cbuf, int off, int len) throws IOException {
            current.write(cbuf, off, len);
            for (int i = off; i < off + len; i++) {
                char c = cbuf[i];
                bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
            }
        }

        @Override
        public void write(String s, int off, int len) throws IOException {
            current.write(s, off, len);
            for (int i = off; i < off + len; i++) {
                char c = s.charAt(i);
                bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
            }
        }

        @Override
        public void write(int c) throws IOException {
            current.write(c);
            bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
        }

        @Override
        public void flush() {
            // the caller flushes through RotatingOutput.flush(), once per batch
        }

        @Override
        public void close() {
            // RotatingOutput.close() closes the file
        }
    }
}
