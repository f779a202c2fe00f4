package org.portmatrix.decode;

/** Counters of frames the decoder could not use, by reason. A bad packet is counted, never thrown. */
public final class DecodeStats {
    /** Reasons; index into {@link #counts}. 0 is success. */
    public static final int OK = 0;
    public static final int NOT_IP = 1;
    public static final int UNSUPPORTED_LINK = 2;
    public static final int TRUNCATED_LINK = 3;
    public static final int TRUNCATED_IPV4 = 4;
    public static final int BAD_IPV4_HEADER_LENGTH = 5;
    public static final int BAD_IPV4_TOTAL_LENGTH = 6;
    public static final int TRUNCATED_IPV6 = 7;
    public static final int IPV6_EXTENSION_CHAIN = 8;
    public static final int TRUNCATED_TCP = 9;
    public static final int BAD_TCP_DATA_OFFSET = 10;
    public static final int TRUNCATED_UDP = 11;
    public static final int BAD_UDP_LENGTH = 12;
    public static final int TOO_MANY_LAYERS = 13;
    public static final int BAD_IP_VERSION = 14;
    public static final int TRUNCATED_TUNNEL = 15;
    public static final int FRAGMENT_WITHOUT_FIRST = 16;
    public static final int TRUNCATED_TRANSPORT = 17;
    /**
     * A link's own control traffic over IP, which never leaves the link and is no conversation a
     * firewall passes: IPv6 neighbour and router discovery and multicast listener reports (ICMPv6),
     * IGMP. Set aside as ARP is (every IPv6 host sends it; as flows they were "outside the matrix").
     */
    public static final int LINK_CONTROL = 18;
    static final String[] NAMES = {
        "ok", "not IP (ARP, LLDP, STP, ...)", "unsupported link type", "truncated link-layer header",
        "truncated IPv4 header", "IPv4 header length below 20", "IPv4 total length shorter than its header",
        "truncated IPv6 header", "IPv6 extension headers run off the packet", "truncated TCP header",
        "TCP data offset below 20 or past the packet", "truncated UDP header", "UDP length below 8",
        "too many nested layers (VLAN tags, MPLS labels or tunnels)", "IP version neither 4 nor 6",
        "truncated tunnel header", "IP fragment whose first fragment was not seen", "truncated transport header",
        "link control, not a flow (IPv6 neighbour and router discovery, multicast listener reports, IGMP)"
    };

    public final long[] counts = new long[NAMES.length];

    public void count(int reason) {
        counts[reason]++;
    }

    public static String describe(int reason) {
        return NAMES[reason];
    }

    public static int reasons() {
        return NAMES.length;
    }

    /** Frames not decoded into a flow, all reasons together. */
    public long undecodable() {
        long n = 0;
        for (int i = 1; i < counts.length; i++) {
            n += counts[i];
        }
        return n;
    }
}
