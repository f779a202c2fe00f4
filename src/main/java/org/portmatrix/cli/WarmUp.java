package org.portmatrix.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.portmatrix.capture.ForwardingPacketSource;
import org.portmatrix.capture.PacketRef;
import org.portmatrix.capture.PacketSource;
import org.portmatrix.classify.Catalog;
import org.portmatrix.classify.Classifier;
import org.portmatrix.classify.CompiledCatalog;
import org.portmatrix.classify.Topology;
import org.portmatrix.flow.FlowConfig;
import org.portmatrix.report.FlowRecord;
import org.portmatrix.report.FlowReport;
import org.portmatrix.report.PcapWriter;
import org.portmatrix.report.RunSummary;

/**
 * Runs the first packets of the captures through a throwaway {@link Analyzer} on a thread of its
 * own while the main thread loads the topology and opens the reports, so that the JIT has compiled
 * the packet path (reading, decoding, the flow table, inspection, and with {@code --extract} the
 * extract's writer, into a {@link PcapWriter#discarding} one) when the analysis starts. Nothing
 * it does reaches the reports; it stops when the analysis starts reading (or at {@link #PACKETS}
 * packets, or at the end of the captures). Captures that cannot be read twice (standard input, a
 * pipe) are not touched, nor ring-buffer directories, nor gzip files.
 *
 * <p>Measured reason: the JIT compiled the packet path only 50 ms into the read loop (behind the
 * start-up's own methods in its queue), and the loop itself about 90 ms into it; until then the main
 * thread ran interpreted code, 7% of its CPU samples on the reference workload. With the warm-up:
 * wall -2.8%, process CPU -4.2% (paired, 12 rounds; -2.2% wall in another 10).
 */
final class WarmUp {
    /** At most this many: it stops when the analysis starts reading, and the set-up takes 50-100 ms. */
    static final int PACKETS = 200_000;
    /** Packets per {@link Analyzer#read} call: the JIT compiles a method after about 200 calls. */
    static final int STRETCH = 32;
    /** At most this many capture files, each opened a second time here. */
    private static final int FILES = 8;
    private volatile boolean stop;

    private WarmUp() {}

    /**
     * Starts warming up on the captures, or returns null when one of them cannot be read twice, is a
     * directory (a ring buffer of many files, each opened again) or gzip, or there are more than
     * {@link #FILES}.
     */
    static WarmUp start(List<Path> captures, Catalog catalog, FlowConfig flowConfig, boolean vlanInKey, boolean inspect, boolean extract) {
        if (captures.size() > FILES) {
            return null;
        }
        for (Path p : captures) {
            if (!Files.isRegularFile(p) || gzip(p)) {
                return null;
            }
        }
        WarmUp w = new WarmUp();
        Thread t = new Thread(() -> w.run(captures, catalog, flowConfig, vlanInKey, inspect, extract), "portmatrix-warm-up");
        t.setDaemon(true);
        t.start();
        return w;
    }

    /** A gzip stream (its magic number): inflating it twice would take CPU from the set-up; not measured as a gain. */
    private static boolean gzip(Path p) {
        try (java.io.InputStream in = Files.newInputStream(p)) {
            return in.read() == 0x1f && in.read() == 0x8b;
        } catch (java.io.IOException e) {
            return true; // unreadable: the analysis says why
        }
    }

    /** The analysis starts reading: the warm-up stops at its next packet (not waited for). */
    void stop() {
        stop = true;
    }

    private void run(List<Path> captures, Catalog catalog, FlowConfig flowConfig, boolean vlanInKey, boolean inspect, boolean extract) {
        List<PacketSource> sources = List.of();
        try {
            Analyzer a = new Analyzer(new Classifier(new CompiledCatalog(catalog), Topology.empty()), flowConfig, vlanInKey, DISCARD);
            a.inspectPayload(inspect);
            if (extract) {
                // Every flow is outside the empty topology, so every packet goes through the extract's code.
                a.streamExtract(new ExtractStream(PcapWriter.discarding(), 1 << 20));
            }
            sources = Main.openSources(captures);
            for (PacketSource s : sources) {
                Limited l = new Limited(s);
                while (l.more()) {
                    a.read(l); // a stretch at a time: see Limited
                }
            }
        } catch (Exception | Error e) {
            // Only a warm-up, silent whatever happens (no stack trace from its thread): the analysis itself
            // reads the same captures and reports what is wrong with them.
        } finally {
            for (PacketSource s : sources) {
                try {
                    s.close();
                } catch (Exception e) {
                    // nothing to report from a warm-up
                }
            }
        }
    }

    private static final FlowReport DISCARD = new FlowReport() {
        @Override
        public void flow(FlowRecord record) {}

        @Override
        public void finish(RunSummary summary) {}
    };

    /**
     * The source's first {@link #PACKETS} packets, until the analysis starts, in stretches of
     * {@link #STRETCH}: each {@link Analyzer#read} call ends after one, and the next call goes on, so
     * that the packet loop ({@code Analyzer.readStretch}, one call per stretch) is called often enough
     * for the JIT to compile it before the analysis starts. Called once with all the packets, the loop
     * was compiled only at the JIT's back-edge threshold (60,000 packets, the warm-up's and then the
     * analysis's: -XX:+PrintCompilation showed it at 274 ms of the JVM's life, the read starting at
     * about 165).
     */
    private final class Limited extends ForwardingPacketSource {
        private int left = PACKETS;
        private int stretch;
        private boolean ended;

        Limited(PacketSource in) {
            super(in);
        }

        /** Starts the next stretch; false when there is none. */
        boolean more() {
            stretch = STRETCH;
            return !ended && !stop && left > 0;
        }

        @Override
        public boolean next(PacketRef ref) throws java.io.IOException {
            if (stretch-- <= 0 || left-- <= 0 || stop) {
                return false;
            }
            if (!in.next(ref)) {
                ended = true;
                return false;
            }
            return true;
        }
    }
}
