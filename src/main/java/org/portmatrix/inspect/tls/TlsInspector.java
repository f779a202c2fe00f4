package org.portmatrix.inspect.tls;

import java.util.List;
import org.portmatrix.classify.Addresses;
import org.portmatrix.flow.Flow;
import org.portmatrix.inspect.AppProtocol;
import org.portmatrix.inspect.FlowInspection;
import org.portmatrix.inspect.Inspection;
import org.portmatrix.inspect.Inspector;
import org.portmatrix.inspect.TlsInfo;
import org.portmatrix.inspect.stun.StunInspector;

/**
 * TLS over TCP (SSL 3.0 to TLS 1.3). Detected on the first record header of a direction; then the
 * handshake is followed across segments and records ({@link TlsStream}) until both sides switch
 * to encryption, to read the versions, the SNI, the cipher, the certificate request and both
 * certificate chains.
 */
public final class TlsInspector extends Inspector {
    /** One per inspector, that is per packet thread: see {@link TlsBuffers}. */
    private final TlsBuffers buffers = new TlsBuffers();
    public TlsInspector() {
        super("tls", true, false, new int[] {443, 444, 636, 993, 995, 4443, 5061, 8057, 8058}, new int[0]);
    }

    /**
     * The pure byte test: a TLS record header (RFC 8446 §5.1) at {@code off}, as far as the bytes go.
     * <pre>
     * ContentType type(1): 20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data, 24 heartbeat
     * ProtocolVersion(2): 3.0 .. 3.4
     * uint16 length: 1 .. 2^14 + 2048
     * </pre>
     */
    public static boolean recordHeader(byte[] b, int off, int len) {
        if (len < 1) {
            return false;
        }
        int type = b[off] & 0xff;
        if (type < TlsStream.CHANGE_CIPHER_SPEC || type > TlsStream.HEARTBEAT) {
            return false;
        }
        if (len >= 3 && (b[off + 1] != 3 || (b[off + 2] & 0xff) > 4)) {
            return false;
        }
        if (len >= 5) {
            int length = (b[off + 3] & 0xff) << 8 | (b[off + 4] & 0xff);
            return length > 0 && length <= TlsStream.MAX_RECORD;
        }
        return true;
    }

    @Override
    public int inspect(FlowInspection fi, int slot, boolean forward, long seq, byte[] b, int off, int len) {
        if (!fi.tcp) {
            return NOT_THIS;
        }
        TlsSession s = (TlsSession) fi.state(slot);
        if (s == null) {
            if (!recordHeader(b, off, len)) {
                return NOT_THIS;
            }
            s = new TlsSession(buffers);
            fi.state(slot, s);
        }
        if (!s.feed(forward, seq, b, off, len)) {
            return NOT_THIS;
        }
        if (s.msTurnAfterPseudoTls) {
            msTurn(fi, s, forward, seq, b, off, len);
            return DETECTED;
        }
        if (!s.recordSeen) {
            return NEED_MORE;
        }
        if (s.midStream) {
            fi.detected(AppProtocol.TLS, "TLS records (the handshake is not in the capture)");
            return DETECTED;
        }
        if (s.firstHandshakeType < 0) {
            return NEED_MORE;
        }
        fi.detected(AppProtocol.TLS, "TLS handshake");
        return DETECTED;
    }

    @Override
    public boolean wantsMore(FlowInspection fi, int slot) {
        TlsSession s = (TlsSession) fi.state(slot);
        return s != null && !s.complete();
    }

    /** A handshake is followed to its end over more payloads than a protocol is told by: see {@link Inspection#HANDSHAKE_BUDGET}. */
    @Override
    public int budget() {
        return Inspection.HANDSHAKE_BUDGET;
    }

    @Override
    public void follow(FlowInspection fi, int slot, boolean forward, long seq, byte[] b, int off, int len) {
        TlsSession s = (TlsSession) fi.state(slot);
        s.feed(forward, seq, b, off, len);
        if (s.msTurnAfterPseudoTls && fi.app != AppProtocol.MS_TURN) {
            msTurn(fi, s, forward, seq, b, off, len);
        }
    }

    /** Names the TURN message that came after the pseudo-TLS flight, when this payload holds its frame's start. */
    private static final StunInspector STUN = new StunInspector();

    /**
     * The flow is MS-TURN ([MS-TURN] 2.1.1: the A/V Edge's TURN over TCP 443 opens with a ClientHello, answered by a
     * ServerHello and a ServerHelloDone in one record, no certificate, and nothing is encrypted after it), not TLS: read
     * as TLS, it matched the port's TLS rule (the Access Edge's SIP) and left the STUN/MS-TURN rule of the same port unused.
     */
    private static void msTurn(FlowInspection fi, TlsSession s, boolean forward, long seq, byte[] b, int off, int len) {
        int at = s.msTurnFrameAt;
        if (at >= off && at < off + len && STUN.inspect(fi, -1, forward, seq, b, at, off + len - at) == DETECTED
                && fi.app == AppProtocol.MS_TURN) {
            fi.detected(AppProtocol.MS_TURN, fi.detail + ", after MS-TURN's pseudo-TLS handshake");
        } else {
            fi.detected(AppProtocol.MS_TURN, "MS-TURN TCP framing after MS-TURN's pseudo-TLS handshake");
        }
    }

    /** The flow's TLS session, or null when this inspector did not keep one. */
    public static TlsSession session(FlowInspection fi, int slot) {
        return fi.state(slot) instanceof TlsSession s ? s : null;
    }

    /** What a client certificate check can say about a session. */
    public static String clientCertificate(TlsSession s) {
        if (s.serverHello && s.version >= TlsSession.TLS_1_3) {
            return "not visible";
        }
        if (s.clientCertificateMessage) {
            return s.clientCertificateCount > 0 ? "present" : "empty";
        }
        if (s.serverHello && !s.resumed && s.clientFinishedHandshake()) {
            return "absent";
        }
        return "not visible";
    }

    /** The record's view of a session, with the certificates already parsed. */
    public static TlsInfo info(TlsSession s, List<org.portmatrix.inspect.CertificateInfo> server,
                               List<org.portmatrix.inspect.CertificateInfo> client, Flow f) {
        String version = s.serverHello ? TlsSession.versionName(s.version) : null;
        return new TlsInfo(version, s.sni, CipherSuites.name(s.cipher), certificateRequest(s), clientCertificate(s),
                server, client, alert(s, f), s.midStream);
    }

    /**
     * The fatal alert that ended the handshake, as "unknown_ca 48 from the server", or null. Only
     * alerts in the clear are seen, and TLS 1.0-1.2 encrypts none before the handshake's end: one seen
     * ended the handshake (a certificate refused, no cipher in common), and no session was made. Its
     * sender is the client or the server when a hello or the flow's TCP start says which end is which;
     * otherwise (a capture begun mid-connection, the initiator inferred) it is named by its address.
     */
    static String alert(TlsSession s, Flow f) {
        if (s.alert < 0 || !s.alertFatal) {
            return null;
        }
        String name = org.portmatrix.inspect.ProtocolCheck.alertName(s.alert);
        if (s.alertSideKnown || !f.directionInferred) {
            return name + " from the " + (s.alertFromClient ? "client" : "server");
        }
        return name + " from " + (s.alertFromInitiator() ? Addresses.format(f.ipVersion(), f.srcHi(), f.srcLo())
                : Addresses.format(f.ipVersion(), f.dstHi(), f.dstLo()));
    }

    /**
     * Whether the server asked for a client certificate: true when its CertificateRequest was seen; false
     * only when its whole first flight was (to ServerHelloDone, TLS 1.0-1.2, a full handshake); otherwise
     * null, not visible: TLS 1.3 encrypts the request, and a capture may have missed it.
     */
    static Boolean certificateRequest(TlsSession s) {
        if (s.certificateRequest) {
            return Boolean.TRUE;
        }
        return s.serverHello && s.version > 0 && s.version < TlsSession.TLS_1_3 && !s.resumed && s.serverHelloDone ? Boolean.FALSE : null;
    }
}
