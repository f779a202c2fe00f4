package org.portmatrix.bench;

import java.io.ByteArrayInputStream;
import java.io.Writer;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.portmatrix.capture.Captures;
import org.portmatrix.capture.PacketSource;
import org.portmatrix.classify.Classifier;
import org.portmatrix.cli.Analyzer;
import org.portmatrix.flow.FlowConfig;
import org.portmatrix.report.JsonLinesReport;
import org.portmatrix.report.RunSummary;

/**
 * The whole analysis of an in-memory capture: the 200 k-packet cut of the reference workload read
 * through {@link Captures#open(String, java.io.InputStream, long)}, the {@link Analyzer} pipeline
 * with the reference topology, and a JSON-lines report written to a null Writer. Catalog and
 * topology are loaded once (start-up is measured by compare.sh). Scores and bytes are per packet
 * ({@link OperationsPerInvocation}); 1e9 / score = packets per second on one core. Baseline: the
 * same bytes through the capture reader alone ({@code readOnly}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class EndToEndBenchmark {
    private byte[] capture;
    private Classifier classifier;

    @Setup
    public void setup() throws Exception {
        capture = Files.readAllBytes(Workload.cut());
        classifier = Workload.classifier();
        RunSummary s = analyze();
        if (s.packetsRead() != Workload.CUT_PACKETS) {
            throw new IllegalStateException("the cut has " + s.packetsRead() + " packets, not " + Workload.CUT_PACKETS);
        }
    }

    private RunSummary analyze() throws Exception {
        JsonLinesReport report = new JsonLinesReport(Writer.nullWriter());
        Analyzer analyzer = new Analyzer(classifier, FlowConfig.defaults(), false, report);
        try (PacketSource source = Captures.open("cut", new ByteArrayInputStream(capture), capture.length)) {
            analyzer.read(source);
        }
        return analyzer.finish("built-in", "lync-mix");
    }

    @Benchmark
    @OperationsPerInvocation(Workload.CUT_PACKETS)
    public RunSummary analyzeCut() throws Exception {
        return analyze();
    }

    @Benchmark
    @OperationsPerInvocation(Workload.CUT_PACKETS)
    public long readOnly() throws Exception {
        long bytes = 0;
        try (PacketSource source = Captures.open("cut", new ByteArrayInputStream(capture), capture.length)) {
            org.portmatrix.capture.PacketRef ref = new org.portmatrix.capture.PacketRef();
            while (source.next(ref)) {
                bytes += ref.caplen;
            }
        }
        return bytes;
    }
}
