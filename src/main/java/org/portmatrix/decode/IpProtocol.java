package org.portmatrix.decode;

/** IANA protocol numbers used by the decoder and the reports. */
public final class IpProtocol {
    public static final int HOPOPT = 0;
    public static final int ICMP = 1;
    public static final int IGMP = 2;
    public static final int IPIP = 4;
    public static final int TCP = 6;
    public static final int UDP = 17;
    public static final int IPV6 = 41;
    public static final int IPV6_ROUTE = 43;
    public static final int IPV6_FRAG = 44;
    public static final int GRE = 47;
    public static final int ESP = 50;
    public static final int AH = 51;
    public static final int ICMPV6 = 58;
    public static final int IPV6_NONXT = 59;
    public static final int IPV6_OPTS = 60;
    public static final int SCTP = 132;
    public static final int MOBILITY = 135;
    public static final int HIP = 139;
    public static final int SHIM6 = 140;

    private IpProtocol() {}

    /**
     * The transport as reasons write it: "TCP", "UDP", "ICMP", "ICMPv6" (RFC 4443's name, as the reasons' "ICMPv6 port
     * unreachable"; {@link #name}'s "icmp6" in capitals had made it "ICMP6"), "SCTP", else "IP protocol 47" (the bare
     * number had read "47 from client to front-end"); without allocating for TCP and UDP (nearly every flow).
     */
    public static String upperName(int protocol) {
        return switch (protocol) {
            case TCP -> "TCP";
            case UDP -> "UDP";
            case ICMP -> "ICMP";
            case ICMPV6 -> "ICMPv6";
            case SCTP -> "SCTP";
            default -> "IP protocol " + protocol;
        };
    }

    /** The transport name used in records: tcp, udp, icmp, icmp6, else the number as a string. */
    public static String name(int protocol) {
        return switch (protocol) {
            case TCP -> "tcp";
            case UDP -> "udp";
            case ICMP -> "icmp";
            case ICMPV6 -> "icmp6";
            case SCTP -> "sctp";
            default -> Integer.toString(protocol);
        };
    }
}
