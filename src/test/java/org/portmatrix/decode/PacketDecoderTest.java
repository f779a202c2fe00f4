package org.portmatrix.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;
import org.portmatrix.capture.LinkType;

/**
 * Byte-level tests of the decoder: frames built field by field, one test per layer and per
 * malformation. (Real captures of every layer are compared with tshark in the oracle tests.)
 */
class PacketDecoderTest {
    static final byte[] MAC_DST = {2, 0, 0, 0, 0, 1};
    static final byte[] MAC_SRC = {2, 0, 0, 0, 0, 2};
    static final int A = 0x0a000001; // 10.0.0.1
    static final int B = 0x0a000002; // 10.0.0.2

    final PacketDecoder decoder = new PacketDecoder(true);
    final Decoded d = new Decoded();

    /** A growing frame: big-endian writes of fields. */
    static final class Frame {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Frame u8(int v) {
            out.write(v);
            return this;
        }

        Frame u16(int v) {
            return u8(v >>> 8).u8(v & 0xff);
        }

        Frame u32(long v) {
            return u16((int) (v >>> 16) & 0xffff).u16((int) v & 0xffff);
        }

        Frame bytes(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        Frame zeros(int n) {
            return bytes(new byte[n]);
        }

        Frame ethernet(int etherType) {
            return bytes(MAC_DST).bytes(MAC_SRC).u16(etherType);
        }

        /** IPv4 header: version/IHL, TOS, total length, id, flags/fragment offset, TTL, protocol, checksum, addresses. */
        Frame ipv4(int protocol, int src, int dst, int payloadLength, int id, int flagsFrag, int optionWords) {
            int ihl = 5 + optionWords;
            u8(0x40 | ihl).u8(0).u16(ihl * 4 + payloadLength).u16(id).u16(flagsFrag).u8(64).u8(protocol).u16(0).u32(src & 0xffffffffL)
                    .u32(dst & 0xffffffffL);
            for (int i = 0; i < optionWords; i++) {
                u32(0x01010101L); // NOP options
            }
            return this;
        }

        Frame ipv4(int protocol, int src, int dst, int payloadLength) {
            return ipv4(protocol, src, dst, payloadLength, 1, 0, 0);
        }

        /** IPv6 header: version, traffic class, flow label, payload length, next header, hop limit, addresses. */
        Frame ipv6(int next, int payloadLength, long srcLo, long dstLo) {
            return u32(0x60000000L).u16(payloadLength).u8(next).u8(64).u32(0x20010db8L).u32(0).u32(srcLo >>> 32).u32(srcLo & 0xffffffffL)
                    .u32(0x20010db8L).u32(0).u32(dstLo >>> 32).u32(dstLo & 0xffffffffL);
        }

        Frame udp(int sport, int dport, int payloadLength) {
            return u16(sport).u16(dport).u16(8 + payloadLength).u16(0).zeros(payloadLength);
        }

        /** TCP header without options: ports, seq, ack, data offset 5, flags, window, checksum, urgent. */
        Frame tcp(int sport, int dport, int flags, int payloadLength) {
            return u16(sport).u16(dport).u32(1000).u32(2000).u8(0x50).u8(flags).u16(65535).u16(0).u16(0).zeros(payloadLength);
        }

        byte[] build() {
            return out.toByteArray();
        }
    }

    int decode(int linkType, byte[] frame) {
        return decoder.decode(frame, 0, frame.length, linkType, d);
    }

    int ethernet(byte[] frame) {
        return decode(LinkType.ETHERNET, frame);
    }

    void assertUdp(int src, int sport, int dst, int dport) {
        assertEquals(IpProtocol.UDP, d.protocol);
        assertEquals(Decoded.V4_MAPPED | (src & 0xffffffffL), d.srcLo);
        assertEquals(Decoded.V4_MAPPED | (dst & 0xffffffffL), d.dstLo);
        assertEquals(sport, d.srcPort);
        assertEquals(dport, d.dstPort);
    }

    @Test
    void decodesEthernetIpv4Tcp() {
        byte[] f = new Frame().ethernet(0x0800).ipv4(IpProtocol.TCP, A, B, 20 + 5).tcp(50000, 5061, 0x18, 5).build();
        assertEquals(DecodeStats.OK, ethernet(f));
        assertEquals(4, d.ipVersion);
        assertEquals(IpProtocol.TCP, d.protocol);
        assertEquals(50000, d.srcPort);
        assertEquals(5061, d.dstPort);
        assertEquals(0x18, d.tcpFlags);
        assertEquals(5, d.payloadLength);
        assertEquals(14 + 20 + 20, d.payloadOffset);
        assertEquals(-1, d.vlan);
    }

    @Test
    void ethernetPaddingIsNotPayload() {
        // A 1-byte UDP payload in a frame padded to 60 bytes: the IPv4 total length bounds the payload.
        byte[] f = new Frame().ethernet(0x0800).ipv4(IpProtocol.UDP, A, B, 9).udp(1000, 2000, 1).zeros(17).build();
        assertEquals(60, f.length);
        assertEquals(DecodeStats.OK, ethernet(f));
        assertEquals(1, d.payloadLength);
    }

    @Test
    void skipsIpv4Options() {
        byte[] f = new Frame().ethernet(0x0800).ipv4(IpProtocol.UDP, A, B, 8, 1, 0, 2).udp(1000, 2000, 0).build();
        assertEquals(DecodeStats.OK, ethernet(f));
        assertUdp(A, 1000, B, 2000);
    }

    @Test
    void rejectsIhlBelowFive() {
        byte[] f = new Frame().ethernet(0x0800).ipv4(IpProtocol.UDP, A, B, 8).udp(1, 2, 0).build();
        f[14] = 0x44; // IHL 4
        assertEquals(DecodeStats.BAD_IPV4_HEADER_LENGTH, ethernet(f));
    }

    @Test
    void countsATruncatedIpv4Header() {
        byte[] f = new Frame().ethernet(0x0800).u32(0x45000028L).build();
        assertEquals(DecodeStats.TRUNCATED_IPV4, ethernet(f));
    }

    @Test
    void rejectsAUdpLengthBelowEight() {
        byte[] f = new Frame().ethernet(0x0800).ipv4(IpProtocol.UDP, A, B, 8).u16(1).u16(2).u16(7).u16(0).build();
        assertEquals(DecodeStats.BAD_UDP_LENGTH, ethernet(f));
    }

    @Test
    void rejectsATcpDataOffsetBelowTwenty() {
        byte[] f = new Frame().ethernet(0x0800).ipv4(IpProtocol.TCP, A, B, 20).tcp(1, 2, 0x02, 0).build();
        f[14 + 20 + 12] = 0x40; // data offset 4 words
        assertEquals(DecodeStats.BAD_TCP_DATA_OFFSET, ethernet(f));
    }

    @Test
    void recordsTheOuterVlanOnlyWhenKept() {
        // 802.1ad outer tag 200, 802.1Q inner tag 100: the outer one is the flow's VLAN.
        byte[] f = new Frame().ethernet(0x88a8).u16(200).u16(0x8100).u16(100).u16(0x0800).ipv4(IpProtocol.UDP, A, B, 8)
                .udp(1, 2, 0).build();
        assertEquals(DecodeStats.OK, ethernet(f));
        assertEquals(200, d.vlan);
        assertEquals(DecodeStats.OK, new PacketDecoder(false).decode(f, 0, f.length, LinkType.ETHERNET, d));
        assertEquals(-1, d.vlan);
        assertUdp(A, 1, B, 2);
    }

    /**
     * A tag whose VLAN id is 0 carries only a priority (IEEE 802.1Q: the null VLAN id; an 802.1p priority tag, as a
     * Windows NIC with "Packet Priority" and IP phones put on voice): the frame is on the port's own VLAN, as an
     * untagged one is. Kept as VLAN 0, it parted a Front End's priority-tagged RTP from the client's untagged answers
     * under --vlan-in-key: two one-way flows, the answers' read the other way round.
     */
    @Test
    void aPriorityTagIsNoVlan() {
        // TCI 0xa000: priority 5, VLAN id 0.
        byte[] f = new Frame().ethernet(0x8100).u16(0xa000).u16(0x0800).ipv4(IpProtocol.UDP, A, B, 8).udp(1, 2, 0).build();
        assertEquals(DecodeStats.OK, ethernet(f));
        assertEquals(-1, d.vlan);
        assertUdp(A, 1, B, 2);
        // A priority tag before a VLAN tag: the VLAN is the second tag's.
        f = new Frame().ethernet(0x8100).u16(0xa000).u16(0x8100).u16(0xa014).u16(0x0800).ipv4(IpProtocol.UDP, A, B, 8).udp(1, 2, 0)
                .build();
        assertEquals(DecodeStats.OK, ethernet(f));
        assertEquals(20, d.vlan);
    }

    @Test
    void followsAnMplsLabelStack() {
        // Two labels, the second with the bottom-of-stack bit; then IPv4.
        byte[] f = new Frame().ethernet(0x8847).u32(0x00010040L).u32(0x00020140L).ipv4(IpProtocol.UDP, A, B, 8).udp(3, 4, 0).build();
        assertEquals(DecodeStats.OK, ethernet(f));
        assertUdp(A, 3, B, 4);
    }

    @Test
    void opensPppoeSessions() {
        // PPPoE: version/type, code, session id, length; then the PPP protocol 0x0021 (IPv4).
        byte[] f = new Frame().ethernet(0x8864).u8(0x11).u8(0).u16(1).u16(30).u16(0x0021).ipv4(IpProtocol.UDP, A, B, 8).udp(5, 6, 0)
                .build();
        assertEquals(DecodeStats.OK, ethernet(f));
        assertUdp(A, 5, B, 6);
    }

    @Test
    void decodesLinuxCookedV1AndV2AndBsdLoopback() {
        byte[] ip = new Frame().ipv4(IpProtocol.UDP, A, B, 8).udp(7, 8, 0).build();
        // SLL: packet type, ARPHRD type, address length, 8 address bytes, protocol.
        byte[] sll = new Frame().u16(0).u16(1).u16(6).zeros(8).u16(0x0800).bytes(ip).build();
        assertEquals(DecodeStats.OK, decode(LinkType.LINUX_SLL, sll));
        assertUdp(A, 7, B, 8);
        // SLL2: protocol, reserved, interface index, ARPHRD type, packet type, address length, 8 address bytes.
        byte[] sll2 = new Frame().u16(0x0800).u16(0).u32(1).u16(1).u8(0).u8(6).zeros(8).bytes(ip).build();
        assertEquals(DecodeStats.OK, decode(LinkType.LINUX_SLL2, sll2));
        assertUdp(A, 7, B, 8);
        // NULL: the address family in host byte order (AF_INET = 2 on a little-endian host).
        byte[] loop = new Frame().u8(2).u8(0).u8(0).u8(0).bytes(ip).build();
        assertEquals(DecodeStats.OK, decode(LinkType.NULL, loop));
        assertUdp(A, 7, B, 8);
        assertEquals(DecodeStats.OK, decode(LinkType.RAW, ip));
        assertEquals(DecodeStats.OK, decode(LinkType.IPV4, ip));
        assertEquals(DecodeStats.BAD_IP_VERSION, decode(LinkType.IPV6, ip), "link type IPV6 holds IPv6 only");
        assertEquals(DecodeStats.UNSUPPORTED_LINK, decode(147, ip));
    }

    @Test
    void skipsIpv6ExtensionHeaders() {
        // Hop-by-hop (8 bytes), destination options (16 bytes), then UDP.
        byte[] f = new Frame().ethernet(0x86dd).ipv6(0, 8 + 16 + 8, 1, 2)
                .u8(60).u8(0).zeros(6)
                .u8(17).u8(1).zeros(14)
                .udp(9, 10, 0).build();
        assertEquals(DecodeStats.OK, ethernet(f));
        assertEquals(6, d.ipVersion);
        assertEquals(IpProtocol.UDP, d.protocol);
        assertEquals(9, d.srcPort);
        assertEquals(1, d.srcLo);
    }

    @Test
    void anIpv6RoutingHeaderGivesTheFinalDestination() {
        // Type 0, two addresses, segments left 2: the last address is where the packet is going.
        byte[] f = new Frame().ethernet(0x86dd).ipv6(43, 8 + 32 + 8, 1, 2)
                .u8(17).u8(4).u8(0).u8(2).u32(0)
                .u32(0x20010db8L).u32(0).u32(0).u32(0x30)
                .u32(0x20010db8L).u32(0).u32(0).u32(0x40)
                .udp(11, 12, 0).build();
        assertEquals(DecodeStats.OK, ethernet(f));
        assertEquals(0x40, d.dstLo);
        // Segment routing (type 4): segment list[0] is the final segment.
        byte[] srh = new Frame().ethernet(0x86dd).ipv6(43, 8 + 32 + 8, 1, 2)
                .u8(17).u8(4).u8(4).u8(1).u8(1).u8(0).u16(0)
                .u32(0x20010db8L).u32(0).u32(0).u32(0x50)
                .u32(0x20010db8L).u32(0).u32(0).u32(0x60)
                .udp(11, 12, 0).build();
        assertEquals(DecodeStats.OK, ethernet(srh));
        assertEquals(0x50, d.dstLo);
    }

    @Test
    void anIcmpv6ErrorQuotingARoutingHeaderNamesTheFlowOfItsFinalDestination() {
        // Port unreachable about a UDP packet with a type 0 routing header: with segments left, the flow is keyed by
        // the last address of the list, and so is the quoted packet; with none left, by the header's destination.
        for (int segmentsLeft : new int[] {2, 0}) {
            byte[] f = new Frame().ethernet(0x86dd).ipv6(IpProtocol.ICMPV6, 8 + 40 + 8 + 32 + 8, 2, 1)
                    .u8(1).u8(4).u16(0).u32(0)
                    .ipv6(43, 8 + 32 + 8, 1, 2)
                    .u8(17).u8(4).u8(0).u8(segmentsLeft).u32(0)
                    .u32(0x20010db8L).u32(0).u32(0).u32(0x30)
                    .u32(0x20010db8L).u32(0).u32(0).u32(0x40)
                    .udp(11, 3478, 0).build();
            assertEquals(DecodeStats.OK, ethernet(f));
            assertTrue(d.icmpError, "segments left " + segmentsLeft + ": the error is about a flow");
            assertEquals(IpProtocol.UDP, d.quotedProtocol);
            assertEquals(1, d.quotedSrcLo);
            assertEquals(segmentsLeft == 0 ? 2 : 0x40, d.quotedDstLo, "segments left " + segmentsLeft);
            assertEquals(11, d.quotedSrcPort);
            assertEquals(3478, d.quotedDstPort);
        }
    }

    @Test
    void countsAnIpv6ExtensionChainRunningOffThePacket() {
        byte[] f = new Frame().ethernet(0x86dd).ipv6(0, 8, 1, 2).u8(60).u8(5).zeros(6).build(); // says 48 bytes, has 8
        assertEquals(DecodeStats.IPV6_EXTENSION_CHAIN, ethernet(f));
    }

    @Test
    void ipv4FragmentsJoinTheFlowOfTheirFirstFragment() {
        // First fragment: more-fragments set, offset 0, with the UDP header.
        byte[] first = new Frame().ethernet(0x0800).ipv4(IpProtocol.UDP, A, B, 16, 77, 0x2000, 0).udp(4000, 5000, 8).build();
        byte[] later = new Frame().ethernet(0x0800).ipv4(IpProtocol.UDP, A, B, 16, 77, 2, 0).zeros(16).build(); // offset 16 bytes
        byte[] stray = new Frame().ethernet(0x0800).ipv4(IpProtocol.UDP, A, B, 16, 78, 2, 0).zeros(16).build();
        assertEquals(DecodeStats.OK, ethernet(first));
        assertEquals(1, d.fragment);
        assertEquals(DecodeStats.OK, ethernet(later));
        assertEquals(2, d.fragment);
        assertUdp(A, 4000, B, 5000);
        assertEquals(DecodeStats.FRAGMENT_WITHOUT_FIRST, ethernet(stray));
    }

    @Test
    void ipv6FragmentsJoinTheFlowOfTheirFirstFragment() {
        // Fragment header: next header, reserved, offset (13 bits) / M flag, identification.
        byte[] first = new Frame().ethernet(0x86dd).ipv6(44, 8 + 16, 1, 2).u8(17).u8(0).u16(0x0001).u32(99).udp(6000, 7000, 8).build();
        byte[] later = new Frame().ethernet(0x86dd).ipv6(44, 8 + 16, 1, 2).u8(17).u8(0).u16(2 << 3).u32(99).zeros(16).build();
        assertEquals(DecodeStats.OK, ethernet(first));
        assertEquals(DecodeStats.OK, ethernet(later));
        assertEquals(6000, d.srcPort);
        assertEquals(7000, d.dstPort);
        assertEquals(IpProtocol.UDP, d.protocol);
    }

    @Test
    void laterFragmentsOfIcmpAndOtherProtocolsJoinTheirFirstFragment() {
        // An ICMP echo request in two fragments, and ESP (no ports) likewise: the later ones join their flows.
        byte[] first = new Frame().ethernet(0x0800).ipv4(IpProtocol.ICMP, A, B, 16, 99, 0x2000, 0).u8(8).u8(0).zeros(14).build();
        byte[] later = new Frame().ethernet(0x0800).ipv4(IpProtocol.ICMP, A, B, 16, 99, 2, 0).zeros(16).build();
        assertEquals(DecodeStats.OK, ethernet(first));
        assertEquals(DecodeStats.OK, ethernet(later));
        assertEquals(IpProtocol.ICMP, d.protocol);
        assertEquals(8, d.srcPort, "the echo request's type, from its first fragment");
        assertFalse(d.hasPorts);
        byte[] espFirst = new Frame().ethernet(0x0800).ipv4(50, A, B, 16, 100, 0x2000, 0).zeros(16).build();
        byte[] espLater = new Frame().ethernet(0x0800).ipv4(50, A, B, 16, 100, 2, 0).zeros(16).build();
        assertEquals(DecodeStats.OK, ethernet(espFirst));
        assertEquals(DecodeStats.OK, ethernet(espLater));
        assertEquals(50, d.protocol);
    }

    @Test
    void anIpv6LaterFragmentTakesItsFirstFragmentsTransportPastAnotherExtension() {
        // Fragment header naming Destination Options (60), then TCP: the later fragment's header says 60 too.
        byte[] first = new Frame().ethernet(0x86dd).ipv6(44, 8 + 8 + 20, 1, 2).u8(60).u8(0).u16(0x0001).u32(0xabcd)
                .u8(IpProtocol.TCP).u8(0).zeros(6).tcp(1000, 80, 0x02, 0).build();
        byte[] later = new Frame().ethernet(0x86dd).ipv6(44, 8 + 16, 1, 2).u8(60).u8(0).u16(3 << 3).u32(0xabcd).zeros(16).build();
        assertEquals(DecodeStats.OK, ethernet(first));
        assertEquals(IpProtocol.TCP, d.protocol);
        assertEquals(DecodeStats.OK, ethernet(later));
        assertEquals(IpProtocol.TCP, d.protocol, "not 60, the extension the fragment header names");
        assertTrue(d.hasPorts);
        assertEquals(1000, d.srcPort);
        assertEquals(80, d.dstPort);
    }

    @Test
    void ipv4AuthenticationHeaderIsSkippedToItsTransport() {
        // AH (RFC 4302): next header, payload length in 4-byte words minus 2, reserved, SPI, sequence, 12-byte ICV.
        byte[] f = new Frame().ethernet(0x0800).ipv4(IpProtocol.AH, A, B, 24 + 20).u8(IpProtocol.TCP).u8(4).u16(0).u32(0x1234)
                .u32(1).zeros(12).tcp(1000, 80, 0x02, 0).build();
        assertEquals(DecodeStats.OK, ethernet(f));
        assertEquals(IpProtocol.TCP, d.protocol);
        assertEquals(1000, d.srcPort);
        assertEquals(80, d.dstPort);
        assertEquals(0x02, d.tcpFlags);
    }

    @Test
    void tcpOptionsCutByTheSnapLengthStillGiveThePortsAndFlags() {
        // A SYN with 20 bytes of options (data offset 10) stored cut at 30 of its 40 TCP bytes (tcpdump -s 64):
        // the IP total length says the header was whole. A header whose offset runs past an uncut packet lies.
        Frame syn = new Frame().ethernet(0x0800).ipv4(IpProtocol.TCP, A, B, 40).u16(40000).u16(5061).u32(1000).u32(0)
                .u8(0xa0).u8(0x02).u16(65535).u16(0).u16(0).zeros(20);
        byte[] whole = syn.build();
        byte[] stored = java.util.Arrays.copyOf(whole, 14 + 20 + 30);
        assertEquals(DecodeStats.OK, ethernet(stored));
        assertEquals(40000, d.srcPort);
        assertEquals(5061, d.dstPort);
        assertEquals(0x02, d.tcpFlags);
        assertEquals(0, d.payloadLength);
        byte[] lying = new Frame().ethernet(0x0800).ipv4(IpProtocol.TCP, A, B, 30).u16(40000).u16(5061).u32(1000).u32(0)
                .u8(0xa0).u8(0x02).u16(65535).u16(0).u16(0).zeros(10).build();
        assertEquals(DecodeStats.BAD_TCP_DATA_OFFSET, ethernet(lying));
    }

    static byte[] innerEthernetUdp() {
        return new Frame().ethernet(0x0800).ipv4(IpProtocol.UDP, A, B, 8).udp(1234, 5678, 0).build();
    }

    @Test
    void opensGreWithTransparentEthernetAndErspan() {
        byte[] inner = innerEthernetUdp();
        int outerLen = 4 + inner.length;
        // GRE, no options, protocol 0x6558 (transparent Ethernet bridging).
        byte[] teb = new Frame().ethernet(0x0800).ipv4(IpProtocol.GRE, B, A, outerLen).u16(0).u16(0x6558).bytes(inner).build();
        assertEquals(DecodeStats.OK, ethernet(teb));
        assertUdp(A, 1234, B, 5678);
        assertEquals(1, d.tunnelDepth);
        // ERSPAN type II: GRE with a sequence number, protocol 0x88be, an 8-byte ERSPAN header.
        byte[] erspan2 = new Frame().ethernet(0x0800).ipv4(IpProtocol.GRE, B, A, 8 + 8 + inner.length).u16(0x1000).u16(0x88be).u32(1)
                .u32(0x10010064L).u32(0).bytes(inner).build();
        assertEquals(DecodeStats.OK, ethernet(erspan2));
        assertUdp(A, 1234, B, 5678);
        // ERSPAN type I: no sequence number, no ERSPAN header.
        byte[] erspan1 = new Frame().ethernet(0x0800).ipv4(IpProtocol.GRE, B, A, 4 + inner.length).u16(0).u16(0x88be).bytes(inner).build();
        assertEquals(DecodeStats.OK, ethernet(erspan1));
        assertUdp(A, 1234, B, 5678);
        // ERSPAN type III with the optional 8-byte platform subheader (O bit, last bit of the 12-byte header).
        byte[] erspan3 = new Frame().ethernet(0x0800).ipv4(IpProtocol.GRE, B, A, 8 + 20 + inner.length).u16(0x1000).u16(0x22eb).u32(1)
                .u32(0x20010064L).u32(0).u32(1).zeros(8).bytes(inner).build();
        assertEquals(DecodeStats.OK, ethernet(erspan3));
        assertUdp(A, 1234, B, 5678);
    }

    @Test
    void opensVxlanAndGeneveButNotABadVxlanHeader() {
        byte[] inner = innerEthernetUdp();
        int outer = 0x0a0000fe;
        byte[] vxlan = new Frame().ethernet(0x0800).ipv4(IpProtocol.UDP, outer, B, 8 + 8 + inner.length)
                .udp(40000, 4789, 0).u32(0x08000000L).u32(42 << 8).bytes(inner).build();
        fixUdpLength(vxlan, 8 + inner.length);
        assertEquals(DecodeStats.OK, ethernet(vxlan));
        assertUdp(A, 1234, B, 5678);
        byte[] geneve = new Frame().ethernet(0x0800).ipv4(IpProtocol.UDP, outer, B, 8 + 8 + inner.length)
                .udp(40000, 6081, 0).u16(0).u16(0x6558).u32(5 << 8).bytes(inner).build();
        fixUdpLength(geneve, 8 + inner.length);
        assertEquals(DecodeStats.OK, ethernet(geneve));
        assertUdp(A, 1234, B, 5678);
        vxlan[14 + 20 + 8] = (byte) 0x88; // G and I: the Group Policy extension (Linux's gbp, VXLAN-GPO); reserved bits ignored
        vxlan[14 + 20 + 10] = 0x00;
        vxlan[14 + 20 + 11] = 0x2a; // its group, in the reserved 16 bits
        assertEquals(DecodeStats.OK, ethernet(vxlan));
        assertUdp(A, 1234, B, 5678);
        vxlan[14 + 20 + 8] = 0x0c; // I and VXLAN-GPE's P with next protocol 0, not Ethernet (3): plain UDP to 4789
        vxlan[14 + 20 + 11] = 0x00;
        assertEquals(DecodeStats.OK, ethernet(vxlan));
        assertUdp(outer, 40000, B, 4789);
        vxlan[14 + 20 + 8] = 0x00; // no I: plain UDP to 4789
        assertEquals(DecodeStats.OK, ethernet(vxlan));
        assertUdp(outer, 40000, B, 4789);
    }

    /**
     * A VXLAN carrier's first fragment too short to hold the tunnelled packet's headers (a tiny first fragment, RFC 1858):
     * the carrier's own UDP 4789 flow, and its later fragment joins it (review: both were "not decoded", no flow, where
     * they had been the carrier's flow before tunnels were opened in fragments). RTP sent to port 4789 whose first byte
     * is 0x88 (8 contributing sources) is plain UDP, not a VXLAN header with the G flag; a header with a reserved flag is
     * opened when its reserved last byte is zero and an Ethernet frame follows.
     */
    @Test
    void aCarrierWhoseFirstFragmentCannotHoldTheTunnelIsItsOwnFlow() {
        int outer = 0x0a0000fe;
        // UDP header, VXLAN header, Ethernet header, 18 bytes of an IPv4 header: the first fragment's 48 bytes.
        byte[] first = new Frame().ethernet(0x0800).ipv4(IpProtocol.UDP, outer, B, 48, 777, 0x2000, 0).u16(40000).u16(4789).u16(8 + 80)
                .u16(0).u32(0x08000000L).u32(42 << 8).bytes(new Frame().ethernet(0x0800).build()).u32(0x45000040L).u32(0).u32(0x40110000L)
                .u32(A).u16(0).build();
        assertEquals(DecodeStats.OK, ethernet(first));
        assertUdp(outer, 40000, B, 4789);
        assertEquals(1, d.fragment);
        assertEquals(0, d.tunnelDepth);
        byte[] later = new Frame().ethernet(0x0800).ipv4(IpProtocol.UDP, outer, B, 40, 777, 6, 0).zeros(40).build();
        assertEquals(DecodeStats.OK, ethernet(later));
        assertUdp(outer, 40000, B, 4789);
        assertEquals(2, d.fragment);

        byte[] rtp = new Frame().ethernet(0x0800).ipv4(IpProtocol.UDP, A, B, 8 + 172).udp(50000, 4789, 0).u32(0x88000001L).u32(160)
                .u32(0x2a).zeros(160).build();
        fixUdpLength(rtp, 172);
        assertEquals(DecodeStats.OK, ethernet(rtp));
        assertUdp(A, 50000, B, 4789);
        byte[] inner = innerEthernetUdp();
        byte[] odd = new Frame().ethernet(0x0800).ipv4(IpProtocol.UDP, outer, B, 8 + 8 + inner.length).udp(40000, 4789, 0)
                .u32(0x48000000L).u32(42 << 8).bytes(inner).build(); // I and a reserved flag (0x40): ignored, as RFC 7348 asks
        fixUdpLength(odd, 8 + inner.length);
        assertEquals(DecodeStats.OK, ethernet(odd));
        assertUdp(A, 1234, B, 5678);
        odd[14 + 20 + 8 + 7] = 1; // ... but with its reserved last byte set too, no VXLAN header: plain UDP
        assertEquals(DecodeStats.OK, ethernet(odd));
        assertUdp(outer, 40000, B, 4789);
    }

    /**
     * GRE's double fragmentation (second review): a 3,000-byte UDP datagram fragmented at 1,480 before its tunnel, and the
     * GRE carrier of its first fragment fragmented again after it. The carrier's first fragment holds the datagram's first
     * fragment: keyed by its own header and by the carrier's, so that the carrier's later fragment and the datagram's
     * later fragment (in a carrier of its own, whole) join the same UDP flow, as tshark reassembles both. (Refusing the
     * fragment in a fragment had reported the GRE carrier instead.) The carrier's snap length cut holds for the packet
     * inside it.
     */
    @Test
    void aDatagramFragmentedBeforeAndAfterItsTunnelIsOneFlow() {
        int x = 0x0a0a0001;
        int y = 0x0a0a0002;
        int inner = 1480; // the datagram's first fragment: 20 + 1,480 bytes; its carrier 24 + 1,500, fragmented after 1,476
        byte[] c0a = new Frame().ethernet(0x0800).ipv4(IpProtocol.GRE, x, y, 1476, 100, 0x2000, 0).u16(0).u16(0x0800)
                .ipv4(IpProtocol.UDP, A, B, inner, 4242, 0x2000, 0).u16(5060).u16(5060).u16(8 + 3000).u16(0).zeros(1476 - 4 - 20 - 8)
                .build();
        assertEquals(DecodeStats.OK, ethernet(c0a));
        assertUdp(A, 5060, B, 5060);
        assertEquals(1, d.fragment);
        byte[] c0b = new Frame().ethernet(0x0800).ipv4(IpProtocol.GRE, x, y, 1524 - 1476, 100, 1476 / 8, 0).zeros(1524 - 1476).build();
        assertEquals(DecodeStats.OK, ethernet(c0b));
        assertUdp(A, 5060, B, 5060);
        byte[] c1 = new Frame().ethernet(0x0800).ipv4(IpProtocol.GRE, x, y, 4 + 20 + 1528, 101, 0, 0).u16(0).u16(0x0800)
                .ipv4(IpProtocol.UDP, A, B, 1528, 4242, inner / 8, 0).zeros(1528).build();
        assertEquals(DecodeStats.OK, ethernet(c1));
        assertUdp(A, 5060, B, 5060);
        assertEquals(2, d.fragment);

        // The carrier's first fragment cut by the snap length inside the tunnelled TCP header's options.
        byte[] tcp = new Frame().ethernet(0x0800).ipv4(IpProtocol.GRE, x, y, 1476, 102, 0x2000, 0).u16(0).u16(0x0800)
                .ipv4(IpProtocol.TCP, A, B, 40 + 1800).u16(50000).u16(5061).u32(1).u32(0).u8(0xa0).u8(0x18).u16(65535).u32(0)
                .zeros(20 + 1800).build();
        byte[] cut = java.util.Arrays.copyOf(tcp, 14 + 20 + 4 + 20 + 30);
        assertEquals(DecodeStats.OK, ethernet(cut));
        assertEquals(IpProtocol.TCP, d.protocol);
        assertEquals(5061, d.dstPort);
        assertTrue(d.cut, "the snap length cut the carrier, and so what is inside it");

        // Two fragment headers in one IPv6 chain (no tunnel): decoded as before, the last one's (second review: they had been
        // refused as "too many nested layers").
        byte[] twice = new Frame().ethernet(0x86dd).ipv6(44, 8 + 8 + 8 + 12, 1, 2).u8(44).u8(0).u16(1).u32(7).u8(IpProtocol.UDP).u8(0)
                .u16(1).u32(8).udp(5060, 5060, 12).build();
        assertEquals(DecodeStats.OK, ethernet(twice));
        assertEquals(IpProtocol.UDP, d.protocol);
        assertEquals(5060, d.dstPort);
    }

    private static void fixUdpLength(byte[] f, int payload) {
        int len = 8 + payload;
        f[14 + 20 + 4] = (byte) (len >>> 8);
        f[14 + 20 + 5] = (byte) len;
    }

    @Test
    void boundsTunnelNesting() {
        // IPv4 in IPv4 five times over: more than MAX_TUNNELS (4) layers.
        byte[] udp = new Frame().ipv4(IpProtocol.UDP, A, B, 8).udp(1, 2, 0).build();
        byte[] pkt = udp;
        for (int i = 0; i < 5; i++) {
            pkt = new Frame().ipv4(IpProtocol.IPIP, B, A, pkt.length).bytes(pkt).build();
        }
        assertEquals(DecodeStats.TOO_MANY_LAYERS, decode(LinkType.RAW, pkt));
        byte[] once = new Frame().ipv4(IpProtocol.IPIP, B, A, udp.length).bytes(udp).build();
        assertEquals(DecodeStats.OK, decode(LinkType.RAW, once));
        assertUdp(A, 1, B, 2);
    }

    @Test
    void icmpKeepsTypeAndCode() {
        byte[] f = new Frame().ipv4(IpProtocol.ICMP, A, B, 8).u8(3).u8(1).u16(0).u32(0).build();
        assertEquals(DecodeStats.OK, decode(LinkType.RAW, f));
        assertEquals(IpProtocol.ICMP, d.protocol);
        assertEquals(3, d.srcPort);
        assertEquals(1, d.dstPort);
        assertEquals(false, d.hasPorts);
    }

    @Test
    void otherIpProtocolsAreFlowsWithoutPorts() {
        byte[] f = new Frame().ipv4(46, A, B, 4).u32(0).build(); // RSVP
        assertEquals(DecodeStats.OK, decode(LinkType.RAW, f));
        assertEquals(46, d.protocol);
        assertEquals(false, d.hasPorts);
    }
}
