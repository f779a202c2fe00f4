package org.portmatrix.inspect.http;

import org.portmatrix.inspect.AppProtocol;
import org.portmatrix.inspect.FlowInspection;
import org.portmatrix.inspect.Inspector;
import org.portmatrix.inspect.RequestLine;
import org.portmatrix.inspect.Wire;

/**
 * Cleartext HTTP/1.x (RFC 9112 §3, §4): a request line {@code method SP request-target SP HTTP/1.x}
 * (any token as the method) or a status line {@code HTTP/1.x SP 3DIGIT}. {@link #METHODS} only name
 * the usual methods without making a string.
 */
public final class HttpInspector extends Inspector {
    static final String[] METHODS = {"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "PATCH", "TRACE",
        "RPC_IN_DATA", "RPC_OUT_DATA", "PROPFIND"};

    public HttpInspector() {
        super("http", true, false, new int[] {80, 8080, 8000, 8081}, new int[0]);
    }

    /** The versions that end a request line. */
    static final String[] VERSIONS = {"HTTP/1.0", "HTTP/1.1"};

    /** "HTTP/1.0" or "HTTP/1.1" for a status line ({@code HTTP/1.x SP 3DIGIT}) at {@code off}, or null. */
    public static String statusLine(byte[] b, int off, int len) {
        if (len < 12 || !Wire.startsWith(b, off, len, "HTTP/1.") || b[off + 8] != ' ') {
            return null;
        }
        for (int i = off + 9; i < off + 12; i++) {
            if (b[i] < '0' || b[i] > '9') {
                return null;
            }
        }
        return b[off + 7] == '0' ? "HTTP/1.0" : "HTTP/1.1";
    }

    /** "GET", "MKCOL" etc. for a whole request line, "HTTP/1.1" for a status line, or null. */
    public static String startLine(byte[] b, int off, int len) {
        String status = statusLine(b, off, len);
        return status != null ? status : RequestLine.whole(b, off, len, METHODS, VERSIONS);
    }

    /**
     * A status line decides; so does a whole request line, whatever its method (an extension method
     * such as WebDAV's MKCOL, RFC 9110 §9.1), once it ends in HTTP/1.0 or HTTP/1.1. The start of a
     * request line (a target longer than a segment, "GET " alone, a request the snap length cut) is
     * followed over the direction's next payloads: "need more", not "not HTTP", so that the rest of
     * the line or the responder's status line can tell. It had been "not HTTP" for the whole flow.
     */
    @Override
    public int inspect(FlowInspection fi, int slot, boolean forward, long seq, byte[] b, int off, int len) {
        RequestLine line = RequestLine.Both.of(fi, slot, forward);
        if (line == null) {
            String status = statusLine(b, off, len);
            if (status != null) {
                fi.detected(AppProtocol.HTTP, "HTTP response " + Wire.ascii(b, off + 9, 3));
                return DETECTED;
            }
            if (!RequestLine.tchar(b[off] & 0xff)) {
                return NOT_THIS; // (most payloads that are not HTTP end here, with nothing allocated)
            }
            line = RequestLine.Both.make(fi, slot, forward, VERSIONS);
        }
        return switch (line.follow(seq, b, off, len)) {
            case RequestLine.COMPLETE -> {
                fi.detected(AppProtocol.HTTP, "HTTP " + line.method(METHODS) + " request");
                yield DETECTED;
            }
            case RequestLine.PREFIX -> NEED_MORE;
            default -> NOT_THIS;
        };
    }
}
