package org.portmatrix.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AddressesTest {
    @Test
    void ipv4AgreesWithInetAddress() throws Exception {
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < 20_000; i++) {
            int a = r.nextInt();
            String expected = InetAddress.getByAddress(ByteBuffer.allocate(4).putInt(a).array()).getHostAddress();
            assertEquals(expected, Addresses.format(4, 0, a & 0xffffffffL));
        }
    }

    @Test
    void ipv6IsRfc5952() {
        assertEquals("2001:db8::1", Addresses.format(6, 0x20010db800000000L, 1));
        assertEquals("::", Addresses.format(6, 0, 0));
        assertEquals("fe80::1:0:0:2", Addresses.format(6, 0xfe80000000000000L, 0x0001000000000002L));
        assertEquals("2001:db8:0:1:1:1:1:1", Addresses.format(6, 0x20010db800000001L, 0x0001000100010001L));
        assertEquals("2001:0:0:1::1", Addresses.format(6, 0x2001000000000001L, 1));
        // RFC 5952 §5: IPv4-mapped in dotted decimal (tshark writes ::ffff:10.2.0.5); a neighbour of the prefix stays hexadecimal.
        assertEquals("::ffff:10.2.0.5", Addresses.format(6, 0, 0x0000ffff0a020005L));
        assertEquals("::fffe:a02:5", Addresses.format(6, 0, 0x0000fffe0a020005L));
        assertEquals("10.2.0.5", Addresses.format(4, 0, 0x0000ffff0a020005L));
    }

    /** The cache of recent addresses never answers with another address's text, however addresses collide in it. */
    @Test
    void recentAddressesAnswerWithTheirOwnText() {
        SplittableRandom r = new SplittableRandom(5);
        long[][] seen = new long[50_000][];
        for (int i = 0; i < seen.length; i++) {
            // Few distinct values, so that both hits and collisions are common; IPv4 and IPv6 mixed.
            int v = r.nextBoolean() ? 4 : 6;
            long hi = v == 4 ? 0 : r.nextLong(0, 64) << 48;
            long lo = r.nextLong(0, 20_000);
            seen[i] = new long[] {v, hi, lo};
            assertEquals(Addresses.text(v, hi, lo), Addresses.format(v, hi, lo));
        }
        for (long[] s : seen) {
            assertEquals(Addresses.text((int) s[0], s[1], s[2]), Addresses.format((int) s[0], s[1], s[2]));
        }
    }
}
