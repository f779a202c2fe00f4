package org.portmatrix.flow;

import org.portmatrix.decode.Decoded;
import org.portmatrix.decode.IpProtocol;

/**
 * The ICMP errors seen about a flow's packets (destination unreachable, time exceeded, packet too
 * big, parameter problem, source quench, redirect: RFC 792 and RFC 4443): each quotes the start of
 * the packet it answers, and so names its flow. They are kept on that flow, not made a flow of their
 * own: a port unreachable answering a UDP flow says that nothing listened there, an administratively
 * prohibited one that a filter refused it, and neither is an ICMP conversation between the two
 * hosts. When the quoted flow is not in the table (it ended long before, or the capture missed it),
 * the error stays in the ICMP flow that carried it, which keeps what its first error was about.
 * Made at a flow's first error: nothing per packet.
 */
public final class IcmpErrors {
    /** ICMP or ICMPv6 ({@link IpProtocol}), with the type and code of the first error. */
    public final int protocol;
    public final int type;
    public final int code;
    /** Who sent the first error (the answered host, or a router or firewall on the way). */
    public final int senderVersion;
    public final long senderHi;
    public final long senderLo;
    /** The first error's quoted packet: transport, addresses and ports (0 for transports without ports). */
    public final int quotedProtocol;
    public final long quotedSrcHi;
    public final long quotedSrcLo;
    public final int quotedSrcPort;
    public final long quotedDstHi;
    public final long quotedDstLo;
    public final int quotedDstPort;
    /** True when the errors quote this flow's packets; false on an ICMP flow that carried errors about flows not in the capture. */
    public final boolean aboutThisFlow;
    /** Errors seen. */
    public long count;

    IcmpErrors(Decoded d, boolean aboutThisFlow) {
        this.aboutThisFlow = aboutThisFlow;
        protocol = d.protocol;
        type = d.srcPort;
        code = d.dstPort;
        senderVersion = d.ipVersion;
        senderHi = d.srcHi;
        senderLo = d.srcLo;
        quotedProtocol = d.quotedProtocol;
        quotedSrcHi = d.quotedSrcHi;
        quotedSrcLo = d.quotedSrcLo;
        quotedSrcPort = d.quotedSrcPort;
        quotedDstHi = d.quotedDstHi;
        quotedDstLo = d.quotedDstLo;
        quotedDstPort = d.quotedDstPort;
    }

    /** True for a port unreachable (ICMP 3/3, ICMPv6 1/4): the host had nothing listening on the port. */
    public boolean portUnreachable() {
        return protocol == IpProtocol.ICMP ? type == 3 && code == 3 : type == 1 && code == 4;
    }

    /** True for the codes a filter sends when it refuses a packet (ICMP 3/9, 3/10, 3/13; ICMPv6 1/1, 1/5, 1/6). */
    public boolean prohibited() {
        return protocol == IpProtocol.ICMP ? type == 3 && (code == 9 || code == 10 || code == 13)
                : type == 1 && (code == 1 || code == 5 || code == 6);
    }

    /** The first error in words ("port unreachable", "time exceeded in transit"), as RFC 792/1812 and RFC 4443 name them. */
    public String describe() {
        return describe(protocol, type, code);
    }

    static String describe(int protocol, int type, int code) {
        if (protocol == IpProtocol.ICMP) {
            return switch (type) {
                case 3 -> switch (code) {
                    case 0 -> "network unreachable";
                    case 1 -> "host unreachable";
                    case 2 -> "protocol unreachable";
                    case 3 -> "port unreachable";
                    case 4 -> "fragmentation needed";
                    case 5 -> "source route failed";
                    case 6 -> "destination network unknown";
                    case 7 -> "destination host unknown";
                    case 9 -> "network administratively prohibited";
                    case 10 -> "host administratively prohibited";
                    case 13 -> "communication administratively prohibited";
                    default -> "destination unreachable (code " + code + ")";
                };
                case 4 -> "source quench";
                case 5 -> "redirect";
                case 11 -> code == 1 ? "fragment reassembly time exceeded" : "time exceeded in transit";
                case 12 -> "parameter problem";
                default -> "ICMP type " + type + " code " + code;
            };
        }
        return switch (type) {
            case 1 -> switch (code) {
                case 0 -> "no route to destination";
                case 1 -> "communication administratively prohibited";
                case 2 -> "beyond scope of source address";
                case 3 -> "address unreachable";
                case 4 -> "port unreachable";
                case 5 -> "source address failed ingress/egress policy";
                case 6 -> "reject route to destination";
                default -> "destination unreachable (code " + code + ")";
            };
            case 2 -> "packet too big";
            case 3 -> code == 1 ? "fragment reassembly time exceeded" : "hop limit exceeded in transit";
            case 4 -> "parameter problem";
            default -> "ICMPv6 type " + type + " code " + code;
        };
    }
}
