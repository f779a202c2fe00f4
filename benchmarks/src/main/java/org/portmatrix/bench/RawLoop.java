package org.portmatrix.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * The baseline of issue 9's table, rebuilt so that this machine can be compared with the one the
 * issue was measured on: "a Java loop: 4 MiB {@code FileChannel.read} buffer, header decode,
 * primitive flow table (JVM start included)", which took about 0.55 s on the reference workload
 * then (../shared/bench/README.md). {@code benchmarks/compare.sh} compiles this file alone (it uses
 * nothing but the JDK) and times it as the row {@code java-loop}.
 *
 * <p>It reads a classic pcap file (either byte order, micro- or nanosecond) through one 4 MiB direct
 * buffer, decodes Ethernet (with any number of 802.1Q/802.1ad tags), IPv4 and IPv6 (no extension
 * headers) and the TCP or UDP ports, and counts packets and bytes per flow (the 5-tuple, either
 * direction) in an open-addressing table of primitive arrays. It prints the packets, the packets it
 * decoded and the flows. No timeouts, no inspection, no classification, no report: a floor for the
 * reading and the flow lookup in Java, not an analyser.
 */
public final class RawLoop {
    private static final int BUFFER = 4 << 20;

    // The flow table: the key in three longs (both addresses folded, ports and protocol), counters beside.
    private long[] k0 = new long[1 << 16];
    private long[] k1 = new long[1 << 16];
    private long[] k2 = new long[1 << 16];
    private long[] packets = new long[1 << 16];
    private long[] bytes = new long[1 << 16];
    private boolean[] used = new boolean[1 << 16];
    private int mask = (1 << 16) - 1;
    private int flows;

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: java org.portmatrix.bench.RawLoop FILE.pcap");
            System.exit(2);
        }
        RawLoop loop = new RawLoop();
        long[] counts = loop.run(Path.of(args[0]));
        System.out.printf("%d packets, %d decoded, %d flows%n", counts[0], counts[1], loop.flows);
    }

    private long[] run(Path file) throws IOException {
        long read = 0;
        long decoded = 0;
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer b = ByteBuffer.allocateDirect(BUFFER);
            fill(ch, b, 24);
            int magic = b.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
            ByteOrder order;
            if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) {
                order = ByteOrder.LITTLE_ENDIAN;
            } else if (Integer.reverseBytes(magic) == 0xa1b2c3d4 || Integer.reverseBytes(magic) == 0xa1b23c4d) {
                order = ByteOrder.BIG_ENDIAN;
            } else {
                throw new IOException(file + ": not a classic pcap file");
            }
            b.order(order);
            int linkType = b.getInt(20) & 0x0fffffff;
            if (linkType != 1) {
                throw new IOException(file + ": link type " + linkType + ", only Ethernet (1) is decoded here");
            }
            ByteBuffer net = b.duplicate().order(ByteOrder.BIG_ENDIAN); // the same memory, read in network order
            b.position(24);
            while (true) {
                if (b.remaining() < 16 && !fill(ch, b, 16)) {
                    break;
                }
                int p = b.position();
                int caplen = b.getInt(p + 8);
                int wire = b.getInt(p + 12);
                if (caplen < 0 || caplen > BUFFER - 16) {
                    throw new IOException(file + ": bad record length " + caplen);
                }
                if (b.remaining() < 16 + caplen && !fill(ch, b, 16 + caplen)) {
                    break;
                }
                p = b.position();
                read++;
                if (packet(net, p + 16, caplen, wire)) {
                    decoded++;
                }
                b.position(p + 16 + caplen);
            }
        }
        return new long[] {read, decoded};
    }

    /** Makes at least {@code need} bytes available from the position; false at the end of the file. */
    private static boolean fill(FileChannel ch, ByteBuffer b, int need) throws IOException {
        if (b.position() > 0 || b.limit() < b.capacity()) {
            b.compact(); // the unread rest to the front; the buffer is now in writing mode
        }
        while (b.position() < need) {
            if (ch.read(b) < 0) {
                b.flip();
                return false;
            }
        }
        // Read on while there is room: one large read per 4 MiB, not one per record.
        while (b.hasRemaining() && ch.read(b) > 0) {
            // fill the buffer
        }
        b.flip();
        return true;
    }

    /** Decodes one Ethernet frame at {@code off} and counts it in its flow; false when it is not TCP or UDP over IP. */
    private boolean packet(ByteBuffer b, int off, int caplen, int wire) {
        int end = off + caplen;
        int o = off + 12;
        if (o + 2 > end) {
            return false;
        }
        int type = b.getShort(o) & 0xffff;
        o += 2;
        while ((type == 0x8100 || type == 0x88a8) && o + 4 <= end) {
            type = b.getShort(o + 2) & 0xffff;
            o += 4;
        }
        long src;
        long dst;
        int proto;
        int l4;
        if (type == 0x0800 && o + 20 <= end) {
            proto = b.get(o + 9) & 0xff;
            src = b.getInt(o + 12) & 0xffffffffL;
            dst = b.getInt(o + 16) & 0xffffffffL;
            l4 = o + ((b.get(o) & 0x0f) << 2);
        } else if (type == 0x86dd && o + 40 <= end) {
            proto = b.get(o + 6) & 0xff;
            src = b.getLong(o + 8) * 31 + b.getLong(o + 16);
            dst = b.getLong(o + 24) * 31 + b.getLong(o + 32);
            l4 = o + 40;
        } else {
            return false;
        }
        if ((proto != 6 && proto != 17) || l4 + 4 > end) {
            return false;
        }
        int sp = b.getShort(l4) & 0xffff;
        int dp = b.getShort(l4 + 2) & 0xffff;
        // The same key both ways: the lower (address, port) end first.
        boolean swap = src > dst || (src == dst && sp > dp);
        long a0 = swap ? dst : src;
        long a1 = swap ? src : dst;
        long ports = swap ? ((long) dp << 32 | (long) sp << 8 | proto) : ((long) sp << 32 | (long) dp << 8 | proto);
        int i = slot(a0, a1, ports);
        if (!used[i]) {
            if (flows + 1 > (mask + 1) / 2) { // keep the load at most 1/2
                grow();
                i = slot(a0, a1, ports);
            }
            used[i] = true;
            k0[i] = a0;
            k1[i] = a1;
            k2[i] = ports;
            flows++;
        }
        packets[i]++;
        bytes[i] += wire;
        return true;
    }

    /** The slot holding the key, or the empty slot where it goes (linear probing). */
    private int slot(long a0, long a1, long ports) {
        long h = (a0 * 0x9e3779b97f4a7c15L) ^ (a1 * 0xc2b2ae3d27d4eb4fL) ^ (ports * 0x165667b19e3779f9L);
        int i = (int) (h ^ (h >>> 32)) & mask;
        while (used[i] && (k0[i] != a0 || k1[i] != a1 || k2[i] != ports)) {
            i = (i + 1) & mask;
        }
        return i;
    }

    private void grow() {
        long[] o0 = k0;
        long[] o1 = k1;
        long[] o2 = k2;
        long[] op = packets;
        long[] ob = bytes;
        boolean[] ou = used;
        int n = (mask + 1) * 2;
        k0 = new long[n];
        k1 = new long[n];
        k2 = new long[n];
        packets = new long[n];
        bytes = new long[n];
        used = new boolean[n];
        mask = n - 1;
        for (int j = 0; j < ou.length; j++) {
            if (ou[j]) {
                int i = slot(o0[j], o1[j], o2[j]);
                used[i] = true;
                k0[i] = o0[j];
                k1[i] = o1[j];
                k2[i] = o2[j];
                packets[i] = op[j];
                bytes[i] = ob[j];
            }
        }
    }
}
