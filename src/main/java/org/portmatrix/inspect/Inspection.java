package org.portmatrix.inspect;

import org.portmatrix.classify.Classification;
import org.portmatrix.classify.CompiledCatalog;
import org.portmatrix.flow.Flow;

/**
 * Looks at the first payload bytes of each flow and names the application protocol on the wire.
 * Walking-skeleton version: one packet per direction, a byte test per protocol, no verdict change.
 */
public final class Inspection {
    /** Marks a flow whose inspection is finished: no more calls per packet. */
    public static final Object DONE = new Object();

    /** Called for a packet with payload while {@code f.inspection != DONE}. */
    public void packet(Flow f, boolean forward, byte[] b, int off, int len) {
        if (len <= 0 || f.inspection instanceof String) {
            return;
        }
        String p = sniff(b, off, len);
        f.inspection = p == null ? DONE : p;
    }

    /** Completes the flow's classification with what was seen on the wire. */
    public void finish(Flow f, Classification c, CompiledCatalog catalog) {
        c.appProtocol = f.inspection instanceof String s ? s : null;
    }

    /** The TLS handshake summary of a flow, or null when it was not TLS. */
    public TlsInfo tls(Flow f) {
        return null;
    }

    static String sniff(byte[] b, int off, int len) {
        if (len >= 3 && b[off] == 0x16 && b[off + 1] == 0x03 && (b[off + 2] & 0xff) <= 0x04) {
            return "tls";
        }
        if (startsWith(b, off, len, "SIP/2.0 ") || containsSipRequestLine(b, off, len)) {
            return "sip";
        }
        if (len >= 20 && (b[off] & 0xc0) == 0 && b[off + 4] == 0x21 && b[off + 5] == 0x12 && (b[off + 6] & 0xff) == 0xa4
                && b[off + 7] == 0x42) {
            return "stun";
        }
        if (startsWith(b, off, len, "HTTP/1.") || startsWith(b, off, len, "GET ") || startsWith(b, off, len, "POST ")) {
            return "http";
        }
        return null;
    }

    private static boolean containsSipRequestLine(byte[] b, int off, int len) {
        int end = off + Math.min(len, 200);
        for (int i = off; i + 8 < end; i++) {
            if (b[i] == '\r' || b[i] == '\n') {
                return false;
            }
            if (b[i] == ' ' && startsWith(b, i + 1, end - i - 1, "sip:")) {
                return true;
            }
        }
        return false;
    }

    private static boolean startsWith(byte[] b, int off, int len, String s) {
        if (len < s.length()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (b[off + i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
