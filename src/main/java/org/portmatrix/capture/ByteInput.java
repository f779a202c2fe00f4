package org.portmatrix.capture;

import java.io.IOException;
import java.io.InputStream;

/**
 * A large reused read buffer over a stream. Capture readers parse records in place in {@link #buf}
 * and ask for more with {@link #ensure}; no object is allocated per record.
 *
 * <p>Measured reason for not using pcap4j offline: its fastest raw path ({@code loop}) reads the
 * reference workload at 1.2 M packets/s; a 4 MiB reused buffer reads it at 9 M packets/s
 * (../shared/bench/README.md).
 */
final class ByteInput {
    /** Large enough for the largest record we accept plus its header, many times over. */
    static final int DEFAULT_CAPACITY = 4 << 20;

    private final InputStream in;
    final byte[] buf;
    int pos;
    int limit;
    /** Stream offset of buf[0]. */
    private long base;
    private boolean eof;

    ByteInput(InputStream in, int capacity) {
        this.in = in;
        this.buf = new byte[capacity];
    }

    /** Stream offset of {@link #pos}. */
    long offset() {
        return base + pos;
    }

    int available() {
        return limit - pos;
    }

    /**
     * Makes at least {@code n} bytes available from {@link #pos}, compacting and reading as needed.
     * Returns false when the stream ends first (what is there stays available).
     */
    boolean ensure(int n) throws IOException {
        if (limit - pos >= n) {
            return true;
        }
        if (n > buf.length) {
            throw new IllegalArgumentException("record larger than the read buffer: " + n);
        }
        if (pos > 0) {
            int rest = limit - pos;
            System.arraycopy(buf, pos, buf, 0, rest);
            base += pos;
            pos = 0;
            limit = rest;
        }
        while (limit < n && !eof) {
            int r = in.read(buf, limit, buf.length - limit);
            if (r < 0) {
                eof = true;
            } else {
                limit += r;
            }
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
        in.close();
    }
}
