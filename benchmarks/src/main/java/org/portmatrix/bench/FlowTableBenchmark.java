package org.portmatrix.bench;

import java.util.HashMap;
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
import org.portmatrix.decode.Decoded;
import org.portmatrix.flow.Flow;
import org.portmatrix.flow.FlowConfig;
import org.portmatrix.flow.FlowTable;
import org.portmatrix.flow.ServicePorts;

/**
 * One packet added to its flow in a table already holding {@code flows} open flows (IPv4 and IPv6,
 * TCP and UDP, both directions): the lookup, the per-direction counters, the TCP state and the idle
 * order. The packets are drawn at random from a pre-generated array (about four per flow, in random
 * order), so the caches see what a capture with that many concurrent flows gives them. Beside
 * {@link FlowTable}: a JDK baseline, a {@code HashMap} from a canonical 5-tuple record to a counters
 * object. Run with {@code -prof gc}: the update path should show 0 B/op.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class FlowTableBenchmark {
    @Param({"1000", "100000", "1000000"})
    public int flows;

    // Per flow, as the initiator sends: addresses (IPv4 mapped into the low long), ports, protocol.
    private long[] srcHi, srcLo, dstHi, dstLo;
    private int[] srcPort, dstPort, proto, ipVersion;
    /** Per packet: flow index, with bit 31 set when the responder sends it. */
    private int[] packets;
    private int[] frameLen;
    private int mask;
    private int i;
    private long ts;

    private FlowTable table;
    private final Decoded d = new Decoded();
    private long closed;
    private HashMap<Key, Counters> baseline;

    /** The baseline's key: the 5-tuple with the smaller endpoint first. */
    record Key(long aHi, long aLo, long bHi, long bLo, int aPort, int bPort, int proto) {}

    /** The baseline's per-flow state: what {@link Flow} counts per direction. */
    static final class Counters {
        long packetsFwd, packetsRev, bytesFwd, bytesRev, firstNanos, lastNanos;
        int flagsFwd, flagsRev;
        boolean initiatorIsA;
    }

    @Setup
    public void setup() {
        SplittableRandom rnd = new SplittableRandom(2013);
        srcHi = new long[flows];
        srcLo = new long[flows];
        dstHi = new long[flows];
        dstLo = new long[flows];
        srcPort = new int[flows];
        dstPort = new int[flows];
        proto = new int[flows];
        ipVersion = new int[flows];
        int[] servicePorts = {5061, 443, 3478, 5060, 444, 8057, 135, 445};
        for (int f = 0; f < flows; f++) {
            boolean v6 = rnd.nextInt(20) == 0;
            boolean udp = rnd.nextInt(4) != 0;
            ipVersion[f] = v6 ? 6 : 4;
            if (v6) {
                srcHi[f] = 0xfd00_0010_0002_0000L | rnd.nextInt(65536);
                srcLo[f] = rnd.nextLong();
                dstHi[f] = 0xfd00_0010_0001_0001L;
                dstLo[f] = 1 + rnd.nextInt(250);
            } else {
                srcLo[f] = Decoded.V4_MAPPED | 0x0a02_0000L | rnd.nextInt(65536);
                dstLo[f] = Decoded.V4_MAPPED | 0x0a01_0100L | (1 + rnd.nextInt(250));
            }
            proto[f] = udp ? Frames.IPPROTO_UDP : Frames.IPPROTO_TCP;
            srcPort[f] = 1024 + rnd.nextInt(64000);
            dstPort[f] = udp ? 49152 + rnd.nextInt(16384) : servicePorts[rnd.nextInt(servicePorts.length)];
        }
        int n = Integer.highestOneBit(Math.max(1 << 16, flows * 4) - 1) << 1;
        packets = new int[n];
        frameLen = new int[n];
        mask = n - 1;
        for (int k = 0; k < n; k++) {
            packets[k] = rnd.nextInt(flows) | (rnd.nextBoolean() ? 0x8000_0000 : 0);
            frameLen[k] = 60 + rnd.nextInt(1400);
        }

        ServicePorts sp = new ServicePorts();
        for (int p : servicePorts) {
            sp.add(Frames.IPPROTO_TCP, p);
            sp.add(Frames.IPPROTO_UDP, p);
        }
        // Open every flow first (a SYN, or the first datagram, from the initiator), so the measurement
        // sees updates of existing flows only; and weigh each structure's heap after a full GC.
        ts = 1_700_000_000_000_000_000L;
        long heap0 = usedHeap();
        table = new FlowTable(FlowConfig.defaults().withCapacity(Math.max(FlowConfig.DEFAULT_CAPACITY, flows)), sp, f -> closed++);
        long heapEmpty = usedHeap();
        for (int f = 0; f < flows; f++) {
            fill(f, false, true);
            table.update(d, ts, 60);
            ts += 1000;
        }
        long heap1 = usedHeap();
        baseline = new HashMap<>();
        for (int f = 0; f < flows; f++) {
            fill(f, false, true);
            baselineUpdate(60);
        }
        long heap2 = usedHeap();
        System.out.printf("%n[flow table] %,d flows: FlowTable %,d bytes empty (slot array) + %,d bytes per flow; "
                + "HashMap baseline %,d bytes per flow%n", flows, heapEmpty - heap0, (heap1 - heapEmpty) / flows, (heap2 - heap1) / flows);
        if (table.size() != flows || baseline.size() != flows) {
            throw new IllegalStateException("expected " + flows + " flows, table " + table.size() + ", baseline " + baseline.size());
        }
    }

    private static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        for (int k = 0; k < 3; k++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    /** Fills {@link #d} with a packet of flow {@code f}, from the responder when {@code reverse}. */
    private void fill(int f, boolean reverse, boolean syn) {
        d.ipVersion = ipVersion[f];
        d.protocol = proto[f];
        d.hasPorts = true;
        d.vlan = -1;
        if (reverse) {
            d.srcHi = dstHi[f]; d.srcLo = dstLo[f]; d.srcPort = dstPort[f];
            d.dstHi = srcHi[f]; d.dstLo = srcLo[f]; d.dstPort = srcPort[f];
        } else {
            d.srcHi = srcHi[f]; d.srcLo = srcLo[f]; d.srcPort = srcPort[f];
            d.dstHi = dstHi[f]; d.dstLo = dstLo[f]; d.dstPort = dstPort[f];
        }
        d.tcpFlags = d.protocol == Frames.IPPROTO_TCP ? (syn ? 0x02 : Frames.TCP_ACK_PSH) : 0;
        d.payloadLength = syn ? 0 : 100;
    }

    @Benchmark
    public long flowTable() {
        int k = i++ & mask;
        int p = packets[k];
        fill(p & 0x7fff_ffff, p < 0, false);
        ts += 1000;
        Flow f = table.update(d, ts, frameLen[k]);
        return f.packetsFwd + f.packetsRev;
    }

    @Benchmark
    public long hashMapBaseline() {
        int k = i++ & mask;
        int p = packets[k];
        fill(p & 0x7fff_ffff, p < 0, false);
        ts += 1000;
        Counters c = baselineUpdate(frameLen[k]);
        return c.packetsFwd + c.packetsRev;
    }

    private Counters baselineUpdate(int frameLength) {
        boolean srcIsA = Long.compareUnsigned(d.srcHi, d.dstHi) < 0
                || (d.srcHi == d.dstHi && (Long.compareUnsigned(d.srcLo, d.dstLo) < 0 || (d.srcLo == d.dstLo && d.srcPort <= d.dstPort)));
        Key key = srcIsA ? new Key(d.srcHi, d.srcLo, d.dstHi, d.dstLo, d.srcPort, d.dstPort, d.protocol)
                : new Key(d.dstHi, d.dstLo, d.srcHi, d.srcLo, d.dstPort, d.srcPort, d.protocol);
        Counters c = baseline.get(key);
        if (c == null) {
            c = new Counters();
            c.initiatorIsA = srcIsA;
            c.firstNanos = ts;
            baseline.put(key, c);
        }
        if (srcIsA == c.initiatorIsA) {
            c.packetsFwd++;
            c.bytesFwd += frameLength;
            c.flagsFwd |= d.tcpFlags;
        } else {
            c.packetsRev++;
            c.bytesRev += frameLength;
            c.flagsRev |= d.tcpFlags;
        }
        c.lastNanos = ts;
        return c;
    }
}
