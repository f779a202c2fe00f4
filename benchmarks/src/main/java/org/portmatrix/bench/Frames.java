package org.portmatrix.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * Builds frames for the benchmarks, field by field, with the layouts the decoder reads. Checksums are
 * left zero (nothing on the hot path verifies them).
 */
final class Frames {
    static final int ETHERTYPE_IPV4 = 0x0800;
    static final int ETHERTYPE_IPV6 = 0x86dd;
    static final int ETHERTYPE_VLAN = 0x8100;
    static final int ETHERTYPE_ERSPAN_I_II = 0x88be;
    static final int IPPROTO_TCP = 6;
    static final int IPPROTO_UDP = 17;
    static final int IPPROTO_GRE = 47;
    static final int GRE_FLAG_SEQUENCE = 0x1000;
    static final int TCP_ACK_PSH = 0x18;

    private Frames() {}

    /** A transport segment: TCP (20-byte header, ACK|PSH) or UDP, then {@code payload} bytes. */
    static byte[] transport(int proto, int sport, int dport, byte[] payload) {
        int h = proto == IPPROTO_TCP ? 20 : 8;
        ByteBuffer b = ByteBuffer.allocate(h + payload.length).order(ByteOrder.BIG_ENDIAN);
        b.putShort((short) sport).putShort((short) dport);
        if (proto == IPPROTO_TCP) {
            b.putInt(0x1000_0000).putInt(0x2000_0000); // seq, ack
            b.put((byte) (5 << 4)).put((byte) TCP_ACK_PSH); // data offset 5 words; flags
            b.putShort((short) 65535).putShort((short) 0).putShort((short) 0); // window, checksum, urgent
        } else {
            b.putShort((short) (8 + payload.length)).putShort((short) 0); // length, checksum
        }
        b.put(payload);
        return b.array();
    }

    /** IPv4 header (20 bytes, no options, DF) + {@code l4}. */
    static byte[] ipv4(int src, int dst, int proto, byte[] l4) {
        ByteBuffer b = ByteBuffer.allocate(20 + l4.length);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + l4.length)); // version/IHL, DSCP, total length
        b.putShort((short) 0x1234).putShort((short) 0x4000); // id, flags DF + fragment offset 0
        b.put((byte) 64).put((byte) proto).putShort((short) 0); // TTL, protocol, checksum
        b.putInt(src).putInt(dst);
        b.put(l4);
        return b.array();
    }

    /** IPv6 header (40 bytes, no extension headers) + {@code l4}. */
    static byte[] ipv6(long srcHi, long srcLo, long dstHi, long dstLo, int proto, byte[] l4) {
        ByteBuffer b = ByteBuffer.allocate(40 + l4.length);
        b.putInt(0x6000_0000).putShort((short) l4.length).put((byte) proto).put((byte) 64); // ver/TC/label, length, next, hops
        b.putLong(srcHi).putLong(srcLo).putLong(dstHi).putLong(dstLo);
        b.put(l4);
        return b.array();
    }

    /** Ethernet II: destination and source MAC, EtherType (after {@code vlan} tags when vlan >= 0), payload. */
    static byte[] ethernet(int etherType, int vlan, byte[] payload) {
        int tag = vlan >= 0 ? 4 : 0;
        ByteBuffer b = ByteBuffer.allocate(14 + tag + payload.length);
        b.put(new byte[] {0x00, 0x15, 0x5d, 0x01, 0x02, 0x03}).put(new byte[] {0x00, 0x15, 0x5d, 0x0a, 0x0b, 0x0c});
        if (vlan >= 0) {
            b.putShort((short) ETHERTYPE_VLAN).putShort((short) (vlan & 0x0fff)); // TPID, PCP/DEI/VID
        }
        b.putShort((short) etherType).put(payload);
        return b.array();
    }

    /** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2): 20-byte header with the protocol first. */
    static byte[] sll2(int etherType, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(20 + payload.length);
        b.putShort((short) etherType).putShort((short) 0); // protocol type, reserved
        b.putInt(2); // interface index
        b.putShort((short) 1).put((byte) 0).put((byte) 6); // ARPHRD_ETHER, packet type (to us), address length
        b.put(new byte[] {0x00, 0x15, 0x5d, 0x01, 0x02, 0x03, 0, 0}); // link-layer address, padded to 8
        b.put(payload);
        return b.array();
    }

    /**
     * ERSPAN type II as a mirror port delivers it: outer Ethernet / IPv4 / GRE (S bit, protocol 0x88be,
     * sequence number) / ERSPAN II header (8 bytes) / the mirrored Ethernet frame.
     */
    static byte[] erspan(byte[] innerEthernet) {
        ByteBuffer gre = ByteBuffer.allocate(8 + 8 + innerEthernet.length);
        gre.putShort((short) GRE_FLAG_SEQUENCE).putShort((short) ETHERTYPE_ERSPAN_I_II).putInt(7); // flags/version, type, seq
        gre.putShort((short) 0x1000).putShort((short) 0x0001); // ERSPAN: version 1 (type II) | VLAN 0; COS/En/T | session 1
        gre.putInt(0); // reserved, index
        gre.put(innerEthernet);
        byte[] ip = ipv4(0x0a0a0001, 0x0a0a0002, IPPROTO_GRE, gre.array());
        return ethernet(ETHERTYPE_IPV4, -1, ip);
    }

    /** A random payload of {@code n} bytes. */
    static byte[] payload(SplittableRandom rnd, int n) {
        byte[] p = new byte[n];
        for (int i = 0; i < n; i++) {
            p[i] = (byte) rnd.nextInt(256);
        }
        return p;
    }
}
