package org.portmatrix.inspect;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.portmatrix.classify.RuleProtocol;
import org.portmatrix.inspect.rtp.RtpInspector;
import org.portmatrix.inspect.tls.TlsInspector;
import org.portmatrix.inspect.tls.TlsSession;

/**
 * Which wire protocols satisfy a catalog rule's protocol, and what a flow's payload says about it.
 *
 * <table>
 * <caption>rule protocol → accepted on the wire</caption>
 * <tr><td>mtls</td><td>TLS with a client certificate (TLS 1.0-1.2; TLS 1.3 hides it: unverifiable)</td></tr>
 * <tr><td>tls, https, psom</td><td>TLS (HTTP and PSOM are inside it, encrypted)</td></tr>
 * <tr><td>http</td><td>cleartext HTTP</td></tr>
 * <tr><td>sip</td><td>cleartext SIP</td></tr>
 * <tr><td>stun</td><td>STUN, MS-TURN</td></tr>
 * <tr><td>media</td><td>RTP/SRTP, RTCP/SRTCP, and the STUN/MS-TURN that sets media up (ICE checks, relays)</td></tr>
 * <tr><td>dcerpc, ssrp, dhcp, smb</td><td>that protocol</td></tr>
 * <tr><td>tcp, udp</td><td>anything</td></tr>
 * </table>
 */
public final class ProtocolCheck {
    public static final int SATISFIED = 0;
    public static final int UNVERIFIABLE = 1;
    public static final int MISMATCH = 2;

    private ProtocolCheck() {}

    /** Why an MTLS flow whose handshake was followed, with nothing else amiss, is unverifiable: it ended before the handshake did. */
    static final String HANDSHAKE_NOT_COMPLETE = "the handshake did not complete in the capture";
    /** The same of a flow still open (a live report's snapshot): its next packets may complete the handshake. */
    static final String HANDSHAKE_NOT_COMPLETE_YET = "the handshake has not completed yet (the connection is open: its next packets may"
            + " complete it)";
    /** Why a TLS flow whose server answered the client's ClientHello with bytes that are no TLS record is a mismatch. */
    static final String SERVER_NOT_TLS = "the server answered the client's TLS ClientHello with something that is not TLS";

    /** The wire protocols that satisfy {@code rp}, ignoring the client-certificate part of MTLS; null for "anything". */
    public static Set<AppProtocol> accepted(RuleProtocol rp) {
        return ACCEPTED[rp.ordinal()];
    }

    /** {@link #accepted} by rule protocol, made once: the check runs for every flow with payload. */
    private static final Set<AppProtocol>[] ACCEPTED = acceptedSets();

    @SuppressWarnings("unchecked")
    private static Set<AppProtocol>[] acceptedSets() {
        RuleProtocol[] all = RuleProtocol.values();
        Set<AppProtocol>[] out = new Set[all.length];
        for (RuleProtocol rp : all) {
            EnumSet<AppProtocol> s = switch (rp) {
                case MTLS, TLS, HTTPS, PSOM -> EnumSet.of(AppProtocol.TLS);
                case HTTP -> EnumSet.of(AppProtocol.HTTP);
                case SIP -> EnumSet.of(AppProtocol.SIP);
                case STUN -> EnumSet.of(AppProtocol.STUN, AppProtocol.MS_TURN);
                case MEDIA -> EnumSet.of(AppProtocol.RTP, AppProtocol.RTCP, AppProtocol.STUN, AppProtocol.MS_TURN);
                case DCERPC -> EnumSet.of(AppProtocol.DCERPC);
                case SSRP -> EnumSet.of(AppProtocol.SSRP);
                case DHCP -> EnumSet.of(AppProtocol.DHCP);
                case SMB -> EnumSet.of(AppProtocol.SMB);
                case TCP, UDP -> null;
            };
            out[rp.ordinal()] = s == null ? null : java.util.Collections.unmodifiableSet(s);
        }
        return out;
    }

    /**
     * True when rules of these two protocols are checked alike on the wire: the same protocols accepted, and
     * a client certificate required by both or neither (TLS, HTTPS and PSOM all take TLS: an encrypted
     * session does not say which of them it carries).
     */
    public static boolean sameCheck(RuleProtocol a, RuleProtocol b) {
        return a == b || (ACCEPTED[a.ordinal()] == null ? ACCEPTED[b.ordinal()] == null : ACCEPTED[a.ordinal()].equals(ACCEPTED[b.ordinal()]))
                && (a == RuleProtocol.MTLS) == (b == RuleProtocol.MTLS);
    }

    /** True when the rule documents an encrypted protocol. */
    public static boolean encrypted(RuleProtocol rp) {
        return rp == RuleProtocol.MTLS || rp == RuleProtocol.TLS || rp == RuleProtocol.HTTPS || rp == RuleProtocol.PSOM;
    }

    /**
     * Checks a flow's payload against one rule protocol.
     *
     * @param fi the flow's inspection (non-null: the flow had payload)
     * @param tls the TLS session when the flow is TLS, else null
     * @param midStream the capture missed the start of the flow
     * @param why receives the explanation (appended)
     */
    /**
     * The first bytes of a payload that tell whether it is one of {@code ok} (the most of them): TLS's
     * record header (5), STUN's magic cookie (ends at 8), MS-TURN's and RTCP's headers (8), RTP's (12),
     * DCE/RPC's (16), SMB's magic after its session header (8), TDS's header and first byte (9), SSRP's
     * type (1), DNS's header (12), SSH's "SSH-" (4), RDP's TPKT and X.224 (11), DHCP's start (4: its cut
     * inspector says more). Fewer, and an unrecognised payload may still be one of them.
     */
    static int bytesToTell(Set<AppProtocol> ok) {
        int most = 0;
        for (AppProtocol p : ok) {
            int n = switch (p) {
                case TLS -> 5;
                case STUN, MS_TURN, RTCP, SMB -> 8;
                case TDS -> 9;
                case RDP -> 11;
                case RTP, DNS -> 12;
                case DCERPC -> 16;
                case SSRP -> 1;
                case SSH, DHCP, SIP, HTTP -> 4;
                case QUIC, DTLS, WIREGUARD, NTP, SNMP -> 0; // (no rule accepts them)
            };
            most = Math.max(most, n);
        }
        return most;
    }

    private static String cutReason(FlowInspection fi) {
        return fi.payloadFragmented && !fi.payloadSnapCut ? "the datagram came in IP fragments, and the first fragment's part of its payload was not"
                + " enough to recognise it" : "the capture's snap length cut the payload before it could be recognised";
    }

    /** (Made once: check runs for every packet of an undecided flow under --extract.) */
    private static final Set<AppProtocol> RTP_ONLY = java.util.EnumSet.of(AppProtocol.RTP);

    /**
     * The reason of a TCP flow whose start was captured but one direction's first data bytes were not (lost by the capture,
     * their retransmission not in it either): its first bytes seen are from the middle of a message.
     */
    static final String START_MISSED = "the first bytes of the connection's data are missing from the capture (lost, and not"
            + " seen sent again), and what came after them was not recognised";

    public static int check(RuleProtocol rp, FlowInspection fi, TlsSession tls, boolean midStream, StringBuilder why) {
        Set<AppProtocol> ok = accepted(rp);
        if (ok == null) {
            return SATISFIED;
        }
        if (fi.app == null) {
            if (fi.candidates != 0) {
                if (fi.payloadCut()) {
                    why.append(cutReason(fi));
                } else if ((fi.candidates & 1 << Inspectors.RTP) != 0 && fi.payloadsPassedOver > 0) {
                    // DTLS-SRTP's keying (RFC 5764), passed over by the RTP inspector: a handshake, then no SRTP or too
                    // little of it ("too few packets were seen" had been said of 12 DTLS datagrams)
                    why.append("a DTLS handshake was seen (DTLS-SRTP's keying, RFC 5764), and too few RTP packets to tell SRTP after it (RTP is told by ")
                            .append(RtpInspector.AGREEING).append(" packets in sequence from one end)");
                } else if ((fi.candidates & 1 << Inspectors.RTP) != 0 && fi.longestPayload >= bytesToTell(RTP_ONLY)) {
                    // Whole RTP headers, too few of them: RTP is told over several packets of one direction, not by
                    // a payload's length ("too short" had been said of two 172-byte RTP packets).
                    why.append("too few packets were seen to tell the protocol (RTP is told by ").append(RtpInspector.AGREEING)
                            .append(" packets in sequence from one end)");
                } else if (midStream && fi.longestPayload >= bytesToTell(ok)) {
                    // (Text that begins no message keeps SIP possible mid-stream, as the middle of one: not "too short".)
                    why.append(fi.startMissed ? START_MISSED : "the capture starts in the middle of the connection and the payload was not recognised");
                } else {
                    why.append("the payload seen was too short to tell the protocol");
                }
                // Not yet told what it is, but already told what it is not, where the rule's protocols are told by
                // their first bytes and the payload had them: "OPTIO" cut by the snap length may still be HTTP, and
                // cannot be TLS (a TLS record is told by its first five bytes). Not so for SIP and HTTP, told by a
                // whole first line (the SIP inspector leaves a payload without one, so a cut INVITE is not "not
                // SIP"), nor in the middle of a connection, whose first bytes seen are not its first.
                boolean ruledOut = !midStream && !ok.contains(AppProtocol.SIP) && !ok.contains(AppProtocol.HTTP)
                        && fi.longestPayload >= bytesToTell(ok) && !Inspectors.couldName(fi.candidates, ok);
                return ruledOut ? MISMATCH : UNVERIFIABLE;
            }
            if (midStream) {
                why.append(fi.startMissed ? START_MISSED : "the capture starts in the middle of the connection and the payload was not recognised");
                return UNVERIFIABLE;
            }
            if (fi.payloadSnapCut && (ok.contains(AppProtocol.SIP) || ok.contains(AppProtocol.HTTP) || fi.longestPayload < bytesToTell(ok))) {
                // A text protocol is told by its first line, which a snap length (tcpdump -s 96) may cut. The binary ones
                // by their first bytes, which a payload inspected at all has; where they are told further on (DHCP's
                // magic cookie at byte 236, STUN's length covering the datagram), their inspectors read a cut payload
                // as far as it goes: a STUN message by its magic cookie, a BOOTP header's start as too short to tell. A payload
                // cut to fewer bytes than those first ones (bytesToTell: tcpdump -s 66 leaves an IPv6 datagram 4 bytes) cannot
                // show them, when no payload of the flow was longer.
                why.append(cutReason(fi));
                return UNVERIFIABLE;
            }
            why.append("the payload is none of the protocols portmatrix recognises");
            return MISMATCH;
        }
        if (!ok.contains(fi.app)) {
            return MISMATCH;
        }
        if (fi.foreignByte >= 0) {
            // One STUN message or a few RTP packets, then datagrams of another protocol on the same 5-tuple.
            why.append(MediaDemux.foreign(fi.foreignByte));
            return MISMATCH;
        }
        if (fi.app == AppProtocol.TLS && tls != null && tls.responderAnsweredNotTls()) {
            // The client spoke TLS; the listener answered its ClientHello with something else (an HTTP server's "400 Bad
            // request", a cleartext SIP line): the port's service is not TLS. The ClientHello alone had been taken for it.
            why.append(SERVER_NOT_TLS);
            return MISMATCH;
        }
        if (rp != RuleProtocol.MTLS) {
            return SATISFIED;
        }
        if (tls == null) {
            why.append("the TLS handshake was not followed");
            return UNVERIFIABLE;
        }
        if (tls.serverHello && tls.version >= TlsSession.TLS_1_3) {
            why.append("TLS 1.3 encrypts the certificates, so whether the client presented one cannot be seen in the capture");
            return UNVERIFIABLE;
        }
        String cc = TlsInspector.clientCertificate(tls);
        switch (cc) {
            case "present":
                return SATISFIED;
            case "empty":
                why.append(tls.certificateRequest
                        ? "the client answered the server's certificate request with an empty Certificate message"
                        : "the client sent an empty Certificate message");
                return MISMATCH;
            case "absent":
                why.append(tls.certificateRequest ? "the server asked for a certificate and the client sent none"
                        : "the server did not ask for a client certificate and none was sent");
                return MISMATCH;
            default:
                if (tls.midStream) {
                    why.append("the capture starts after the handshake, in which the client certificate is sent, so it cannot be checked");
                } else if (tls.resumed) {
                    why.append("the session was resumed, so the certificates were exchanged in an earlier connection");
                } else if (tls.gap && fi.payloadSnapCut) {
                    why.append("the capture's snap length cut the handshake's packets");
                } else if (tls.gap || tls.serverAnswerUnreadable() || fi.gapUnfilled) {
                    // (a segment ahead of its place stops the handshake's parsing as a missing one does)
                    why.append("packets of the handshake are missing from the capture, or came out of order");
                } else if (tls.alert >= 0) {
                    why.append("the handshake ended with an alert (").append(alertName(tls.alert)).append(") from the ")
                            .append(tls.alertFromClient ? "client" : "server");
                } else if (fi.payloadsSkipped > 0) {
                    why.append("the handshake ran past the ").append(fi.budget)
                            .append(" payloads inspected per direction (large certificates in small segments)");
                } else {
                    why.append(HANDSHAKE_NOT_COMPLETE);
                }
                return UNVERIFIABLE;
        }
    }

    /** The protocols a rule protocol takes on the wire, for a reason: "TLS", "STUN, MS-TURN, RTP or RTCP". */
    public static String names(RuleProtocol rp) {
        Set<AppProtocol> ok = accepted(rp);
        List<String> n = new ArrayList<>();
        for (AppProtocol a : AppProtocol.values()) { // (the enum's order: a fixed text)
            if (ok != null && ok.contains(a)) {
                n.add(a.id().toUpperCase(java.util.Locale.ROOT));
            }
        }
        return n.size() <= 1 ? String.join("", n) : String.join(", ", n.subList(0, n.size() - 1)) + " or " + n.get(n.size() - 1);
    }

    /** What was on the wire, for a reason: "TLS 1.2 with a client certificate (CN=...)", "cleartext SIP (...)". */
    public static String wire(FlowInspection fi, TlsInfo info, boolean cleartextMatters) {
        if (fi == null || fi.app == null) {
            return "unrecognised payload";
        }
        if (fi.app == AppProtocol.TLS) {
            if (info == null) {
                return "TLS";
            }
            StringBuilder sb = new StringBuilder(info.version() == null ? "TLS (" + info.handshakeText() + ")" : info.version());
            switch (info.clientCertificate()) {
                case "present" -> {
                    sb.append(" with a client certificate");
                    if (!info.clientCertificates().isEmpty()) {
                        sb.append(" (").append(info.clientCertificates().get(0).subject()).append(')');
                    }
                }
                case "empty" -> sb.append(" with an empty client Certificate message");
                case "absent" -> sb.append(Boolean.TRUE.equals(info.certificateRequest()) ? " without a client certificate" : "");
                default -> {}
            }
            if (info.sni() != null) {
                sb.append(", SNI ").append(info.sni());
            }
            return sb.toString();
        }
        String d = fi.detail == null ? fi.app.id() : fi.detail;
        return cleartextMatters && cleartext(fi.app) ? "cleartext " + d : d;
    }

    /** Whether a recognised protocol other than TLS carries its payload in the clear (SSH, RDP, QUIC, DTLS and WireGuard encrypt theirs). */
    static boolean cleartext(AppProtocol app) {
        return switch (app) {
            case TLS, SSH, RDP, QUIC, DTLS, WIREGUARD -> false;
            default -> true;
        };
    }

    /** An alert's description as RFC 5246 and RFC 8446 name it, with its number: "unknown_ca 48". */
    public static String alertName(int d) {
        String name = switch (d) {
            case 0 -> "close_notify";
            case 10 -> "unexpected_message";
            case 20 -> "bad_record_mac";
            case 21 -> "decryption_failed";
            case 22 -> "record_overflow";
            case 30 -> "decompression_failure";
            case 40 -> "handshake_failure";
            case 41 -> "no_certificate";
            case 42 -> "bad_certificate";
            case 43 -> "unsupported_certificate";
            case 44 -> "certificate_revoked";
            case 45 -> "certificate_expired";
            case 46 -> "certificate_unknown";
            case 47 -> "illegal_parameter";
            case 48 -> "unknown_ca";
            case 49 -> "access_denied";
            case 50 -> "decode_error";
            case 51 -> "decrypt_error";
            case 60 -> "export_restriction";
            case 70 -> "protocol_version";
            case 71 -> "insufficient_security";
            case 80 -> "internal_error";
            case 86 -> "inappropriate_fallback";
            case 90 -> "user_canceled";
            case 100 -> "no_renegotiation";
            case 109 -> "missing_extension";
            case 110 -> "unsupported_extension";
            case 111 -> "certificate_unobtainable";
            case 112 -> "unrecognized_name";
            case 113 -> "bad_certificate_status_response";
            case 114 -> "bad_certificate_hash_value";
            case 115 -> "unknown_psk_identity";
            case 116 -> "certificate_required";
            case 120 -> "no_application_protocol";
            default -> "alert";
        };
        return name + " " + d;
    }
}
