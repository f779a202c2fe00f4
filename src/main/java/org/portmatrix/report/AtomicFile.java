package org.portmatrix.report;

import java.io.BufferedOutputStream;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * A file written under a temporary name in its target's directory and renamed over the target only
 * when complete: a reader never sees half a report, and a failed run leaves the previous file.
 */
public final class AtomicFile implements AutoCloseable, ReportTarget {
    private final Path target;
    /** Where the file is renamed to: the target, or the file its symbolic link names ({@link #linkedTo}). */
    private final Path into;
    private final Path temp;
    private final OutputStream stream;
    private Writer writer;
    private boolean done;

    private AtomicFile(Path target, Path into, Path temp, OutputStream stream) {
        this.target = target;
        this.into = into;
        this.temp = temp;
        this.stream = stream;
    }

    /**
     * The file a report or extract named {@code target} is renamed to: {@code target} itself, or, when it is a symbolic
     * link, the file the link names (links followed to the end). Renamed over the link, the temporary file had replaced it:
     * {@code --output report.csv} where report.csv links into a share left a plain file and the share's file untouched,
     * and {@code --output /dev/stdout} (a link to /proc/self/fd/1) with standard output redirected to a file made the
     * temporary file in /dev and renamed it over /dev/stdout.
     */
    public static Path linkedTo(Path target) throws IOException {
        Path p = target.toAbsolutePath();
        for (int hops = 0; Files.isSymbolicLink(p); hops++) {
            if (hops == 40) { // as the kernel's ELOOP
                // (the reason alone: the caller names the file; "loop: cannot write output: loop: too many ...")
                throw new IOException("too many levels of symbolic links");
            }
            p = p.resolveSibling(Files.readSymbolicLink(p)); // (an absolute link replaces the path; a relative one is beside it)
        }
        return p;
    }

    /**
     * The open descriptor a name links to ({@code /dev/stdout}, {@code /dev/fd/3}, {@code /proc/self/fd/1}: a link, at
     * some step, in a process's /proc fd directory), or -1. Such a link names whatever the descriptor is open on; a file
     * there is the shell's redirection ({@code > out}, {@code >> log}, {@code { ...; } > out}), written through the
     * descriptor: renamed over, it had lost what was in the file before ({@code >>}) and what the shell wrote after.
     */
    public static int descriptor(Path target) {
        try {
            Path p = target.toAbsolutePath();
            for (int hops = 0; hops < 40; hops++) {
                Path dir = p.getParent();
                String name = p.getFileName() == null ? "" : p.getFileName().toString();
                if (dir != null && digits(name) && name.length() < 10
                        && dir.toRealPath().toString().matches("/proc/[0-9]+(/task/[0-9]+)?/fd")) {
                    return Integer.parseInt(name);
                }
                if (!Files.isSymbolicLink(p)) {
                    return -1;
                }
                p = p.resolveSibling(Files.readSymbolicLink(p));
            }
        } catch (IOException | RuntimeException e) {
            // not a descriptor's name
        }
        return -1;
    }

    /** Whether {@code s} is one or more ASCII digits (a loop, not a stream: no lambda to bootstrap while a run sets up). */
    private static boolean digits(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return !s.isEmpty();
    }

    public static AtomicFile create(Path target) throws IOException {
        int fd = descriptor(target);
        if (fd >= 0) {
            // An open descriptor, written through (fd 1 and 2 as the process holds them: the shell's offset moves on,
            // and ">>" appends); another one reopened to append, neither truncated nor replaced.
            // (1 and 2 are flushed, not closed, at the end: the process writes on to them)
            OutputStream out = fd == 1 || fd == 2 ? new java.io.FilterOutputStream(new java.io.FileOutputStream(fd == 1
                    ? java.io.FileDescriptor.out : java.io.FileDescriptor.err)) {
                        @Override
                        public void write(byte[] b, int off, int len) throws IOException {
                            out.write(b, off, len);
                        }

                        @Override
                        public void close() throws IOException {
                            flush();
                        }
                    }
                    : Files.newOutputStream(target, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            return new AtomicFile(target, target, null, new Named(new BufferedOutputStream(out, 1 << 16), target));
        }
        if (Files.exists(target) && !Files.isRegularFile(target)) {
            // A device or a pipe (/dev/null, /dev/stdout, a FIFO): written in place; renaming a
            // temporary file over it would replace the device with a regular file.
            return new AtomicFile(target, target, null, new Named(new BufferedOutputStream(Files.newOutputStream(target), 1 << 16), target));
        }
        Path into = linkedTo(target);
        Path temp = tempBeside(into);
        // WRITE alone: the temporary file is new and empty, and O_TRUNC would make ext4 write back the
        // whole file at close (auto_da_alloc; see PcapWriter).
        return new AtomicFile(target, into, temp, new Named(new BufferedOutputStream(Files.newOutputStream(temp, StandardOpenOption.WRITE), 1 << 16), target));
    }

    /** Write errors name the file ("out.jsonl: cannot write: No space left on device"), not only the system's reason. */
    private static final class Named extends java.io.FilterOutputStream {
        private final Path target;

        Named(OutputStream out, Path target) {
            super(out);
            this.target = target;
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (IOException e) {
                throw named(e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                throw named(e);
            }
        }

        @Override
        public void flush() throws IOException {
            try {
                out.flush();
            } catch (IOException e) {
                throw named(e);
            }
        }

        @Override
        public void close() throws IOException {
            try {
                out.close();
            } catch (IOException e) {
                throw named(e);
            }
        }

        private IOException named(IOException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return why.startsWith(target + ": ") ? e : new IOException(target + ": cannot write: " + why, e);
        }
    }

    /**
     * A new empty file ".NAME.RANDOM.tmp" in the target's directory (so the rename stays on one file
     * system), with the permissions any new file gets (the umask), not createTempFile's owner-only.
     */
    public static Path tempBeside(Path target) throws IOException {
        return beside(target, Files::createFile);
    }

    /** Makes a file (or link) of a new name. */
    public interface Maker {
        /** Makes {@code name}, throwing FileAlreadyExistsException when it is taken. */
        Path make(Path name) throws IOException;
    }

    /** {@code make} under a new temporary name ".NAME.RANDOM.tmp" in the target's directory; another name while it is taken. */
    public static Path beside(Path target, Maker make) throws IOException {
        Path abs = target.toAbsolutePath();
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        while (true) {
            Path temp = abs.resolveSibling("." + abs.getFileName() + "." + Long.toUnsignedString(random.nextLong(), 36) + ".tmp");
            try {
                return make.make(temp);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // another name
            }
        }
    }

    public Path target() {
        return target;
    }

    /** A regular file, renamed into place; false for a device or a pipe written in place. */
    @Override
    public boolean regularFile() {
        return temp != null;
    }

    /** The bytes of the file. */
    public OutputStream stream() {
        return stream;
    }

    /** A UTF-8 writer over {@link #stream()} (one per file). */
    public Writer writer() {
        if (writer == null) {
            writer = new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), 1 << 16);
        }
        return writer;
    }

    /** Flushes, closes and renames the file into place. */
    @Override
    public void commit() throws IOException {
        if (done) {
            return;
        }
        if (writer != null) {
            writer.close();
        } else {
            stream.close();
        }
        if (temp != null) {
            try {
                Files.move(temp, into, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, into, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        done = true;
    }

    /** {@link #close()}, without its error: the bytes are given up anyway (a write had failed). */
    @Override
    public void discard() {
        try {
            close();
        } catch (IOException e) {
            // what could not be flushed was to be deleted
        }
    }

    /** Deletes the temporary file unless committed. */
    @Override
    public void close() throws IOException {
        if (done) {
            return;
        }
        done = true;
        try {
            if (writer != null) {
                writer.close();
            } else {
                stream.close();
            }
        } finally {
            if (temp != null) {
                Files.deleteIfExists(temp);
            }
        }
    }
}
