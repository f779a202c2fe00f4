package org.portmatrix.classify;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An address prefix as 128 bits (IPv4 in its IPv4-mapped IPv6 form, so an IPv4 /n is a /96+n),
 * parsed without ever consulting DNS: only numeric literals are accepted.
 */
public record Cidr(long hi, long lo, int length, boolean ipv4) {
    public static final long V4_MAPPED = 0x0000_ffff_0000_0000L;

    /** Parses "10.1.1.0/24", "10.1.1.10", "fd00:10:1:1::/64". Returns null if malformed. */
    public static Cidr parse(String text) {
        String s = text.trim();
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        int len;
        boolean v4 = addr.indexOf(':') < 0;
        // Digits alone after the slash: Integer.parseInt takes a sign, and fd00::1/-0 had been ::/0, every IPv6 host
        // (10.1.1.11/-0 every IPv4 host), where ip(8) refuses the prefix.
        if (slash >= 0 && !s.substring(slash + 1).matches("[0-9]{1,9}")) {
            return null;
        }
        try {
            len = slash < 0 ? (v4 ? 32 : 128) : Integer.parseInt(s.substring(slash + 1));
        } catch (NumberFormatException e) {
            return null;
        }
        if (v4) {
            long a = parseIpv4(addr);
            if (a < 0 || len < 0 || len > 32) {
                return null;
            }
            return of(0, V4_MAPPED | a, 96 + len, true);
        }
        // The first character a hex digit or ':' as well: only then does InetAddress take the text for a
        // literal, and a text with ':' that is not one is refused, never looked up (".ad:be" was a name).
        if (len < 0 || len > 128 || !addr.matches("[0-9A-Fa-f:][0-9A-Fa-f:.]*") || longGroup(addr) != null) {
            return null;
        }
        // An IPv4 address ending an IPv6 one (::ffff:10.1.1.11, 64:ff9b::10.1.1.11) is held to the rules of a plain one:
        // InetAddress reads ::ffff:010.1.1.11 as ::ffff:10.1.1.11, where inet_pton refuses it and 010.1.1.11 is refused here.
        int dot = addr.indexOf('.');
        if (dot >= 0 && parseIpv4(addr.substring(addr.lastIndexOf(':') + 1)) < 0) {
            return null;
        }
        byte[] b;
        try {
            b = InetAddress.getByName(addr).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
        if (b.length == 4) { // an IPv4-mapped literal (::ffff:a.b.c.d) comes back as IPv4
            if (len < 96) {
                return null;
            }
            return of(0, V4_MAPPED | (((b[0] & 0xffL) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff)), len, true);
        }
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = (hi << 8) | (b[i] & 0xff);
            lo = (lo << 8) | (b[i + 8] & 0xff);
        }
        return of(hi, lo, len, false);
    }

    /**
     * The first group of an IPv6 literal longer than RFC 4291's four hex digits ("fd00::00010"), or null. InetAddress
     * takes such a group when its value fits 16 bits (leading zeros), where inet_pton, tshark and Windows refuse the
     * text: a typo (a digit too many) had been read as some host.
     */
    static String longGroup(String addr) {
        for (String g : addr.split(":", -1)) {
            if (g.length() > 4 && g.indexOf('.') < 0) {
                return g;
            }
        }
        return null;
    }

    private static Cidr of(long hi, long lo, int len, boolean v4) {
        return new Cidr(hi & maskHi(len), lo & maskLo(len), len, v4);
    }

    /** Dotted quad to an unsigned 32-bit value, or -1. */
    public static long parseIpv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return -1;
        }
        long v = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || (p.length() > 1 && p.charAt(0) == '0')) {
                return -1; // (a leading zero: 010 is 8 to inet_aton and to ping, 10 to others; see leadingZeroHint)
            }
            int n = Integer.parseInt(p);
            if (n > 255) {
                return -1;
            }
            v = (v << 8) | n;
        }
        return v;
    }

    /**
     * For an address refused because one of its IPv4 parts has a leading zero ("010.001.001.011"), what to write
     * instead, to be appended to the refusal; for an IPv6 address with a zone index (fe80::1%12) or in brackets
     * ([fd00::10]:5061, as reports write an endpoint), the address to write; for an IPv6 group of more than four digits,
     * that; else, for a prefix length past
     * the address's bits, that; else "". Such a
     * part is octal to inet_aton (010 is 8, and ping 010.1.1.11 goes to 8.1.1.11) and decimal to others: read either
     * way, a host could silently take the wrong roles.
     */
    public static String leadingZeroHint(String text) {
        String s = text.trim();
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        java.util.regex.Matcher zone = java.util.regex.Pattern.compile("([0-9A-Fa-f:.]+)(%[^/]+)").matcher(addr);
        if (zone.matches() && parse(zone.group(1) + (slash < 0 ? "" : s.substring(slash))) != null) {
            return "; a zone index ('" + zone.group(2) + "', the interface a link-local address is reached on, as ipconfig shows it) is not"
                    + " part of the address: write " + zone.group(1) + (slash < 0 ? "" : s.substring(slash));
        }
        java.util.regex.Matcher bracketed = java.util.regex.Pattern.compile("\\[([0-9A-Fa-f:.]+)\\](:[0-9]+)?").matcher(addr);
        if (bracketed.matches() && parse(bracketed.group(1) + (slash < 0 ? "" : s.substring(slash))) != null) {
            return "; an address is written without brackets" + (bracketed.group(2) == null ? "" : " and without a port (the report's [address]:port)")
                    + ": write " + bracketed.group(1) + (slash < 0 ? "" : s.substring(slash));
        }
        java.util.regex.Matcher ported = java.util.regex.Pattern.compile("([0-9]{1,3}(\\.[0-9]{1,3}){3}):[0-9]+").matcher(addr);
        if (ported.matches() && parse(ported.group(1)) != null && slash < 0) {
            return "; an address is written without a port (the report's address:port): write " + ported.group(1);
        }
        String tooLong = prefixLengthHint(s);
        String group = addr.indexOf(':') >= 0 && addr.matches("[0-9A-Fa-f:][0-9A-Fa-f:.]*") ? longGroup(addr) : null;
        if (group != null) {
            return "; a group of an IPv6 address is 1 to 4 hex digits, not " + group.length() + " ('" + group + "')";
        }
        // An IPv4 address ending an IPv6 one (::ffff:010.1.1.11) is told as a plain one is, the IPv6 part kept.
        int colon = addr.lastIndexOf(':');
        String v6Part = colon < 0 ? "" : addr.substring(0, colon + 1);
        String v4Part = addr.substring(colon + 1);
        if (!tooLong.isEmpty() || !v4Part.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")
                || (colon >= 0 && (!v6Part.matches("[0-9A-Fa-f:]+") || parse(v6Part + "1.1.1.1") == null))) {
            return tooLong; // (010.1.1.0/33 had been told to write 10.1.1.0/33, refused in turn)
        }
        StringBuilder plain = new StringBuilder(v6Part);
        boolean padded = false;
        for (String p : v4Part.split("\\.")) {
            int n = Integer.parseInt(p);
            if (n > 255) {
                return "";
            }
            padded |= p.length() > 1 && p.charAt(0) == '0';
            plain.append(plain.length() == v6Part.length() ? "" : ".").append(n);
        }
        if (!padded) { // nothing to write instead (10.1.1.0/33 had been told to write 10.1.1.0/33; its prefix length is said above)
            return "";
        }
        return "; a part with a leading zero is octal to some tools (010 is 8 to inet_aton) and decimal to others: write "
                + plain + (slash < 0 ? "" : s.substring(slash)) + " if that is meant";
    }

    /** "; an IPv4 prefix length is at most 32" (IPv6: 128) for an address whose prefix length is longer; else "". */
    private static String prefixLengthHint(String s) {
        int slash = s.indexOf('/');
        if (slash < 0 || !s.substring(slash + 1).matches("[0-9]{1,9}")) {
            return "";
        }
        String addr = s.substring(0, slash).trim();
        boolean v6 = addr.indexOf(':') >= 0;
        if (v6 ? parse(addr) == null : !addr.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")
                || java.util.Arrays.stream(addr.split("\\.")).anyMatch(p -> Integer.parseInt(p) > 255)) {
            return ""; // (not an address: the prefix length is not what is wrong with it, or not alone)
        }
        return Integer.parseInt(s.substring(slash + 1)) > (v6 ? 128 : 32) ? "; an IPv" + (v6 ? "6" : "4") + " prefix length is at most " + (v6 ? 128 : 32) : "";
    }

    /**
     * True when the address (as 128 bits, IPv4 mapped) is inside this prefix. An IPv6 prefix never holds an IPv4
     * address: ::/0 (IPv6's default route) is the IPv6 hosts alone, as a firewall's ::/0 rule matches no IPv4 packet,
     * though the IPv4-mapped form the addresses are held in lies inside it.
     */
    public boolean contains(long addrHi, long addrLo) {
        if (!ipv4 && Addresses.isIpv4Mapped(addrHi, addrLo)) {
            return false;
        }
        return ((addrHi ^ hi) & maskHi(length)) == 0 && ((addrLo ^ lo) & maskLo(length)) == 0;
    }

    public static long maskHi(int len) {
        return len >= 64 ? -1L : len == 0 ? 0 : -1L << (64 - len);
    }

    public static long maskLo(int len) {
        return len <= 64 ? 0 : len >= 128 ? -1L : -1L << (128 - len);
    }

    /** A single host as its address alone ("10.1.1.11"), a wider prefix as {@link #toString()} writes it. */
    public String text() {
        return length == 128 ? Addresses.format(ipv4 ? 4 : 6, hi, lo) : toString();
    }

    @Override
    public String toString() {
        if (ipv4) {
            return Addresses.format(4, hi, lo) + "/" + (length - 96);
        }
        return Addresses.format(6, hi, lo) + "/" + length;
    }
}
