package org.portmatrix.inspect.lookalike;

import org.portmatrix.inspect.Wire;

/**
 * DTLS records carrying application data (RFC 6347 §4.1, RFC 9147 §4 for 1.3's plaintext records):
 *
 * <pre>
 * DTLSPlaintext/DTLSCiphertext { type (1) 20..23, version (2) 0xFEFF (1.0) or 0xFEFD (1.2), epoch (2),
 *                                sequence_number (6), length (2), fragment (length) }
 * </pre>
 *
 * A datagram of whole records of DTLS 1.0 or 1.2 whose lengths fill it exactly, one of them application data (23) under an
 * epoch after the handshake's (application data is always encrypted, epoch 1 or later). A handshake that keys SRTP
 * (use_srtp, RFC 5764 §4.1.1) may be followed by data on its association, WebRTC's data channel (RFC 8261) beside the
 * call's SRTP: the RTP inspector passes such data over, so that only DTLS whose handshake went without use_srtp (a tunnel,
 * a VPN), or whose handshake was not seen, is told here.
 */
public final class Dtls {
    static final int RECORD_HEADER = 13;
    static final int CHANGE_CIPHER_SPEC = 20;
    static final int APPLICATION_DATA = 23;
    static final int DTLS_1_0 = 0xfeff;
    static final int DTLS_1_2 = 0xfefd;

    static final String DATA_1_0 = "DTLS 1.0 application data (a DTLS session carrying data, not SRTP)";
    static final String DATA_1_2 = "DTLS 1.2 application data (a DTLS session carrying data, not SRTP)";
    static final String DATA_1_0_AFTER_HANDSHAKE = "DTLS 1.0 application data after its handshake (a DTLS session carrying data,"
            + " not DTLS-SRTP's keying of SRTP)";
    static final String DATA_1_2_AFTER_HANDSHAKE = "DTLS 1.2 application data after its handshake (a DTLS session carrying data,"
            + " not DTLS-SRTP's keying of SRTP)";

    private Dtls() {}

    /**
     * What the datagram shows, or null when it is not DTLS application data.
     *
     * @param handshakeSeen a DTLS handshake of the flow was seen before, its hellos without use_srtp (not DTLS-SRTP)
     */
    public static String tell(byte[] b, int off, int len, boolean handshakeSeen) {
        int p = off;
        int end = off + len;
        int dataVersion = 0;
        if (len < RECORD_HEADER) {
            return null;
        }
        while (p < end) {
            if (end - p < RECORD_HEADER) {
                return null;
            }
            int type = b[p] & 0xff;
            int version = Wire.u16(b, p + 1);
            int epoch = Wire.u16(b, p + 3);
            int length = Wire.u16(b, p + 11);
            if (type < CHANGE_CIPHER_SPEC || type > APPLICATION_DATA || (version != DTLS_1_0 && version != DTLS_1_2)
                    || length > end - p - RECORD_HEADER) {
                return null;
            }
            if (type == APPLICATION_DATA) {
                if (epoch == 0 || length == 0) {
                    return null;
                }
                dataVersion = version;
            }
            p += RECORD_HEADER + length;
        }
        if (dataVersion == 0) {
            return null;
        }
        return dataVersion == DTLS_1_0 ? handshakeSeen ? DATA_1_0_AFTER_HANDSHAKE : DATA_1_0
                : handshakeSeen ? DATA_1_2_AFTER_HANDSHAKE : DATA_1_2;
    }
}
