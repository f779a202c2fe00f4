package org.portmatrix.inspect.stun;

import org.portmatrix.inspect.AppProtocol;
import org.portmatrix.inspect.FlowInspection;
import org.portmatrix.inspect.MediaInspector;
import org.portmatrix.inspect.Wire;

/**
 * STUN, TURN and Microsoft's TURN extensions, over UDP and TCP.
 *
 * <pre>
 * RFC 5389 §6 message:   0 0 | type(14 bits) | length(2) | magic cookie 0x2112A442 (4) | transaction id (12)
 * MS-TURN §2.2.1 (older, draft-STUN-02 framing): type(2) length(2) | transaction id (16)
 *                        first attribute §2.2.2.8: type 0x000F length 4 value 0x72C64BC6
 * MS-TURN §2.2.3 multiplexed TURN: channel 0xFF10 (2) | length(2) | MTURN session id (8) | data
 * MS-TURN §2.1.4 TCP framing: type(1) 0x02 control / 0x03 end-to-end data | reserved 0 (1) | length(2)
 * RFC 4571 framing (ICE-TCP, RFC 6544): length(2) | STUN message
 * </pre>
 * The length of a message is that of its attributes, a multiple of 4.
 */
public final class StunInspector extends MediaInspector {
    public static final long MAGIC_COOKIE = 0x2112A442L;
    public static final int MS_TURN_MAGIC_COOKIE_ATTRIBUTE = 0x000F;
    public static final long MS_TURN_MAGIC_COOKIE = 0x72C64BC6L;
    public static final int MULTIPLEXED_TURN_CHANNEL = 0xFF10;
    static final int MS_TURN_TCP_CONTROL = 0x02;
    static final int MS_TURN_TCP_DATA = 0x03;
    static final int HEADER = 20;
    /** Multiplexed TURN: channel(2) length(2) session id(8). */
    static final int MULTIPLEXED_HEADER = 12;

    /** Result kinds of {@link #classify}. */
    public static final int NONE = 0;
    public static final int RFC5389 = 1;
    public static final int MS_TURN = 2;
    public static final int MULTIPLEXED = 3;

    public StunInspector() {
        super("stun", true, true, new int[] {3478, 443}, new int[] {3478, 3479, 3480, 3481});
    }

    /**
     * The pure byte test for one message starting at {@code off} and filling exactly {@code len}
     * bytes (UDP datagram, or a frame cut out of a TCP stream).
     */
    public static int classify(byte[] b, int off, int len) {
        if (len >= MULTIPLEXED_HEADER && Wire.u16(b, off) == MULTIPLEXED_TURN_CHANNEL && Wire.u16(b, off + 2) == len - 4) {
            return MULTIPLEXED;
        }
        if (len < HEADER || (b[off] & 0xc0) != 0) {
            return NONE;
        }
        int length = Wire.u16(b, off + 2);
        if ((length & 3) != 0 || length != len - HEADER) {
            return NONE;
        }
        if (Wire.u32(b, off + 4) == MAGIC_COOKIE) {
            return RFC5389;
        }
        // MS-TURN without the cookie: a 16-byte transaction id, then the MAGIC-COOKIE attribute first.
        if (length >= 8 && Wire.u16(b, off + HEADER) == MS_TURN_MAGIC_COOKIE_ATTRIBUTE && Wire.u16(b, off + HEADER + 2) == 4
                && Wire.u32(b, off + HEADER + 4) == MS_TURN_MAGIC_COOKIE) {
            return MS_TURN;
        }
        return NONE;
    }

    /**
     * A UDP datagram that is one TURN ChannelData message (RFC 8656 §12.4; RFC 5766 §11.4): a channel number of
     * 0x4000-0x7FFF (RFC 5766's range, which coturn binds; RFC 8656's is 0x4000-0x4FFF), a length that the datagram
     * holds, up to 3 bytes of padding after it, and data that is media's: an RTP or RTCP header (version 2, at least 8
     * bytes) or a STUN message (a consent check relayed). The length and the data's first bytes tell it from text, whose
     * first byte may fall in the channel range.
     */
    static boolean channelData(byte[] b, int off, int len) {
        if (len < 12) {
            return false;
        }
        int channel = Wire.u16(b, off);
        int length = Wire.u16(b, off + 2);
        if (channel < 0x4000 || channel > 0x7fff || length < 8 || length > len - 4 || len - 4 - length > 3) {
            return false;
        }
        return (b[off + 4] & 0xc0) == 0x80 || classify(b, off + 4, length) == RFC5389;
    }

    /** "Binding Request", "Allocate Success Response", ... from a STUN message type (RFC 5389 §6). */
    public static String typeName(int type) {
        int cls = (type >> 7 & 2) | (type >> 4 & 1);
        int method = (type & 0x000f) | (type >> 1 & 0x0070) | (type >> 2 & 0x0f80);
        String m = switch (method) {
            case 0x001 -> "Binding";
            case 0x002 -> "Shared Secret";
            case 0x003 -> "Allocate";
            case 0x004 -> "Refresh/Send";
            case 0x006 -> "Send/Set Active Destination";
            case 0x007 -> "Data";
            case 0x008 -> "CreatePermission";
            case 0x009 -> "ChannelBind";
            case 0x00a -> "Connect";
            case 0x00b -> "ConnectionBind";
            case 0x00c -> "ConnectionAttempt";
            default -> String.format("method 0x%03x", method);
        };
        String c = switch (cls) {
            case 0 -> "Request";
            case 1 -> "Indication";
            case 2 -> "Success Response";
            default -> "Error Response";
        };
        return m + " " + c;
    }

    /** Message types of the older framing MS-TURN uses (MS-TURN §2.2.1), which predate the class/method split. */
    public static String msTurnTypeName(int type) {
        return switch (type) {
            case 0x0001 -> "Binding Request";
            case 0x0101 -> "Binding Response";
            case 0x0111 -> "Binding Error Response";
            case 0x0003 -> "Allocate Request";
            case 0x0103 -> "Allocate Response";
            case 0x0113 -> "Allocate Error Response";
            case 0x0004 -> "Send Request";
            case 0x0115 -> "Data Indication";
            case 0x0006 -> "Set Active Destination Request";
            case 0x0106 -> "Set Active Destination Response";
            case 0x0116 -> "Set Active Destination Error Response";
            default -> String.format("type 0x%04x", type);
        };
    }

    @Override
    public int inspect(FlowInspection fi, int slot, boolean forward, long seq, byte[] b, int off, int len) {
        String framing = "";
        int o = off;
        int l = len;
        if (fi.tcp && len >= 4) {
            int first = b[off] & 0xff;
            int framed = Wire.u16(b, off + 2);
            if ((first == MS_TURN_TCP_CONTROL || first == MS_TURN_TCP_DATA) && b[off + 1] == 0 && framed <= len - 4) {
                framing = ", MS-TURN TCP framing";
                o = off + 4;
                l = framed;
            } else if (len >= 2 + HEADER && Wire.u16(b, off) <= len - 2 && Wire.u32(b, off + 6) == MAGIC_COOKIE) {
                framing = ", RFC 4571 framing";
                o = off + 2;
                l = Wire.u16(b, off);
            } else if (len >= HEADER && (b[off] & 0xc0) == 0) {
                l = Math.min(len, HEADER + Wire.u16(b, off + 2)); // the first message of the stream
            }
        }
        int kind = classify(b, o, l);
        if (kind == NONE && fi.payloadCut() && framing.isEmpty() && l >= 8 && (b[o] & 0xc0) == 0
                && Wire.u16(b, o + 2) > l - HEADER && Wire.u32(b, o + 4) == MAGIC_COOKIE) {
            // The snap length cut the message, so its length cannot cover what was captured; the 32-bit magic cookie
            // tells it (a 96-byte snap length left an IPv6 STUN flow "none of the protocols portmatrix recognises").
            kind = RFC5389;
        }
        if (kind == NONE && framing.startsWith(", MS-TURN") && (b[off] & 0xff) == MS_TURN_TCP_DATA && l == len - 4 && l > 0) {
            // End-to-end data in the MS-TURN TCP framing (media relayed over TCP): one whole frame
            fi.detected(AppProtocol.MS_TURN, "MS-TURN TCP framing, end-to-end data");
            return DETECTED;
        }
        if (kind == NONE && !fi.tcp && channelData(b, off, len)) {
            // TURN ChannelData whose ChannelBind the capture lacks (one begun in the middle of a relayed call): a datagram
            // is a whole message, so it is told by itself, as tshark tells it, not only after a bind (it had been "none of
            // the protocols portmatrix recognises", protocol_mismatch on the Edge's 3478).
            fi.detected(AppProtocol.STUN, String.format("TURN ChannelData on channel 0x%04x carrying %s, its ChannelBind not in the capture",
                    Wire.u16(b, off), (b[off + 4] & 0xc0) == 0x80 ? "RTP or RTCP" : "STUN"));
            return DETECTED;
        }
        switch (kind) {
            case RFC5389 -> fi.detected(framing.startsWith(", MS-TURN") ? AppProtocol.MS_TURN : AppProtocol.STUN,
                    "STUN " + typeName(Wire.u16(b, o)) + framing);
            case MS_TURN -> fi.detected(AppProtocol.MS_TURN,
                    "MS-TURN " + msTurnTypeName(Wire.u16(b, o)) + " (no magic cookie, MAGIC-COOKIE attribute)" + framing);
            case MULTIPLEXED -> fi.detected(AppProtocol.MS_TURN, "MS-TURN multiplexed TURN data (channel 0xFF10)" + framing);
            default -> {
                return NOT_THIS;
            }
        }
        return DETECTED;
    }
}
