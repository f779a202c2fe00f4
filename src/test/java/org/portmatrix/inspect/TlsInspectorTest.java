package org.portmatrix.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Arrays;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.portmatrix.inspect.tls.Certificates;
import org.portmatrix.inspect.tls.TlsInspector;
import org.portmatrix.inspect.tls.TlsSession;

/**
 * Byte-level tests of the TLS inspector: records and handshake messages split across TCP
 * segments and records, the client's Certificate message, retransmissions and gaps. Every fixture
 * is built field by field below (RFC 5246 §7.4, RFC 8446 §4).
 */
class TlsInspectorTest {
    static final int SLOT = Inspectors.TLS;
    static final long CLIENT_ISN = 1000;
    static final long SERVER_ISN = 0xfffffff0L; // wraps around 2^32 during the handshake

    // ---- fixture builders -------------------------------------------------------------------

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.writeBytes(p);
        }
        return o.toByteArray();
    }

    static byte[] u8(int v) {
        return new byte[] {(byte) v};
    }

    static byte[] u16(int v) {
        return new byte[] {(byte) (v >> 8), (byte) v};
    }

    static byte[] u24(int v) {
        return new byte[] {(byte) (v >> 16), (byte) (v >> 8), (byte) v};
    }

    /** A TLS record: ContentType(1) ProtocolVersion(2) length(2) fragment. */
    static byte[] record(int type, byte[] fragment) {
        return concat(u8(type), u16(0x0303), u16(fragment.length), fragment);
    }

    /** A handshake message: msg_type(1) length(3) body. */
    static byte[] handshake(int type, byte[] body) {
        return concat(u8(type), u24(body.length), body);
    }

    /** An extension: type(2) length(2) data. */
    static byte[] extension(int type, byte[] data) {
        return concat(u16(type), u16(data.length), data);
    }

    /** A ClientHello body with SNI and supported_versions {1.3, 1.2}, and a 32-byte session id. */
    static byte[] clientHelloBody(String sni, byte[] sessionId) {
        byte[] name = sni.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] serverName = extension(0, concat(
                u16(3 + name.length),                 // server_name_list length
                u8(0),                                // name_type host_name
                u16(name.length), name));             // HostName
        byte[] versions = extension(43, concat(
                u8(4),                                // versions length
                u16(0x0304), u16(0x0303)));           // TLS 1.3, TLS 1.2
        byte[] extensions = concat(serverName, versions);
        return concat(
                u16(0x0303),                          // legacy_version TLS 1.2
                new byte[32],                         // random
                u8(sessionId.length), sessionId,      // legacy_session_id
                u16(4), u16(0xc02b), u16(0x1301),     // cipher_suites (2 suites)
                u8(1), u8(0),                         // compression_methods: null
                u16(extensions.length), extensions);
    }

    /** A ServerHello body; {@code tls13} adds supported_versions = TLS 1.3. */
    static byte[] serverHelloBody(int cipher, byte[] sessionId, boolean tls13) {
        byte[] ext = tls13 ? extension(43, u16(0x0304)) : new byte[0];
        return concat(
                u16(0x0303),                          // legacy_version
                filled(32, 7),                        // random (not the HelloRetryRequest value)
                u8(sessionId.length), sessionId,      // legacy_session_id_echo
                u16(cipher),                          // cipher_suite
                u8(0),                                // legacy_compression_method
                u16(ext.length), ext);
    }

    /** A TLS 1.2 Certificate body: certificate_list length(3), then length(3) + DER per certificate. */
    static byte[] certificateBody(byte[]... ders) {
        ByteArrayOutputStream list = new ByteArrayOutputStream();
        for (byte[] d : ders) {
            list.writeBytes(u24(d.length));
            list.writeBytes(d);
        }
        return concat(u24(list.size()), list.toByteArray());
    }

    static byte[] filled(int n, int v) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) v);
        return b;
    }

    static final byte[] CHANGE_CIPHER_SPEC = record(20, u8(1));

    /** A self-signed certificate made with Bouncy Castle. */
    static byte[] certificate(String cn, String keyAlg, int bits, String sigAlg) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance(keyAlg);
        g.initialize(bits);
        KeyPair kp = g.generateKeyPair();
        X500Name name = new X500Name("O=Contoso Test,CN=" + cn); // DER order, as openssl writes it
        Date from = new Date(1_700_000_000_000L);
        Date to = new Date(1_700_000_000_000L + 365L * 86_400_000L);
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(42), from, to, name, kp.getPublic());
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.dNSName, cn), new GeneralName(GeneralName.iPAddress, "192.0.2.7"),
            new GeneralName(GeneralName.iPAddress, "fd00:5061:0:0:0:0:0:10")}));
        return b.build(new JcaContentSignerBuilder(sigAlg).build(kp.getPrivate())).getEncoded();
    }

    // ---- driving the inspector as the pipeline does -----------------------------------------

    final TlsInspector inspector = new TlsInspector();
    final FlowInspection fi = new FlowInspection(true, 5061, 1 << SLOT);
    long clientSeq = CLIENT_ISN;
    long serverSeq = SERVER_ISN;

    int client(byte[] b) {
        return client(b, 0, b.length);
    }

    int client(byte[] b, int off, int len) {
        int r = fi.decided == SLOT ? follow(true, clientSeq, b, off, len) : inspector.inspect(fi, SLOT, true, clientSeq, b, off, len);
        clientSeq = (clientSeq + len) & 0xffffffffL;
        return r;
    }

    int server(byte[] b) {
        int r = fi.decided == SLOT ? follow(false, serverSeq, b, 0, b.length) : inspector.inspect(fi, SLOT, false, serverSeq, b, 0, b.length);
        serverSeq = (serverSeq + b.length) & 0xffffffffL;
        return r;
    }

    int follow(boolean fwd, long seq, byte[] b, int off, int len) {
        inspector.follow(fi, SLOT, fwd, seq, b, off, len);
        return Inspector.DETECTED;
    }

    void decided(int answer) {
        assertEquals(Inspector.DETECTED, answer);
        fi.decided = SLOT;
    }

    TlsSession session() {
        return TlsInspector.session(fi, SLOT);
    }

    // ---- tests ------------------------------------------------------------------------------

    @Test
    void clientHelloAcrossThreeSegments() {
        byte[] hello = record(22, handshake(1, clientHelloBody("pool01.contoso.test", filled(32, 1))));
        // segment 1: three bytes of the record header (type 22, version 3.3): could be TLS
        assertEquals(Inspector.NEED_MORE, client(hello, 0, 3));
        // segment 2: the rest of the record header, the handshake header (type 1) and part of the body
        int cut = 5 + 4 + 20;
        assertEquals(Inspector.DETECTED, client(hello, 3, cut - 3));
        fi.decided = SLOT;
        assertFalse(session().clientHello, "the ClientHello is not complete yet");
        assertNull(session().sni);
        // segment 3: the rest, with the extensions
        client(hello, cut, hello.length - cut);
        assertTrue(session().clientHello);
        assertEquals("pool01.contoso.test", session().sni);
        assertEquals(0x0304, session().clientMaxVersion, "supported_versions offers TLS 1.3");
        assertEquals(0x0303, session().clientLegacyVersion);
    }

    @Test
    void handshakeMessageSpanningTwoRecordsAndSegments() throws Exception {
        byte[] der = certificate("pool01.contoso.test", "EC", 256, "SHA256withECDSA");
        decided(client(record(22, handshake(1, clientHelloBody("pool01.contoso.test", new byte[0])))));
        // The server's flight: ServerHello in one record, then a Certificate message whose bytes
        // are split between two records (RFC 5246 §6.2.1 allows fragmenting a message), and the
        // second record itself split across two TCP segments.
        byte[] cert = handshake(11, certificateBody(der));
        int half = cert.length / 2;
        byte[] flight = concat(
                record(22, handshake(2, serverHelloBody(0xc02b, new byte[0], false))),
                record(22, Arrays.copyOfRange(cert, 0, half)),
                record(22, concat(Arrays.copyOfRange(cert, half, cert.length), handshake(13, concat(u8(1), u8(64), u16(4),
                        u16(0x0403), u16(0x0804), u16(0))), handshake(14, new byte[0]))));
        int split = flight.length - 40;
        server(Arrays.copyOfRange(flight, 0, split));
        assertFalse(session().serverCertificateMessage, "the Certificate message is not complete yet");
        server(Arrays.copyOfRange(flight, split, flight.length));
        TlsSession s = session();
        assertEquals(0x0303, s.version);
        assertEquals(0xc02b, s.cipher);
        assertTrue(s.serverCertificateMessage);
        assertEquals(1, s.serverChain.size());
        assertTrue(Arrays.equals(der, s.serverChain.get(0)));
        assertTrue(s.certificateRequest, "the CertificateRequest after it was read");
        assertFalse(s.malformed);
        assertEquals(TlsSession.TLS_1_2, s.version);
    }

    /**
     * A capture begun after the handshake: the server's first record is an encrypted handshake message (Finished), whose
     * first byte is 13 once in 256. No CertificateRequest is counted without a ServerHello before it (review: the request is
     * counted from its header since large ones run past the payloads followed).
     */
    @Test
    void anEncryptedHandshakeRecordIsNoCertificateRequest() {
        decided(server(record(22, concat(u8(13), filled(39, 7)))));
        assertFalse(session().certificateRequest);
    }

    @Test
    void certificateMessageWithZeroCertificatesIsEmptyNotAClientCertificate() {
        decided(client(record(22, handshake(1, clientHelloBody("pool01.contoso.test", new byte[0])))));
        server(concat(record(22, handshake(2, serverHelloBody(0xc02f, new byte[0], false))),
                record(22, handshake(11, certificateBody(new byte[] {0x30, 0x00}))),
                // CertificateRequest: certificate_types(1+1) signature_algorithms(2+2) authorities(2+0)
                record(22, handshake(13, concat(u8(1), u8(1), u16(2), u16(0x0401), u16(0)))),
                record(22, handshake(14, new byte[0]))));                  // ServerHelloDone
        // The client's flight: Certificate with certificate_list length 0, ClientKeyExchange,
        // ChangeCipherSpec.
        client(concat(record(22, handshake(11, u24(0))),
                record(22, handshake(16, concat(u8(65), filled(65, 4)))), CHANGE_CIPHER_SPEC));
        TlsSession s = session();
        assertTrue(s.certificateRequest);
        assertTrue(s.clientCertificateMessage);
        assertEquals(0, s.clientCertificateCount);
        assertEquals("empty", TlsInspector.clientCertificate(s));
        assertTrue(s.clientChain.isEmpty());
    }

    @Test
    void noCertificateMessageAtAllIsAbsentOnceTheClientFinishedItsHandshake() {
        decided(client(record(22, handshake(1, clientHelloBody("a.test", new byte[0])))));
        server(record(22, handshake(2, serverHelloBody(0xc02f, new byte[0], false))));
        assertEquals("not visible", TlsInspector.clientCertificate(session()), "the client's flight was not seen yet");
        client(concat(record(22, handshake(16, filled(66, 4))), CHANGE_CIPHER_SPEC));
        assertEquals("absent", TlsInspector.clientCertificate(session()));
    }

    @Test
    void tls13ServerHelloEndsTheHandshakeInTheClear() {
        decided(client(record(22, handshake(1, clientHelloBody("pool01.contoso.test", filled(32, 9))))));
        assertTrue(inspector.wantsMore(fi, SLOT));
        // TLS 1.3: the ServerHello echoes the session id (middlebox compatibility) and names the
        // version in supported_versions; everything after it is encrypted.
        server(record(22, handshake(2, serverHelloBody(0x1301, filled(32, 9), true))));
        TlsSession s = session();
        assertEquals(TlsSession.TLS_1_3, s.version);
        assertFalse(s.resumed, "an echoed session id is not a resumption in TLS 1.3");
        assertTrue(s.complete());
        assertFalse(inspector.wantsMore(fi, SLOT));
        assertEquals("not visible", TlsInspector.clientCertificate(s));
    }

    @Test
    void echoedSessionIdBelowTls13IsAResumption() {
        decided(client(record(22, handshake(1, clientHelloBody("a.test", filled(32, 5))))));
        server(concat(record(22, handshake(2, serverHelloBody(0xc02f, filled(32, 5), false))), CHANGE_CIPHER_SPEC));
        assertTrue(session().resumed);
        assertEquals("not visible", TlsInspector.clientCertificate(session()));
    }

    /** A NewSessionTicket message: lifetime hint and a 16-byte ticket. */
    static byte[] newSessionTicket() {
        return handshake(4, concat(u16(0), u16(7200), u16(16), filled(16, 3)));
    }

    @Test
    void ticketResumptionWithAnEmptySessionIdIsAResumption() {
        // RFC 5077 §3.4: a client may offer its ticket with an empty session id; the server's abbreviated
        // handshake then echoes none, and its NewSessionTicket and ChangeCipherSpec come right after its
        // ServerHello, where a full handshake sends its certificate and ServerHelloDone.
        decided(client(record(22, handshake(1, clientHelloBody("a.test", new byte[0])))));
        server(concat(record(22, handshake(2, serverHelloBody(0xc02f, new byte[0], false))),
                record(22, newSessionTicket()), CHANGE_CIPHER_SPEC));
        client(CHANGE_CIPHER_SPEC);
        assertTrue(session().resumed);
        assertEquals("not visible", TlsInspector.clientCertificate(session()), "the certificates were exchanged earlier");
    }

    @Test
    void serverChangeCipherSpecRightAfterItsHelloIsAResumption() {
        decided(client(record(22, handshake(1, clientHelloBody("a.test", new byte[0])))));
        server(concat(record(22, handshake(2, serverHelloBody(0xc02f, new byte[0], false))), CHANGE_CIPHER_SPEC));
        client(CHANGE_CIPHER_SPEC);
        assertTrue(session().resumed);
        assertEquals("not visible", TlsInspector.clientCertificate(session()));
    }

    @Test
    void ticketIssuedAfterAFullHandshakeIsNoResumption() {
        decided(client(record(22, handshake(1, clientHelloBody("a.test", new byte[0])))));
        server(concat(record(22, handshake(2, serverHelloBody(0xc02f, new byte[0], false))),
                record(22, handshake(11, certificateBody(new byte[] {0x30, 0x00}))),
                record(22, handshake(14, new byte[0]))));                  // ServerHelloDone
        client(concat(record(22, handshake(16, concat(u8(65), filled(65, 4)))), CHANGE_CIPHER_SPEC));
        server(concat(record(22, newSessionTicket()), CHANGE_CIPHER_SPEC));
        assertFalse(session().resumed, "the ticket is for the next connection");
        assertEquals("absent", TlsInspector.clientCertificate(session()));
    }

    @Test
    void retransmittedSegmentIsReadOnce() {
        byte[] hello = record(22, handshake(1, clientHelloBody("pool01.contoso.test", new byte[0])));
        long start = clientSeq;
        decided(client(hello, 0, 20));
        // the first segment again (a retransmission), then one overlapping the old and new bytes
        inspector.follow(fi, SLOT, true, start, hello, 0, 20);
        inspector.follow(fi, SLOT, true, start + 10, hello, 10, hello.length - 10);
        assertEquals("pool01.contoso.test", session().sni);
        assertFalse(session().malformed);
        assertFalse(session().gap);
    }

    @Test
    void missingSegmentStopsTheDirection() {
        byte[] hello = record(22, handshake(1, clientHelloBody("pool01.contoso.test", new byte[0])));
        decided(client(hello, 0, 20));
        // bytes 20..29 never arrive
        inspector.follow(fi, SLOT, true, CLIENT_ISN + 30, hello, 30, hello.length - 30);
        assertTrue(session().gap);
        assertNull(session().sni);
    }

    @Test
    void bytesThatAreNotARecordHeaderAreNotTls() {
        byte[] sip = "OPTIONS sip:pool01.contoso.test SIP/2.0\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertEquals(Inspector.NOT_THIS, client(sip));
        // type 22 but version 2.0 (SSLv2-era bytes): no
        assertEquals(Inspector.NOT_THIS, new TlsInspector().inspect(new FlowInspection(true, 443, 1), SLOT, true, 0,
                new byte[] {22, 2, 0, 0, 5, 1, 0, 0, 1, 0}, 0, 10));
        // a record header with length 0 is not valid
        assertFalse(TlsInspector.recordHeader(new byte[] {22, 3, 3, 0, 0}, 0, 5));
        assertTrue(TlsInspector.recordHeader(new byte[] {23, 3, 3, 0x40, 0}, 0, 5));
    }

    @Test
    void applicationDataFirstMeansTheCaptureStartedAfterTheHandshake() {
        byte[] appData = record(23, filled(100, 0x5a));
        assertEquals(Inspector.DETECTED, client(appData));
        assertTrue(session().midStream);
        assertTrue(fi.detail.contains("handshake is not in the capture"));
    }

    @Test
    void certificatesParsedWithBouncyCastleAndWeaknessesFlagged() throws Exception {
        CertificateInfo weak = Certificates.parse(certificate("legacy.test", "RSA", 1024, "SHA1withRSA"));
        assertEquals("CN=legacy.test,O=Contoso Test", weak.subject());
        assertEquals("RSA", weak.keyType());
        assertEquals(1024, weak.keyBits());
        assertTrue(weak.weaknesses().contains("SHA-1 signature"), weak.weaknesses().toString());
        assertTrue(weak.weaknesses().contains("RSA key below 2048 bits (1024)"), weak.weaknesses().toString());
        // An IPv6 address as the flows write theirs (RFC 5952; it was IP:fd00:5061:0:0:0:0:0:10).
        assertEquals(java.util.List.of("DNS:legacy.test", "IP:192.0.2.7", "IP:fd00:5061::10"), weak.sans());

        CertificateInfo ok = Certificates.parse(certificate("ok.test", "EC", 256, "SHA256withECDSA"));
        assertTrue(ok.keyType().startsWith("EC"), ok.keyType());
        assertEquals(256, ok.keyBits());
        assertEquals("SHA256WITHECDSA", ok.signatureAlgorithm());
        assertTrue(ok.weaknesses().isEmpty(), ok.weaknesses().toString());

        assertNull(Certificates.parse(new byte[] {0x30, 0x03, 0x02, 0x01, 0x01}), "not a certificate");
    }
}
