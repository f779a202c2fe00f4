package org.portmatrix.inspect;

/**
 * Follows the request line of a text protocol, {@code method SP target SP version CRLF} (HTTP/1.x,
 * RFC 9112 §3; SIP, RFC 3261 §7.1), over the payloads of one direction, for the HTTP and SIP
 * inspectors (each keeps its own). A request line is believed only whole, ending in the protocol's
 * version; but a payload that is the start of one (a line longer than a segment, "GET " alone in a
 * segment, a request the snap length cut) is not evidence against the protocol: the rest of the
 * line, or the responder's status line, decides.
 *
 * <p>The method is any token (RFC 9110 §9.1, RFC 3261 §25.1: extension methods such as WebDAV's
 * MKCOL), at most {@link #MAX_METHOD} characters; the target any run of visible ASCII characters; the whole line at most {@link #MAX_LINE} bytes, past which it is given up.
 */
public final class RequestLine {
    /** The bytes fed are not a request line of the protocol. */
    public static final int NO = 0;
    /** The bytes fed so far are the start of a request line. */
    public static final int PREFIX = 1;
    /** A whole request line, ended by CR or LF. */
    public static final int COMPLETE = 2;

    /** Longest method taken (registered ones have up to 17 characters: UPDATEREDIRECTREF). */
    public static final int MAX_METHOD = 24;
    /** Longest request line followed (RFC 9112 §3 asks to take at least 8,000 octets). */
    public static final int MAX_LINE = 8192;

    private static final int METHOD = 0;
    private static final int TARGET = 1;
    private static final int VERSION = 2;

    private final String[] versions;
    private final byte[] method = new byte[MAX_METHOD];
    private final byte[] version;
    private int phase;
    private int methodLen;
    private int targetLen;
    private int versionLen;
    private int total;
    private int result = PREFIX;
    /** The TCP sequence number the next payload of the direction should start at, or -1. */
    private long next = -1;
    /** A gap in the line's bytes (a payload missed or cut by the snap length): where its rest starts is unknown. */
    private boolean lost;

    /** An inspector's per-flow state: the request line of each direction, made when a payload starts like one. */
    public static final class Both {
        private RequestLine fwd;
        private RequestLine rev;

        /** The direction's line in the inspector's slot, or null before one was made. */
        public static RequestLine of(FlowInspection fi, int slot, boolean forward) {
            Both s = (Both) fi.state(slot);
            return s == null ? null : forward ? s.fwd : s.rev;
        }

        /** Makes the direction's line (and the state, at the flow's first). */
        public static RequestLine make(FlowInspection fi, int slot, boolean forward, String... versions) {
            Both s = (Both) fi.state(slot);
            if (s == null) {
                s = new Both();
                fi.state(slot, s);
            }
            RequestLine line = new RequestLine(versions);
            if (forward) {
                s.fwd = line;
            } else {
                s.rev = line;
            }
            return line;
        }
    }

    /** @param versions the versions that may end the line ("HTTP/1.0", "HTTP/1.1"), all of one length */
    public RequestLine(String... versions) {
        this.versions = versions;
        this.version = new byte[versions[0].length()];
    }

    /** Starts over, for a new line (a new UDP datagram). */
    public void reset() {
        phase = METHOD;
        methodLen = 0;
        targetLen = 0;
        versionLen = 0;
        total = 0;
        result = PREFIX;
        next = -1;
        lost = false;
    }

    /** True before any byte was fed since the start or {@link #reset}. */
    public boolean fresh() {
        return total == 0;
    }

    /** True once a gap in the direction's bytes stopped the line from being followed ({@link #follow}). */
    public boolean lost() {
        return lost;
    }

    /**
     * Feeds the next bytes of the direction; returns {@link #NO}, {@link #PREFIX} or {@link #COMPLETE}
     * (which, as NO, stays the answer once given).
     */
    public int feed(byte[] b, int off, int len) {
        for (int i = off, end = off + len; i < end && result == PREFIX; i++) {
            int c = b[i] & 0xff;
            if (++total > MAX_LINE) {
                return result = NO;
            }
            switch (phase) {
                case METHOD -> {
                    if (c == ' ' && methodLen > 0) {
                        phase = TARGET;
                    } else if (tchar(c) && methodLen < MAX_METHOD) {
                        method[methodLen++] = (byte) c;
                    } else {
                        result = NO;
                    }
                }
                case TARGET -> {
                    if (c == ' ' && targetLen > 0) {
                        phase = VERSION;
                    } else if (c > ' ' && c < 0x7f) { // (a URI is ASCII: RFC 3986; a run of binary bytes is no target)
                        targetLen++;
                    } else {
                        result = NO;
                    }
                }
                default -> {
                    if (versionLen == version.length) {
                        result = c == '\r' || c == '\n' ? COMPLETE : NO;
                    } else {
                        version[versionLen++] = (byte) c;
                        if (!versionPrefix()) {
                            result = NO;
                        }
                    }
                }
            }
        }
        return result;
    }

    /**
     * Feeds the next TCP payload of the direction, {@code seq} its sequence number (or -1: taken as in
     * order). A payload that repeats bytes already fed gives only its new ones; after a gap (a payload
     * missed, or cut by the capture's snap length) the line cannot be followed further and stays
     * {@link #PREFIX}: the other direction's answer decides.
     */
    public int follow(long seq, byte[] b, int off, int len) {
        if (result != PREFIX || lost) {
            return result;
        }
        if (seq >= 0 && next >= 0) {
            long ahead = (seq - next) & 0xffffffffL;
            if (ahead >= 0x8000_0000L) { // starts before the bytes already fed: a retransmission
                long old = 0x1_0000_0000L - ahead;
                if (old >= len) {
                    return result;
                }
                off += (int) old;
                len -= (int) old;
                seq = next;
            } else if (ahead != 0) {
                lost = true;
                return result;
            }
        }
        next = seq < 0 ? -1 : (seq + len) & 0xffffffffL;
        return feed(b, off, len);
    }

    private boolean versionPrefix() {
        for (String v : versions) {
            boolean same = true;
            for (int k = 0; k < versionLen && same; k++) {
                same = version[k] == v.charAt(k);
            }
            if (same) {
                return true;
            }
        }
        return false;
    }

    /** The method, once the line is {@link #COMPLETE}: one of {@code known} when it is one, else a new string. */
    public String method(String[] known) {
        String m = Wire.token(method, 0, methodLen, known);
        return m != null ? m : new String(method, 0, methodLen, java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA. */
    public static boolean tchar(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    /** The pure byte test: the method of the whole request line at {@code b[off..]}, or null. */
    public static String whole(byte[] b, int off, int len, String[] known, String... versions) {
        RequestLine l = new RequestLine(versions);
        return l.feed(b, off, len) == COMPLETE ? l.method(known) : null;
    }
}
