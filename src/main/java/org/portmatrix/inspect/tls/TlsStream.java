package org.portmatrix.inspect.tls;

/**
 * One direction of a TLS connection, parsed as a stream: TCP segments in sequence order, TLS
 * records across segments, handshake messages across records (RFC 5246 §6.2.1 and §7.4, RFC 8446
 * §5.1 and §4). Only the handshake messages the inspector reads are buffered, each up to
 * {@link #BODY_CAP} bytes; every other byte is counted and skipped.
 *
 * <pre>
 * record:    type(1) version(2) length(2) | fragment(length)
 * handshake: msg_type(1) length(3) | body(length)      (may span several records)
 * </pre>
 */
final class TlsStream {
    /** Bytes of one handshake message kept for parsing (a ClientHello, a certificate chain). */
    static final int BODY_CAP = 8192;
    /** RFC 8446 §5.1: a record's length MUST NOT exceed 2^14 (+ 2048 for ciphertext in TLS 1.2). */
    static final int MAX_RECORD = 16384 + 2048;
    static final int RECORD_HEADER = 5;
    static final int HANDSHAKE_HEADER = 4;

    static final int CHANGE_CIPHER_SPEC = 20;
    static final int ALERT = 21;
    static final int HANDSHAKE = 22;
    static final int APPLICATION_DATA = 23;
    static final int HEARTBEAT = 24;

    static final int CLIENT_HELLO = 1;
    static final int SERVER_HELLO = 2;
    static final int NEW_SESSION_TICKET = 4;
    static final int CERTIFICATE = 11;
    static final int CERTIFICATE_REQUEST = 13;
    static final int SERVER_HELLO_DONE = 14;
    static final int CERTIFICATE_VERIFY = 15;

    /** [MS-TURN] 2.1.4: the TCP framing's types, a TURN control message and end-to-end data. */
    static final int MS_TURN_CONTROL = 0x02;
    static final int MS_TURN_DATA = 0x03;

    private final TlsSession session;
    /** Whether this is the flow initiator's direction ({@link #turn} when the flow is read the other way round). */
    private boolean forward;

    /** Next expected TCP sequence number (32-bit), or -1 before the first segment. */
    private long nextSeq = -1;
    /** The bytes were not TLS records (or lost sync): nothing more is parsed in this direction. */
    boolean invalid;
    /** Parsing of this direction is over (encrypted, a gap, invalid). */
    boolean stopped;
    /** This direction sent ChangeCipherSpec or application data. */
    boolean encrypted;
    /** This direction sent a payload (whatever it was). */
    boolean spoke;
    /** This direction went on in MS-TURN's TCP framing after a pseudo-TLS flight ({@link TlsSession#msTurnAfterPseudoTls}). */
    private boolean msTurnFrame;

    /** The record header's bytes so far, big-endian in the low bits (fields, not a small array per stream). */
    private long recordHeader;
    private int recordHeaderHave;
    private int recordType;
    private int recordLeft;
    /** Whether the current alert record is read: one in the clear (see {@link #startRecord}). */
    private boolean plainAlert;
    /** The longest alert record taken for plaintext: a few alerts of two bytes; an encrypted one is 18 bytes or more. */
    static final int MAX_PLAIN_ALERTS = 16;
    /** The alert's level and description bytes so far. */
    private int alertBytes;
    private int alertHave;

    /** The handshake header's bytes so far: type in bits 24-31, length in bits 0-23 when complete. */
    private int handshakeHeader;
    private int handshakeHeaderHave;
    private int handshakeType;
    private int handshakeLeft;
    /** The message being kept, in a buffer lent by {@link TlsBuffers} until the message ends. */
    private byte[] body;
    private int bodyHave;
    private boolean keepBody;

    TlsStream(TlsSession session, boolean forward) {
        this.session = session;
        this.forward = forward;
    }

    /** The flow was read the other way round ({@link TlsSession#turn}). */
    void turn() {
        forward = !forward;
    }

    void feed(long seq, byte[] b, int off, int len) {
        spoke |= len > 0;
        if (stopped) {
            return;
        }
        if (seq >= 0) {
            if (nextSeq >= 0) {
                int d = (int) (seq - nextSeq); // 32-bit sequence arithmetic (RFC 9293 §3.4)
                if (d > 0) { // a segment is missing: the stream cannot be followed
                    session.gap = true;
                    stopped = true;
                    return;
                }
                if (d < 0) { // a retransmission: skip what was already read
                    if (-d >= len) {
                        return;
                    }
                    off += -d;
                    len -= -d;
                    seq = (seq - d) & 0xffffffffL;
                }
            }
            nextSeq = (seq + len) & 0xffffffffL;
        }
        int end = off + len;
        int i = off;
        while (i < end && !stopped) {
            if (recordLeft == 0) {
                while (recordHeaderHave < RECORD_HEADER && i < end) {
                    recordHeader = recordHeader << 8 | (b[i++] & 0xff);
                    recordHeaderHave++;
                }
                if (recordHeaderHave < RECORD_HEADER) {
                    return;
                }
                recordHeaderHave = 0;
                if (!startRecord()) {
                    if (msTurnFrame) { // (where its header began, when this payload holds all of it)
                        session.msTurnFrameAt = i - RECORD_HEADER >= off ? i - RECORD_HEADER : -1;
                    }
                    return;
                }
                continue;
            }
            int n = Math.min(recordLeft, end - i);
            recordBytes(b, i, n);
            recordLeft -= n;
            i += n;
            if (recordLeft == 0) {
                endRecord();
            }
        }
    }

    /** Validates a record header; false (and the stream stopped) when it is not one. */
    private boolean startRecord() {
        long h = recordHeader;
        recordHeader = 0;
        int type = (int) (h >>> 32) & 0xff;
        int major = (int) (h >>> 24) & 0xff;
        int minor = (int) (h >>> 16) & 0xff;
        int length = (int) h & 0xffff;
        if ((type == MS_TURN_CONTROL || type == MS_TURN_DATA) && major == 0 && session.pseudoTlsServerFlight()
                && (type == MS_TURN_DATA || (h & 0xc0) == 0)) {
            // MS-TURN's TCP framing after its pseudo-TLS flight: type, a reserved zero, the frame's length (here in
            // minor and the length's first byte), then (a control frame) a TURN header, whose first two bits are zero.
            session.msTurnAfterPseudoTls = true;
            msTurnFrame = true;
            stopped = true;
            return false;
        }
        if (type < CHANGE_CIPHER_SPEC || type > HEARTBEAT || major != 3 || minor > 4 || length == 0
                || length > MAX_RECORD) {
            invalid = true;
            stopped = true;
            if (session.recordSeen) {
                session.malformed = true;
            }
            return false;
        }
        if (!session.recordSeen) {
            session.recordSeen = true;
            session.midStream = type != HANDSHAKE;
        }
        recordType = type;
        recordLeft = length;
        alertHave = 0;
        alertBytes = 0;
        // An alert in the clear is two bytes (a record may carry several); one encrypted under TLS 1.0-1.2 has its
        // MAC or AEAD tag on top (18 bytes and more), and one caught mid-stream is read as is: a longer record, or
        // one of odd length, is ciphertext, whatever its first bytes look like.
        plainAlert = type == ALERT && length % 2 == 0 && length <= MAX_PLAIN_ALERTS;
        if (type == APPLICATION_DATA) {
            encrypted = true;
            stopped = true; // nothing readable follows in this direction
        }
        return true;
    }

    private void recordBytes(byte[] b, int off, int n) {
        switch (recordType) {
            case HANDSHAKE -> handshakeBytes(b, off, n);
            case ALERT -> {
                for (int i = off; plainAlert && i < off + n; i++) {
                    alertBytes = alertBytes << 8 | (b[i] & 0xff);
                    if (++alertHave == 2) {
                        alert(alertBytes >>> 8 & 0xff, alertBytes & 0xff);
                        alertHave = 0;
                        alertBytes = 0;
                    }
                }
            }
            default -> {}
        }
    }

    private void endRecord() {
        if (recordType == CHANGE_CIPHER_SPEC) {
            if (!session.isClient(this)) {
                session.abbreviatedIfBeforeServerHelloDone();
            }
            encrypted = true;
            stopped = true; // the handshake messages after it are encrypted
        } else if (recordType == ALERT && session.alertFatal && session.alertStream == this) {
            stopped = true; // after a fatal alert the connection ends
        }
    }

    /**
     * One alert in the clear. The first is kept, unless a fatal one follows a warning (an SNI mismatch's
     * unrecognized_name, then handshake_failure): the fatal one is what ended the handshake.
     */
    private void alert(int level, int description) {
        boolean fatal = level == 2;
        if (session.alert >= 0 && (session.alertFatal || !fatal)) {
            return;
        }
        session.alert = description;
        session.alertFatal = fatal;
        session.alertFromClient = session.isClient(this);
        session.alertSideKnown = session.clientHello || session.serverHello;
        session.alertStream = this;
    }

    private void handshakeBytes(byte[] b, int off, int n) {
        int i = off;
        int end = off + n;
        while (i < end && !stopped) {
            if (handshakeLeft == 0 && handshakeHeaderHave < HANDSHAKE_HEADER) {
                while (handshakeHeaderHave < HANDSHAKE_HEADER && i < end) {
                    handshakeHeader = handshakeHeader << 8 | (b[i++] & 0xff);
                    handshakeHeaderHave++;
                }
                if (handshakeHeaderHave < HANDSHAKE_HEADER) {
                    return;
                }
                startMessage();
                if (handshakeLeft == 0) {
                    endMessage();
                }
                continue;
            }
            int k = Math.min(handshakeLeft, end - i);
            if (keepBody && bodyHave < BODY_CAP) {
                int c = Math.min(k, BODY_CAP - bodyHave);
                if (body == null) {
                    body = session.buffers.take();
                }
                System.arraycopy(b, i, body, bodyHave, c);
                bodyHave += c;
            }
            handshakeLeft -= k;
            i += k;
            if (handshakeLeft == 0) {
                endMessage();
            }
        }
    }

    private void startMessage() {
        handshakeType = handshakeHeader >>> 24;
        handshakeLeft = handshakeHeader & 0xffffff;
        bodyHave = 0;
        if (session.firstHandshakeType < 0) {
            session.firstHandshakeType = handshakeType;
        }
        keepBody = handshakeType == CLIENT_HELLO || handshakeType == SERVER_HELLO || handshakeType == CERTIFICATE;
        if (handshakeType == CERTIFICATE_REQUEST && session.serverHello) {
            // Its header says it: the request is made, whether or not the rest of it is seen. A request naming every CA
            // the server trusts (Windows' SendTrustedIssuerList: 20 KB and more) may run past the payloads followed. (After
            // a ServerHello only: a capture begun on an encrypted handshake record has a 13 there once in 256; review.)
            session.certificateRequest = true;
        }
    }

    private void endMessage() {
        handshakeHeaderHave = 0;
        int total = handshakeHeader & 0xffffff;
        handshakeHeader = 0;
        switch (handshakeType) {
            case CLIENT_HELLO -> {
                session.clientIsResponder = !forward;
                TlsHandshake.clientHello(session, body, Math.min(bodyHave, total));
            }
            case SERVER_HELLO -> {
                session.clientIsResponder = forward;
                TlsHandshake.serverHello(session, body, Math.min(bodyHave, total));
            }
            case CERTIFICATE -> TlsHandshake.certificate(session, session.isClient(this), body, bodyHave, total);
            case SERVER_HELLO_DONE -> {
                if (!session.isClient(this)) {
                    session.serverHelloDone = true;
                }
            }
            case NEW_SESSION_TICKET -> {
                if (!session.isClient(this)) {
                    session.abbreviatedIfBeforeServerHelloDone();
                }
            }
            case CERTIFICATE_VERIFY -> {
                if (session.isClient(this)) {
                    session.clientCertificateVerify = true;
                }
            }
            default -> {}
        }
        if (!session.isClient(this)) {
            session.serverMessages++; // (after the hellos above, which tell the sides)
        }
        keepBody = false;
        if (body != null) { // parsed: what the session keeps was copied out of it
            session.buffers.give(body);
            body = null;
        }
    }
}
