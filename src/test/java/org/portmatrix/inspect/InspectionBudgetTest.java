package org.portmatrix.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.portmatrix.decode.Decoded;
import org.portmatrix.decode.IpProtocol;
import org.portmatrix.flow.Flow;
import org.portmatrix.flow.FlowConfig;
import org.portmatrix.flow.FlowTable;
import org.portmatrix.flow.ServicePorts;

/**
 * The per-flow contract of {@link Inspection}: payload is wanted only until the flow is decided
 * or its budget is spent, so that nothing per packet happens afterwards. Flows come from a real
 * {@link FlowTable} fed hand-made {@link Decoded} views.
 */
class InspectionBudgetTest {
    final List<Flow> closed = new ArrayList<>();
    final FlowTable table = new FlowTable(FlowConfig.defaults(), new ServicePorts(), closed::add);
    final Inspection inspection = new Inspection();

    Flow flow(int protocol, int dstPort) {
        Decoded d = new Decoded();
        d.ipVersion = 4;
        d.srcLo = Decoded.V4_MAPPED | 0x7f050a15L; // 127.5.10.21
        d.dstLo = Decoded.V4_MAPPED | 0x7f05010aL; // 127.5.1.10
        d.protocol = protocol;
        d.hasPorts = true;
        d.srcPort = 40000;
        d.dstPort = dstPort;
        d.tcpFlags = protocol == IpProtocol.TCP ? 0x02 : 0; // SYN
        return table.update(d, 1_000_000_000L, 60);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * A TLS handshake is followed over {@link Inspection#HANDSHAKE_BUDGET} payloads per direction, not the 8 a protocol is
     * told by: a server's first flight of 200 segments (a CertificateRequest naming every CA a Windows server trusts, a
     * long chain) is read for 64 of them, the rest counted as not looked at, and the flow is given up once it brought
     * twice that many.
     */
    @Test
    void aTlsHandshakeIsFollowedOverItsOwnBudget() {
        Flow f = flow(IpProtocol.TCP, 5061);
        byte[] hello = TlsInspectorTest.record(22, TlsInspectorTest.handshake(1, TlsInspectorTest.clientHelloBody("pool01.contoso.test",
                new byte[0])));
        inspection.packet(f, true, 1, hello, 0, hello.length);
        FlowInspection fi = (FlowInspection) f.inspection;
        assertEquals(AppProtocol.TLS, fi.app);
        assertEquals(Inspection.HANDSHAKE_BUDGET, fi.budget);
        // ServerHello, then one Certificate message of 200,000 bytes in records of 16,000, sent in segments of 1,000 bytes.
        byte[] body = new byte[200_000];
        byte[] message = TlsInspectorTest.handshake(11, body);
        java.io.ByteArrayOutputStream flight = new java.io.ByteArrayOutputStream();
        flight.writeBytes(TlsInspectorTest.record(22, TlsInspectorTest.handshake(2, TlsInspectorTest.serverHelloBody(0xc02f, new byte[0], false))));
        for (int at = 0; at < message.length; at += 16_000) {
            flight.writeBytes(TlsInspectorTest.record(22, java.util.Arrays.copyOfRange(message, at, Math.min(message.length, at + 16_000))));
        }
        byte[] b = flight.toByteArray();
        int segments = 0;
        for (int at = 0; at < b.length && Inspection.wants(f); at += 1000, segments++) {
            inspection.packet(f, false, 1 + at, b, at, Math.min(1000, b.length - at));
        }
        assertEquals(Inspection.HANDSHAKE_BUDGET, fi.payloadsRev, "payloads of the server's flight looked at");
        assertEquals(2 * Inspection.HANDSHAKE_BUDGET - 1, segments, "given up once the flow brought twice the budget (the ClientHello one of them)");
        assertFalse(Inspection.wants(f));
    }

    /**
     * Copies of one datagram are passed over (pktmon writes a packet once per stack component), but not for ever: a flow
     * of nothing else (a flood of one datagram) is given up after {@link Inspection#REPEATS} times its budget, where
     * inspection had gone on for every packet of it.
     */
    @Test
    void copiesOfOneDatagramAreGivenUp() {
        Flow f = flow(IpProtocol.UDP, 50320);
        byte[] same = new byte[172]; // one RTP packet (version 2, PCMU, sequence 1): RTP needs more of them to be told
        same[0] = (byte) 0x80;
        same[3] = 1;
        same[11] = 0x2a;
        int sent = 0;
        for (; sent < 1000 && Inspection.wants(f); sent++) {
            inspection.packet(f, true, -1, same, 0, same.length);
        }
        FlowInspection fi = (FlowInspection) f.inspection;
        assertEquals(1, fi.payloadsFwd, "looked at once");
        assertEquals(1 + Inspection.REPEATS * Inspection.BUDGET, sent, "then passed over until given up");
    }

    @Test
    void decidedFlowWantsNoMorePayload() {
        Flow f = flow(IpProtocol.TCP, 5060);
        assertTrue(Inspection.wants(f), "a flow without payload yet is wanted");
        byte[] sip = ascii("OPTIONS sip:pool01 SIP/2.0\r\nVia: SIP/2.0/TCP 127.5.10.21\r\n\r\n");
        inspection.packet(f, true, 1, sip, 0, sip.length);
        assertFalse(Inspection.wants(f), "SIP is decided on its request line");
        assertEquals(AppProtocol.SIP, ((FlowInspection) f.inspection).app);
    }

    /** Two whole RTP packets one way and one the other: too few to tell RTP, which the reason says (it said "too short"). */
    @Test
    void tooFewRtpPacketsAreSaidToBeTooFew() {
        Flow f = flow(IpProtocol.UDP, 50310);
        for (int i = 0; i < 3; i++) {
            byte[] rtp = new byte[172];
            rtp[0] = (byte) 0x80; // V=2
            rtp[3] = (byte) (i < 2 ? 10 + i : 50); // sequence number
            rtp[7] = (byte) (i < 2 ? 160 * i : 0); // timestamp (low byte)
            rtp[11] = (byte) (i < 2 ? 0x11 : 0x22); // SSRC
            inspection.packet(f, i < 2, rtp, 0, rtp.length);
        }
        FlowInspection fi = (FlowInspection) f.inspection;
        assertNull(fi.app);
        StringBuilder why = new StringBuilder();
        assertEquals(ProtocolCheck.UNVERIFIABLE, ProtocolCheck.check(org.portmatrix.classify.RuleProtocol.MEDIA, fi, null, false, why));
        assertEquals("too few packets were seen to tell the protocol (RTP is told by 3 packets in sequence from one end)", why.toString());
    }

    @Test
    void unrecognisedPayloadEndsAsSoonAsNoInspectorIsLeft() {
        Flow f = flow(IpProtocol.TCP, 7777);
        byte[] junk = {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
            0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};
        inspection.packet(f, true, 1, junk, 0, junk.length);
        FlowInspection fi = (FlowInspection) f.inspection;
        assertEquals(0, fi.candidates);
        assertFalse(Inspection.wants(f));
        assertNull(fi.app);
    }

    /**
     * Text that begins no SIP message on a connection whose SYN was seen is not SIP: the first payload of each direction
     * is the first of its stream (review of 6b82135, which took it for the middle of a message: an SMTP server's greeting
     * on the SIP port 5060 kept SIP possible to the end of the budget, and the flow was unverifiable, "the payload seen was
     * too short to tell the protocol", where it had been protocol_mismatch). Seen from the middle of the connection it may
     * still be the middle of a message.
     */
    @Test
    void textThatBeginsNoSipMessageIsNotSipWhereTheConnectionsStartWasSeen() {
        Flow f = flow(IpProtocol.TCP, 5060);
        byte[] greeting = ascii("220 mail.contoso.test ESMTP Postfix (Debian/GNU)\r\n");
        byte[] ehlo = ascii("EHLO gw01.contoso.test\r\n");
        inspection.packet(f, false, 5001, greeting, 0, greeting.length);
        inspection.packet(f, true, 1001, ehlo, 0, ehlo.length);
        FlowInspection fi = (FlowInspection) f.inspection;
        assertNull(fi.app);
        assertEquals(0, fi.candidates & 1 << Inspectors.SIP, "SIP ruled out");
        assertFalse(Inspection.wants(f), "no inspector left");
        StringBuilder why = new StringBuilder();
        assertEquals(ProtocolCheck.MISMATCH, ProtocolCheck.check(org.portmatrix.classify.RuleProtocol.SIP, fi, null, false, why));
        assertEquals("the payload is none of the protocols portmatrix recognises", why.toString());

        Decoded d = new Decoded(); // the same from the middle of a connection (no SYN): may be the middle of a SIP message
        d.ipVersion = 4;
        d.srcLo = Decoded.V4_MAPPED | 0x7f050a16L;
        d.dstLo = Decoded.V4_MAPPED | 0x7f05010aL;
        d.protocol = IpProtocol.TCP;
        d.hasPorts = true;
        d.srcPort = 40001;
        d.dstPort = 5060;
        d.tcpFlags = 0x10; // ACK
        Flow mid = table.update(d, 1_000_000_000L, 60);
        inspection.packet(mid, true, 1001, ehlo, 0, ehlo.length);
        assertTrue((((FlowInspection) mid.inspection).candidates & 1 << Inspectors.SIP) != 0, "SIP still possible mid-stream");
        why.setLength(0);
        assertEquals(ProtocolCheck.UNVERIFIABLE, ProtocolCheck.check(org.portmatrix.classify.RuleProtocol.SIP,
                (FlowInspection) mid.inspection, null, true, why));
        assertEquals("the capture starts in the middle of the connection and the payload was not recognised", why.toString(),
                "not 'too short to tell' (a whole line of text was seen)");
    }

    @Test
    void undecidedFlowStopsAfterItsBudget() {
        // SIP keep-alives over TCP keep the SIP inspector asking for more; the budget ends it.
        Flow f = flow(IpProtocol.TCP, 5061);
        byte[] keepAlive = ascii("\r\n\r\n");
        int calls = 0;
        long seq = 1;
        while (Inspection.wants(f) && calls < 100) {
            inspection.packet(f, true, seq, keepAlive, 0, keepAlive.length);
            seq += keepAlive.length;
            calls++;
        }
        FlowInspection fi = (FlowInspection) f.inspection;
        assertEquals(Inspection.BUDGET, fi.payloadsFwd, "payloads looked at");
        assertEquals(2 * Inspection.BUDGET, calls, "a one-way flow is given up after twice its budget");
        assertNull(fi.app);
        assertTrue(fi.candidates != 0, "still undecided: the verdict says the payload was too short to tell");
    }

    @Test
    void tlsFlowIsFollowedUntilTheHandshakeIsEncrypted() {
        Flow f = flow(IpProtocol.TCP, 443);
        // ClientHello record: type 22, TLS 1.0 record version, length; handshake type 1, length;
        // body: version 3.3, random, empty session id, one suite, null compression, no extensions.
        byte[] hello = new byte[5 + 4 + 2 + 32 + 1 + 4 + 2];
        int body = hello.length - 9;
        hello[0] = 22;
        hello[1] = 3;
        hello[2] = 1;
        hello[4] = (byte) (4 + body);
        hello[5] = 1;
        hello[8] = (byte) body;
        hello[9] = 3;
        hello[10] = 3;
        hello[43] = 0;                  // session id length
        hello[45] = 2;                  // cipher_suites length 2
        hello[46] = (byte) 0xc0;        // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        hello[47] = 0x2f;
        hello[48] = 1;                  // one compression method, null
        inspection.packet(f, true, 1, hello, 0, hello.length);
        assertTrue(Inspection.wants(f), "TLS is detected, the rest of the handshake is still wanted");
        // The server answers with ChangeCipherSpec only (the shortest way to end its clear text),
        // and the client sends application data: both directions are encrypted.
        byte[] ccs = {20, 3, 3, 0, 1, 1};
        inspection.packet(f, false, 1, ccs, 0, ccs.length);
        byte[] app = {23, 3, 3, 0, 2, 0x55, 0x55};
        inspection.packet(f, true, 1 + hello.length, app, 0, app.length);
        assertFalse(Inspection.wants(f));
    }

    @Test
    void otherTransportsAreNotInspected() {
        Flow f = flow(IpProtocol.ICMP, 0);
        byte[] b = {8, 0, 0, 0};
        inspection.packet(f, true, -1, b, 0, b.length);
        assertFalse(Inspection.wants(f));
    }
}
