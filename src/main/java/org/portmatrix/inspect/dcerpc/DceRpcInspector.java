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

    /** The endpoint mapper's port (C706 appendix I; MS-RPCE 2.1.1.1). */
    public static final int EPM_PORT = 135;
    /** Response PDU type: an ept_map answer carries its towers in one (C706 §12.6.4.10). */
    static final int RESPONSE = 2;

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

    /**
     * On the endpoint mapper's port, the flow is followed past its first PDU: its ept_map responses name the dynamic
     * endpoints it hands out ({@link #towers}), which {@code Inspection} keeps so that the connection to one of them is
     * known for the RPC it is. Elsewhere one PDU tells all.
     */
    @Override
    public boolean wantsMore(FlowInspection fi, int slot) {
        return fi.tcp && fi.dstPort == EPM_PORT;
    }

    /**
     * The TCP ports of the protocol towers in a response PDU at {@code off} (an ept_map answer, MS-RPCE 2.2.1.2.x,
     * C706 appendix L): each tower's floors are lhs_length(2, little-endian) lhs rhs_length(2) rhs; the ncacn_ip_tcp
     * floors are TCP (lhs 0x07, rhs the port, big-endian) then IP (lhs 0x09, rhs the IPv4 address):
     * <pre>01 00 07 02 00 PP PP 01 00 09 04 00 AA AA AA AA</pre>
     * Up to {@code ports.length} ports are written into {@code ports}; returns how many. Not a response PDU: 0. The IPv4
     * address is not taken: the RPC runtime connects to the host it asked, whatever address the tower names (a server
     * behind NAT names one its clients never see).
     */
    public static int towers(byte[] b, int off, int len, int[] ports) {
        if (header(b, off, len) != RESPONSE) {
            return 0;
        }
        int n = 0;
        int end = off + len - 16;
        for (int i = off + HEADER; i <= end && n < ports.length; i++) {
            if (b[i] == 1 && b[i + 1] == 0 && b[i + 2] == 7 && b[i + 3] == 2 && b[i + 4] == 0
                    && b[i + 7] == 1 && b[i + 8] == 0 && b[i + 9] == 9 && b[i + 10] == 4 && b[i + 11] == 0) {
                int port = Wire.u16(b, i + 5);
                if (port != 0) {
                    ports[n++] = port;
                }
                i += 15;
            }
        }
        return n;
    }
}
