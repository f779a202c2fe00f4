package org.portmatrix.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.portmatrix.inspect.dcerpc.DceRpcInspector;
import org.portmatrix.inspect.dhcp.DhcpInspector;
import org.portmatrix.inspect.dns.DnsInspector;
import org.portmatrix.inspect.http.HttpInspector;
import org.portmatrix.inspect.rdp.RdpInspector;
import org.portmatrix.inspect.rtp.RtpInspector;
import org.portmatrix.inspect.sip.SipInspector;
import org.portmatrix.inspect.smb.SmbInspector;
import org.portmatrix.inspect.ssh.SshInspector;
import org.portmatrix.inspect.ssrp.SsrpInspector;
import org.portmatrix.inspect.stun.StunInspector;
import org.portmatrix.inspect.tds.TdsInspector;

/** Byte-level tests of every inspector but TLS (see {@link TlsInspectorTest}); fixtures commented field by field. */
class InspectorsTest {

    /** Hex with spaces and '|' as field separators for readability. */
    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replaceAll("[\\s|]", ""));
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static int run(Inspector in, FlowInspection fi, int slot, boolean fwd, byte[] b) {
        return in.inspect(fi, slot, fwd, -1, b, 0, b.length);
    }

    static FlowInspection udp(int port) {
        return new FlowInspection(false, port, -1);
    }

    static FlowInspection tcp(int port) {
        return new FlowInspection(true, port, -1);
    }

    // ---- STUN and MS-TURN -------------------------------------------------------------------

    @Test
    void stunBindingRequestWithMagicCookie() {
        byte[] b = hex("0001 | 0000 | 2112a442 | 0102030405060708090a0b0c"); // type, length 0, cookie, txid
        FlowInspection fi = udp(3478);
        assertEquals(Inspector.DETECTED, run(new StunInspector(), fi, Inspectors.STUN, true, b));
        assertEquals(AppProtocol.STUN, fi.app);
        assertEquals("STUN Binding Request", fi.detail);
    }

    @Test
    void msTurnWithoutMagicCookie() {
        byte[] b = hex("0003 | 0008"                        // Allocate Request, length 8 (one attribute)
                + "00112233445566778899aabbccddeeff"         // 16-byte transaction id (no cookie)
                + "000f | 0004 | 72c64bc6");                 // MAGIC-COOKIE attribute first (MS-TURN §2.2.2.8)
        assertEquals(StunInspector.MS_TURN, StunInspector.classify(b, 0, b.length));
        FlowInspection fi = udp(3478);
        assertEquals(Inspector.DETECTED, run(new StunInspector(), fi, Inspectors.STUN, true, b));
        assertEquals(AppProtocol.MS_TURN, fi.app);
        assertTrue(fi.detail.startsWith("MS-TURN Allocate Request (no magic cookie"), fi.detail);
    }

    @Test
    void msTurnWithAWrongCookieValueIsNotStun() {
        byte[] b = hex("0003 | 0008 | 00112233445566778899aabbccddeeff | 000f | 0004 | 72c64bc7");
        assertEquals(StunInspector.NONE, StunInspector.classify(b, 0, b.length));
        assertEquals(Inspector.NOT_THIS, run(new StunInspector(), udp(3478), Inspectors.STUN, true, b));
    }

    @Test
    void multiplexedTurn() {
        byte[] b = hex("ff10 | 000c"                        // channel 0xFF10, length 12 (after this field)
                + "0102030405060708"                         // MTURN session id (8)
                + "80000001");                               // data (an RTP-looking start)
        FlowInspection fi = udp(3478);
        assertEquals(Inspector.DETECTED, run(new StunInspector(), fi, Inspectors.STUN, true, b));
        assertEquals(AppProtocol.MS_TURN, fi.app);
        assertTrue(fi.detail.contains("0xFF10"), fi.detail);
    }

    @Test
    void msTurnTcpFramingAroundAStunMessage() {
        byte[] b = hex("02 | 00 | 0014"                     // MS-TURN TCP frame: control, reserved, length 20
                + "0001 | 0000 | 2112a442 | 0102030405060708090a0b0c");
        FlowInspection fi = tcp(443);
        assertEquals(Inspector.DETECTED, run(new StunInspector(), fi, Inspectors.STUN, true, b));
        assertEquals(AppProtocol.MS_TURN, fi.app);
        assertTrue(fi.detail.endsWith("MS-TURN TCP framing"), fi.detail);
    }

    @Test
    void msTurnTcpFramingAroundRelayedMedia() {
        byte[] b = hex("03 | 00 | 0010"                     // MS-TURN TCP frame: end-to-end data, reserved, length 16
                + "80 | 00 | 0001 | 000000a0 | 00001234 | ffffffff"); // the relayed RTP packet
        FlowInspection fi = tcp(443);
        assertEquals(Inspector.DETECTED, run(new StunInspector(), fi, Inspectors.STUN, true, b));
        assertEquals(AppProtocol.MS_TURN, fi.app);
        assertEquals("MS-TURN TCP framing, end-to-end data", fi.detail);
        byte[] cut = java.util.Arrays.copyOf(b, b.length - 1); // the frame says 16 bytes, 15 are there
        assertEquals(Inspector.NOT_THIS, run(new StunInspector(), tcp(443), Inspectors.STUN, true, cut));
    }

    @Test
    void rfc4571FramedStunOverTcp() {
        byte[] b = hex("0014 | 0001 | 0000 | 2112a442 | 0102030405060708090a0b0c"); // length 20, Binding Request
        FlowInspection fi = tcp(50000);
        assertEquals(Inspector.DETECTED, run(new StunInspector(), fi, Inspectors.STUN, true, b));
        assertEquals(AppProtocol.STUN, fi.app);
        assertTrue(fi.detail.endsWith("RFC 4571 framing"), fi.detail);
    }

    @Test
    void stunLengthMustCoverTheDatagram() {
        byte[] b = hex("0001 | 0004 | 2112a442 | 0102030405060708090a0b0c"); // says 4 bytes of attributes, has 0
        assertEquals(Inspector.NOT_THIS, run(new StunInspector(), udp(3478), Inspectors.STUN, true, b));
    }

    // ---- RTP and RTCP -----------------------------------------------------------------------

    /** RTP header: V=2 P=0 X=0 CC=0 | M=0 PT | sequence | timestamp | SSRC, plus 4 payload bytes. */
    static byte[] rtp(int pt, int seq, long ts, long ssrc) {
        return hex(String.format("80 | %02x | %04x | %08x | %08x | ffffffff", pt, seq, ts, ssrc));
    }

    @Test
    void rtpIsDecidedOverThreeAgreeingPackets() {
        RtpInspector in = new RtpInspector();
        FlowInspection fi = udp(50000);
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.RTP, true, rtp(0, 65534, 1000, 0x1234)));
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.RTP, true, rtp(0, 65535, 1160, 0x1234)));
        // the sequence number wraps from 65535 to 0: still progress
        assertEquals(Inspector.DETECTED, run(in, fi, Inspectors.RTP, true, rtp(0, 0, 1320, 0x1234)));
        assertEquals(AppProtocol.RTP, fi.app);
        assertEquals("RTP, payload type 0, SSRC 0x00001234, 3 packets in sequence", fi.detail);
    }

    /**
     * H.264 UC's layers (MS-SDPEXT 3.1.5.31: one SSRC per layer, within the range a=x-ssrc-range declares, 100 wide
     * for video) take turns in one direction, each with its own sequence numbers and timestamps.
     */
    @Test
    void rtpOfSeveralSsrcsOfOneRangeTakingTurnsIs() {
        RtpInspector in = new RtpInspector();
        FlowInspection fi = udp(58000);
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.RTP, true, rtp(122, 500, 90_000, 0x2c5a1e40)));
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.RTP, true, rtp(122, 7_000, 4_000_000, 0x2c5a1e00)));
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.RTP, true, rtp(122, 60_000, 12, 0x2c5a1e63)));
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.RTP, true, rtp(122, 7_001, 4_003_000, 0x2c5a1e00)));
        assertEquals(Inspector.DETECTED, run(in, fi, Inspectors.RTP, true, rtp(122, 501, 93_000, 0x2c5a1e40)));
        assertEquals("RTP, payload type 122, SSRCs 0x2c5a1e40, 0x2c5a1e00 and 0x2c5a1e63 (one SSRC range), 3 packets in sequence",
                fi.detail);
    }

    /**
     * AFS's Rx (tcpdump's afs.pcap, UDP 7005): its header's first byte may read as RTP version 2, its epoch and connection
     * id stand where RTP has the sequence number and timestamp, and its call number (1, then 0) where RTP has the SSRC:
     * two SSRCs of one range at the same sequence number and timestamp are not two streams.
     */
    @Test
    void rtpSsrcsAtTheSamePositionAreNotTwoStreams() {
        RtpInspector in = new RtpInspector();
        FlowInspection fi = udp(7005);
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.RTP, true, hex("a13ba33e | 5b27add8 | 00000001 | 00000001 01050002")));
        assertEquals(Inspector.NOT_THIS, run(in, fi, Inspectors.RTP, true, hex("a13ba33e | 5b27add8 | 00000000 | 00000002 07010002")));
    }

    /** The range is 100 SSRCs wide wherever the first one seen lies in it: 0x..00 to 0x..63 is one, 0x..00 to 0x..64 two. */
    @Test
    void rtpOfSsrcsSpanningMoreThanOneRangeIsNot() {
        RtpInspector in = new RtpInspector();
        FlowInspection fi = udp(58000);
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.RTP, true, rtp(0, 10, 1000, 0x2c5a1e30)));
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.RTP, true, rtp(0, 20, 2000, 0x2c5a1e00)));
        assertEquals(Inspector.NOT_THIS, run(in, fi, Inspectors.RTP, true, rtp(0, 30, 3000, 0x2c5a1e64)));
        // below 0 and above 2^32 - 1: the range wraps as SSRCs are unsigned 32-bit numbers
        FlowInspection wraps = udp(58000);
        assertEquals(Inspector.NEED_MORE, run(in, wraps, Inspectors.RTP, true, rtp(0, 10, 1000, 0xfffffff0L)));
        assertEquals(Inspector.NEED_MORE, run(in, wraps, Inspectors.RTP, true, rtp(0, 20, 2000, 0x00000010L)));
        assertEquals(Inspector.NOT_THIS, run(in, wraps, Inspectors.RTP, true, rtp(0, 30, 3000, 0x00000060L)));
    }

    @Test
    void rtpWithAChangingSsrcIsNot() {
        RtpInspector in = new RtpInspector();
        FlowInspection fi = udp(50000);
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.RTP, true, rtp(0, 10, 1000, 0x1234)));
        assertEquals(Inspector.NOT_THIS, run(in, fi, Inspectors.RTP, true, rtp(0, 11, 1160, 0x9999)));
    }

    /**
     * A packet seen twice (two mirror sessions), one arriving after a later one, a payload type that
     * changes (comfort noise, DTMF events, rtpmux) and a timestamp a little behind (an RFC 4733
     * event's packets keep its start time): passed over or counted, never held against the stream.
     */
    @Test
    void rtpSurvivesDuplicatesLatePacketsAndPayloadTypeChanges() {
        RtpInspector in = new RtpInspector();
        FlowInspection fi = udp(50000);
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.RTP, true, rtp(0, 100, 16000, 0x1234)));
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.RTP, true, rtp(0, 100, 16000, 0x1234))); // again
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.RTP, true, rtp(101, 102, 15840, 0x1234))); // 101 lost
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.RTP, true, rtp(0, 101, 16160, 0x1234))); // late: passed over
        assertEquals(Inspector.DETECTED, run(in, fi, Inspectors.RTP, true, rtp(13, 103, 16480, 0x1234)));
        assertEquals("RTP, payload types 0, 101, 13, SSRC 0x00001234, 3 packets in sequence", fi.detail);
    }

    /** One datagram over and over (a keepalive starting 0x80): passed over a few times, then not RTP (it stayed undecided). */
    @Test
    void rtpRepeatedOverAndOverIsNot() {
        RtpInspector in = new RtpInspector();
        FlowInspection fi = udp(50000);
        int r = Inspector.NEED_MORE;
        int n = 0;
        while (r == Inspector.NEED_MORE && n < 16) {
            r = run(in, fi, Inspectors.RTP, true, rtp(0, 100, 16000, 0x1234));
            n++;
        }
        assertEquals(Inspector.NOT_THIS, r);
        assertEquals(2 + RtpInspector.MAX_SKIPPED, n, "the first, then each one passed over, then the one too many");
    }

    @Test
    void rtpWhoseTimestampGoesFarBackIsNot() {
        RtpInspector in = new RtpInspector();
        FlowInspection fi = udp(50000);
        run(in, fi, Inspectors.RTP, true, rtp(0, 10, 1_000_000, 0x1234));
        assertEquals(Inspector.NOT_THIS, run(in, fi, Inspectors.RTP, true, rtp(0, 11, 1_000_000 - 70_000, 0x1234)));
    }

    @Test
    void rtpWithASequenceJumpIsNot() {
        RtpInspector in = new RtpInspector();
        FlowInspection fi = udp(50000);
        run(in, fi, Inspectors.RTP, true, rtp(8, 10, 1000, 0x1234));
        assertEquals(Inspector.NOT_THIS, run(in, fi, Inspectors.RTP, true, rtp(8, 5000, 1160, 0x1234)));
    }

    /** A STUN Binding Request (an ICE connectivity or consent check): type, length 0, magic cookie, transaction id. */
    static final byte[] STUN_CHECK = hex("0001 | 0000 | 2112a442 | 0102030405060708090a0b0c");

    /**
     * RFC 7983 §7: RTP and the ICE checks share the media 5-tuple. The RTP inspector passes over a STUN message
     * (it was "not RTP", so a flow whose check came among its first RTP packets was protocol_mismatch).
     */
    @Test
    void rtpPassesOverAStunCheckOnItsFlow() {
        RtpInspector rtp = new RtpInspector();
        StunInspector stun = new StunInspector();
        FlowInspection fi = udp(50010);
        assertEquals(Inspector.NEED_MORE, run(rtp, fi, Inspectors.RTP, true, rtp(0, 1, 0, 0xabc)));
        assertEquals(Inspector.NEED_MORE, run(rtp, fi, Inspectors.RTP, false, STUN_CHECK));
        assertEquals(Inspector.NEED_MORE, run(rtp, fi, Inspectors.RTP, true, STUN_CHECK));
        assertEquals(Inspector.NEED_MORE, run(rtp, fi, Inspectors.RTP, true, rtp(0, 2, 160, 0xabc)));
        assertEquals(Inspector.DETECTED, run(rtp, fi, Inspectors.RTP, true, rtp(0, 3, 320, 0xabc)));

        // The STUN inspector does not pass over RTP-range datagrams (on the STUN-only port 3478 they are a mismatch): an
        // ICE check that comes before RTP has decided is passed over by RTP, which then names the flow.
        assertEquals(Inspector.NOT_THIS, run(stun, udp(50010), Inspectors.STUN, true, rtp(0, 1, 0, 0xabc)));
        // a STUN-range datagram that is no STUN message is "not RTP"
        assertEquals(Inspector.NOT_THIS, run(rtp, udp(50010), Inspectors.RTP, true, hex("0001 | 0000 | 2112a442 | 0102030405060708090a0b0c | 00")));
    }

    @Test
    void rtcpReceiverReportIsDecidedAtOnce() {
        byte[] b = hex("81 | c9 | 0007"                     // V=2 RC=1, PT 201 RR, length 7 words (32 bytes)
                + "00001234"                                 // SSRC of the sender
                + "00005678 | 00000000 | 00000010 | 00000000 | 00000000 | 00000000"); // one report block
        FlowInspection fi = udp(50001);
        assertEquals(1, RtpInspector.rtcpCompound(b, 0, b.length));
        assertEquals(Inspector.DETECTED, run(new RtpInspector(), fi, Inspectors.RTP, true, b));
        assertEquals(AppProtocol.RTCP, fi.app);
    }

    /**
     * An SRTCP compound packet (RFC 3711 §3.4): an SR and an SDES, encrypted from the 9th byte on, so that only
     * the SR's header and SSRC are readable; then the E flag and SRTCP index, an MKI of {@code mki} bytes and
     * an authentication tag of {@code tag} bytes.
     */
    static byte[] srtcp(long index, int mki, int tag) {
        return hex("80 | c8 | 0006 | 00001234"           // V=2 RC=0, PT 200 SR, length 6 words (28 bytes), SSRC
                + "3b9e41c07d02f5e8a613c95f0d77b2e4196a8cf1"   // the SR's sender info, encrypted (20 bytes)
                + "e2175a0fc6394ab8d1e07f2c5b9360a4f81d2e77"   // the SDES packet, encrypted (20 bytes)
                + String.format("%08x", 0x8000_0000L | index) // E=1, SRTCP index
                + "a5".repeat(mki) + "c3".repeat(tag));       // MKI, authentication tag
    }

    @Test
    void srtcpCompoundIsDecidedAtOnceThoughItsPacketsAreEncrypted() {
        for (int[] mkiTag : new int[][] {{0, 10}, {0, 4}, {0, 0}, {4, 10}, {1, 4}}) {
            byte[] b = srtcp(7, mkiTag[0], mkiTag[1]);
            assertEquals(0, RtpInspector.rtcpCompound(b, 0, b.length), "the encrypted SDES cannot be walked");
            assertEquals(7, RtpInspector.srtcpIndex(b, 0, b.length), "MKI " + mkiTag[0] + ", tag " + mkiTag[1]);
            FlowInspection fi = udp(50011);
            assertEquals(Inspector.DETECTED, run(new RtpInspector(), fi, Inspectors.RTP, true, b));
            assertEquals(AppProtocol.RTCP, fi.app);
            assertEquals("SRTCP compound packet (first PT 200, encrypted, SRTCP index 7)", fi.detail);
        }
    }

    /** rtcp-mux (RFC 5761): SRTP, then an SRTCP compound on the same flow; it had ruled RTP out. */
    /**
     * DTLS-SRTP's keying (RFC 5764, RFC 6347 §4.1 record header): a datagram of DTLS 1.0/1.2 handshake, change_cipher_spec
     * or alert records whose lengths fill it is a handshake the RTP inspector passes over; application data, another
     * version, or lengths that do not fill the datagram are not (lookalikes.pcap has the real ones).
     */
    @Test
    void dtlsHandshakeRecordsAreToldByTheirHeaders() {
        String ccs = "14 | fefd | 0000 | 000000000003 | 0001 | 01";           // change_cipher_spec, DTLS 1.2
        String finished = "16 | fefd | 0001 | 000000000000 | 0004 | a1b2c3d4"; // an encrypted handshake record, epoch 1
        byte[] flight = hex(ccs + finished);
        assertTrue(RtpInspector.dtlsHandshake(flight, 0, flight.length));
        byte[] hello = hex("16 | feff | 0000 | 000000000000 | 0003 | 010000");  // DTLS 1.0 ClientHello's record
        assertTrue(RtpInspector.dtlsHandshake(hello, 0, hello.length));
        byte[] data = hex("17 | fefd | 0001 | 000000000001 | 0004 | 00112233"); // application data
        assertFalse(RtpInspector.dtlsHandshake(data, 0, data.length));
        byte[] tls = hex("16 | 0303 | 0000 | 000000000000 | 0003 | 010000");   // a TLS version
        assertFalse(RtpInspector.dtlsHandshake(tls, 0, tls.length));
        assertFalse(RtpInspector.dtlsHandshake(flight, 0, flight.length - 1)); // the last record runs past the datagram
        byte[] trailing = hex(ccs + "00");                                       // a byte after the last record
        assertFalse(RtpInspector.dtlsHandshake(trailing, 0, trailing.length));
        // cut by the snap length (or a first IP fragment's): the last record may run past the bytes captured
        assertTrue(RtpInspector.dtlsHandshake(flight, 0, flight.length - 1, true));
        assertTrue(RtpInspector.dtlsHandshake(flight, 0, 20, true));             // its second header cut short
        assertFalse(RtpInspector.dtlsHandshake(data, 0, data.length - 1, true)); // application data, cut
        assertFalse(RtpInspector.dtlsHandshake(flight, 0, 12, true));            // not one whole header
    }

    @Test
    void srtcpAmongSrtpOnOneFlowIsMedia() {
        RtpInspector in = new RtpInspector();
        FlowInspection fi = udp(50012);
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.RTP, true, rtp(0, 100, 1000, 0x1234)));
        assertEquals(Inspector.DETECTED, run(in, fi, Inspectors.RTP, true, srtcp(1, 0, 10)));
        assertEquals(AppProtocol.RTCP, fi.app);
    }

    /** What an SRTCP packet cannot be: each one of its readable parts wrong. */
    @Test
    void srtcpNeedsAReportFirstTheEFlagAndASmallIndexWhereATagEnds() {
        byte[] ok = srtcp(7, 0, 10);
        byte[] sdesFirst = ok.clone();
        sdesFirst[1] = (byte) 202; // a compound begins with SR or RR
        byte[] padded = ok.clone();
        padded[0] = (byte) 0xa0; // P=1 on the first packet
        byte[] tooLong = ok.clone();
        tooLong[3] = 20; // the SR's length runs past the index
        byte[] tooShortForItsBlocks = ok.clone();
        tooShortForItsBlocks[0] = (byte) 0x81; // one report block (6 words) does not fit in 6 words
        for (byte[] b : new byte[][] {sdesFirst, padded, tooLong, tooShortForItsBlocks,
            srtcp(0x7fff_ffffL, 0, 10) /* index near 2^31: not a counter from 0 */,
            java.util.Arrays.copyOf(ok, ok.length + 5) /* the index further from the end than 4 bytes of MKI and a tag reach */}) {
            assertEquals(-1, RtpInspector.srtcpIndex(b, 0, b.length), HexFormat.of().formatHex(b));
            assertEquals(Inspector.NOT_THIS, run(new RtpInspector(), udp(50011), Inspectors.RTP, true, b));
        }
        byte[] clearE = ok.clone();
        clearE[48] = 0x00; // E=0: not encrypted, so its SDES would have been readable
        assertEquals(-1, RtpInspector.srtcpIndex(clearE, 0, clearE.length));
    }

    // ---- SIP --------------------------------------------------------------------------------

    @Test
    void sipKeepAliveNeedsMoreThenRequestDecides() {
        SipInspector in = new SipInspector();
        FlowInspection fi = tcp(5061);
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.SIP, true, ascii("\r\n\r\n"))); // RFC 5626 keep-alive
        assertEquals(Inspector.DETECTED, run(in, fi, Inspectors.SIP, true, ascii(
                "REGISTER sip:contoso.test SIP/2.0\r\nv: SIP/2.0/tls 127.0.0.2:5061\r\nl: 0\r\n\r\n")));
        assertEquals("SIP REGISTER request over TCP, Via SIP/2.0/TLS", fi.detail);
    }

    @Test
    void sipStatusLineAndNotHttp() {
        FlowInspection fi = udp(5060);
        assertEquals(Inspector.DETECTED, run(new SipInspector(), fi, Inspectors.SIP, false, ascii(
                "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK1\r\n\r\n")));
        assertEquals("SIP 180 response over UDP, Via SIP/2.0/UDP", fi.detail);
        assertNull(SipInspector.startLine(ascii("OPTIONS / HTTP/1.1\r\n"), 0, 20), "an HTTP OPTIONS is not SIP");
        assertEquals("FOO", SipInspector.startLine(ascii("FOO sip:a SIP/2.0\r\n"), 0, 19), "an extension method (RFC 3261 §7.1)");
        assertNull(SipInspector.startLine(ascii("FOO sip:a SIP/3.0\r\n"), 0, 19), "not version 2.0");
        assertNull(SipInspector.startLine(ascii("F(O sip:a SIP/2.0\r\n"), 0, 19), "a method is a token");
    }

    static int run(Inspector in, FlowInspection fi, int slot, boolean fwd, long seq, String payload) {
        byte[] b = ascii(payload);
        return in.inspect(fi, slot, fwd, seq, b, 0, b.length);
    }

    /** An INVITE the snap length cut (no line end) leaves SIP possible, and the other end's status line tells it. */
    @Test
    void sipCutInviteThenItsResponse() {
        SipInspector in = new SipInspector();
        FlowInspection fi = tcp(5068);
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.SIP, true, 1, "INVITE sip:+14255550100@med01.con"));
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.SIP, true, 900, "ACK sip:+14255550100@med01.con"), "after a gap");
        assertEquals(Inspector.DETECTED, run(in, fi, Inspectors.SIP, false, 1, "SIP/2.0 100 Trying\r\nVia: SIP/2.0/TCP 10.1.6.10\r\n\r\n"));
        assertEquals("SIP 100 response over TCP, Via SIP/2.0/TCP", fi.detail);
    }

    /**
     * What only starts a request line keeps SIP possible over TCP, not in a whole UDP datagram (a "PING 0"
     * keepalive on a media port), unless the capture cut it; and a target is visible ASCII (binary bytes
     * after "A " had kept SIP possible for 8,192 bytes). Review of the session's change.
     */
    @Test
    void onlyAStartOfARequestLineThatCouldGoOnKeepsSipPossible() {
        assertEquals(Inspector.NOT_THIS, run(new SipInspector(), udp(50010), Inspectors.SIP, true, -1, "PING 0"));
        FlowInspection cut = udp(5060);
        cut.payloadSnapCut = true;
        assertEquals(Inspector.NEED_MORE, run(new SipInspector(), cut, Inspectors.SIP, true, -1, "INVITE sip:+14255550100@med01.con"));
        byte[] binary = new byte[40];
        binary[0] = 'A';
        binary[1] = ' ';
        java.util.Arrays.fill(binary, 2, binary.length, (byte) 0xc3);
        assertEquals(Inspector.NOT_THIS, run(new SipInspector(), tcp(5060), Inspectors.SIP, true, binary));
    }

    /** An extension method over two segments (the request line longer than the first), and over UDP in one datagram. */
    @Test
    void sipExtensionMethodAcrossSegments() {
        SipInspector in = new SipInspector();
        FlowInspection fi = tcp(5068);
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.SIP, true, 1, "\r\n\r\nX-MSSIP-HELLO sip:med01.cont"));
        assertEquals(Inspector.DETECTED, run(in, fi, Inspectors.SIP, true, 30, "oso.test SIP/2.0\r\nv: SIP/2.0/TCP 10.1.6.10\r\n\r\n"));
        assertEquals("SIP X-MSSIP-HELLO request over TCP, Via SIP/2.0/TCP", fi.detail);
        fi = udp(5060);
        assertEquals(Inspector.DETECTED, run(in, fi, Inspectors.SIP, true, -1, "X-FOO sip:a SIP/2.0\r\nVia: SIP/2.0/UDP 10.1.6.10\r\n\r\n"));
        assertEquals(Inspector.NOT_THIS, run(in, udp(5060), Inspectors.SIP, true, -1, "X-FOO sip:a HTTP/1.1\r\n\r\n"));
    }

    /**
     * Seen from the middle of a connection: the rest of one message, then the start of the next one's request line, which
     * the segment cuts; the next segment ends it. The cut line had been dropped at the first payload's end, and the second
     * payload, the line's rest, taken for the middle of a message: not told (review of 6b82135).
     */
    @Test
    void sipMidMessagePayloadEndingInTheStartOfARequestLine() {
        SipInspector in = new SipInspector();
        FlowInspection fi = tcp(5068); // (the connection's start not seen)
        String first = "a=rtpmap:0 PCMU/8000\r\na=sendrecv\r\nINVITE sip:+14255550100@med01.con";
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.SIP, true, 7001, first));
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.SIP, true, 7001, first), "a retransmission");
        assertEquals(Inspector.DETECTED, run(in, fi, Inspectors.SIP, true, 7001 + first.length(),
                "toso.test;transport=tcp SIP/2.0\r\nVia: SIP/2.0/TCP 10.1.6.10:5068\r\nContent-Length: 0\r\n\r\n"));
        assertEquals("SIP INVITE request over TCP, Via SIP/2.0/TCP", fi.detail);
        // after a gap the line cannot be followed: the payload is the middle of a message, and a message it begins decides
        fi = tcp(5068);
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.SIP, true, 7001, first));
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.SIP, true, 9001, "Content-Length: 0\r\n\r\n"));
        assertEquals(Inspector.DETECTED, run(in, fi, Inspectors.SIP, true, 9100, "Content-Length: 0\r\n\r\nACK sip:a SIP/2.0\r\n\r\n"));
        assertEquals("SIP ACK request over TCP", fi.detail);
    }

    /**
     * An HTTP message whose body quotes SIP (a trace posted to a web service, a page showing one), seen from the middle of
     * a connection on a port where SIP is asked first: the payload begins an HTTP message, not the middle of a SIP one.
     * 6b82135 took the quoted start line for SIP (the flow "expected" on a SIP port, sip on any other), before the HTTP
     * inspector, which tells HTTP, was asked.
     */
    @Test
    void anHttpMessageQuotingSipIsNotTheMiddleOfASipMessage() {
        String request = "POST /traces HTTP/1.1\r\nHost: tools.contoso.test\r\nContent-Type: text/plain\r\n\r\n"
                + "INVITE sip:+14255550100@med01.contoso.test SIP/2.0\r\nVia: SIP/2.0/TCP 10.1.6.10:5068\r\n";
        String response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nSIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 10.1.6.10\r\n";
        assertEquals(Inspector.NOT_THIS, run(new SipInspector(), tcp(5060), Inspectors.SIP, true, 1, request));
        assertEquals(Inspector.NOT_THIS, run(new SipInspector(), tcp(5060), Inspectors.SIP, false, 1, response));
        assertEquals(Inspector.DETECTED, run(new HttpInspector(), tcp(5060), Inspectors.HTTP, true, 1, request));
        assertEquals(Inspector.NOT_THIS, run(new SipInspector(), tcp(5060), Inspectors.SIP, true, 1,
                "GET /x HTTP/1.0\r\nAccept: */*\r\n\r\n"));
        // the middle of a SIP message is still one
        assertEquals(Inspector.DETECTED, run(new SipInspector(), tcp(5060), Inspectors.SIP, true, 1,
                "a=sendrecv\r\n\r\nACK sip:a SIP/2.0\r\n\r\n"));
    }

    /**
     * The middle of a SIP message is told by its being text, UTF-8 (RFC 3261 §7.3.1); a binary payload on a SIP port seen
     * from the middle of its connection is not. Bytes above 0x7f count only in a well-formed sequence (RFC 3629 §4): an
     * overlong form (E0 80 AF, "/" in three bytes) or a UTF-16 surrogate (ED A0 80) had passed as text, and kept SIP
     * possible on a payload no SIP stack sends.
     */
    @Test
    void sipMidMessageTextIsWellFormedUtf8() {
        byte[] ok = {'a', '=', 'x', ' ', (byte) 0xc3, (byte) 0xa9, ' ', (byte) 0xe2, (byte) 0x82, (byte) 0xac, ' ',
                (byte) 0xf0, (byte) 0x9f, (byte) 0x93, (byte) 0x9e, '\r', '\n'}; // é, €, U+1F4DE
        assertEquals(Inspector.NEED_MORE, new SipInspector().inspect(tcp(5068), Inspectors.SIP, true, 7001, ok, 0, ok.length));
        byte[][] notText = {
            {'a', '=', 'x', (byte) 0xe0, (byte) 0x80, (byte) 0xaf, '\r', '\n'},              // overlong "/"
            {'a', '=', 'x', (byte) 0xed, (byte) 0xa0, (byte) 0x80, '\r', '\n'},              // surrogate U+D800
            {'a', '=', 'x', (byte) 0xf0, (byte) 0x80, (byte) 0x80, (byte) 0xaf, '\r', '\n'}, // overlong in four bytes
            {'a', '=', 'x', (byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80, '\r', '\n'}, // past U+10FFFF
        };
        for (byte[] b : notText) {
            assertEquals(Inspector.NOT_THIS, new SipInspector().inspect(tcp(5068), Inspectors.SIP, true, 7001, b, 0, b.length),
                    java.util.HexFormat.of().formatHex(b));
        }
    }

    // ---- HTTP, SSH, RDP ---------------------------------------------------------------------

    @Test
    void httpRequestAndResponse() {
        FlowInspection fi = tcp(80);
        assertEquals(Inspector.DETECTED, run(new HttpInspector(), fi, Inspectors.HTTP, true, ascii("GET /x HTTP/1.1\r\nHost: a\r\n\r\n")));
        assertEquals("HTTP GET request", fi.detail);
        fi = tcp(80);
        assertEquals(Inspector.DETECTED, run(new HttpInspector(), fi, Inspectors.HTTP, false, ascii("HTTP/1.0 200 OK\r\n")));
        assertEquals("HTTP response 200", fi.detail);
        assertEquals(Inspector.NOT_THIS, run(new HttpInspector(), tcp(80), Inspectors.HTTP, true,
                ascii("OPTIONS sip:a SIP/2.0\r\n\r\n")));
    }

    /**
     * A request line over several segments: "GET " alone (it had been "not HTTP": a space is not a visible
     * character), a target longer than a segment, then the version; the sequence numbers say the bytes follow on.
     */
    @Test
    void httpRequestLineAcrossSegments() {
        HttpInspector in = new HttpInspector();
        FlowInspection fi = tcp(80);
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.HTTP, true, 1, "GET "));
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.HTTP, true, 5, "/" + "a".repeat(1447)));
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.HTTP, true, 5, "/aaaa"), "a retransmission");
        assertEquals(Inspector.DETECTED, run(in, fi, Inspectors.HTTP, true, 1453, "bcd HTTP/1.1\r\nHost: a\r\n\r\n"));
        assertEquals("HTTP GET request", fi.detail);
        // past RequestLine.MAX_LINE without a line end: given up
        fi = tcp(80);
        int r = run(in, fi, Inspectors.HTTP, true, 1, "GET /");
        for (int seq = 6; r == Inspector.NEED_MORE && seq < 20_000; seq += 1448) {
            r = run(in, fi, Inspectors.HTTP, true, seq, "a".repeat(1448));
        }
        assertEquals(Inspector.NOT_THIS, r);
    }

    @Test
    void httpExtensionMethodAndCutRequestThenResponse() {
        FlowInspection fi = tcp(80);
        assertEquals(Inspector.DETECTED, run(new HttpInspector(), fi, Inspectors.HTTP, true, 1, "MKCOL /dav/new/ HTTP/1.1\r\nHost: a\r\n\r\n"));
        assertEquals("HTTP MKCOL request", fi.detail);
        HttpInspector in = new HttpInspector();
        fi = tcp(80);
        assertEquals(Inspector.NEED_MORE, run(in, fi, Inspectors.HTTP, true, 1, "GET /sf/sfx/images/b.gif HTTP/1.")); // cut
        assertEquals(Inspector.DETECTED, run(in, fi, Inspectors.HTTP, false, 1, "HTTP/1.1 200 OK\r\nDate: x\r\n"));
        assertEquals("HTTP response 200", fi.detail);
        for (String no : new String[] {"GET /x HTTP/2.0\r\n", "hello world foo", "GET  /x HTTP/1.1\r\n", "GET /x\r\n", "\u0016\u0003\u0001"}) {
            assertEquals(Inspector.NOT_THIS, run(new HttpInspector(), tcp(80), Inspectors.HTTP, true, 1, no), no);
        }
    }

    @Test
    void sshIdentificationString() {
        FlowInspection fi = tcp(22);
        assertEquals(Inspector.DETECTED, run(new SshInspector(), fi, Inspectors.SSH, false, ascii("SSH-2.0-dropbear_2022.83\r\n")));
        assertEquals("SSH identification SSH-2.0-dropbear_2022.83", fi.detail);
    }

    @Test
    void rdpConnectionRequestWithCookieAndNegotiation() {
        byte[] b = hex("03 | 00 | 002b"                     // TPKT version 3, length 43
                + "26 | e0 | 0000 | 0000 | 00"               // X.224: LI 38 (length - 5), CR, dst-ref, src-ref, class 0
                + HexFormat.of().formatHex(ascii("Cookie: mstshash=alice\r\n")) // routing cookie (24 bytes)
                + "01 | 00 | 0800 | 03000000");              // RDP_NEG_REQ, flags, length 8 (LE), TLS|CredSSP
        FlowInspection fi = tcp(3389);
        assertEquals(Inspector.DETECTED, run(new RdpInspector(), fi, Inspectors.RDP, true, b));
        assertEquals("RDP X.224 Connection Request with an mstshash cookie, RDP Negotiation Request (TLS, CredSSP)", fi.detail);
    }

    @Test
    void tpktWithoutX224ConnectionIsNotRdp() {
        byte[] b = hex("03 | 00 | 000b | 06 | f0 | 80 | 00000000"); // TPKT + X.224 Data TPDU (0xF0)
        assertEquals(Inspector.NOT_THIS, run(new RdpInspector(), tcp(3389), Inspectors.RDP, true, b));
    }

    // ---- SMB, DCE/RPC, TDS, SSRP ------------------------------------------------------------

    @Test
    void smb2NegotiateInANetbiosSessionMessage() {
        byte[] b = hex("00 | 000044"                        // NetBIOS session message, length 68
                + "fe534d42 | 4000 | 0000 | 00000000 | 0000"  // SMB2 magic, header length 64, credit charge, status, command 0 NEGOTIATE
                + "0000 | 00000000 | 00000000 | 0000000000000000 | 00000000 | 00000000 | 0000000000000000"
                + "00000000000000000000000000000000 | 00000000"); // signature, then 4 body bytes
        FlowInspection fi = tcp(445);
        assertEquals(Inspector.DETECTED, run(new SmbInspector(), fi, Inspectors.SMB, true, b));
        assertEquals("SMB2 NEGOTIATE", fi.detail);
    }

    @Test
    void dceRpcBindToTheEndpointMapper() {
        byte[] b = hex("05 | 00 | 0b | 03 | 10000000 | 4800 | 0000 | 01000000" // v5.0, bind, first|last, LE drep, frag 72, auth 0, call 1
                + "b810 | b810 | 00000000"                   // max xmit/recv frag, assoc group
                + "01000000 | 0000 | 0100"                   // 1 context; context id 0, 1 transfer syntax
                + "0883afe11f5dc91191a408002b14a0fa | 03000000" // EPM interface UUID (LE), version 3.0
                + "045d888aeb1cc9119fe808002b104860 | 02000000"); // NDR transfer syntax, version 2
        FlowInspection fi = tcp(135);
        assertEquals(Inspector.DETECTED, run(new DceRpcInspector(), fi, Inspectors.DCERPC, true, b));
        assertEquals("DCE/RPC v5 bind to the endpoint mapper", fi.detail);
    }

    @Test
    void tdsPrelogin() {
        byte[] b = hex("12 | 01 | 0020 | 0000 | 01 | 00"    // PRELOGIN, EOM, length 32, SPID, packet 1, window 0
                + "00 | 0010 | 0006"                         // token VERSION at offset 16, 6 bytes
                + "01 | 0016 | 0001"                         // token ENCRYPTION at 22, 1 byte
                + "02 | 0017 | 0001 | ff"                    // token INSTOPT at 23, 1 byte; terminator
                + "0f0007d00000 | 00 | 00");                 // version 15.0.2000, ENCRYPT_OFF, no instance
        FlowInspection fi = tcp(1433);
        assertEquals(Inspector.DETECTED, run(new TdsInspector(), fi, Inspectors.TDS, true, b));
        assertEquals("TDS PRELOGIN", fi.detail);
    }

    @Test
    void tdsPreloginResponseSeenFirst() {
        // The server's answer to PRELOGIN is a tabular result (0x04) with PRELOGIN's option list; seen before the request
        // (packets out of order) it left the flow with no protocol, a tabular result's first byte being a token >= 0x79.
        byte[] b = hex("04 | 01 | 002b | 0000 | 01 | 00"    // tabular result, EOM, length 43
                + "00 | 001a | 0006 | 01 | 0020 | 0001 | 02 | 0021 | 0001 | 03 | 0022 | 0000 | 04 | 0022 | 0001 | ff"
                + "0b000c1c0000 | 02 | 00 | 00");            // version 11.0.3100, ENCRYPT_NOT_SUP, instance, MARS
        FlowInspection fi = tcp(1433);
        assertEquals(Inspector.DETECTED, run(new TdsInspector(), fi, Inspectors.TDS, false, b));
        assertEquals("TDS PRELOGIN response", fi.detail);
        byte[] token = hex("04 | 01 | 0010 | 0000 | 01 | 00 | 00 | 0005 | 0000 | 0000 | ff"); // no VERSION of 6 bytes: not one
        assertEquals(Inspector.NOT_THIS, run(new TdsInspector(), tcp(1433), Inspectors.TDS, false, token));
    }

    @Test
    void ssrpRequestsOnlyOnTheBrowserPortAndTheReply() {
        byte[] request = hex("03");                          // CLNT_UCAST_EX
        assertEquals(Inspector.DETECTED, run(new SsrpInspector(), udp(1434), Inspectors.SSRP, true, request));
        assertEquals(Inspector.NOT_THIS, run(new SsrpInspector(), udp(9999), Inspectors.SSRP, true, request),
                "one byte elsewhere proves nothing");
        byte[] data = ascii("ServerName;POOL01;;");
        byte[] reply = new byte[3 + data.length];
        reply[0] = 0x05;                                     // SVR_RESP
        reply[1] = (byte) data.length;                       // RESP_SIZE, little-endian
        reply[2] = 0;
        System.arraycopy(data, 0, reply, 3, data.length);
        FlowInspection fi = udp(50000);
        assertEquals(Inspector.DETECTED, run(new SsrpInspector(), fi, Inspectors.SSRP, false, reply));
        assertEquals("SSRP SVR_RESP reply", fi.detail);
    }

    @Test
    void ssrpDacReplyCountsItsWholeSixBytes() {
        // MC-SQLR 2.2.6: the reply to CLNT_UCAST_DAC is SVR_RESP, RESP_SIZE 0x0006 (the whole reply, unlike every other
        // SVR_RESP, whose RESP_SIZE counts the data after it), PROTOCOLVERSION 0x01 and the DAC's TCP port. Read as the
        // other replies are (a size of 3), the real reply was not recognised.
        FlowInspection fi = udp(50000);
        assertEquals(Inspector.DETECTED, run(new SsrpInspector(), fi, Inspectors.SSRP, false, hex("05 | 0600 | 01 | 8f05")));
        assertEquals("SSRP SVR_RESP reply (DAC port 1423)", fi.detail);
        assertEquals(Inspector.NOT_THIS, run(new SsrpInspector(), udp(50000), Inspectors.SSRP, false, hex("05 | 0300 | 01 | 8f05")),
                "a size of 3 is no DAC reply");
        assertEquals(Inspector.NOT_THIS, run(new SsrpInspector(), udp(50000), Inspectors.SSRP, false, hex("05 | 0600 | 02 | 8f05")),
                "protocol version 1 only");
    }

    // ---- DHCP, DNS --------------------------------------------------------------------------

    @Test
    void dhcpDiscover() {
        byte[] b = new byte[240 + 3 + 1];
        b[0] = 1;                                            // op BOOTREQUEST
        b[1] = 1;                                            // htype Ethernet
        b[2] = 6;                                            // hlen
        System.arraycopy(hex("63825363"), 0, b, 236, 4);     // magic cookie
        System.arraycopy(hex("350101 | ff"), 0, b, 240, 4);  // option 53 length 1 DHCPDISCOVER, end
        FlowInspection fi = udp(67);
        assertEquals(Inspector.DETECTED, run(new DhcpInspector(), fi, Inspectors.DHCP, true, b));
        assertEquals("DHCPDISCOVER", fi.detail);
    }

    @Test
    void dnsQueryOverUdpAndTcp() {
        byte[] q = hex("1234 | 0100 | 0001 | 0000 | 0000 | 0000" // id, RD, 1 question
                + "03 777777 | 07 636f6e746f736f | 04 74657374 | 00" // www.contoso.test
                + "0001 | 0001");                            // type A, class IN
        FlowInspection fi = udp(53);
        assertEquals(Inspector.DETECTED, run(new DnsInspector(), fi, Inspectors.DNS, true, q));
        assertEquals("DNS query", fi.detail);
        byte[] framed = new byte[2 + q.length];
        framed[1] = (byte) q.length;                         // RFC 1035 §4.2.2 length prefix
        System.arraycopy(q, 0, framed, 2, q.length);
        assertEquals(Inspector.DETECTED, run(new DnsInspector(), tcp(53), Inspectors.DNS, true, framed));
        byte[] bad = q.clone();
        bad[12] = 64;                                        // a label longer than 63
        assertEquals(Inspector.NOT_THIS, run(new DnsInspector(), udp(53), Inspectors.DNS, true, bad));
    }
}
