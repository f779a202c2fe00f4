package org.portmatrix.inspect.rdp;

import org.portmatrix.inspect.AppProtocol;
import org.portmatrix.inspect.FlowInspection;
import org.portmatrix.inspect.Inspector;
import org.portmatrix.inspect.Wire;

/**
 * RDP's connection start (MS-RDPBCGR §2.2.1.1 and §2.2.1.2): a TPKT header (RFC 1006 §6), then an
 * X.224 Connection Request or Confirm (ISO 8073), optionally with a routing cookie and an RDP
 * Negotiation Request/Response.
 * <pre>
 * TPKT:  version(1)=3 reserved(1)=0 length(2, whole packet)
 * X.224: length indicator(1) = TPKT length - 5 | code(1) 0xE0 CR / 0xD0 CC | dst-ref(2) src-ref(2) class(1)
 * then "Cookie: mstshash=..." CRLF and/or rdpNegReq: type(1)=1 flags(1) length(2)=8 requestedProtocols(4, LE)
 * </pre>
 */
public final class RdpInspector extends Inspector {
    static final int TPKT_VERSION = 3;
    static final int TPKT_HEADER = 4;
    static final int X224_CONNECTION_REQUEST = 0xE0;
    static final int X224_CONNECTION_CONFIRM = 0xD0;
    static final int X224_FIXED = 7;
    static final int TYPE_RDP_NEG_REQ = 0x01;
    static final int TYPE_RDP_NEG_RSP = 0x02;
    static final int TYPE_RDP_NEG_FAILURE = 0x03;

    public RdpInspector() {
        super("rdp", true, false, new int[] {3389}, new int[0]);
    }

    /** A description of the TPKT/X.224 connection PDU at {@code off}, or null. */
    public static String connectionPdu(byte[] b, int off, int len) {
        if (len < TPKT_HEADER + X224_FIXED || b[off] != TPKT_VERSION || b[off + 1] != 0) {
            return null;
        }
        int tpkt = Wire.u16(b, off + 2);
        int li = b[off + 4] & 0xff;
        int code = b[off + 5] & 0xf0;
        if (tpkt < TPKT_HEADER + X224_FIXED || tpkt > len || li != tpkt - TPKT_HEADER - 1) {
            return null;
        }
        if (code != X224_CONNECTION_REQUEST && code != X224_CONNECTION_CONFIRM) {
            return null;
        }
        StringBuilder sb = new StringBuilder(code == X224_CONNECTION_REQUEST ? "X.224 Connection Request" : "X.224 Connection Confirm");
        int p = off + TPKT_HEADER + X224_FIXED;
        int end = off + tpkt;
        if (Wire.startsWith(b, p, end - p, "Cookie: mstshash=")) {
            sb.append(" with an mstshash cookie");
            int eol = Wire.lineEnd(b, p, end - p);
            p = eol < 0 ? end : Math.min(end, eol + 2);
        }
        if (end - p >= 8 && Wire.u16le(b, p + 2) == 8) {
            int type = b[p] & 0xff;
            long protocols = Wire.u32le(b, p + 4);
            if (type == TYPE_RDP_NEG_REQ) {
                sb.append(", RDP Negotiation Request (").append(protocols(protocols)).append(')');
            } else if (type == TYPE_RDP_NEG_RSP) {
                sb.append(", RDP Negotiation Response (").append(protocols(protocols)).append(')');
            } else if (type == TYPE_RDP_NEG_FAILURE) {
                sb.append(", RDP Negotiation Failure");
            }
        }
        return sb.toString();
    }

    /** requestedProtocols / selectedProtocol flags (MS-RDPBCGR §2.2.1.1.1). */
    static String protocols(long flags) {
        if (flags == 0) {
            return "standard RDP security";
        }
        StringBuilder sb = new StringBuilder();
        if ((flags & 1) != 0) {
            sb.append("TLS");
        }
        if ((flags & 2) != 0) {
            sb.append(sb.length() > 0 ? ", " : "").append("CredSSP");
        }
        if ((flags & 8) != 0) {
            sb.append(sb.length() > 0 ? ", " : "").append("RDSTLS");
        }
        if ((flags & 4) != 0) {
            sb.append(sb.length() > 0 ? ", " : "").append("CredSSP early user auth");
        }
        return sb.length() == 0 ? String.format("0x%x", flags) : sb.toString();
    }

    @Override
    public int inspect(FlowInspection fi, int slot, boolean forward, long seq, byte[] b, int off, int len) {
        String pdu = connectionPdu(b, off, len);
        if (pdu == null) {
            return NOT_THIS;
        }
        fi.detected(AppProtocol.RDP, "RDP " + pdu);
        return DETECTED;
    }
}
