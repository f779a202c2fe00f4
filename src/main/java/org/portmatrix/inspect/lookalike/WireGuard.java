package org.portmatrix.inspect.lookalike;

/**
 * WireGuard's messages (the WireGuard whitepaper §5.4, wireguard.com/protocol): a message type (1), three reserved zero
 * bytes, then a fixed layout per type:
 *
 * <pre>
 * 1 handshake initiation: sender (4) ephemeral (32) static (32+16) timestamp (12+16) mac1 (16) mac2 (16)  = 148 bytes
 * 2 handshake response:   sender (4) receiver (4) ephemeral (32) empty (0+16) mac1 (16) mac2 (16)         =  92 bytes
 * 3 cookie reply:         receiver (4) nonce (24) cookie (16+16)                                           =  64 bytes
 * 4 transport data:       receiver (4) counter (8) packet (16n, padded) + tag (16)                         >= 32, 16n
 * </pre>
 */
public final class WireGuard {
    static final int INITIATION = 1, RESPONSE = 2, COOKIE_REPLY = 3, TRANSPORT_DATA = 4;
    static final int INITIATION_SIZE = 148, RESPONSE_SIZE = 92, COOKIE_REPLY_SIZE = 64;
    /** A transport data message's header (16) and tag (16): a keepalive, the smallest. */
    static final int MIN_TRANSPORT_DATA = 32;
    /** Transport data is padded to 16 bytes. */
    static final int PADDING = 16;

    private static final String[] DETAIL = {null, "WireGuard (handshake initiation)", "WireGuard (handshake response)",
        "WireGuard (cookie reply)", "WireGuard (transport data)"};

    private WireGuard() {}

    /** What the datagram shows, or null when it is not a WireGuard message. */
    public static String tell(byte[] b, int off, int len) {
        if (len < MIN_TRANSPORT_DATA || b[off + 1] != 0 || b[off + 2] != 0 || b[off + 3] != 0) {
            return null;
        }
        int type = b[off];
        boolean sized = switch (type) {
            case INITIATION -> len == INITIATION_SIZE;
            case RESPONSE -> len == RESPONSE_SIZE;
            case COOKIE_REPLY -> len == COOKIE_REPLY_SIZE;
            case TRANSPORT_DATA -> len % PADDING == 0;
            default -> false;
        };
        return sized ? DETAIL[type] : null;
    }
}
