package org.portmatrix.inspect.tls;

import java.util.Arrays;

/**
 * Memory the TLS inspector shares among the flows of one packet thread: handshake-message buffers
 * lent to a stream while one message is reassembled, and one copy of each certificate seen.
 *
 * <p>Measured reason (JFR allocation profile and GC log, reference workload, 10 k TLS sessions): a
 * reassembly buffer per stream and a copy of the certificate per session were 67 MB of the packet
 * thread's 110 MB allocated, and 46 MB of the live heap at the first young collection, copied by
 * every collection while their flows lived. A deployment presents few distinct certificates; its
 * sessions repeat them.
 */
final class TlsBuffers {
    /** Buffers kept for lending: more are in use only while that many messages are half-read at once. */
    private static final int POOL = 64;
    /** Distinct certificates kept for sharing (open addressing, at most half full); later ones are copied. */
    private static final int CERT_SLOTS = 1 << 11;

    private final byte[][] pool = new byte[POOL][];
    private int pooled;
    private final byte[][] certs = new byte[CERT_SLOTS][];
    private int certCount;

    /** A buffer of {@link TlsStream#BODY_CAP} bytes, to {@link #give} back when the message is parsed. */
    byte[] take() {
        return pooled > 0 ? pool[--pooled] : new byte[TlsStream.BODY_CAP];
    }

    void give(byte[] b) {
        if (pooled < POOL) {
            pool[pooled++] = b;
        }
    }

    /**
     * The DER bytes {@code b[off, off + n)} as an array that is never written to: the copy kept
     * for an earlier session when the same certificate was seen before, else a new copy.
     */
    byte[] certificate(byte[] b, int off, int n) {
        int h = n;
        int step = Math.max(1, n >> 6); // 64 sampled bytes: certificates of one issuer differ all along
        for (int i = 0; i < n; i += step) {
            h = 31 * h + b[off + i];
        }
        h ^= h >>> 16;
        int mask = CERT_SLOTS - 1;
        for (int i = h & mask; ; i = (i + 1) & mask) {
            byte[] c = certs[i];
            if (c == null) {
                byte[] copy = Arrays.copyOfRange(b, off, off + n);
                if (certCount < CERT_SLOTS / 2) {
                    certs[i] = copy;
                    certCount++;
                }
                return copy;
            }
            if (c.length == n && Arrays.equals(c, 0, n, b, off, off + n)) {
                return c;
            }
        }
    }
}
