package org.portmatrix.inspect;

/** Reading big- and little-endian fields and ASCII tokens from a byte array; callers check bounds first. */
public final class Wire {
    private Wire() {}

    public static int u8(byte[] b, int i) {
        return b[i] & 0xff;
    }

    public static int u16(byte[] b, int i) {
        return (b[i] & 0xff) << 8 | (b[i + 1] & 0xff);
    }

    public static int u16le(byte[] b, int i) {
        return (b[i + 1] & 0xff) << 8 | (b[i] & 0xff);
    }

    public static int u24(byte[] b, int i) {
        return (b[i] & 0xff) << 16 | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff);
    }

    public static long u32(byte[] b, int i) {
        return ((long) (b[i] & 0xff) << 24) | (b[i + 1] & 0xff) << 16 | (b[i + 2] & 0xff) << 8 | (b[i + 3] & 0xff);
    }

    public static long u32le(byte[] b, int i) {
        return ((long) (b[i + 3] & 0xff) << 24) | (b[i + 2] & 0xff) << 16 | (b[i + 1] & 0xff) << 8 | (b[i] & 0xff);
    }

    /** True when {@code b[off..off+len)} starts with the ASCII string {@code s}. */
    public static boolean startsWith(byte[] b, int off, int len, String s) {
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

    /** The entry of {@code tokens} equal to the bytes {@code b[off..off+len)}, or null; allocates nothing. */
    public static String token(byte[] b, int off, int len, String[] tokens) {
        for (String t : tokens) {
            if (t.length() == len && startsWith(b, off, len, t)) {
                return t;
            }
        }
        return null;
    }

    /** Like {@link #startsWith} but ignoring ASCII case. */
    public static boolean startsWithIgnoreCase(byte[] b, int off, int len, String s) {
        if (len < s.length()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            int c = b[off + i];
            if (c >= 'A' && c <= 'Z') {
                c += 'a' - 'A';
            }
            int e = s.charAt(i);
            if (e >= 'A' && e <= 'Z') {
                e += 'a' - 'A';
            }
            if (c != e) {
                return false;
            }
        }
        return true;
    }

    /** Index of the first CR or LF in {@code b[off..off+len)}, or -1. */
    public static int lineEnd(byte[] b, int off, int len) {
        for (int i = off, end = off + len; i < end; i++) {
            if (b[i] == '\r' || b[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** The bytes as ASCII, non-printable characters replaced by '.', for short details in reasons. */
    public static String ascii(byte[] b, int off, int len) {
        StringBuilder sb = new StringBuilder(len);
        for (int i = off; i < off + len; i++) {
            int c = b[i] & 0xff;
            sb.append(c >= 0x20 && c < 0x7f ? (char) c : '.');
        }
        return sb.toString();
    }

    /** True when every byte is a visible ASCII character (0x21-0x7e). */
    public static boolean visible(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            if (b[i] < 0x21 || b[i] > 0x7e) {
                return false;
            }
        }
        return true;
    }
}
