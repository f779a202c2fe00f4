package org.portmatrix.capture;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A large read buffer over a stream. Capture readers parse records in place in {@link #buf} and
 * ask for more with {@link #ensure}; no object is allocated per record.
 *
 * <p>Reading is done ahead by a thread of its own (the second core): it fills whole chunks from the
 * stream (the kernel's copy out of the page cache, or gzip's inflation) while the caller decodes.
 * When the caller runs out, it swaps to the next filled chunk, copying only the unfinished record
 * in front of it ({@link #HEAD} bytes are kept free for that), and hands the old chunk back to be
 * filled again: the bytes are copied into the heap once, by the reading thread. {@link #buf} may
 * therefore change at every {@link #ensure}: callers re-read it after each call.
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
    /** Chunks filled ahead of the reader. */
    private static final int AHEAD = 3;

    private final InputStream in;
    byte[] buf;
    int pos;
    int limit;
    /** Stream offset of buf[0]. */
    private long base;
    private boolean eof;
    private final BlockingQueue<Chunk> filled = new ArrayBlockingQueue<>(AHEAD + 2);
    private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(AHEAD + 2);
    private final Thread reader;
    private final int chunkBytes;
    private int allocated;
    private volatile boolean closed;
    private byte[] current;

    /** A filled chunk: data at [HEAD, HEAD + length); length -1 is the end, with {@code failure} when reading failed. */
    private record Chunk(byte[] buf, int length, IOException failure) {}

    ByteInput(InputStream in, int chunkBytes) {
        this.in = in;
        this.buf = new byte[0];
        this.chunkBytes = chunkBytes;
        this.reader = new Thread(this::readAhead, "portmatrix-read-ahead");
        this.reader.setDaemon(true);
        this.reader.start();
    }

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
            try {
                c = filled.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while reading");
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
                free.offer(current);
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

    void close() throws IOException {
        closed = true;
        reader.interrupt();
        try {
            reader.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        in.close();
    }
}
