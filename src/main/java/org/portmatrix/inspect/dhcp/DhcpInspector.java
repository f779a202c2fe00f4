package org.portmatrix.inspect.dhcp;

import org.portmatrix.inspect.AppProtocol;
import org.portmatrix.inspect.FlowInspection;
import org.portmatrix.inspect.Inspector;
import org.portmatrix.inspect.Wire;

/**
 * DHCP (RFC 2131 §2, RFC 2132 §9.6): a BOOTP message with the magic cookie 99.130.83.99 at
 * offset 236 and option 53, the DHCP message type.
 * <pre>
 * op(1)=1|2 htype(1) hlen(1) hops(1) xid(4) secs(2) flags(2) ciaddr yiaddr siaddr giaddr(4 each)
 * chaddr(16) sname(64) file(128) | magic cookie 0x63825363 | options: code(1) length(1) value
 * </pre>
 */
public final class DhcpInspector extends Inspector {
    public static final long MAGIC_COOKIE = 0x63825363L;
    static final int COOKIE_OFFSET = 236;
    static final int OPTION_MESSAGE_TYPE = 53;
    static final int OPTION_PAD = 0;
    static final int OPTION_END = 255;
    static final String[] TYPES = {null, "DHCPDISCOVER", "DHCPOFFER", "DHCPREQUEST", "DHCPDECLINE", "DHCPACK", "DHCPNAK",
        "DHCPRELEASE", "DHCPINFORM"};

    public DhcpInspector() {
        super("dhcp", false, true, new int[0], new int[] {67, 68});
    }

    /** The DHCP message type (1-8), 0 for a BOOTP message without one, or -1 when not BOOTP/DHCP. */
    public static int messageType(byte[] b, int off, int len) {
        if (len < COOKIE_OFFSET + 4 || (b[off] != 1 && b[off] != 2) || Wire.u32(b, off + COOKIE_OFFSET) != MAGIC_COOKIE) {
            return -1;
        }
        int p = off + COOKIE_OFFSET + 4;
        int end = off + len;
        while (p < end) {
            int code = b[p] & 0xff;
            if (code == OPTION_END) {
                break;
            }
            if (code == OPTION_PAD) {
                p++;
                continue;
            }
            if (end - p < 2) {
                break;
            }
            int l = b[p + 1] & 0xff;
            if (code == OPTION_MESSAGE_TYPE && l == 1 && end - p >= 3) {
                return b[p + 2] & 0xff;
            }
            p += 2 + l;
        }
        return 0;
    }

    @Override
    public int inspect(FlowInspection fi, int slot, boolean forward, long seq, byte[] b, int off, int len) {
        int t = messageType(b, off, len);
        if (t < 0) {
            // Cut by the snap length before the magic cookie at byte 236: a BOOTP header's start (op 1 or 2, Ethernet
            // hardware type 1, address length 6) cannot be told further; the flow stays undecided ("too short to tell").
            boolean cutHeader = fi.payloadCut() && len < COOKIE_OFFSET + 4 && len >= 3 && (b[off] == 1 || b[off] == 2) && b[off + 1] == 1
                    && b[off + 2] == 6;
            return cutHeader ? NEED_MORE : NOT_THIS;
        }
        fi.detected(AppProtocol.DHCP, t == 0 ? "BOOTP message without a DHCP message type"
                : t < TYPES.length ? TYPES[t] : "DHCP message type " + t);
        return DETECTED;
    }
}
