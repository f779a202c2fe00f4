package org.portmatrix.cli;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.portmatrix.capture.PacketSource;
import org.portmatrix.report.Progress;

/**
 * The read of the captures on a thread of its own, started as soon as they are open and the catalog
 * is read, while the main thread loads the topology and opens the reports: the packet path needs
 * neither ({@link Analyzer#Analyzer(org.portmatrix.classify.CompiledCatalog, org.portmatrix.flow.FlowConfig,
 * boolean)}), and the flows that end meanwhile wait in the hand-over to the flow thread. With
 * {@code --extract} each flow is decided at its first packet, which takes the classifier: the read
 * then waits for {@link #open()}, which the set-up calls once the topology is loaded and the
 * extract opened, before it opens the reports.
 *
 * <p>Measured reason (the reference workload, paired rounds): the set-up took 70-130 ms between
 * {@code main} and the first packet (the catalog, the topology, the reports' classes), while a
 * throwaway analyzer read the first packets only to have the JIT compile the packet path (the
 * warm-up this replaces). Read for real from the start, the run took 7-9% less wall time.
 */
final class PacketThread {
    private final Thread thread;
    private final CountDownLatch gate = new CountDownLatch(1);
    private volatile Throwable failure;
    private volatile boolean abandoned;
    /** The thread's CPU time once it has read, with -Dportmatrix.timing=true ({@link Phases}); -1 otherwise. */
    private volatile long cpuNanos = -1;

    private PacketThread(Analyzer analyzer, List<PacketSource> sources, Progress progress) {
        this.thread = new Thread(() -> run(analyzer, sources, progress), "portmatrix-packets");
    }

    /** Starts reading at once, or, when {@code gated}, at {@link #open()}. */
    static PacketThread start(Analyzer analyzer, List<PacketSource> sources, Progress progress, boolean gated) {
        PacketThread p = new PacketThread(analyzer, sources, progress);
        if (!gated) {
            p.gate.countDown();
        }
        p.thread.start();
        return p;
    }

    private void run(Analyzer analyzer, List<PacketSource> sources, Progress progress) {
        try {
            gate.await();
            if (abandoned) {
                return;
            }
            for (PacketSource s : sources) {
                analyzer.read(progress == null ? s : progress.track(s));
                if (analyzer.interrupted() != null) {
                    break; // a signal, or no output left: the reports of what was read are written
                }
            }
        } catch (Throwable t) {
            failure = t;
        } finally {
            if (Phases.enabled()) {
                cpuNanos = Phases.threadCpuNanos();
            }
        }
    }

    /** The read may start (the extract and the classifier are set). */
    void open() {
        gate.countDown();
    }

    /** The reading thread's CPU time in nanoseconds, after {@link #join()}, when timing is on; -1 otherwise. */
    long cpuNanos() {
        return cpuNanos;
    }

    /** Waits until the read is over and raises what stopped it, if anything did. */
    void join() throws IOException {
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading the captures");
        }
        Throwable t = failure;
        if (t == null) {
            return;
        }
        if (t instanceof IOException io) {
            throw io;
        }
        if (t instanceof UncheckedIOException u) {
            throw u;
        }
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t);
    }

    /**
     * The set-up failed ({@link Analyzer#abandon} called): waits for the read to stop, at its next
     * stretch of packets, or before it starts when it was waiting for {@link #open()}.
     */
    void stop() {
        abandoned = true;
        gate.countDown();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
