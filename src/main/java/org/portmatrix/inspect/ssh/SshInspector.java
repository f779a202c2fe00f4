package org.portmatrix.inspect.ssh;

import org.portmatrix.inspect.AppProtocol;
import org.portmatrix.inspect.FlowInspection;
import org.portmatrix.inspect.Inspector;
import org.portmatrix.inspect.Wire;

/** SSH (RFC 4253 §4.2): each side first sends an identification string {@code SSH-protoversion-softwareversion}. */
public final class SshInspector extends Inspector {
    public SshInspector() {
        super("ssh", true, false, new int[] {22}, new int[0]);
    }

    public static boolean banner(byte[] b, int off, int len) {
        return Wire.startsWith(b, off, len, "SSH-2.0-") || Wire.startsWith(b, off, len, "SSH-1.99-")
                || Wire.startsWith(b, off, len, "SSH-1.5-");
    }

    /** Longest line before the server's identification string taken as one (RFC 4253 §4.2 bounds only the latter, 255). */
    static final int MAX_PRE_LINE = 1024;

    /**
     * RFC 4253 §4.2: "The server MAY send other lines of data before sending the version string", each ended by
     * CR LF and not starting "SSH-" (a legal notice). Returns the offset of the identification string after
     * such whole lines of text in the server's payload, {@code off + len} when the payload holds such lines only,
     * or -1 when it is something else.
     */
    static int afterPreBanner(byte[] b, int off, int len) {
        int i = off;
        int end = off + len;
        while (i < end) {
            if (banner(b, i, end - i)) {
                return i;
            }
            int lineStart = i;
            while (i < end && b[i] != '\n') {
                int c = b[i] & 0xff;
                if ((c < 0x20 && c != '\r' && c != '\t') || c == 0x7f || i - lineStart >= MAX_PRE_LINE) {
                    return -1;
                }
                i++;
            }
            if (i == end) {
                return -1; // a line not ended: not the lines SSH allows
            }
            i++;
        }
        return end;
    }

    @Override
    public int inspect(FlowInspection fi, int slot, boolean forward, long seq, byte[] b, int off, int len) {
        if (!forward && !banner(b, off, len)) {
            // the server's lines before its identification string: passed over (they had ruled SSH out)
            int at = afterPreBanner(b, off, len);
            if (at == off + len) {
                return NEED_MORE;
            }
            if (at > off) {
                len -= at - off;
                off = at;
            }
        }
        if (!banner(b, off, len)) {
            return len < 9 && Wire.startsWith(b, off, len, "SSH-".substring(0, Math.min(len, 4))) ? NEED_MORE : NOT_THIS;
        }
        int eol = Wire.lineEnd(b, off, Math.min(len, 255));
        String id = Wire.ascii(b, off, (eol < 0 ? Math.min(len, 64) : eol - off));
        fi.detected(AppProtocol.SSH, "SSH identification " + id);
        return DETECTED;
    }
}
