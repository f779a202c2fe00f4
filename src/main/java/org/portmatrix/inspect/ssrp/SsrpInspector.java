package org.portmatrix.inspect.ssrp;

import org.portmatrix.inspect.AppProtocol;
import org.portmatrix.inspect.FlowInspection;
import org.portmatrix.inspect.Inspector;
import org.portmatrix.inspect.Wire;

/**
 * SQL Server Resolution Protocol, the SQL Browser on UDP 1434 (MS-SQLR §2.2).
 * <pre>
 * CLNT_BCAST_EX   0x02                      (1 byte)
 * CLNT_UCAST_EX   0x03                      (1 byte)
 * CLNT_UCAST_INST 0x04 InstanceName 0x00    (at most 32 name bytes)
 * CLNT_UCAST_DAC  0x0F 0x01 InstanceName 0x00
 * SVR_RESP        0x05 RESP_SIZE(2, little-endian) RESP_DATA ("ServerName;...;;"): RESP_SIZE counts RESP_DATA
 * SVR_RESP (DAC)  0x05 0x0006 0x01 TCP_DAC_PORT(2)   (§2.2.6: RESP_SIZE is the whole reply's 6 bytes)
 * </pre>
 * The one-byte requests prove little by themselves, so they count only on port 1434.
 */
public final class SsrpInspector extends Inspector {
    public static final int PORT = 1434;
    static final int CLNT_BCAST_EX = 0x02;
    static final int CLNT_UCAST_EX = 0x03;
    static final int CLNT_UCAST_INST = 0x04;
    static final int SVR_RESP = 0x05;
    static final int CLNT_UCAST_DAC = 0x0F;
    static final int MAX_INSTANCE_NAME = 32;

    public SsrpInspector() {
        super("ssrp", false, true, new int[0], new int[] {PORT});
    }

    /** A description of the SSRP message at {@code off}, or null. */
    public static String message(byte[] b, int off, int len, boolean onPort1434) {
        if (len < 1) {
            return null;
        }
        int type = b[off] & 0xff;
        switch (type) {
            case CLNT_BCAST_EX, CLNT_UCAST_EX:
                return len == 1 && onPort1434 ? (type == CLNT_BCAST_EX ? "CLNT_BCAST_EX" : "CLNT_UCAST_EX") + " request" : null;
            case CLNT_UCAST_INST:
                return len >= 3 && len <= 2 + MAX_INSTANCE_NAME && b[off + len - 1] == 0 && Wire.visible(b, off + 1, len - 2)
                        ? "CLNT_UCAST_INST request for instance " + Wire.ascii(b, off + 1, len - 2) : null;
            case CLNT_UCAST_DAC:
                return len >= 4 && b[off + 1] == 1 && b[off + len - 1] == 0 && Wire.visible(b, off + 2, len - 3)
                        ? "CLNT_UCAST_DAC request" : null;
            case SVR_RESP:
                if (len >= 3 && Wire.u16le(b, off + 1) == len - 3 && Wire.startsWith(b, off + 3, len - 3, "ServerName;")) {
                    return "SVR_RESP reply";
                }
                if (len == 6 && Wire.u16le(b, off + 1) == 6 && b[off + 3] == 1) {
                    return "SVR_RESP reply (DAC port " + Wire.u16le(b, off + 4) + ")";
                }
                return null;
            default:
                return null;
        }
    }

    @Override
    public int inspect(FlowInspection fi, int slot, boolean forward, long seq, byte[] b, int off, int len) {
        String m = message(b, off, len, fi.dstPort == PORT);
        if (m == null) {
            return NOT_THIS;
        }
        fi.detected(AppProtocol.SSRP, "SSRP " + m);
        return DETECTED;
    }
}
