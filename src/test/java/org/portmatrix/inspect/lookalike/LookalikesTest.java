package org.portmatrix.inspect.lookalike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.portmatrix.inspect.AppProtocol;
import org.portmatrix.inspect.FlowInspection;

/** The byte tests of the protocols that are not Lync's, one malformation a test; real datagrams in LookalikesCaptureTest. */
class LookalikesTest {
    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replaceAll("[\\s|]", ""));
    }

    /** {@code head} then zeros up to {@code size} bytes. */
    static byte[] padded(String head, int size) {
        byte[] h = hex(head);
        return Arrays.copyOf(h, Math.max(size, h.length));
    }

    // QUIC (RFC 9000 §17.2.2): form+fixed+type 0 (Initial), pn length 1 | version | DCID len, DCID | SCID len, SCID |
    // token length 0 | Length (2-byte varint 0x44b0 = 1200-... bytes, inside the datagram)
    static final String INITIAL_V1 = "c0 | 00000001 | 08 0102030405060708 | 08 1112131415161718 | 00 | 4400";

    @Test
    void quicInitialOfAKnownVersionInADatagramOfAtLeast1200Bytes() {
        assertEquals("QUIC (version 1 Initial packet)", Quic.tell(padded(INITIAL_V1, 1200), 0, 1200));
        byte[] v2 = padded("d0 | 6b3343cf | 08 0102030405060708 | 00 | 00 | 4400", 1252); // RFC 9369: Initial is type 1
        assertEquals("QUIC (version 2 Initial packet)", Quic.tell(v2, 0, v2.length));
        byte[] draft = padded("c0 | ff00001d | 08 0102030405060708 | 00 | 00 | 4400", 1350);
        assertEquals("QUIC (draft version Initial packet)", Quic.tell(draft, 0, draft.length));
    }

    @Test
    void rejectsAnInitialInADatagramBelow1200Bytes() {
        assertNull(Quic.tell(padded(INITIAL_V1, 1199), 0, 1199));
    }

    @Test
    void rejectsAnUnknownQuicVersion() {
        byte[] b = padded("c0 | 12345678 | 08 0102030405060708 | 08 1112131415161718 | 00 | 4400", 1200);
        assertNull(Quic.tell(b, 0, b.length));
    }

    @Test
    void quicFirstPacketOfAReservedVersionForcingNegotiation() {
        // RFC 9000 §15: 0x?a?a?a?a (tcpdump's quic_vn.pcap: 0x1a2a3a4a), its layout past the connection ids its own
        byte[] b = padded("c3 | 1a2a3a4a | 08 0102030405060708 | 00 | ffffffff", 1200);
        assertEquals("QUIC (a first packet of a reserved version, forcing Version Negotiation)", Quic.tell(b, 0, b.length));
        assertNull(Quic.tell(b, 0, 1199), "below the 1,200 bytes of a first datagram");
        byte[] other = padded("c3 | 1a2a3a4b | 08 0102030405060708 | 00 | ffffffff", 1200);
        assertNull(Quic.tell(other, 0, other.length), "not the reserved pattern");
    }

    @Test
    void rejectsAConnectionIdOver20Bytes() {
        byte[] b = padded("c0 | 00000001 | 15", 1200); // DCID length 21
        assertNull(Quic.tell(b, 0, b.length));
    }

    @Test
    void rejectsALengthPastTheDatagram() {
        byte[] b = padded("c0 | 00000001 | 08 0102030405060708 | 08 1112131415161718 | 00 | 44c0", 1200); // 0x4c0 = 1216
        assertNull(Quic.tell(b, 0, b.length));
    }

    @Test
    void rejectsALongHeaderWithoutTheFixedBit() {
        byte[] b = padded("80 | 00000001 | 08 0102030405060708 | 08 1112131415161718 | 00 | 4400", 1200);
        assertNull(Quic.tell(b, 0, b.length));
    }

    @Test
    void quicHandshakePacketOfAnySize() {
        // type 2 (Handshake) | version 1 | DCID len 0 | SCID len 4 | Length 20 | 20 bytes
        byte[] b = padded("e0 | 00000001 | 00 | 04 0a0b0c0d | 14", 32);
        assertEquals("QUIC (version 1 Handshake packet)", Quic.tell(b, 0, b.length));
        assertNull(Quic.tell(b, 0, b.length - 1), "its Length runs past the datagram");
        byte[] retry = padded("f0 | 00000001 | 00 | 04 0a0b0c0d | 14", 32); // type 3, Retry: not told
        assertNull(Quic.tell(retry, 0, retry.length));
    }

    @Test
    void quicVersionNegotiationListsWholeVersionsOneOfThemKnown() {
        // form 1, unused bits | version 0 | DCID len 0 | SCID len 8, SCID | versions 0x1a2a3a4a (grease), 1
        byte[] b = hex("8a | 00000000 | 00 | 08 0102030405060708 | 1a2a3a4a | 00000001");
        assertEquals("QUIC (Version Negotiation packet)", Quic.tell(b, 0, b.length));
        assertNull(Quic.tell(b, 0, b.length - 1), "a version cut short");
        byte[] unknown = hex("8a | 00000000 | 00 | 08 0102030405060708 | 1a2a3a4a");
        assertNull(Quic.tell(unknown, 0, unknown.length), "no known version offered");
        byte[] none = hex("8a | 00000000 | 00 | 08 0102030405060708");
        assertNull(Quic.tell(none, 0, none.length), "no version offered");
    }

    // DTLS 1.2 record (RFC 6347 §4.1): type | version | epoch | sequence number | length | fragment
    static final String DATA = "17 | fefd | 0001 | 000000000001 | 0004 | 00112233";

    @Test
    void dtlsApplicationDataUnderAnEpochAfterTheHandshake() {
        byte[] b = hex(DATA);
        assertEquals("DTLS 1.2 application data (a DTLS session carrying data, not SRTP)", Dtls.tell(b, 0, b.length, false));
        assertEquals("DTLS 1.2 application data after its handshake (a DTLS session carrying data, not DTLS-SRTP's keying of SRTP)",
                Dtls.tell(b, 0, b.length, true));
        byte[] withAlert = hex("15 | feff | 0001 | 000000000002 | 0002 | 0100 | 17 | feff | 0001 | 000000000003 | 0001 | 00");
        assertEquals("DTLS 1.0 application data (a DTLS session carrying data, not SRTP)", Dtls.tell(withAlert, 0, withAlert.length, false));
    }

    @Test
    void rejectsDtlsApplicationDataUnderEpochZero() {
        byte[] b = hex("17 | fefd | 0000 | 000000000001 | 0004 | 00112233");
        assertNull(Dtls.tell(b, 0, b.length, true));
    }

    @Test
    void aDtlsHandshakeAloneIsNotNamed() {
        byte[] b = hex("16 | fefd | 0000 | 000000000000 | 0003 | 010000"); // DTLS-SRTP's keying looks like this
        assertNull(Dtls.tell(b, 0, b.length, false));
    }

    @Test
    void rejectsDtlsRecordsThatDoNotFillTheDatagram() {
        byte[] b = hex(DATA + "00");
        assertNull(Dtls.tell(b, 0, b.length, true));
        assertNull(Dtls.tell(b, 0, b.length - 2, true));
        byte[] tls = hex("17 | 0303 | 0001 | 000000000001 | 0004 | 00112233"); // a TLS version
        assertNull(Dtls.tell(tls, 0, tls.length, true));
    }

    @Test
    void wireGuardMessagesHaveTheirFixedSizes() {
        assertEquals("WireGuard (handshake initiation)", WireGuard.tell(padded("01000000 | 0a0b0c0d", 148), 0, 148));
        assertEquals("WireGuard (handshake response)", WireGuard.tell(padded("02000000 | 0a0b0c0d", 92), 0, 92));
        assertEquals("WireGuard (cookie reply)", WireGuard.tell(padded("03000000 | 0a0b0c0d", 64), 0, 64));
        assertEquals("WireGuard (transport data)", WireGuard.tell(padded("04000000 | 0a0b0c0d", 32), 0, 32)); // keepalive
        assertEquals("WireGuard (transport data)", WireGuard.tell(padded("04000000 | 0a0b0c0d", 128), 0, 128));
    }

    @Test
    void rejectsWireGuardOfAnotherSize() {
        assertNull(WireGuard.tell(padded("01000000", 149), 0, 149));
        assertNull(WireGuard.tell(padded("02000000", 148), 0, 148));
        assertNull(WireGuard.tell(padded("04000000", 40), 0, 40), "transport data is padded to 16 bytes");
    }

    @Test
    void rejectsWireGuardWithReservedBytesSet() {
        assertNull(WireGuard.tell(padded("01000100", 148), 0, 148));
        assertNull(WireGuard.tell(padded("05000000", 64), 0, 64), "type 5");
    }

    // NTP (RFC 5905 §7.3): LI VN Mode | stratum | poll | precision | ...
    @Test
    void ntpHeaderAloneOrWithAMac() {
        assertEquals("NTP (version 4, client mode)", Ntp.tell(padded("23 | 00 | 06 | 20", 48), 0, 48)); // chrony's request
        assertEquals("NTP (version 4, server mode)", Ntp.tell(padded("24 | 02 | 06 | e6", 48), 0, 48));
        assertEquals("NTP (version 3, client mode)", Ntp.tell(padded("1b | 00 | 0a | ec", 68), 0, 68)); // MD5 MAC
        assertEquals("NTP (version 4, server mode)", Ntp.tell(padded("24 | 02 | 06 | e6", 52), 0, 52)); // crypto-NAK
    }

    @Test
    void ntpExtensionFieldsFillTheDatagram() {
        // header | extension field type 0x0104 (NTS unique identifier), length 36 | 32 bytes
        byte[] b = padded("23 | 00 | 06 | 20", 84);
        b[48] = 0x01;
        b[49] = 0x04;
        b[51] = 36;
        assertEquals("NTP (version 4, client mode)", Ntp.tell(b, 0, 84));
        assertNull(Ntp.tell(b, 0, 83), "the field runs past the datagram");
    }

    /**
     * An RTP header (version 2) with the extension bit and CSRCs, payload type 0: its first byte 0x91 reads as NTP's
     * leap indicator 2, version 2, mode 1, its second as stratum 0. A 48-byte one had passed as NTP.
     */
    @Test
    void rejectsRtpWithCsrcsThatReadsAsNtpWithLeapIndicator2() {
        assertNull(Ntp.tell(padded("91 | 00 | 06 | ec", 48), 0, 48));
        assertNull(Ntp.tell(padded("a1 | 08 | 06 | ec", 48), 0, 48));
        assertEquals("NTP (version 4, server mode)", Ntp.tell(padded("e4 | 10 | 06 | e6", 48), 0, 48), "LI 3: unsynchronised");
    }

    @Test
    void rejectsNtpControlAndPrivateModes() {
        assertNull(Ntp.tell(padded("26 | 00 | 06 | 20", 48), 0, 48)); // mode 6
        assertNull(Ntp.tell(padded("27 | 00 | 06 | 20", 48), 0, 48)); // mode 7
        assertNull(Ntp.tell(padded("20 | 00 | 06 | 20", 48), 0, 48)); // mode 0
    }

    @Test
    void rejectsNtpVersionZeroOrAbove4() {
        assertNull(Ntp.tell(padded("03 | 00 | 06 | 20", 48), 0, 48));
        assertNull(Ntp.tell(padded("2b | 00 | 06 | 20", 48), 0, 48));
    }

    @Test
    void rejectsNtpFieldsOutOfRange() {
        assertNull(Ntp.tell(padded("24 | 11 | 06 | e6", 48), 0, 48), "stratum 17");
        assertNull(Ntp.tell(padded("24 | 02 | 20 | e6", 48), 0, 48), "poll 32");
        assertNull(Ntp.tell(padded("24 | 02 | 06 | 80", 48), 0, 48), "precision -128");
    }

    @Test
    void rejectsNtpOfAnotherLength() {
        assertNull(Ntp.tell(padded("23 | 00 | 06 | 20", 47), 0, 47));
        assertNull(Ntp.tell(padded("23 | 00 | 06 | 20", 49), 0, 49));
    }

    // SNMPv2c GetRequest: SEQUENCE | INTEGER version 1 | OCTET STRING "public" | GetRequest-PDU { request-id, error-status,
    // error-index, varbinds { { OID 1.3.6.1.2.1.1.1.0, NULL } } }
    static final String GET = "30 29 | 02 01 01 | 04 06 7075626c6963 | a0 1c | 02 04 12345678 | 02 01 00 | 02 01 00"
            + " | 30 0e | 30 0c | 06 08 2b06010201010100 | 05 00";

    @Test
    void snmpMessageFillsTheDatagram() {
        byte[] b = hex(GET);
        assertEquals("SNMP (version 2c GetRequest)", Snmp.tell(b, 0, b.length));
        byte[] v1 = hex(GET.replaceFirst("02 01 01", "02 01 00").replace("a0 1c", "a2 1c"));
        assertEquals("SNMP (version 1 Response)", Snmp.tell(v1, 0, v1.length));
        byte[] v3 = hex("30 11 | 02 01 03 | 30 0c | 02 04 00000001 | 02 04 0000ffe3");
        assertEquals("SNMP (version 3 message)", Snmp.tell(v3, 0, v3.length));
    }

    @Test
    void rejectsAnSnmpSequenceThatDoesNotFillTheDatagram() {
        byte[] b = hex(GET + "00");
        assertNull(Snmp.tell(b, 0, b.length));
        assertNull(Snmp.tell(b, 0, b.length - 2));
    }

    @Test
    void rejectsSnmpVersion2() {
        byte[] b = hex(GET.replaceFirst("02 01 01", "02 01 02"));
        assertNull(Snmp.tell(b, 0, b.length));
    }

    @Test
    void rejectsAnUnknownSnmpPdu() {
        byte[] b = hex(GET.replace("a0 1c", "a9 1c"));
        assertNull(Snmp.tell(b, 0, b.length));
    }

    @Test
    void namesTheFlowOnlyWhenATestTellsItsProtocol() {
        FlowInspection fi = new FlowInspection(false, 50050, 0);
        byte[] b = padded(INITIAL_V1, 1200);
        assertTrue(Lookalikes.name(fi, b, 0, b.length));
        assertEquals(AppProtocol.QUIC, fi.app);
        assertEquals("quic", fi.app.id());
        FlowInspection rtp = new FlowInspection(false, 50050, 0);
        byte[] header = hex("80 00 0001 00000000 12345678 | 00000000"); // an RTP header and 4 bytes of payload
        assertFalse(Lookalikes.name(rtp, header, 0, header.length));
        assertNull(rtp.app);
    }
}
