package org.portmatrix.bench;

import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
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
 * The per-packet hot path on real traffic: decode → flow update → inspection while the flow is
 * undecided, with classification and inspection's finish per flow when it ends (as the Analyzer's
 * loop does, without the capture reader and the report). One operation is one packet of the 200 k
 * cut of the reference workload, replayed in a loop with timestamps shifted by one cut's span per
 * round, so flows stay open across rounds (a TCP flow that ended with FIN/RST and starts again with a
 * SYN is a new flow, as in the pipeline). Run with {@code -prof gc}: bytes/op here is the allocation
 * per packet, per-flow objects amortised; set-up prints how many flows a round opens.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class PacketPathBenchmark {
    private Workload.Packets packets;
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
        for (int k = 0; k < packets.count; k++) {
            packet();
        }
        long before = table.flowsCreated();
        for (int k = 0; k < packets.count; k++) {
            packet();
        }
        System.out.printf("%n[packet path] %,d packets per round, %,d flows open, %,d flows opened per round in the steady state, %,d undecodable%n",
                packets.count, table.size(), table.flowsCreated() - before, undecodable);
    }

    private void closed(Flow f) {
        inspection.finish(f, classifier.classify(f), classifier.catalog());
        closed++;
    }

    @Benchmark
    public int packet() {
        int k = i;
        if (++i == packets.count) {
            i = 0;
            shift += span;
        }
        int r = decoder.decode(packets.buf, packets.off[k], packets.len[k], packets.linkType, d);
        if (r != DecodeStats.OK) {
            undecodable++;
            return r;
        }
        Flow f = table.update(d, packets.ts[k] + shift, packets.origLen[k]);
        if (d.payloadLength > 0 && Inspection.wants(f)) {
            inspection.packet(f, table.lastForward, d.tcpSeq, packets.buf, d.payloadOffset, d.payloadLength);
        }
        return f.tcpState;
    }

    @TearDown
    public void tearDown() {
        System.out.printf("%n[packet path] %,d flows closed during the run%n", closed);
    }
}
