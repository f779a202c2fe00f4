package org.portmatrix.inspect.sip;

import org.portmatrix.inspect.AppProtocol;
import org.portmatrix.inspect.FlowInspection;
import org.portmatrix.inspect.Inspector;
import org.portmatrix.inspect.RequestLine;
import org.portmatrix.inspect.Wire;

/**
 * SIP over TCP or UDP (RFC 3261 §7.1, §7.2): a request line {@code Method SP Request-URI SP SIP/2.0}
 * or a status line {@code SIP/2.0 SP 3DIGIT SP Reason}. The Via header's transport is reported,
 * since a cleartext message that names TLS in its Via was meant for an encrypted connection.
 * A TCP keep-alive (an empty line, RFC 5626 §3.5.1) is "need more"; so is, over TCP, text that
 * does not begin a message (the middle of one: {@link #midMessage}).
 */
public final class SipInspector extends Inspector {
    static final String VERSION = "SIP/2.0";
    /**
     * RFC 3261 and extensions, plus the Microsoft methods (MS-SIPRE NEGOTIATE, MS-SIPAE/BENOTIFY, SERVICE): named
     * without making a string; any other token is taken as an extension method.
     */
    static final String[] METHODS = {"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK", "SUBSCRIBE",
        "NOTIFY", "PUBLISH", "INFO", "REFER", "MESSAGE", "UPDATE", "SERVICE", "NEGOTIATE", "BENOTIFY"};
    /** How far into the message the Via header is looked for. */
    static final int VIA_SCAN = 1024;

    public SipInspector() {
        super("sip", true, true, new int[] {5060, 5061, 5062, 5063, 5064, 5065, 5066, 5067, 5068, 5070, 5071, 5072,
                5073, 5075, 5076, 5080, 5081, 5082}, new int[] {5060, 5061});
    }

    /** True for a status line at {@code off}: {@code SIP/2.0 SP 3DIGIT SP}. */
    static boolean statusLine(byte[] b, int off, int len) {
        if (len < 12 || !Wire.startsWith(b, off, len, VERSION + " ")) {
            return false;
        }
        for (int i = off + 8; i < off + 11; i++) {
            if (b[i] < '0' || b[i] > '9') {
                return false;
            }
        }
        return b[off + 11] == ' ';
    }

    /** The method of a whole request line at {@code off} (any token, RFC 3261 §7.1), "SIP/2.0" for a status line, or null. */
    public static String startLine(byte[] b, int off, int len) {
        return statusLine(b, off, len) ? VERSION : RequestLine.whole(b, off, len, METHODS, VERSION);
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

    /**
     * A status line decides; so does a whole request line ending in SIP/2.0, whatever its method (an
     * extension method, RFC 3261 §7.1 and §8.2.1). The start of a request line (cut by the snap length,
     * or longer than a TCP segment) is "need more", not "not SIP": the rest of the line or the other
     * end's status line tells. Over UDP each datagram is a message of its own and starts afresh.
     */
    @Override
    public int inspect(FlowInspection fi, int slot, boolean forward, long seq, byte[] b, int off, int len) {
        RequestLine line = RequestLine.Both.of(fi, slot, forward);
        int i = off;
        int end = off + len;
        if (line == null || line.fresh() || !fi.tcp) {
            while (i < end && (b[i] == '\r' || b[i] == '\n')) {
                i++; // keep-alive CRLFs before a message
            }
            if (i == end) {
                return fi.tcp ? NEED_MORE : NOT_THIS;
            }
            if (statusLine(b, i, end - i)) {
                return detected(fi, b, i, end - i, VERSION);
            }
            if (!RequestLine.tchar(b[i] & 0xff)) {
                if (!fi.tcp || fi.connectionStartSeen || !text(b, i, end)) {
                    return NOT_THIS; // (most payloads that are not SIP end here, with nothing allocated)
                }
                return midMessage(fi, line != null ? line : RequestLine.Both.make(fi, slot, forward, VERSION), seq, b, off, i, end);
            }
        }
        if (line == null) {
            line = RequestLine.Both.make(fi, slot, forward, VERSION);
        }
        if (!fi.tcp) {
            line.reset();
        }
        long at = fi.tcp && seq >= 0 ? (seq + i - off) & 0xffffffffL : -1; // (past the CRLFs skipped)
        return switch (line.follow(at, b, i, end - i)) {
            case RequestLine.COMPLETE -> detected(fi, b, i, end - i, line.method(METHODS));
            // (A UDP datagram is a whole message: one that only starts a request line is not SIP, unless the capture cut it.)
            // (Mid-stream, a line that a gap stopped is no longer followed: the payload is looked at as the middle of a message.)
            case RequestLine.PREFIX -> !line.lost() || fi.connectionStartSeen || !text(b, i, end) ? fi.tcp || fi.payloadCut() ? NEED_MORE : NOT_THIS
                    : midMessage(fi, line, seq, b, off, i, end);
            default -> fi.tcp && !fi.connectionStartSeen && text(b, i, end) ? midMessage(fi, line, seq, b, off, i, end) : NOT_THIS;
        };
    }

    /** How far into a payload {@link #text} looks. */
    static final int TEXT_SCAN = 512;

    /**
     * Whether the payload's first bytes are text, as SIP's headers and bodies are (RFC 3261 §7.3.1: UTF-8): no control
     * byte but TAB, CR and LF, and every byte above 0x7f in a well-formed UTF-8 sequence (RFC 3629 §4: no overlong form,
     * no surrogate; a sequence the scan cuts counts).
     */
    static boolean text(byte[] b, int off, int end) {
        int stop = Math.min(end, off + TEXT_SCAN);
        for (int i = off; i < stop; i++) {
            int c = b[i] & 0xff;
            if (c < 0x80) {
                if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f) {
                    return false;
                }
                continue;
            }
            int more = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
            if (more < 0) {
                return false;
            }
            for (int k = 1; k <= more && i + k < stop; k++) {
                int n = b[i + k] & 0xff;
                // RFC 3629 §4: after E0 the next byte is A0-BF, after ED 80-9F, after F0 90-BF, after F4 80-8F (no
                // overlong form, no UTF-16 surrogate, nothing past U+10FFFF); otherwise, and later, 80-BF.
                int lo = k > 1 ? 0x80 : c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
                int hi = k > 1 ? 0xbf : c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
                if (n < lo || n > hi) {
                    return false;
                }
            }
            i += more;
        }
        return true;
    }

    /**
     * TCP, a payload of text that does not begin a message: the middle of one (a capture begun in the middle of a
     * connection, which a Mediation Server's to its pool is for days; an INVITE with its SDP is longer than a
     * segment). A later line of it that begins a message decides; otherwise it is "need more" and the direction's
     * next payload is looked at afresh. It had ruled SIP out for the whole flow: a SIP connection seen from the
     * middle of an INVITE was unverifiable, its other end's whole responses never looked at
     * (captures/inspect/sip-midstream.pcap). Only where the connection's start was not seen: from its SYN on, a
     * direction's first payload is the first of its stream, which a SIP connection begins with a message (or a
     * keep-alive); text that does not is another protocol (an SMTP server's greeting on a SIP port had kept SIP
     * possible to the end of the budget, and the flow was unverifiable, "too short to tell", not protocol_mismatch).
     * A last line that only starts a request line (the segment ends in it) is followed into the direction's next
     * payload, as a first one is ({@code seq}: the sequence number of {@code b[off]}, or -1); it had been dropped, and
     * that payload, the line's rest, taken for the middle of a message again.
     */
    private static int midMessage(FlowInspection fi, RequestLine line, long seq, byte[] b, int off, int i, int end) {
        if (httpStartLine(b, i, end)) {
            return NOT_THIS; // the start of an HTTP message, not the middle of a SIP one (its body may quote SIP)
        }
        for (int p = i; p < end - 1; p++) {
            if (b[p] != '\n') {
                continue;
            }
            int s = p + 1;
            if (statusLine(b, s, end - s)) {
                return detected(fi, b, s, end - s, VERSION);
            }
            if (RequestLine.tchar(b[s] & 0xff)) {
                line.reset();
                int r = line.follow(seq >= 0 ? (seq + s - off) & 0xffffffffL : -1, b, s, end - s);
                if (r == RequestLine.COMPLETE) {
                    return detected(fi, b, s, end - s, line.method(METHODS));
                }
                if (r == RequestLine.PREFIX) {
                    return NEED_MORE; // (no line end after it: the payload's last line, carried on by the next payload)
                }
            }
        }
        line.reset();
        return NEED_MORE;
    }

    /**
     * Whether the line at {@code b[i]} is an HTTP/1.x status line, or ends in " HTTP/1.0" or " HTTP/1.1" after a token and a
     * space (a request line): a payload that begins so begins an HTTP message. Allocates nothing. An HTTP request whose
     * body quoted a SIP message (a trace uploaded to a web service) had been taken for the middle of a SIP message
     * and the quoted start line for SIP, before the HTTP inspector was asked (review of 6b82135).
     */
    static boolean httpStartLine(byte[] b, int i, int end) {
        if (org.portmatrix.inspect.http.HttpInspector.statusLine(b, i, end - i) != null) {
            return true;
        }
        int t = i;
        while (t < end && RequestLine.tchar(b[t] & 0xff)) {
            t++;
        }
        if (t == i || t == end || b[t] != ' ') {
            return false;
        }
        int e = t;
        while (e < end && b[e] != '\r' && b[e] != '\n') {
            e++;
        }
        return e - t >= 10 && (Wire.startsWith(b, e - 9, 9, " HTTP/1.0") || Wire.startsWith(b, e - 9, 9, " HTTP/1.1"));
    }

    private static int detected(FlowInspection fi, byte[] b, int i, int len, String method) {
        String via = viaTransport(b, i, len);
        String what = method.equals(VERSION) ? "SIP " + Wire.ascii(b, i + 8, 3) + " response" : "SIP " + method + " request";
        fi.detected(AppProtocol.SIP, what + " over " + (fi.tcp ? "TCP" : "UDP") + (via == null ? "" : ", Via SIP/2.0/" + via));
        return DETECTED;
    }
}
