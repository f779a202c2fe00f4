package org.portmatrix.inspect;

/**
 * What may share a UDP media 5-tuple once STUN, MS-TURN, RTP or RTCP has decided it (RFC 7983 §7, by the first byte):
 * STUN 0-3, ZRTP 16-19, DTLS 20-63, TURN ChannelData 64-79 (its length within the datagram; 64-127 for RFC 5766's
 * channels 0x4000-0x7FFF, which coturn still binds), RTP and RTCP 128-191,
 * and MS-TURN's multiplexed TURN data (0xFF10, [MS-TURN] 2.2.3). The STUN and RTP inspectors keep reading a UDP flow
 * they decided, within its budget, for a datagram that is none of these: a program that opens a port with one STUN
 * message or a few RTP packets and speaks another protocol over it had been expected on its first datagrams. One
 * byte test per datagram read; nothing allocated.
 */
public final class MediaDemux {
    private MediaDemux() {}

    static final String FOREIGN = "a datagram that is none of the protocols that share a media flow (STUN, TURN ChannelData, DTLS,"
            + " ZRTP, RTP and RTCP; RFC 7983), its first byte ";

    /** Whether the inspector that decided {@code fi} still reads its datagrams: UDP, and none foreign yet. */
    public static boolean watching(FlowInspection fi) {
        return !fi.tcp && fi.foreignByte < 0;
    }

    /** Notes the first byte of a datagram that may not share a media flow (UDP only). */
    public static void follow(FlowInspection fi, byte[] b, int off, int len) {
        if (watching(fi) && len > 0 && !sharesMediaFlow(b, off, len, fi.payloadCut())) {
            fi.foreignByte = b[off] & 0xff;
        }
    }

    /** The byte test, on a datagram of {@code len} (> 0) bytes; {@code cut}: the capture may hold only its start. */
    static boolean sharesMediaFlow(byte[] b, int off, int len, boolean cut) {
        int first = b[off] & 0xff;
        if (first <= 3 || (first >= 16 && first <= 63) || (first >= 128 && first <= 191)) {
            return true;
        }
        // ChannelData (RFC 8656 §12.4): channel number, length, data (padded to 4 over TCP only). RFC 7983 gives it 64-79
        // (RFC 8656's channels 0x4000-0x4FFF); RFC 5766 numbered them up to 0x7FFF, and coturn binds any of those (its own
        // client, turnutils_uclient, picks among them all). The length, not the first byte, tells them from text (0x53 'S').
        if (first >= 64 && first <= 127) {
            if (len < 4) {
                return cut;
            }
            int length = Wire.u16(b, off + 2);
            return length <= len - 4 ? len - 4 - length < 4 : cut;
        }
        return first == 0xff && (len < 2 || (b[off + 1] & 0xff) == 0x10);
    }

    /** The check's words for a flow with a foreign datagram: "a datagram that is none of ..., its first byte 0x53". */
    static String foreign(int firstByte) {
        return FOREIGN + String.format("0x%02x", firstByte);
    }
}
