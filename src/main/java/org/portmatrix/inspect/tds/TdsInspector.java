package org.portmatrix.inspect.tds;

import org.portmatrix.inspect.AppProtocol;
import org.portmatrix.inspect.FlowInspection;
import org.portmatrix.inspect.Inspector;
import org.portmatrix.inspect.Wire;

/**
 * Tabular Data Stream, SQL Server's protocol on TCP 1433 (MS-TDS §2.2.3.1): an 8-byte packet header.
 * <pre>
 * type(1) status(1) length(2, big-endian, header included) SPID(2) PacketID(1) Window(1)=0
 * types: 0x01 SQL batch, 0x03 RPC, 0x04 tabular result, 0x06 attention, 0x07 bulk load,
 *        0x0E transaction manager, 0x10 TDS7 login, 0x11 SSPI, 0x12 pre-login
 * </pre>
 * A PRELOGIN body is a list of option tokens (token(1) offset(2) length(2)) ended by 0xFF; its
 * first token is VERSION (0x00). The server answers it in a tabular result (0x04) of the same body.
 */
public final class TdsInspector extends Inspector {
    static final int HEADER = 8;
    static final int PRELOGIN = 0x12;
    static final int LOGIN7 = 0x10;
    static final int TABULAR_RESULT = 0x04;

    public TdsInspector() {
        super("tds", true, false, new int[] {1433}, new int[0]);
    }

    /** A description of the TDS packet at {@code off}, or null. */
    public static String packet(byte[] b, int off, int len) {
        if (len < HEADER + 1 || b[off + 7] != 0) {
            return null;
        }
        int type = b[off] & 0xff;
        int status = b[off + 1] & 0xff;
        int length = Wire.u16(b, off + 2);
        if ((status & ~0x1f) != 0 || length < HEADER + 1 || length > len && (status & 1) != 0) {
            return null;
        }
        return switch (type) {
            case PRELOGIN -> b[off + HEADER] == 0 && len >= HEADER + 6 ? "PRELOGIN" : null;
            case LOGIN7 -> "LOGIN7";
            case TABULAR_RESULT -> (b[off + HEADER] & 0xff) >= 0x79 ? "tabular result" : preloginResponse(b, off, len) ? "PRELOGIN response" : null;
            case 0x01 -> "SQL batch";
            case 0x03 -> "RPC request";
            default -> null;
        };
    }

    /**
     * The server's answer to PRELOGIN: a tabular result (0x04) whose body is PRELOGIN's option list,
     * its first token VERSION (0x00) with 6 bytes of data after the list (MS-TDS §2.2.6.5). Seen
     * before the request (packets out of order, or the request missed), it had left the flow with no
     * protocol: a tabular result's first byte is a token (0x79 and above).
     */
    private static boolean preloginResponse(byte[] b, int off, int len) {
        return len >= HEADER + 6 && b[off + HEADER] == 0 && Wire.u16(b, off + HEADER + 1) >= 6 && Wire.u16(b, off + HEADER + 3) == 6;
    }

    @Override
    public int inspect(FlowInspection fi, int slot, boolean forward, long seq, byte[] b, int off, int len) {
        String p = packet(b, off, len);
        if (p == null || !p.equals("PRELOGIN") && fi.dstPort != 1433) { // the other types' headers prove less
            return NOT_THIS;
        }
        fi.detected(AppProtocol.TDS, "TDS " + p);
        return DETECTED;
    }
}
