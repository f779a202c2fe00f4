package org.portmatrix.inspect.smb;

import org.portmatrix.inspect.AppProtocol;
import org.portmatrix.inspect.FlowInspection;
import org.portmatrix.inspect.Inspector;
import org.portmatrix.inspect.Wire;

/**
 * SMB over TCP 445 and NetBIOS session service on 139 (RFC 1002 §4.3.1, MS-SMB2 §2.1, MS-CIFS §2.1).
 * <pre>
 * session message: type(1)=0x00 length(3) | protocol id(4): 0xFF 'SMB' (SMB1), 0xFE 'SMB' (SMB2/3),
 *                                            0xFD 'SMB' (SMB3 transform header)
 * session request: type(1)=0x81 flags(1) length(2)     (NetBIOS, port 139)
 * SMB1 command at offset 4, SMB2 command at offset 12 (little-endian)
 * </pre>
 */
public final class SmbInspector extends Inspector {
    static final int SESSION_MESSAGE = 0x00;
    static final int SESSION_REQUEST = 0x81;
    static final int NETBIOS_HEADER = 4;
    static final int SMB1 = 0xFF;
    static final int SMB2 = 0xFE;
    static final int SMB3_TRANSFORM = 0xFD;

    public SmbInspector() {
        super("smb", true, false, new int[] {445, 139}, new int[0]);
    }

    /** A description of the SMB message at {@code off}, or null. */
    public static String message(byte[] b, int off, int len) {
        if (len < NETBIOS_HEADER) {
            return null;
        }
        int type = b[off] & 0xff;
        if (type == SESSION_REQUEST && Wire.u16(b, off + 2) == len - NETBIOS_HEADER && len >= NETBIOS_HEADER + 68) {
            return "NetBIOS session request";
        }
        if (type != SESSION_MESSAGE || len < NETBIOS_HEADER + 16 || Wire.u24(b, off + 1) < 16) {
            return null;
        }
        int magic = b[off + 4] & 0xff;
        if (b[off + 5] != 'S' || b[off + 6] != 'M' || b[off + 7] != 'B') {
            return null;
        }
        return switch (magic) {
            case SMB1 -> "SMB1 " + smb1Command(b[off + 8] & 0xff);
            case SMB2 -> len >= NETBIOS_HEADER + 14 ? "SMB2 " + smb2Command(Wire.u16le(b, off + 16)) : "SMB2";
            case SMB3_TRANSFORM -> "SMB3 encrypted message";
            default -> null;
        };
    }

    static String smb1Command(int c) {
        return switch (c) {
            case 0x72 -> "NEGOTIATE";
            case 0x73 -> "SESSION_SETUP_ANDX";
            case 0x75 -> "TREE_CONNECT_ANDX";
            default -> String.format("command 0x%02x", c);
        };
    }

    static String smb2Command(int c) {
        return switch (c) {
            case 0 -> "NEGOTIATE";
            case 1 -> "SESSION_SETUP";
            case 3 -> "TREE_CONNECT";
            case 5 -> "CREATE";
            case 8 -> "READ";
            case 9 -> "WRITE";
            case 11 -> "IOCTL";
            default -> "command " + c;
        };
    }

    @Override
    public int inspect(FlowInspection fi, int slot, boolean forward, long seq, byte[] b, int off, int len) {
        String m = message(b, off, len);
        if (m == null) {
            return NOT_THIS;
        }
        fi.detected(AppProtocol.SMB, m);
        return DETECTED;
    }
}
