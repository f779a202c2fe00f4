package org.portmatrix.inspect.dns;

import org.portmatrix.inspect.AppProtocol;
import org.portmatrix.inspect.FlowInspection;
import org.portmatrix.inspect.Inspector;
import org.portmatrix.inspect.Wire;

/**
 * DNS (RFC 1035 §4.1): a 12-byte header and a question section whose name is a sequence of
 * labels; over TCP each message is preceded by a 2-byte length (§4.2.2).
 * <pre>
 * id(2) | QR(1) opcode(4) AA TC RD RA Z(3) rcode(4) | qdcount(2) ancount(2) nscount(2) arcount(2)
 * question: name (labels of 1-63 bytes, ending with 0) qtype(2) qclass(2)
 * </pre>
 */
public final class DnsInspector extends Inspector {
    static final int HEADER = 12;
    static final int MAX_LABEL = 63;
    static final int MAX_NAME = 255;
    static final int CLASS_IN = 1;
    /**
     * NetBIOS Name Service (RFC 1002 §4.2): DNS's header and question layout, a 32-byte encoded name, on port
     * 137. It is not DNS (tshark names it NBNS, nDPI NetBIOS), and it was named so.
     */
    static final int NBNS_PORT = 137;

    public DnsInspector() {
        super("dns", true, true, new int[] {53}, new int[] {53, 5353, 5355});
    }

    /** "query"/"response" for one DNS message with exactly one question, or null. */
    public static String message(byte[] b, int off, int len) {
        if (len < HEADER + 5) {
            return null;
        }
        int flags = Wire.u16(b, off + 2);
        int opcode = flags >> 11 & 0xf;
        int z = flags >> 6 & 1; // the Z bit (RFC 1035), still zero; AD and CD (RFC 4035) follow it
        if (opcode > 5 || opcode == 3 || z != 0 || Wire.u16(b, off + 4) != 1) {
            return null;
        }
        int p = off + HEADER;
        int end = off + len;
        int nameLen = 0;
        while (true) {
            if (p >= end) {
                return null;
            }
            int l = b[p] & 0xff;
            if (l == 0) {
                p++;
                break;
            }
            if (l > MAX_LABEL || end - p - 1 < l || !Wire.visible(b, p + 1, l)) {
                return null;
            }
            nameLen += l + 1;
            if (nameLen > MAX_NAME) {
                return null;
            }
            p += 1 + l;
        }
        if (end - p < 4) {
            return null;
        }
        int qclass = Wire.u16(b, p + 2) & 0x7fff; // mDNS uses the top bit for unicast-response
        if (qclass != CLASS_IN && qclass != 3 && qclass != 4 && qclass != 255) {
            return null;
        }
        return (flags & 0x8000) != 0 ? "response" : "query";
    }

    @Override
    public int inspect(FlowInspection fi, int slot, boolean forward, long seq, byte[] b, int off, int len) {
        if (fi.dstPort == NBNS_PORT) {
            return NOT_THIS;
        }
        int o = off;
        int l = len;
        if (fi.tcp) {
            if (len < 2 || Wire.u16(b, off) > len - 2) {
                return NOT_THIS;
            }
            o += 2;
            l = Wire.u16(b, off);
        }
        String m = message(b, o, l);
        if (m == null) {
            return NOT_THIS;
        }
        fi.detected(AppProtocol.DNS, "DNS " + m);
        return DETECTED;
    }
}
