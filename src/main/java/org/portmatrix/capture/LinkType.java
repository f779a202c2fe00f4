package org.portmatrix.capture;

/** LINKTYPE_* values from the tcpdump.org link-layer header type registry. */
public final class LinkType {
    public static final int NULL = 0;
    public static final int ETHERNET = 1;
    public static final int RAW = 101;
    public static final int LOOP = 108;
    public static final int LINUX_SLL = 113;
    public static final int IPV4 = 228;
    public static final int IPV6 = 229;
    public static final int LINUX_SLL2 = 276;
    /** DLT_RAW as some BSDs number it in pcap headers (12 or 14). */
    public static final int RAW_BSD_12 = 12;
    public static final int RAW_BSD_14 = 14;

    private LinkType() {}

    public static String name(int linkType) {
        return switch (linkType) {
            case NULL -> "NULL (BSD loopback)";
            case ETHERNET -> "ETHERNET";
            case RAW, RAW_BSD_12, RAW_BSD_14 -> "RAW";
            case LOOP -> "LOOP (OpenBSD loopback)";
            case LINUX_SLL -> "LINUX_SLL";
            case IPV4 -> "IPV4";
            case IPV6 -> "IPV6";
            case LINUX_SLL2 -> "LINUX_SLL2";
            default -> "link type " + linkType;
        };
    }
}
