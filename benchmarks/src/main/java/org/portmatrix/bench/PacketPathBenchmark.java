package org.portmatrix.bench;

import java.nio.file.Files;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.portmatrix.classify.Classifier;
import org.portmatrix.decode.DecodeStats;
import org.portmatrix.decode.Decoded;
import org.portmatrix.decode.PacketDecoder;
import org.portmatrix.flow.Flow;
import org.portmatrix.flow.FlowConfig;
import org.portmatrix.flow.FlowTable;
import org.portmatrix.flow.ServicePorts;
import org.portmatrix.inspect.Inspection;

/**
 * The per-packet hot path on real traffic: decode → flow update → inspection while the flow wants
 * payload, with classification and inspection's finish per flow when it ends (the Analyzer's loop,
 * without the capture reader and the report). One operation is one packet of the 200 k cut of the
 * reference workload, replayed in a loop. Set-up prints how many flows a round opens.
 *
 * <ul>
 *   <li>{@code replay}: the packets as captured, timestamps shifted by the cut's span every round:
 *       every flow starts, is inspected, ends and is classified once per round (the cut's 2,000 flows
 *       per 200,000 packets), so bytes/op is the per-flow allocation spread over the packets.
 *   <li>{@code steady}: the same packets without TCP SYN/FIN/RST, timestamps 5 µs apart: after the
 *       first round every flow stays open and is decided, so an operation is exactly decode → flow
 *       update → the inspection check, and bytes/op is the per-packet allocation (the target: 0).
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class PacketPathBenchmark {
    private static final int TCP_SYN_FIN_RST = 0x07;

    @Param({"replay", "steady"})
    public String mode;

    private Workload.Packets packets;
    /** Indices of the packets replayed, in order. */
    private int[] order;
    private boolean steady;
    private long tick;
    private final PacketDecoder decoder = new PacketDecoder(false);
    private final Decoded d = new Decoded();
    private Inspection inspection;
    private Classifier classifier;
    private FlowTable table;
    private int i;
    private long shift;
    private long span;
    private long undecodable;
    private long closed;

    @Setup
    public void setup() throws Exception {
        packets = new Workload.Packets(Files.readAllBytes(Workload.cut()));
        span = packets.ts[packets.count - 1] - packets.ts[0] + 1_000_000L;
        steady = mode.equals("steady");
        int[] keep = new int[packets.count];
        int n = 0;
        for (int k = 0; k < packets.count; k++) {
            int r = decoder.decode(packets.buf, packets.off[k], packets.len[k], packets.linkType, d);
            if (!steady || r != DecodeStats.OK || !d.isTcp() || (d.tcpFlags & TCP_SYN_FIN_RST) == 0) {
                keep[n++] = k;
            }
        }
        order = java.util.Arrays.copyOf(keep, n);
        tick = packets.ts[0];
        classifier = Workload.classifier();
        inspection = new Inspection(classifier.catalog());
        ServicePorts sp = new ServicePorts();
        for (var r : classifier.catalog().catalog().rules()) {
            if (r.portMax() - r.portMin() <= 16) {
                for (int p = r.portMin(); p <= r.portMax(); p++) {
                    sp.add(r.transport(), p);
                }
            }
        }
        table = new FlowTable(FlowConfig.defaults(), sp, this::closed);
        // Two rounds before measuring: the first opens every flow, the second shows the steady state.
        for (int k = 0; k < order.length; k++) {
            packet();
        }
        long before = table.flowsCreated();
        for (int k = 0; k < order.length; k++) {
            packet();
        }
        System.out.printf("%n[packet path %s] %,d packets per round, %,d flows open, %,d flows opened in the second round, %,d undecodable%n",
                mode, order.length, table.size(), table.flowsCreated() - before, undecodable);
    }

    private void closed(Flow f) {
        inspection.finish(f, classifier.classify(f), classifier.catalog());
        closed++;
    }

    @Benchmark
    public int packet() {
        int k = order[i];
        if (++i == order.length) {
            i = 0;
            shift += span;
        }
        long ts = steady ? (tick += 5_000) : packets.ts[k] + shift;
        int r = decoder.decode(packets.buf, packets.off[k], packets.len[k], packets.linkType, d);
        if (r != DecodeStats.OK) {
            undecodable++;
            return r;
        }
        Flow f = table.update(d, ts, packets.origLen[k]);
        if (d.payloadLength > 0 && Inspection.wants(f)) {
            inspection.packet(f, table.lastForward, d.tcpSeq, packets.buf, d.payloadOffset, d.payloadLength);
        }
        return f.tcpState;
    }

    @TearDown
    public void tearDown() {
        System.out.printf("%n[packet path %s] %,d flows closed during the run%n", mode, closed);
    }
}
