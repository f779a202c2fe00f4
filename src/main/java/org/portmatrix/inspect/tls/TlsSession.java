package org.portmatrix.inspect.tls;

import java.util.ArrayList;
import java.util.List;

/**
 * The per-flow state of the TLS inspector: one {@link TlsStream} per direction and what the
 * handshake has shown so far. Filled from the first packets of the flow only.
 */
public final class TlsSession {
    /** Versions as on the wire. */
    public static final int SSL_3_0 = 0x0300;
    public static final int TLS_1_0 = 0x0301;
    public static final int TLS_1_2 = 0x0303;
    public static final int TLS_1_3 = 0x0304;

    /** The client's and the server's side, as told by who sent the ClientHello. */
    TlsStream forward;
    TlsStream reverse;
    /** True when the ClientHello came from the flow's responder (the capture guessed the direction wrong). */
    public boolean clientIsResponder;

    /** The first record header of the flow was seen and valid. */
    public boolean recordSeen;
    /** Handshake type of the first handshake message seen (1 ClientHello, 2 ServerHello), or -1. */
    public int firstHandshakeType = -1;
    /** The first record seen was not a handshake record: the capture starts after the handshake. */
    public boolean midStream;

    public boolean clientHello;
    /** The legacy version field of the ClientHello. */
    public int clientLegacyVersion;
    /** The highest version the client offered (supported_versions, else the legacy field). */
    public int clientMaxVersion;
    public String sni;
    byte[] clientSessionId;

    public boolean serverHello;
    /** The negotiated version (supported_versions for TLS 1.3), or 0 before the ServerHello. */
    public int version;
    /** The cipher suite chosen, or -1. */
    public int cipher = -1;
    /**
     * An abbreviated (resumed) handshake: the server echoed the client's session id, or (a session
     * resumed from a ticket, whose session id may be empty: RFC 5077 §3.4) its NewSessionTicket or
     * ChangeCipherSpec came before any ServerHelloDone, which a full handshake sends first.
     */
    public boolean resumed;
    /** The server sent its ServerHelloDone (TLS 1.0-1.2): its first flight was a full handshake's. */
    public boolean serverHelloDone;
    /** The ServerHello was a TLS 1.3 HelloRetryRequest. */
    public boolean helloRetry;

    /** The server sent a CertificateRequest (TLS 1.0-1.2). */
    public boolean certificateRequest;
    /** The client sent a Certificate message (TLS 1.0-1.2). */
    public boolean clientCertificateMessage;
    /** Certificates in the client's Certificate message (0: an empty message). */
    public int clientCertificateCount;
    /** The client sent a CertificateVerify (it proved it holds the certificate's key). */
    public boolean clientCertificateVerify;
    public boolean serverCertificateMessage;
    /** DER of the certificates, leaf first, as far as they fitted in the reassembly buffer. */
    public final List<byte[]> serverChain = new ArrayList<>(3);
    public final List<byte[]> clientChain = new ArrayList<>(2);
    /** A certificate chain longer than the buffer: the later certificates were not kept. */
    public boolean chainTruncated;
    /** The description of the first alert sent in the clear, or -1, and who sent it. */
    public int alert = -1;
    public boolean alertFromClient;
    /** Whether that alert was fatal (level 2): the connection ended there, and in the clear it was during the handshake. */
    public boolean alertFatal;
    /**
     * Whether {@link #alertFromClient} is known from the handshake: a ClientHello or ServerHello was
     * seen (else it rests on the flow's initiator; see {@link TlsInspector#alert}).
     */
    public boolean alertSideKnown;
    /** The direction that sent {@link #alert}. */
    TlsStream alertStream;

    /** Whether {@link #alert} came from the flow's initiator (its forward direction). */
    public boolean alertFromInitiator() {
        return alertStream == forward;
    }
    /** Handshake messages the server sent, counted to tell MS-TURN's pseudo-TLS flight (a ServerHello, a ServerHelloDone). */
    int serverMessages;
    /**
     * MS-TURN's pseudo-TLS ([MS-TURN] 2.1.1, the A/V Edge's TURN over TCP 443): after a ServerHello and a ServerHelloDone
     * with nothing between them (no Certificate: no real TLS 1.0-1.2 handshake sends none but the anonymous ones, whose
     * ServerKeyExchange comes between), a frame of MS-TURN's TCP framing ([MS-TURN] 2.1.4) came where the next record was.
     */
    public boolean msTurnAfterPseudoTls;
    /** The offset in the payload just fed where that frame starts, or -1 when its header began in an earlier payload. */
    int msTurnFrameAt = -1;

    /** The server's flight was MS-TURN's pseudo-TLS: a ServerHello and a ServerHelloDone only (TLS 1.0-1.2). */
    boolean pseudoTlsServerFlight() {
        return serverHello && serverHelloDone && serverMessages == 2 && !serverCertificateMessage && version >= SSL_3_0
                && version < TLS_1_3 && !helloRetry;
    }

    /** Streams stopped for a malformed record or a gap in the TCP sequence. */
    public boolean malformed;
    public boolean gap;

    /** Buffers and certificates shared with the other sessions of the packet thread. */
    final TlsBuffers buffers;

    TlsSession(TlsBuffers buffers) {
        this.buffers = buffers;
        forward = new TlsStream(this, true);
        reverse = new TlsStream(this, false);
    }

    /**
     * The flow was read the other way round after its packets ({@code Flow.turn}): its initiator's stream is
     * the other one, and so is the side the client was on. Who sent what (the streams, the alert's) is
     * unchanged.
     */
    public void turn() {
        TlsStream s = forward;
        forward = reverse;
        reverse = s;
        forward.turn();
        reverse.turn();
        clientIsResponder = !clientIsResponder;
    }

    /** Feeds one payload of the flow; returns false when the bytes are not TLS records. */
    public boolean feed(boolean fwd, long seq, byte[] b, int off, int len) {
        TlsStream s = fwd ? forward : reverse;
        s.feed(seq, b, off, len);
        return !s.invalid;
    }

    /** True when nothing more in the clear is expected: both directions are encrypted or stopped. */
    public boolean complete() {
        if (serverHello && version >= TLS_1_3) {
            return true; // everything after the ServerHello is encrypted
        }
        return forward.stopped && reverse.stopped;
    }

    /**
     * True when the server's first bytes after a ClientHello were not a TLS record (a cleartext banner, an error line),
     * and the client did not go on with its handshake. A client that sent its ChangeCipherSpec or application data had a
     * TLS answer ({@link #serverAnswerUnreadable}): the server's first segment was missing from the capture, or came
     * after a later one (lost on the way and sent again), which is read from the middle of a record.
     */
    public boolean responderAnsweredNotTls() {
        return serverFirstBytesNotTls() && !clientFinishedHandshake();
    }

    /**
     * True when the server's first bytes seen were not a TLS record but the client went on with its handshake: the
     * capture lacks the start of the server's answer, or has it after a later segment.
     */
    public boolean serverAnswerUnreadable() {
        return serverFirstBytesNotTls() && clientFinishedHandshake();
    }

    private boolean serverFirstBytesNotTls() {
        TlsStream server = clientIsResponder ? forward : reverse;
        return clientHello && !serverHello && server.invalid;
    }

    /**
     * True once the server's answer to the ClientHello is known, or the client's next step shows there was one: the
     * server sent a payload (TLS or not), or the client went on with its handshake (an answer the capture lacks, a
     * capture of the client's direction only).
     */
    public boolean serverAnswerKnown() {
        TlsStream server = clientIsResponder ? forward : reverse;
        return server.spoke || clientFinishedHandshake();
    }

    /** True when the client side switched to encryption (ChangeCipherSpec) or sent application data. */
    public boolean clientFinishedHandshake() {
        TlsStream c = clientIsResponder ? reverse : forward;
        return c.encrypted;
    }

    /** The server's NewSessionTicket or ChangeCipherSpec: before a ServerHelloDone, the handshake is abbreviated. */
    void abbreviatedIfBeforeServerHelloDone() {
        if (serverHello && !serverHelloDone && version > 0 && version < TLS_1_3) { // (a HelloRetryRequest is TLS 1.3)
            resumed = true;
        }
    }

    boolean isClient(TlsStream s) {
        return (s == forward) != clientIsResponder;
    }

    /** "TLS 1.2", "SSL 3.0", or "0xNNNN". */
    public static String versionName(int v) {
        return switch (v) {
            case SSL_3_0 -> "SSL 3.0";
            case TLS_1_0 -> "TLS 1.0";
            case 0x0302 -> "TLS 1.1";
            case TLS_1_2 -> "TLS 1.2";
            case TLS_1_3 -> "TLS 1.3";
            default -> String.format("0x%04x", v);
        };
    }
}
