package org.portmatrix.inspect.lookalike;

import org.portmatrix.inspect.Wire;

/**
 * NTP's packet (RFC 5905 §7.3): a 48-byte header, then optional extension fields and a MAC.
 *
 * <pre>
 * LI (2) VN (3) Mode (3) | Stratum (8) | Poll (8, signed) | Precision (8, signed)
 * Root Delay (32) | Root Dispersion (32) | Reference ID (32)
 * Reference, Origin, Receive, Transmit Timestamps (64 each)
 * Extension Field { Field Type (16), Length (16, a multiple of 4, at least 16), Value } ...   (RFC 7822)
 * MAC { Key Identifier (32), Message Digest (128 or 160) }, or a crypto-NAK's Key Identifier of 0 alone
 * </pre>
 *
 * Not a leap indicator of 2 ({@link #LEAP_59}); versions 1 to 4, the modes of time exchange (1 symmetric active, 2 symmetric passive, 3 client, 4 server, 5 broadcast;
 * 6 and 7, control and private, have other layouts), a stratum of 0 to 16, a poll exponent of -7 to 17 (chrony polls as
 * often as 2^-7 s) and a precision of -32 to 32 (a server's is about -20 to -30, 2^-26 s; chrony's client requests say 32,
 * captures/inspect/lookalikes.pcap); the datagram is the header alone, with a MAC or a crypto-NAK, or with
 * extension fields that fill it (before a MAC).
 */
public final class Ntp {
    static final int HEADER = 48;
    /**
     * The leap indicator "last minute of the day has 59 seconds": a negative leap second, which has never happened, and
     * RTP version 2's first two bits (10): an RTP header with the extension bit and one to five CSRCs (0x91-0x95,
     * 0xa1-0xa5, a mixer's) and a payload type up to 16 passed as a "version 2" or "version 4" NTP packet.
     */
    static final int LEAP_59 = 2;
    static final int MIN_VERSION = 1, MAX_VERSION = 4;
    static final int MIN_MODE = 1, MAX_MODE = 5;
    static final int MAX_STRATUM = 16;
    static final int MIN_POLL = -7, MAX_POLL = 17;
    static final int MIN_PRECISION = -32, MAX_PRECISION = 32;
    /** A crypto-NAK (RFC 5905 §7.4: a key identifier of 0 alone), an MD5 MAC (4 + 16) and a SHA-1 one (4 + 20). */
    static final int CRYPTO_NAK = 4, MAC_MD5 = 20, MAC_SHA1 = 24;
    /** RFC 7822 §3: an extension field is at least 16 bytes, a multiple of 4. */
    static final int MIN_EXTENSION = 16;

    private static final String[] MODES = {null, "symmetric active", "symmetric passive", "client", "server", "broadcast"};
    /** [version][mode]: "NTP version 4, client mode". */
    private static final String[][] DETAIL = new String[MAX_VERSION + 1][MAX_MODE + 1];

    static {
        for (int v = MIN_VERSION; v <= MAX_VERSION; v++) {
            for (int m = MIN_MODE; m <= MAX_MODE; m++) {
                DETAIL[v][m] = "NTP (version " + v + ", " + MODES[m] + " mode)";
            }
        }
    }

    private Ntp() {}

    /** What the datagram shows, or null when it is not an NTP packet. */
    public static String tell(byte[] b, int off, int len) {
        if (len < HEADER) {
            return null;
        }
        int first = b[off] & 0xff;
        if (first >> 6 == LEAP_59) {
            return null;
        }
        int version = first >> 3 & 7;
        int mode = first & 7;
        int stratum = b[off + 1] & 0xff;
        int poll = b[off + 2];
        int precision = b[off + 3];
        if (version < MIN_VERSION || version > MAX_VERSION || mode < MIN_MODE || mode > MAX_MODE || stratum > MAX_STRATUM
                || poll < MIN_POLL || poll > MAX_POLL || precision < MIN_PRECISION || precision > MAX_PRECISION) {
            return null;
        }
        return trailer(b, off + HEADER, len - HEADER) ? DETAIL[version][mode] : null;
    }

    /** What follows the header: nothing, a MAC or a crypto-NAK, or extension fields that fill it (then perhaps a MAC). */
    private static boolean trailer(byte[] b, int p, int rest) {
        while (true) {
            if (rest == 0 || rest == CRYPTO_NAK || rest == MAC_MD5 || rest == MAC_SHA1) {
                return true;
            }
            if (rest < MIN_EXTENSION) {
                return false;
            }
            int length = Wire.u16(b, p + 2);
            if (length < MIN_EXTENSION || length % 4 != 0 || length > rest) {
                return false;
            }
            p += length;
            rest -= length;
        }
    }
}
