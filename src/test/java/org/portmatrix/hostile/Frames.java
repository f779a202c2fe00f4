package org.portmatrix.hostile;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Builds Ethernet frames field by field for the hostile-input tests: well-formed ones, and the
 * offsets of the fields that the tests then make lie. Checksums are left zero (the tool does not
 * check them). Addresses are numeric literals only; nothing is ever resolved.
 *
 * <pre>
 * Ethernet II (14)        IPv4 (20, no options)            TCP (20)               UDP (8)
 *  0 dst MAC               0 version 4 | IHL 5 (0x45)       0 src port             0 src port
 *  6 src MAC               2 total length                   2 dst port             2 dst port
 * 12 EtherType             6 flags | fragment offset        4 seq, 8 ack           4 length
 *                          8 TTL, 9 protocol               12 data offset << 4    6 checksum
 *                         12 src, 16 dst                   13 flags
 * </pre>
 */
public final class Frames {
    public static final int ETHERNET = 14;
    public static final int ETHERTYPE_IPV4 = 0x0800;
    public static final int ETHERTYPE_IPV6 = 0x86dd;
    public static final int ETHERTYPE_VLAN = 0x8100;
    public static final int IPV4_HEADER = 20;
    public static final int IPV6_HEADER = 40;
    public static final int TCP_HEADER = 20;
    public static final int UDP_HEADER = 8;
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;
    public static final int PROTO_GRE = 47;
    public static final int PROTO_HOPOPT = 0;
    public static final int PROTO_IPV6_OPTS = 60;
    /** Offsets in a frame built by {@link #tcp} or {@link #udp} (Ethernet, IPv4 without options). */
    public static final int OFF_IPV4 = ETHERNET;
    public static final int OFF_IPV4_VERSION_IHL = OFF_IPV4;
    public static final int OFF_IPV4_TOTAL_LENGTH = OFF_IPV4 + 2;
    public static final int OFF_L4 = OFF_IPV4 + IPV4_HEADER;
    public static final int OFF_TCP_DATA_OFFSET = OFF_L4 + 12;
    public static final int OFF_UDP_LENGTH = OFF_L4 + 4;
    public static final int SYN = 0x02;
    public static final int ACK = 0x10;
    public static final int PSH = 0x08;
    public static final int FIN = 0x01;
    /** The shortest Ethernet frame without its FCS. */
    public static final int MIN_FRAME = 60;

    private static final byte[] MAC_A = {0x02, 0, 0, 0, 0, 0x0a};
    private static final byte[] MAC_B = {0x02, 0, 0, 0, 0, 0x0b};

    private Frames() {}

    /** Ethernet + IPv4 + TCP with the given flags and payload. */
    public static byte[] tcp(String src, int sport, String dst, int dport, int flags, byte[] payload) {
        Bytes l4 = new Bytes();
        l4.u16(sport).u16(dport).u32(1000).u32((flags & ACK) != 0 ? 2000 : 0).u8(5 << 4).u8(flags).u16(65535).u16(0).u16(0);
        l4.raw(payload);
        return ethernet(ETHERTYPE_IPV4, ipv4(src, dst, PROTO_TCP, l4.toArray()));
    }

    /** Ethernet + IPv4 + UDP with the given payload. */
    public static byte[] udp(String src, int sport, String dst, int dport, byte[] payload) {
        return ethernet(ETHERTYPE_IPV4, ipv4(src, dst, PROTO_UDP, udpSegment(sport, dport, payload)));
    }

    /** Ethernet + IPv6 + UDP. */
    public static byte[] udp6(String src, int sport, String dst, int dport, byte[] payload) {
        return ethernet(ETHERTYPE_IPV6, ipv6(src, dst, PROTO_UDP, udpSegment(sport, dport, payload)));
    }

    public static byte[] udpSegment(int sport, int dport, byte[] payload) {
        return new Bytes().u16(sport).u16(dport).u16(UDP_HEADER + payload.length).u16(0).raw(payload).toArray();
    }

    /** An IPv4 header (IHL 5, DF) and its payload, total length set. */
    public static byte[] ipv4(String src, String dst, int protocol, byte[] payload) {
        return new Bytes().u8(0x45).u8(0).u16(IPV4_HEADER + payload.length).u16(1).u16(0x4000).u8(64).u8(protocol).u16(0)
                .raw(addr(src, 4)).raw(addr(dst, 4)).raw(payload).toArray();
    }

    /** An IPv6 header and its payload, payload length set. */
    public static byte[] ipv6(String src, String dst, int nextHeader, byte[] payload) {
        return new Bytes().u32(0x60000000).u16(payload.length).u8(nextHeader).u8(64).raw(addr(src, 16)).raw(addr(dst, 16))
                .raw(payload).toArray();
    }

    /** An Ethernet II header before {@code payload}, padded to the 60-byte minimum. */
    public static byte[] ethernet(int etherType, byte[] payload) {
        Bytes b = new Bytes().raw(MAC_B).raw(MAC_A).u16(etherType).raw(payload);
        while (b.size() < MIN_FRAME) {
            b.u8(0);
        }
        return b.toArray();
    }

    public static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** A numeric address: dotted IPv4 parsed here, IPv6 (with ':', which no host name has) by the JDK. */
    static byte[] addr(String literal, int length) {
        byte[] a;
        if (literal.indexOf(':') < 0) {
            String[] parts = literal.split("\\.");
            if (parts.length != 4) {
                throw new IllegalArgumentException("not a numeric address: " + literal);
            }
            a = new byte[4];
            for (int i = 0; i < 4; i++) {
                a[i] = (byte) Integer.parseInt(parts[i]);
            }
        } else {
            try {
                a = InetAddress.getByName(literal).getAddress();
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException(literal, e);
            }
        }
        if (a.length == 4 && length == 16 && literal.indexOf(':') >= 0) { // ::ffff:a.b.c.d, which the JDK gives as the IPv4 address
            byte[] mapped = new byte[16];
            mapped[10] = (byte) 0xff;
            mapped[11] = (byte) 0xff;
            System.arraycopy(a, 0, mapped, 12, 4);
            a = mapped;
        }
        if (a.length != length) {
            throw new IllegalArgumentException(literal + " is not an IPv" + (length == 4 ? 4 : 6) + " address");
        }
        return a;
    }

    /** A big-endian byte builder. */
    public static final class Bytes {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        public Bytes u8(int v) {
            out.write(v);
            return this;
        }

        public Bytes u16(int v) {
            out.write(v >>> 8);
            out.write(v);
            return this;
        }

        public Bytes u32(long v) {
            u16((int) (v >>> 16));
            return u16((int) v);
        }

        public Bytes raw(byte[] b) {
            out.write(b, 0, b.length);
            return this;
        }

        public int size() {
            return out.size();
        }

        public byte[] toArray() {
            return out.toByteArray();
        }
    }
}
