package org.portmatrix.bench;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.portmatrix.capture.LinkType;
import org.portmatrix.decode.DecodeStats;
import org.portmatrix.decode.Decoded;
import org.portmatrix.decode.PacketDecoder;

/**
 * One frame decoded from its link layer to the transport header, per link type: Ethernet, 802.1Q
 * VLAN, Linux SLL2, IPv6 (over Ethernet) and ERSPAN II (Ethernet / IPv4 / GRE / ERSPAN / Ethernet).
 * 1024 frames with random addresses, ports, TCP or UDP and payload sizes sit back to back in one
 * buffer, as in a capture reader's buffer. Beside {@link PacketDecoder}: a JDK baseline decoding the
 * same layers with absolute {@link ByteBuffer} reads. Run with {@code -prof gc}: both should show
 * 0 B/op.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DecodeBenchmark {
    private static final int N = 1024;

    @Param({"ethernet", "vlan", "sll2", "ipv6", "erspan"})
    public String link;

    private byte[] buf;
    private final int[] off = new int[N];
    private final int[] len = new int[N];
    private int linkType;
    private final PacketDecoder decoder = new PacketDecoder(true);
    private final Decoded d = new Decoded();
    private ByteBuffer bb;
    private final BaselineDecoded bd = new BaselineDecoded();
    private int i;

    @Setup
    public void setup() {
        SplittableRandom rnd = new SplittableRandom(2013);
        byte[][] frames = new byte[N][];
        int total = 0;
        for (int k = 0; k < N; k++) {
            int proto = rnd.nextBoolean() ? Frames.IPPROTO_TCP : Frames.IPPROTO_UDP;
            byte[] l4 = Frames.transport(proto, 1024 + rnd.nextInt(64000), 1 + rnd.nextInt(65535),
                    Frames.payload(rnd, rnd.nextInt(200)));
            byte[] ip4 = Frames.ipv4(0x0a020000 | rnd.nextInt(65536), 0x0a010100 | rnd.nextInt(256), proto, l4);
            frames[k] = switch (link) {
                case "ethernet" -> Frames.ethernet(Frames.ETHERTYPE_IPV4, -1, ip4);
                case "vlan" -> Frames.ethernet(Frames.ETHERTYPE_IPV4, 1 + rnd.nextInt(4094), ip4);
                case "sll2" -> Frames.sll2(Frames.ETHERTYPE_IPV4, ip4);
                case "ipv6" -> Frames.ethernet(Frames.ETHERTYPE_IPV6, -1, Frames.ipv6(0xfd00_0010_0002_0000L, rnd.nextLong(),
                        0xfd00_0010_0001_0001L, rnd.nextInt(256), proto, l4));
                case "erspan" -> Frames.erspan(Frames.ethernet(Frames.ETHERTYPE_IPV4, -1, ip4));
                default -> throw new IllegalArgumentException(link);
            };
            total += frames[k].length;
        }
        linkType = link.equals("sll2") ? LinkType.LINUX_SLL2 : LinkType.ETHERNET;
        buf = new byte[total];
        int p = 0;
        for (int k = 0; k < N; k++) {
            off[k] = p;
            len[k] = frames[k].length;
            System.arraycopy(frames[k], 0, buf, p, len[k]);
            p += len[k];
        }
        bb = ByteBuffer.wrap(buf);
        // Both decoders must agree on every frame, or the comparison means nothing.
        for (int k = 0; k < N; k++) {
            if (decoder.decode(buf, off[k], len[k], linkType, d) != DecodeStats.OK || !baseline(off[k], len[k])
                    || d.srcPort != bd.srcPort || d.dstPort != bd.dstPort || d.srcLo != bd.srcLo || d.dstLo != bd.dstLo
                    || d.payloadLength != bd.payloadLength) {
                throw new IllegalStateException(link + " frame " + k + " decoded differently");
            }
        }
    }

    @Benchmark
    public int portmatrix() {
        int k = i++ & (N - 1);
        int r = decoder.decode(buf, off[k], len[k], linkType, d);
        return r + d.srcPort + d.dstPort + (int) d.srcLo + (int) d.dstLo + d.payloadLength;
    }

    @Benchmark
    public int byteBufferBaseline() {
        int k = i++ & (N - 1);
        boolean ok = baseline(off[k], len[k]);
        return (ok ? 0 : 1) + bd.srcPort + bd.dstPort + (int) bd.srcLo + (int) bd.dstLo + bd.payloadLength;
    }

    /** What the baseline fills in. */
    static final class BaselineDecoded {
        long srcHi, srcLo, dstHi, dstLo;
        int protocol, srcPort, dstPort, payloadOffset, payloadLength, vlan;
    }

    /** The same layers with ByteBuffer's absolute big-endian reads (bounds-checked by the JDK). */
    private boolean baseline(int off, int len) {
        int limit = off + len;
        bd.vlan = -1;
        int type;
        int p;
        if (linkType == LinkType.LINUX_SLL2) {
            type = bb.getShort(off) & 0xffff;
            p = off + 20;
        } else {
            type = bb.getShort(off + 12) & 0xffff;
            p = off + 14;
        }
        for (int depth = 0; depth < 4; depth++) {
            while (type == Frames.ETHERTYPE_VLAN) {
                if (bd.vlan < 0 && depth == 0) {
                    bd.vlan = bb.getShort(p) & 0x0fff;
                }
                type = bb.getShort(p + 2) & 0xffff;
                p += 4;
            }
            int proto;
            if (type == Frames.ETHERTYPE_IPV4) {
                int ihl = (bb.get(p) & 0x0f) * 4;
                int total = bb.getShort(p + 2) & 0xffff;
                limit = Math.min(limit, p + total);
                proto = bb.get(p + 9) & 0xff;
                bd.srcHi = 0;
                bd.srcLo = Decoded.V4_MAPPED | (bb.getInt(p + 12) & 0xffff_ffffL);
                bd.dstHi = 0;
                bd.dstLo = Decoded.V4_MAPPED | (bb.getInt(p + 16) & 0xffff_ffffL);
                p += ihl;
            } else if (type == Frames.ETHERTYPE_IPV6) {
                limit = Math.min(limit, p + 40 + (bb.getShort(p + 4) & 0xffff));
                proto = bb.get(p + 6) & 0xff;
                bd.srcHi = bb.getLong(p + 8);
                bd.srcLo = bb.getLong(p + 16);
                bd.dstHi = bb.getLong(p + 24);
                bd.dstLo = bb.getLong(p + 32);
                p += 40;
            } else {
                return false;
            }
            bd.protocol = proto;
            if (proto == Frames.IPPROTO_GRE) {
                int flags = bb.getShort(p) & 0xffff;
                int greType = bb.getShort(p + 2) & 0xffff;
                p += 4 + ((flags & 0xc000) != 0 ? 4 : 0) + ((flags & 0x2000) != 0 ? 4 : 0);
                if ((flags & Frames.GRE_FLAG_SEQUENCE) != 0) {
                    p += 4;
                    if (greType == Frames.ETHERTYPE_ERSPAN_I_II) {
                        p += 8;
                    }
                }
                type = bb.getShort(p + 12) & 0xffff;
                p += 14;
                continue;
            }
            bd.srcPort = bb.getShort(p) & 0xffff;
            bd.dstPort = bb.getShort(p + 2) & 0xffff;
            int h = proto == Frames.IPPROTO_TCP ? ((bb.get(p + 12) & 0xf0) >>> 4) * 4 : 8;
            bd.payloadOffset = p + h;
            bd.payloadLength = limit - p - h;
            return true;
        }
        return false;
    }
}
