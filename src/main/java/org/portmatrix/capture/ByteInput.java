package org.portmatrix.capture;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A large read buffer over a stream. Capture readers parse records in place in {@link #buf} and
 * ask for more with {@link #ensure}; no object is allocated per record.
 *
 * <p>Chunks are filled from the stream and swapped: when the caller runs out, it moves to the next
 * filled chunk, copying only the unfinished record in front of it ({@link #HEAD} bytes are kept
 * free for that). {@link #buf} may therefore change at every {@link #ensure}: callers re-read it
 * after each call.
 *
 * <p>Who fills them: for a compressed stream, a thread of its own (the second core), which inflates
 * whole chunks ahead while the caller decodes. For a plain file or a pipe, the caller itself, in
 * chunks of {@link #SYNC_CHUNK} bytes that stay in its core's cache until it parses them. Measured
 * reason (reference workload, alternating runs): reading ahead on the other core left the parser a
 * cache miss at every record header (half the second pass of {@code --extract} was spent on that
 * first touch) and took a core the flow thread needed; reading in place was 3-13% faster in wall time
 * in several sets of alternating runs.
 *
 * <p>Measured reason for not using pcap4j offline: its fastest raw path ({@code loop}) reads the
 * reference workload at 1.2 M packets/s; a 4 MiB reused buffer reads it at 9 M packets/s
 * (../shared/bench/README.md).
 */
final class ByteInput {
    /** Bytes of stream data per chunk. */
    static final int DEFAULT_CAPACITY = 1 << 20;
    /** Room kept before a chunk's data for the unfinished record carried over: the largest {@link #ensure}. */
    static final int HEAD = 1 << 20;
    /** Chunks filled ahead of the reader (compressed streams). */
    private static final int AHEAD = 3;
    /**
     * Bytes per chunk when the caller fills them: small enough that the records are still in the
     * core's cache when it parses them after the kernel's copy. Measured (reference workload, 10
     * alternating rounds each): 128 KiB beat 256 KiB by 2.5% and 512 KiB by 3% of the whole run; 64
     * and 32 KiB were slower again (more system calls).
     */
    static final int SYNC_CHUNK = 128 << 10;
    /**
     * Chunks of closed inputs (filled by their caller), taken again by the next inputs opened: guarded
     * by itself. Measured reason: a directory of 100 captures (the reference workload cut by editcap
     * -c 50000) made 200 new chunks of 1.1 MiB, two for each file's first packet at the set-up and two
     * for its read, 220 MB of new memory that this machine faults in at 1-1.5 ms a MB.
     */
    private static final ArrayDeque<byte[]> POOL = new ArrayDeque<>();
    private static final int POOL_MAX = 4;

    private final InputStream in;
    byte[] buf;
    int pos;
    int limit;
    /** Stream offset of buf[0]. */
    private long base;
    private boolean eof;
    private final BlockingQueue<Chunk> filled = new ArrayBlockingQueue<>(AHEAD + 2);
    private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(AHEAD + 2);
    /** The read-ahead thread, or null when the caller fills the chunks. */
    private final Thread reader;
    private final int chunkBytes;
    /** The chunk to fill next when the caller fills them (null: allocate one). */
    private byte[] spare;
    private int allocated;
    private volatile boolean closed;
    private byte[] current;

    /** A filled chunk: data at [HEAD, HEAD + length); length -1 is the end, with {@code failure} when reading failed. */
    private record Chunk(byte[] buf, int length, IOException failure) {}

    /** @param readAhead fill chunks on a thread of its own (worth it where filling costs CPU: inflating) */
    ByteInput(InputStream in, int chunkBytes, boolean readAhead) {
        this.in = in;
        this.buf = new byte[0];
        if (readAhead) {
            this.chunkBytes = chunkBytes;
            this.reader = new Thread(this::readAhead, "portmatrix-read-ahead");
            this.reader.setDaemon(true);
            this.reader.start();
        } else {
            this.chunkBytes = Math.min(chunkBytes, SYNC_CHUNK);
            this.reader = null;
        }
    }

    /** Fills a chunk on the caller's thread. */
    private Chunk fill() {
        byte[] b = spare != null ? spare : take(HEAD + chunkBytes);
        spare = null;
        int n = 0;
        int room = b.length - HEAD;
        try {
            while (n < room) {
                int r = in.read(b, HEAD + n, room - n);
                if (r < 0) {
                    break;
                }
                n += r;
                if (n < room && r > 0 && in.available() <= 0) {
                    // A pipe with nothing more for now: its packets are parsed at once, not once a whole chunk
                    // has come (a capture piped from tcpdump -U would wait minutes, its set-up with it). A file's
                    // read is short only at its end.
                    break;
                }
            }
        } catch (IOException e) {
            // What was read before the failure is parsed first; the failure comes with the next chunk.
            failed = e;
        }
        if (n > 0) {
            return new Chunk(b, n, null);
        }
        spare = b;
        return new Chunk(null, -1, failed);
    }

    /** A read failure on the caller's thread, reported once the bytes read before it are used. */
    private IOException failed;

    private void readAhead() {
        try {
            while (!closed) {
                byte[] b = free.poll();
                if (b == null) {
                    // Buffers are made as needed: a small file gets one, a large one AHEAD + 1.
                    b = allocated < AHEAD + 1 ? new byte[HEAD + chunkBytes] : free.take();
                    allocated++;
                }
                int n = 0;
                int room = b.length - HEAD;
                IOException failure = null;
                boolean end = false;
                try {
                    while (n < room) {
                        int r = in.read(b, HEAD + n, room - n);
                        if (r < 0) {
                            end = true;
                            break;
                        }
                        n += r;
                        if (n < room && r > 0 && in.available() <= 0) {
                            // A compressed capture through a pipe with nothing more for now: what is inflated is handed over,
                            // not held until a MiB is (the set-up waited for it, and a signal lost it).
                            break;
                        }
                    }
                } catch (IOException e) {
                    failure = e;
                    end = true;
                }
                if (n > 0) {
                    filled.put(new Chunk(b, n, null));
                }
                if (end) {
                    filled.put(new Chunk(null, -1, failure));
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            // Out of memory, most likely: the reader ends the stream with the failure, as a read error does, instead of
            // leaving it waiting for a chunk that never comes (the run hung, with no report).
            filled.offer(new Chunk(null, -1, new IOException(t instanceof OutOfMemoryError
                    ? "out of memory while inflating ahead: the Java heap is full (PORTMATRIX_JAVA_OPTS=-Xmx<size> gives it more)"
                    : "reading ahead failed: " + t, t)));
        }
    }

    /** Chunk size for a stream of {@code size} bytes (-1 when unknown): no larger than the file needs. */
    static int chunkFor(long size) {
        if (size < 0) {
            return DEFAULT_CAPACITY;
        }
        return (int) Math.max(64 << 10, Math.min(DEFAULT_CAPACITY, size + 1));
    }

    /** Stream offset of {@link #pos}. */
    long offset() {
        return base + pos;
    }

    int available() {
        return limit - pos;
    }

    /** The most bytes one {@link #ensure} may ask for. */
    int capacity() {
        return HEAD;
    }

    /**
     * Makes at least {@code n} bytes available from {@link #pos}, taking filled chunks as needed.
     * Returns false when the stream ends first (what is there stays available).
     */
    boolean ensure(int n) throws IOException {
        if (limit - pos >= n) {
            return true;
        }
        if (n > HEAD) {
            throw new IllegalArgumentException("record larger than the read buffer: " + n);
        }
        while (limit - pos < n && !eof) {
            Chunk c;
            if (reader == null) {
                c = failed != null ? new Chunk(null, -1, failed) : fill();
            } else {
                try {
                    c = filled.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while reading");
                }
            }
            if (c.length() < 0) {
                eof = true;
                if (c.failure() != null) {
                    throw c.failure();
                }
                break;
            }
            // rest < n <= HEAD: the unfinished record fits in front of the new chunk's data.
            int rest = limit - pos;
            byte[] nb = c.buf();
            int start = HEAD - rest;
            System.arraycopy(buf, pos, nb, start, rest);
            base += pos - start;
            if (current != null) {
                if (reader == null) {
                    spare = current;
                } else {
                    free.offer(current);
                }
            }
            current = nb;
            buf = nb;
            pos = start;
            limit = HEAD + c.length();
        }
        return limit - pos >= n;
    }

    /** Skips n bytes, which may run past the buffer. Returns false if the stream ended first. */
    boolean skip(long n) throws IOException {
        while (n > 0) {
            int have = limit - pos;
            if (have >= n) {
                pos += (int) n;
                return true;
            }
            n -= have;
            pos = limit;
            if (!ensure(1)) {
                return false;
            }
        }
        return true;
    }

    /**
     * A pooled chunk of at least this length (its whole room is filled), else a new one. Measured
     * reason for taking a larger one: a day of small files (tcpdump -C, 1,334 files of 150 packets)
     * made a new chunk for each, their sizes all different (1.1 GB made, peak RSS 627 MiB).
     */
    private static byte[] take(int length) {
        synchronized (POOL) {
            for (Iterator<byte[]> it = POOL.iterator(); it.hasNext(); ) {
                byte[] b = it.next();
                if (b.length >= length) {
                    it.remove();
                    return b;
                }
            }
        }
        return new byte[length];
    }

    /** Only {@link #close} gives chunks back, after clearing its own references: never one twice. */
    private static void give(byte[] b) {
        if (b != null) {
            synchronized (POOL) {
                if (POOL.size() == POOL_MAX) {
                    POOL.pollLast(); // the one given back longest ago
                }
                POOL.push(b);
            }
        }
    }

    /**
     * Ends the input. Chunks its caller filled go back to the pool: what {@link #buf} held may be
     * overwritten by another input from then on.
     */
    void close() throws IOException {
        closed = true;
        if (reader == null) {
            byte[] c = current;
            byte[] s = spare;
            current = null;
            spare = null;
            base += pos; // offset() stays where reading stopped
            buf = new byte[0];
            pos = 0;
            limit = 0;
            eof = true; // nothing more is read into a chunk it gave back
            give(c);
            give(s);
        } else {
            reader.interrupt();
            try {
                reader.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        in.close();
    }
}
