package org.portmatrix.capture;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The capture files of a set held open at once, within the process's open-files limit. Several
 * captures are read together in time order ({@link MergedSource}), each open from its first packet
 * to its end: a ring buffer holds one or two open at a time, but captures of the same period from
 * many mirror ports are all open together, and with {@code ulimit -n 64} 60 of them took every
 * descriptor, so that the JVM itself could no longer open its own files (a stack trace,
 * "Error loading java.security file", and no report). Beyond {@link #budget()} files open, the
 * one read longest ago lets its descriptor go between two reads and opens its file again at the
 * same offset when it is read next ({@link File}); the reader's state, its buffers and a gzip
 * stream's inflater stay as they are.
 */
final class OpenFiles {
    /** Descriptors left to the JVM and the run's outputs (reports, the extract, class and security files). */
    static final int RESERVE = 32;
    /** Bytes of a file's start compared when it is opened again: its header and first records (a pcapng's section and interface blocks). */
    static final int PREFIX = 4096;
    /** The fewest capture files open at once, whatever the limit says. */
    static final int MIN_BUDGET = 2;

    private static final Object LOCK = new Object();
    /** Open files by the order they were last read in (access order), the one read longest ago first. */
    private static final LinkedHashMap<File, Boolean> OPEN = new LinkedHashMap<>(16, 0.75f, true);
    private static int budget = -1;
    /** Sets the budget (a test's own, instead of the limit's); returns the one before. */
    static int budget(int files) {
        synchronized (LOCK) {
            int before = budget();
            budget = files;
            return before;
        }
    }

    /** Descriptors let go so far (for the tests). */
    private static long parked;

    private OpenFiles() {}

    /**
     * A file whose descriptor was let go could not be opened again where it was (deleted, or another file took
     * its name: a ring buffer still written to): damage at that offset, the packets before it read.
     */
    static final class Gone extends IOException {
        Gone(String message) {
            super(message);
        }
    }

    /** What is said of a file that is not there again: why its descriptor had been let go. */
    private static final String LET_GO = " while its descriptor was let go (more captures of the same period than the open-files limit"
            + " leaves open at once: ulimit -n)";

    /**
     * How many capture files may be open at once: the open-files limit (the soft one, which the JVM raises
     * to the hard one at its start), less the descriptors open when it is first asked and {@link #RESERVE};
     * unlimited where /proc does not say.
     */
    static int budget() {
        synchronized (LOCK) {
            if (budget < 0) {
                budget = Integer.getInteger("portmatrix.openFiles", computeBudget());
            }
            return budget;
        }
    }

    private static int computeBudget() {
        try {
            long limit = -1;
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String[] f = line.substring("Max open files".length()).trim().split("\\s+");
                    limit = f[0].equals("unlimited") ? -1 : Long.parseLong(f[0]);
                }
            }
            if (limit < 0) {
                return Integer.MAX_VALUE;
            }
            long used;
            try (var fds = Files.list(Path.of("/proc/self/fd"))) {
                used = fds.count();
            }
            return (int) Math.max(MIN_BUDGET, Math.min(Integer.MAX_VALUE, limit - used - RESERVE));
        } catch (IOException | RuntimeException e) {
            return Integer.MAX_VALUE;
        }
    }

    /** Descriptors let go so far, to be opened again when their file is read next. */
    static long parked() {
        synchronized (LOCK) {
            return parked;
        }
    }

    /** Opens a regular file for reading, its descriptor within the budget. */
    static File open(Path path) throws IOException {
        File f = new File(path);
        f.lock.lock();
        try {
            f.reopen();
        } finally {
            f.lock.unlock();
        }
        return f;
    }

    /**
     * Makes room for one more open file: the files read longest ago let their descriptors go, those not
     * being read at this moment (a gzip capture's is read on a thread of its own); should every one be
     * busy, the file is opened all the same. Called with {@code f}'s lock held, never waits for another's.
     */
    private static void admit(File f) {
        List<File> victims = new ArrayList<>();
        synchronized (LOCK) {
            int limit = budget();
            Iterator<File> it = OPEN.keySet().iterator();
            while (OPEN.size() - victims.size() >= limit && it.hasNext()) {
                File v = it.next();
                if (v != f && v.lock.tryLock()) {
                    it.remove();
                    victims.add(v);
                }
            }
            OPEN.put(f, Boolean.TRUE);
            parked += victims.size();
        }
        for (File v : victims) {
            try {
                v.park();
            } finally {
                v.lock.unlock();
            }
        }
    }

    private static void touch(File f) {
        synchronized (LOCK) {
            OPEN.get(f); // (access order: now the one read last)
        }
    }

    private static void forget(File f) {
        synchronized (LOCK) {
            OPEN.remove(f);
        }
    }

    /**
     * A regular capture file read from start to end, whose descriptor {@link OpenFiles} may close between
     * two reads; it is opened again at the same offset, and refused as damage if another file has taken
     * its name since (a ring buffer's oldest file deleted and its name used again).
     */
    static final class File extends InputStream {
        private final Path path;
        private final ReentrantLock lock = new ReentrantLock();
        private FileChannel channel;
        private Object key;
        private long position;
        private boolean closed;
        /**
         * The file's first bytes when it was first opened (its header and first record): a file whose name tcpdump -C -W
         * used again is the same inode cut and written anew, which the file key does not tell.
         */
        private byte[] prefix;

        private File(Path path) {
            this.path = path;
        }

        /** Opens the file again at {@link #position}; the caller holds {@link #lock}. */
        private void reopen() throws IOException {
            if (closed) {
                throw new IOException("Stream closed");
            }
            if (key != null) {
                // Opened again: checked first, so that no other file lets its descriptor go for one that is not there.
                BasicFileAttributes attributes;
                try {
                    attributes = Files.readAttributes(path, BasicFileAttributes.class);
                } catch (java.nio.file.NoSuchFileException e) {
                    throw new Gone("deleted" + LET_GO);
                }
                Object now = attributes.fileKey();
                if (now != null && !key.equals(now)) {
                    throw new Gone("another file took its name" + LET_GO);
                }
                if (attributes.size() < position) {
                    throw new Gone("cut to " + attributes.size() + " bytes" + LET_GO);
                }
            }
            admit(this);
            FileChannel c;
            try {
                c = FileChannel.open(path, StandardOpenOption.READ);
            } catch (java.nio.file.NoSuchFileException e) {
                forget(this);
                if (key == null) {
                    throw e;
                }
                throw new Gone("deleted" + LET_GO);
            } catch (IOException e) {
                forget(this);
                if (key == null) {
                    throw e;
                }
                throw new Gone("could not be opened again (" + e.getMessage() + ")" + LET_GO);
            }
            Object k = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            if (key != null && k != null && !key.equals(k)) {
                c.close();
                forget(this);
                throw new Gone("another file took its name" + LET_GO);
            }
            key = k;
            try {
                if (prefix == null) {
                    prefix = head(c, PREFIX);
                } else {
                    // The same inode: tcpdump -C -W cuts a file whose name it uses again and writes it anew. Cut below where it
                    // was read to, it ended there without a word; written past it, it went on in another capture's bytes.
                    long now = c.size();
                    String why = now < position ? "cut to " + now + " bytes"
                            : !java.util.Arrays.equals(prefix, head(c, prefix.length)) ? "written anew from its start" : null;
                    if (why != null) {
                        c.close();
                        forget(this);
                        throw new Gone(why + LET_GO);
                    }
                }
                if (position > 0) {
                    c.position(position);
                }
            } catch (Gone e) {
                throw e;
            } catch (IOException e) {
                c.close();
                forget(this);
                throw e;
            }
            channel = c;
        }

        /** Up to {@code n} bytes from the start of the file, read where they are (the channel's position unchanged). */
        private static byte[] head(FileChannel c, int n) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(n);
            while (b.hasRemaining() && c.read(b, b.position()) > 0) {
                // (a file shorter than n: what it holds)
            }
            return java.util.Arrays.copyOf(b.array(), b.position());
        }

        /** Lets the descriptor go; the caller holds {@link #lock}. */
        private void park() {
            FileChannel c = channel;
            channel = null;
            if (c != null) {
                try {
                    c.close();
                } catch (IOException e) {
                    // (a read-only descriptor: nothing is lost; the next read opens it again)
                }
            }
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            lock.lock();
            try {
                if (channel == null) {
                    reopen();
                } else {
                    touch(this);
                }
                int n = channel.read(ByteBuffer.wrap(b, off, len));
                if (n > 0) {
                    position += n;
                }
                return n;
            } finally {
                lock.unlock();
            }
        }

        /** What is left of the file (a file's read is short only at its end); 1 while its descriptor is let go. */
        @Override
        public int available() throws IOException {
            lock.lock();
            try {
                if (closed) {
                    return 0;
                }
                if (channel == null) {
                    return 1;
                }
                return (int) Math.max(0, Math.min(Integer.MAX_VALUE, channel.size() - position));
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() throws IOException {
            lock.lock();
            try {
                closed = true;
                forget(this);
                if (channel != null) {
                    channel.close();
                    channel = null;
                }
            } finally {
                lock.unlock();
            }
        }
    }
}
