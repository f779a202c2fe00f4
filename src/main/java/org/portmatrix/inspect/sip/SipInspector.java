package org.portmatrix.inspect.sip;

import org.portmatrix.inspect.AppProtocol;
import org.portmatrix.inspect.FlowInspection;
import org.portmatrix.inspect.Inspector;
import org.portmatrix.inspect.Wire;

/**
 * SIP over TCP or UDP (RFC 3261 §7.1, §7.2): a request line {@code Method SP Request-URI SP SIP/2.0}
 * or a status line {@code SIP/2.0 SP 3DIGIT SP Reason}. The Via header's transport is reported,
 * since a cleartext message that names TLS in its Via was meant for an encrypted connection.
 * A TCP keep-alive (an empty line, RFC 5626 §3.5.1) is "need more".
 */
public final class SipInspector extends Inspector {
    static final String VERSION = "SIP/2.0";
    /** RFC 3261 and extensions, plus the Microsoft methods (MS-SIPRE NEGOTIATE, MS-SIPAE/BENOTIFY, SERVICE). */
    static final String[] METHODS = {"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK", "SUBSCRIBE",
        "NOTIFY", "PUBLISH", "INFO", "REFER", "MESSAGE", "UPDATE", "SERVICE", "NEGOTIATE", "BENOTIFY"};
    /** How far into the message the Via header is looked for. */
    static final int VIA_SCAN = 1024;

    public SipInspector() {
        super("sip", true, true, new int[] {5060, 5061, 5062, 5063, 5064, 5065, 5066, 5067, 5068, 5070, 5071, 5072,
                5073, 5075, 5076, 5080, 5081, 5082}, new int[] {5060, 5061});
    }

    /** The method of a request line at {@code off}, "SIP/2.0" for a status line, or null. */
    public static String startLine(byte[] b, int off, int len) {
        int eol = Wire.lineEnd(b, off, Math.min(len, 2048));
        if (eol < 0) {
            return null;
        }
        int lineLen = eol - off;
        if (Wire.startsWith(b, off, lineLen, VERSION + " ")) {
            // SIP/2.0 SP 3DIGIT SP
            if (lineLen < 12) {
                return null;
            }
            for (int i = off + 8; i < off + 11; i++) {
                if (b[i] < '0' || b[i] > '9') {
                    return null;
                }
            }
            return b[off + 11] == ' ' ? VERSION : null;
        }
        int sp = -1;
        for (int i = off; i < eol && i < off + 16; i++) {
            if (b[i] == ' ') {
                sp = i;
                break;
            }
        }
        if (sp <= off) {
            return null;
        }
        String method = Wire.token(b, off, sp - off, METHODS);
        if (method == null) {
            return null;
        }
        // ... SP SIP/2.0 at the end of the line
        return lineLen > VERSION.length() + 1 && Wire.startsWith(b, eol - VERSION.length(), VERSION.length(), VERSION)
                && b[eol - VERSION.length() - 1] == ' ' ? method : null;
    }

    /** The transport of the first Via header ("TCP", "TLS", "UDP", ...), or null. */
    public static String viaTransport(byte[] b, int off, int len) {
        int end = off + Math.min(len, VIA_SCAN);
        for (int i = off; i + 3 < end; i++) {
            if (b[i] != '\n') {
                continue;
            }
            int h = i + 1;
            int valueStart;
            if (Wire.startsWithIgnoreCase(b, h, end - h, "via:")) {
                valueStart = h + 4;
            } else if (Wire.startsWithIgnoreCase(b, h, end - h, "v:")) {
                valueStart = h + 2;
            } else {
                continue;
            }
            while (valueStart < end && b[valueStart] == ' ') {
                valueStart++;
            }
            if (!Wire.startsWithIgnoreCase(b, valueStart, end - valueStart, "SIP/2.0/")) {
                return null;
            }
            int t = valueStart + 8;
            int e = t;
            while (e < end && e - t < 8 && b[e] >= 'A' && b[e] <= 'z' && b[e] != ' ') {
                e++;
            }
            return e > t ? new String(b, t, e - t, java.nio.charset.StandardCharsets.US_ASCII).toUpperCase(java.util.Locale.ROOT) : null;
        }
        return null;
    }

    @Override
    public int inspect(FlowInspection fi, int slot, boolean forward, long seq, byte[] b, int off, int len) {
        int i = off;
        int end = off + len;
        while (i < end && (b[i] == '\r' || b[i] == '\n')) {
            i++; // keep-alive CRLFs before a message
        }
        if (i == end) {
            return fi.tcp ? NEED_MORE : NOT_THIS;
        }
        String method = startLine(b, i, end - i);
        if (method == null) {
            return NOT_THIS;
        }
        String via = viaTransport(b, i, end - i);
        String what = method.equals(VERSION) ? "SIP " + Wire.ascii(b, i + 8, 3) + " response" : "SIP " + method + " request";
        fi.detected(AppProtocol.SIP, what + " over " + (fi.tcp ? "TCP" : "UDP") + (via == null ? "" : ", Via SIP/2.0/" + via));
        return DETECTED;
    }
}
