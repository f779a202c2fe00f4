package org.portmatrix.flow;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.portmatrix.decode.Decoded;
import org.portmatrix.decode.IpProtocol;

/**
 * The ICMP errors seen about a flow's packets (destination unreachable, time exceeded, packet too
 * big, parameter problem, source quench, redirect: RFC 792 and RFC 4443): each quotes the start of
 * the packet it answers, and so names its flow. They are kept on that flow, not made a flow of their
 * own: a port unreachable answering a UDP flow says that nothing listened there, an administratively
 * prohibited one that a filter refused it, and neither is an ICMP conversation between the two
 * hosts ({@link Flow#icmpErrors}). When the quoted flow is not open in the table (it ended before,
 * or the capture missed it), the error is a packet of the ICMP flow that carried it, which counts it
 * apart ({@link Flow#icmpCarried}) to say what it was about. Errors are kept by kind (type, code and
 * sender: a router's packet too big and the host's port unreachable are two). Made at a flow's first
 * error: nothing per packet.
 */
public final class IcmpErrors {
    /** Kinds kept apart per flow (type, code and sender); errors of further kinds are only counted. */
    static final int MAX_KINDS = 4;

    /** One kind of error about the flow: its type, code and sender, the first packet it quoted, and how many came. */
    public static final class Kind {
        /** ICMP or ICMPv6 ({@link IpProtocol}), with the type and code. */
        public final int protocol;
        public final int type;
        public final int code;
        /** Who sent it (the answered host, or a router or firewall on the way). */
        public final int senderVersion;
        public final long senderHi;
        public final long senderLo;
        /** The first quoted packet: transport, addresses and ports (0 for transports without ports). */
        public final int quotedProtocol;
        public final long quotedSrcHi;
        public final long quotedSrcLo;
        public final int quotedSrcPort;
        public final long quotedDstHi;
        public final long quotedDstLo;
        public final int quotedDstPort;
        /** Errors of this kind. */
        public long count;

        Kind(Decoded d) {
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

        boolean sameAs(Decoded d) {
            return protocol == d.protocol && type == d.srcPort && code == d.dstPort && senderHi == d.srcHi && senderLo == d.srcLo;
        }

        /**
         * True for a destination unreachable (ICMP 3 but "fragmentation needed", 3/4; ICMPv6 1): the packet
         * did not get to a listener. Not a redirect, a time exceeded or a "packet too big", which a router on
         * the way sends about packets that went on or could go on.
         */
        public boolean refused() {
            return protocol == IpProtocol.ICMP ? type == 3 && code != 4 : type == 1;
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

        /** The kind in words ("port unreachable", "time exceeded in transit"), as RFC 792/1812 and RFC 4443 name them. */
        public String describe() {
            return IcmpErrors.describe(protocol, type, code);
        }
    }

    private final ArrayList<Kind> kinds = new ArrayList<>(2);
    /** Errors of kinds beyond {@link #MAX_KINDS}. */
    private long otherKinds;
    /** Errors in all. */
    private long count;

    /** Counts one error ({@link Decoded#icmpError}), under its kind. */
    void add(Decoded d) {
        count++;
        for (int i = 0; i < kinds.size(); i++) {
            Kind k = kinds.get(i);
            if (k.sameAs(d)) {
                k.count++;
                return;
            }
        }
        if (kinds.size() < MAX_KINDS) {
            Kind k = new Kind(d);
            k.count = 1;
            kinds.add(k);
        } else {
            otherKinds++;
        }
    }

    /** The kinds seen, in the order first seen. */
    /** True when an error about the flow said its packets were refused ({@link Kind#refused}). */
    public boolean refused() {
        for (Kind k : kinds) {
            if (k.refused()) {
                return true;
            }
        }
        return false;
    }

    public List<Kind> kinds() {
        return Collections.unmodifiableList(kinds);
    }

    /** Errors of kinds beyond the first {@link #MAX_KINDS}. */
    public long otherKinds() {
        return otherKinds;
    }

    /** Errors in all. */
    public long count() {
        return count;
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
