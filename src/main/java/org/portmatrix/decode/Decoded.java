package org.portmatrix.decode;

/**
 * What {@link PacketDecoder} found in one frame: a flyweight re-filled for every packet.
 *
 * <p>Addresses are held as two longs each. An IPv4 address is stored in its IPv4-mapped IPv6 form
 * ({@code ::ffff:a.b.c.d}: hi = 0, lo = 0x0000ffff_00000000 | addr); {@link #ipVersion} tells the two
 * apart.
 */
public final class Decoded {
    public static final long V4_MAPPED = 0x0000_ffff_0000_0000L;

    /** 4 or 6. */
    public int ipVersion;
    public long srcHi, srcLo, dstHi, dstLo;
    /** IP protocol number of the innermost transport (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...). */
    public int protocol;
    /** Ports for TCP/UDP/SCTP; ICMP type and code for ICMP (as Community ID uses them); 0 otherwise. */
    public int srcPort, dstPort;
    /** True when the transport has ports (TCP, UDP, SCTP). */
    public boolean hasPorts;
    /** TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10), 0 for other transports. */
    public int tcpFlags;
    public long tcpSeq, tcpAck;

    /**
     * TCP: the sequence number of the payload's first byte: {@link #tcpSeq}, or one past it in a SYN, whose own sequence
     * number the SYN takes (TCP Fast Open's data in the SYN, RFC 7413: a ClientHello or a request, followed by the segment
     * at the SYN's sequence number plus one plus its length).
     */
    public long payloadSeq() {
        return (tcpFlags & 0x02) == 0 ? tcpSeq : (tcpSeq + 1) & 0xffffffffL;
    }

    /** TCP: {@link #tcpAck} when the ACK flag is set (the other direction's bytes received), or -1. */
    public long ackOrNone() {
        return (tcpFlags & 0x10) == 0 ? -1 : tcpAck;
    }
    /** Transport payload (TCP/UDP data) in the frame buffer, bounded by the IP length and the capture. */
    public int payloadOffset, payloadLength;
    /** Outermost 802.1Q/802.1ad VLAN id, or -1 when untagged. */
    public int vlan;
    /** Offset of the innermost IP header in the frame buffer. */
    public int ipOffset;
    /** The IP identification (IPv4) or fragment id (IPv6), for fragment matching. */
    public long fragmentId;
    /** 0 not a fragment; 1 first fragment (has the transport header); 2 a later fragment. */
    public int fragment;
    /**
     * The addresses of the IP header that was fragmented, with {@link #fragmentId} the datagram's identity; set only
     * when {@link #fragment} is not 0. They differ from the flow's addresses when that header is a tunnel's outer one
     * (GRE, IP-in-IP, VXLAN, Geneve carrying a packet too large for the path): the later fragments carry the outer
     * header alone, and join the inner flow that the first fragment held.
     */
    public long fragSrcHi, fragSrcLo, fragDstHi, fragDstLo;
    /** A tunnel was opened inside a carrier's first fragment ({@code PacketDecoder.decodeCarrier} when its packet does not decode). */
    public boolean carrierFragment;
    /**
     * The fragmented carrier's datagram identity (as {@link #fragSrcHi}, ..., {@link #fragmentId}), kept when the tunnelled
     * packet is itself a fragment (a datagram fragmented before its tunnel, the carrier again after it): the datagram is
     * keyed by its own header, and the carrier's later fragments by this one, both to the same flow.
     */
    public boolean hasCarrierKey;
    public long carrierSrcHi, carrierSrcLo, carrierDstHi, carrierDstLo, carrierFragmentId;
    /** Tunnel layers removed (GRE, VXLAN, IP-in-IP, ...). */
    public int tunnelDepth;
    /** The IP header's length runs past the bytes captured: the snap length cut the packet. */
    public boolean cut;
    /** Where the IP packet ends on the wire (its header's length from {@link #ipOffset}); read when {@link #cut}. */
    public int ipWireEnd;
    /** A TCP segment or UDP datagram that carried data on the wire, none of it captured (a header-only snap length: -s 42, -s 66). */
    public boolean payloadCutAway;
    /**
     * An ICMP error (destination unreachable, time exceeded, ...) whose quoted packet was read: the
     * {@code quoted*} fields hold that packet's transport, addresses and ports, keyed as a flow is
     * (IPv4 as IPv4-mapped; ports 0 for transports without them). Valid only while this is true.
     */
    public boolean icmpError;
    public int quotedProtocol;
    public long quotedSrcHi, quotedSrcLo, quotedDstHi, quotedDstLo;
    public int quotedSrcPort, quotedDstPort;

    void reset() {
        ipVersion = 0;
        srcHi = srcLo = dstHi = dstLo = 0;
        protocol = 0;
        srcPort = dstPort = 0;
        hasPorts = false;
        tcpFlags = 0;
        tcpSeq = tcpAck = 0;
        payloadOffset = payloadLength = 0;
        vlan = -1;
        ipOffset = 0;
        fragmentId = 0;
        fragment = 0;
        tunnelDepth = 0;
        carrierFragment = false;
        hasCarrierKey = false;
        cut = false;
        payloadCutAway = false;
        icmpError = false;
    }

    public boolean isTcp() {
        return protocol == IpProtocol.TCP;
    }

    public boolean isUdp() {
        return protocol == IpProtocol.UDP;
    }
}
