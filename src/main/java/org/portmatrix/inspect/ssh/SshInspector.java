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

    @Override
    public int inspect(FlowInspection fi, int slot, boolean forward, long seq, byte[] b, int off, int len) {
        if (!banner(b, off, len)) {
            return len < 9 && Wire.startsWith(b, off, len, "SSH-".substring(0, Math.min(len, 4))) ? NEED_MORE : NOT_THIS;
        }
        int eol = Wire.lineEnd(b, off, Math.min(len, 255));
        String id = Wire.ascii(b, off, (eol < 0 ? Math.min(len, 64) : eol - off));
        fi.detected(AppProtocol.SSH, "SSH identification " + id);
        return DETECTED;
    }
}
