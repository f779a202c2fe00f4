package org.portmatrix.flow;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import org.portmatrix.decode.IpProtocol;

/**
 * Community ID v1 (https://github.com/corelight/community-id-spec): base64 (or hex) of SHA-1 over
 * the seed, the ordered endpoint addresses, protocol, a zero pad byte and the ordered ports.
 *
 * <pre>
 *  0 seed (2 bytes, network order)
 *  2 saddr (4 or 16)  daddr (4 or 16)      the smaller address:port first
 *    proto (1)  0 (1)  sport (2)  dport (2) ports only for TCP, UDP, SCTP, ICMP, ICMPv6
 * </pre>
 *
 * ICMP types with a counterpart (echo request and reply, ...) map to the port pair (type,
 * counterpart) and are ordered like ports; every other ICMP type is one-way: (type, code) in the
 * packet's own direction, never swapped (pycommunityid's icmp.py/icmp6.py, after Zeek's
 * ICMP4_counterpart). Computed once per flow, not per packet. Conformance: the test against the
 * spec's baseline data in ../shared/corpus/community-id/.
 */
public final class CommunityId {
    private final MessageDigest sha1;
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private final int seed;
    private final boolean base64;
    private final byte[] buf = new byte[2 + 16 + 16 + 1 + 1 + 2 + 2];
    /** The digest, and "1:" and its base64, made here: one allocation per ID, the string (once per flow). */
    private final byte[] digest = new byte[20];
    private final byte[] encoded = new byte[28];
    private final byte[] text = new byte[2 + 28];

    /** Seed 0 is the default of every implementation; base64 rendering. */
    public CommunityId(int seed) {
        this(seed, true);
    }

    /**
     * @param seed 0..65535, hashed in network order
     * @param base64 true for the spec's default base64 rendering, false for lowercase hex
     */
    public CommunityId(int seed, boolean base64) {
        if (seed < 0 || seed > 0xffff) {
            throw new IllegalArgumentException("Community ID seed must be 0..65535: " + seed);
        }
        this.seed = seed;
        this.base64 = base64;
        try {
            this.sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is missing from this JVM", e);
        }
    }

    /** ICMP (v4) type counterparts: echo, timestamp, info, router, address mask. */
    static int icmpCounterpart(int type) {
        return switch (type) {
            case 8 -> 0; case 0 -> 8; case 13 -> 14; case 14 -> 13; case 15 -> 16; case 16 -> 15;
            case 10 -> 9; case 9 -> 10; case 17 -> 18; case 18 -> 17;
            default -> -1;
        };
    }

    /** ICMPv6 type counterparts: echo, router, neighbor, multicast listener, node info, home agent. */
    static int icmp6Counterpart(int type) {
        return switch (type) {
            case 128 -> 129; case 129 -> 128; case 133 -> 134; case 134 -> 133; case 135 -> 136; case 136 -> 135;
            case 130 -> 131; case 131 -> 130; case 139 -> 140; case 140 -> 139; case 144 -> 145; case 145 -> 144;
            default -> -1;
        };
    }

    /**
     * Computes the ID of a packet or flow as sent from (src) to (dst). For ICMP, {@code sport} is the
     * type and {@code dport} the code.
     */
    public String compute(int ipVersion, long sHi, long sLo, long dHi, long dLo, int proto, int sport, int dport, boolean hasPorts) {
        boolean oneWay = false;
        if (proto == IpProtocol.ICMP || proto == IpProtocol.ICMPV6) {
            int counterpart = proto == IpProtocol.ICMP ? icmpCounterpart(sport) : icmp6Counterpart(sport);
            if (counterpart >= 0) {
                dport = counterpart;
            } else {
                oneWay = true;
            }
            hasPorts = true;
        }
        int c = Long.compareUnsigned(sHi, dHi);
        if (c == 0) {
            c = Long.compareUnsigned(sLo, dLo);
        }
        // One-way ICMP keeps the packet's direction; everything else puts the smaller end first.
        boolean swap = !oneWay && (c > 0 || (c == 0 && hasPorts && sport > dport));
        if (swap) {
            long t = sHi; sHi = dHi; dHi = t;
            t = sLo; sLo = dLo; dLo = t;
            int p = sport; sport = dport; dport = p;
        }
        int n = 0;
        buf[n++] = (byte) (seed >>> 8);
        buf[n++] = (byte) seed;
        n = putAddress(ipVersion, sHi, sLo, n);
        n = putAddress(ipVersion, dHi, dLo, n);
        buf[n++] = (byte) proto;
        buf[n++] = 0;
        if (hasPorts) {
            buf[n++] = (byte) (sport >>> 8);
            buf[n++] = (byte) sport;
            buf[n++] = (byte) (dport >>> 8);
            buf[n++] = (byte) dport;
        }
        sha1.reset();
        sha1.update(buf, 0, n);
        try {
            sha1.digest(digest, 0, digest.length);
        } catch (java.security.DigestException e) {
            throw new IllegalStateException("SHA-1 digest of 20 bytes", e);
        }
        if (base64) {
            Base64.getEncoder().encode(digest, encoded);
            text[0] = '1';
            text[1] = ':';
            System.arraycopy(encoded, 0, text, 2, encoded.length);
            return new String(text, 0, text.length, java.nio.charset.StandardCharsets.ISO_8859_1);
        }
        char[] hex = new char[2 + digest.length * 2];
        hex[0] = '1';
        hex[1] = ':';
        for (int i = 0; i < digest.length; i++) {
            hex[2 + 2 * i] = HEX[(digest[i] >>> 4) & 0xf];
            hex[3 + 2 * i] = HEX[digest[i] & 0xf];
        }
        return new String(hex);
    }

    private int putAddress(int ipVersion, long hi, long lo, int n) {
        if (ipVersion == 4) {
            int a = (int) lo;
            buf[n++] = (byte) (a >>> 24);
            buf[n++] = (byte) (a >>> 16);
            buf[n++] = (byte) (a >>> 8);
            buf[n++] = (byte) a;
            return n;
        }
        for (int i = 7; i >= 0; i--) {
            buf[n++] = (byte) (hi >>> (i * 8));
        }
        for (int i = 7; i >= 0; i--) {
            buf[n++] = (byte) (lo >>> (i * 8));
        }
        return n;
    }
}
