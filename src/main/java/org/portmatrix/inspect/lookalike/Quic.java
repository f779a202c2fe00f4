package org.portmatrix.inspect.lookalike;

import org.portmatrix.inspect.Wire;

/**
 * QUIC's long header (RFC 9000 §17.2, RFC 9369 for version 2), told in one datagram:
 *
 * <pre>
 * Long Header Packet {
 *   Header Form (1) = 1, Fixed Bit (1) = 1, Long Packet Type (2), Type-Specific Bits (4),
 *   Version (32), Destination Connection ID Length (8), Destination Connection ID (0..160),
 *   Source Connection ID Length (8), Source Connection ID (0..160),
 *   Initial:   Token Length (i), Token (..), Length (i), Packet Number (8..32), Packet Payload (..)
 *   Handshake: Length (i), Packet Number (8..32), Packet Payload (..)
 * }
 * Version Negotiation Packet {
 *   Header Form (1) = 1, Unused (7), Version (32) = 0, Destination Connection ID Length (8), Destination Connection ID,
 *   Source Connection ID Length (8), Source Connection ID, Supported Version (32) ...
 * }
 * </pre>
 *
 * An Initial or a Handshake packet of a known version (1, 2, or an IETF draft's 0xff0000xx), connection ids of at most 20
 * bytes, its Length inside the datagram; an Initial's datagram is at least 1,200 bytes (§14.1: both ends pad every
 * datagram carrying an ack-eliciting Initial to it). A Version Negotiation packet lists whole 32-bit versions, one of them
 * known. A client's first datagram (1,200 bytes or more) in a reserved version (0x?a?a?a?a, §15), which a client sends to
 * have the server list its versions, is told by that pattern. Google QUIC and other versions are not told.
 */
public final class Quic {
    static final int LONG_HEADER = 0x80;
    static final int FIXED_BIT = 0x40;
    static final long VERSION_1 = 0x00000001L;
    /** RFC 9369. */
    static final long VERSION_2 = 0x6b3343cfL;
    /** IETF drafts: 0xff0000xx. */
    static final long DRAFT_MASK = 0xffffff00L;
    static final long DRAFT = 0xff000000L;
    static final long NEGOTIATION = 0;
    /** RFC 9000 §15: versions 0x?a?a?a?a are reserved, to exercise version negotiation. */
    static final long RESERVED_MASK = 0x0f0f0f0fL;
    static final long RESERVED = 0x0a0a0a0aL;
    /** RFC 9000 §17.2: a version 1 connection id is at most 20 bytes. */
    static final int MAX_CID = 20;
    /** RFC 9000 §14.1: the smallest datagram that may carry an Initial packet. */
    static final int MIN_INITIAL_DATAGRAM = 1200;
    /** Long packet types of version 1 (RFC 9000 Table 5) and of version 2 (RFC 9369 §3.2). */
    static final int V1_INITIAL = 0, V1_HANDSHAKE = 2, V2_INITIAL = 1, V2_HANDSHAKE = 3;
    /** Header form, version, the two connection id lengths. */
    private static final int MIN_HEADER = 7;

    private static final String[] DETAIL = {"QUIC (version 1 Initial packet)", "QUIC (version 1 Handshake packet)",
        "QUIC (version 2 Initial packet)", "QUIC (version 2 Handshake packet)", "QUIC (draft version Initial packet)",
        "QUIC (draft version Handshake packet)"};
    static final String VERSION_NEGOTIATION = "QUIC (Version Negotiation packet)";
    static final String RESERVED_VERSION = "QUIC (a first packet of a reserved version, forcing Version Negotiation)";

    private Quic() {}

    /** What the datagram shows, or null when it is not a QUIC long header packet this tells. */
    public static String tell(byte[] b, int off, int len) {
        if (len < MIN_HEADER) {
            return null;
        }
        int first = b[off] & 0xff;
        if ((first & LONG_HEADER) == 0) {
            return null;
        }
        long version = Wire.u32(b, off + 1);
        int p = off + 5;
        int end = off + len;
        int dcid = b[p] & 0xff;
        if (dcid > MAX_CID || end - p - 1 < dcid + 1) {
            return null;
        }
        p += 1 + dcid;
        int scid = b[p] & 0xff;
        if (scid > MAX_CID || end - p - 1 < scid) {
            return null;
        }
        p += 1 + scid;
        if (version == NEGOTIATION) {
            int rest = end - p;
            if (rest < 4 || rest % 4 != 0) {
                return null;
            }
            boolean known = false;
            for (; p < end; p += 4) {
                long v = Wire.u32(b, p);
                if (v == NEGOTIATION) {
                    return null;
                }
                known |= known(v);
            }
            return known ? VERSION_NEGOTIATION : null;
        }
        if ((first & FIXED_BIT) == 0) {
            return null;
        }
        if ((version & RESERVED_MASK) == RESERVED) {
            // A client's first packet in a version reserved to force Version Negotiation (§15), whose layout past the
            // connection ids is its own: told by the pattern (16 bits of 32) and the size of a datagram carrying a first flight.
            return len >= MIN_INITIAL_DATAGRAM ? RESERVED_VERSION : null;
        }
        if (!known(version)) {
            return null;
        }
        int type = first >> 4 & 3;
        boolean v2 = version == VERSION_2;
        boolean initial = type == (v2 ? V2_INITIAL : V1_INITIAL);
        boolean handshake = type == (v2 ? V2_HANDSHAKE : V1_HANDSHAKE);
        if (!initial && !handshake) {
            return null;
        }
        if (initial) {
            if (len < MIN_INITIAL_DATAGRAM) {
                return null;
            }
            long token = varint(b, p, end);
            if (token < 0) {
                return null;
            }
            p += varintLength(b[p]);
            if (token > end - p) {
                return null;
            }
            p += (int) token;
        }
        long length = varint(b, p, end);
        if (length < 0) {
            return null;
        }
        p += varintLength(b[p]);
        // the packet number (1-4 bytes) and an AEAD tag (16 bytes, RFC 9001 §5.3) at least, inside the datagram
        if (length < 17 || length > end - p) {
            return null;
        }
        int kind = (version == VERSION_1 ? 0 : v2 ? 2 : 4) + (initial ? 0 : 1);
        return DETAIL[kind];
    }

    static boolean known(long version) {
        return version == VERSION_1 || version == VERSION_2 || (version & DRAFT_MASK) == DRAFT;
    }

    /** RFC 9000 §16: a variable-length integer at {@code p}, or -1 when it runs past {@code end}. */
    static long varint(byte[] b, int p, int end) {
        if (p >= end) {
            return -1;
        }
        int n = varintLength(b[p]);
        if (end - p < n) {
            return -1;
        }
        long v = b[p] & 0x3f;
        for (int i = 1; i < n; i++) {
            v = v << 8 | (b[p + i] & 0xff);
        }
        return v;
    }

    static int varintLength(byte first) {
        return 1 << ((first & 0xff) >> 6);
    }
}
