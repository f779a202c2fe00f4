package org.portmatrix.inspect.dcerpc;

import org.portmatrix.inspect.AppProtocol;
import org.portmatrix.inspect.FlowInspection;
import org.portmatrix.inspect.Inspector;
import org.portmatrix.inspect.Wire;

/**
 * Connection-oriented DCE/RPC (C706 §12.6.3, MS-RPCE §2.2.2): the 16-byte common header.
 * <pre>
 * rpc_vers(1)=5 rpc_vers_minor(1)=0|1 PTYPE(1) pfc_flags(1) packed_drep(4) frag_length(2) auth_length(2) call_id(4)
 * </pre>
 * frag_length is in the byte order that packed_drep[0] names (0x10 little-endian, 0x00 big-endian).
 * A bind (PTYPE 11) carries the interface UUID of its first presentation context at offset 32.
 */
public final class DceRpcInspector extends Inspector {
    static final int HEADER = 16;
    static final int VERSION = 5;
    static final int BIND = 11;
    static final int BIND_ACK = 12;
    /** Byte offset of the first context's abstract syntax UUID in a bind: header(16) max_xmit/recv(4) assoc(4) n_ctx(4) ctx id(2) n_ts(2). */
    static final int BIND_FIRST_UUID = 32;
    /** The endpoint mapper, e1af8308-5d1f-11c9-91a4-08002b14a0fa, as it appears little-endian on the wire. */
    static final byte[] EPM_UUID_LE = {(byte) 0x08, (byte) 0x83, (byte) 0xaf, (byte) 0xe1, 0x1f, 0x5d, (byte) 0xc9, 0x11,
        (byte) 0x91, (byte) 0xa4, 0x08, 0x00, 0x2b, 0x14, (byte) 0xa0, (byte) 0xfa};

    public DceRpcInspector() {
        super("dcerpc", true, false, new int[] {135, 593}, new int[0]);
    }

    /** The PTYPE of a header at {@code off}, or -1 when the bytes are not one. */
    public static int header(byte[] b, int off, int len) {
        if (len < HEADER || b[off] != VERSION || (b[off + 1] != 0 && b[off + 1] != 1)) {
            return -1;
        }
        int ptype = b[off + 2] & 0xff;
        int drep = b[off + 4] & 0xf0;
        if (ptype > 20 || (drep != 0x10 && drep != 0x00) || b[off + 6] != 0 || b[off + 7] != 0) {
            return -1;
        }
        int frag = drep == 0x10 ? Wire.u16le(b, off + 8) : Wire.u16(b, off + 8);
        return frag >= HEADER ? ptype : -1;
    }

    @Override
    public int inspect(FlowInspection fi, int slot, boolean forward, long seq, byte[] b, int off, int len) {
        int ptype = header(b, off, len);
        if (ptype < 0) {
            return NOT_THIS;
        }
        String what = switch (ptype) {
            case 0 -> "request";
            case 2 -> "response";
            case 3 -> "fault";
            case BIND -> "bind";
            case BIND_ACK -> "bind_ack";
            case 13 -> "bind_nak";
            case 14 -> "alter_context";
            case 15 -> "alter_context_resp";
            default -> "PDU type " + ptype;
        };
        if (ptype == BIND && len >= BIND_FIRST_UUID + 16
                && java.util.Arrays.equals(b, off + BIND_FIRST_UUID, off + BIND_FIRST_UUID + 16, EPM_UUID_LE, 0, 16)) {
            what += " to the endpoint mapper";
        }
        fi.detected(AppProtocol.DCERPC, "DCE/RPC v5 " + what);
        return DETECTED;
    }
}
