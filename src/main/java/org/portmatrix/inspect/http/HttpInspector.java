package org.portmatrix.inspect.http;

import org.portmatrix.inspect.AppProtocol;
import org.portmatrix.inspect.FlowInspection;
import org.portmatrix.inspect.Inspector;
import org.portmatrix.inspect.Wire;

/**
 * Cleartext HTTP/1.x (RFC 9112 §3, §4): a request line {@code method SP request-target SP HTTP/1.x}
 * or a status line {@code HTTP/1.x SP 3DIGIT}.
 */
public final class HttpInspector extends Inspector {
    static final String[] METHODS = {"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "PATCH", "TRACE",
        "RPC_IN_DATA", "RPC_OUT_DATA", "PROPFIND"};

    public HttpInspector() {
        super("http", true, false, new int[] {80, 8080, 8000, 8081}, new int[0]);
    }

    /** "GET" etc. for a request line, "HTTP/1.1" for a status line, or null. */
    public static String startLine(byte[] b, int off, int len) {
        int eol = Wire.lineEnd(b, off, Math.min(len, 8192));
        int lineLen = eol < 0 ? Math.min(len, 8192) : eol - off;
        if (Wire.startsWith(b, off, lineLen, "HTTP/1.") && lineLen >= 12 && b[off + 8] == ' ') {
            for (int i = off + 9; i < off + 12; i++) {
                if (b[i] < '0' || b[i] > '9') {
                    return null;
                }
            }
            return b[off + 7] == '0' ? "HTTP/1.0" : "HTTP/1.1";
        }
        if (eol < 0) {
            return null; // a request line must be complete to be believed
        }
        int sp = -1;
        for (int i = off; i < eol && i < off + 14; i++) {
            if (b[i] == ' ') {
                sp = i;
                break;
            }
        }
        if (sp <= off) {
            return null;
        }
        String method = Wire.token(b, off, sp - off, METHODS);
        if (method == null || lineLen < 9) {
            return null;
        }
        return Wire.startsWith(b, eol - 9, 9, " HTTP/1.0") || Wire.startsWith(b, eol - 9, 9, " HTTP/1.1") ? method : null;
    }

    @Override
    public int inspect(FlowInspection fi, int slot, boolean forward, long seq, byte[] b, int off, int len) {
        String s = startLine(b, off, len);
        if (s == null) {
            return len < 16 && fi.tcp && Wire.visible(b, off, len) ? NEED_MORE : NOT_THIS;
        }
        fi.detected(AppProtocol.HTTP, s.startsWith("HTTP/") ? "HTTP response " + Wire.ascii(b, off + 9, 3)
                : "HTTP " + s + " request");
        return DETECTED;
    }
}
