package org.portmatrix.cli;

import java.io.IOException;
import java.io.InterruptedIOException;
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
 * then waits for {@link #open}, which the set-up calls once the topology is loaded and the
 * extract opened, before it opens the reports.
 *
 * <p>Only captures that are files (or directories of them) are read from before the set-up ends:
 * opening a pipe waits for its first packets, and a bad topology is reported without waiting for
 * them. Closed without {@link #finished()} (the set-up failed, or the read did), it stops the read at
 * its next stretch of packets and drops every flow handed over: nothing of the run is reported. A
 * read that does not come back (a file on a stuck network mount) is waited for {@link #STOP_WAIT_MS}
 * at most and then left to the JVM's exit (the thread is a daemon), so that the set-up's error is
 * reported at once, as it was when the read started only after the set-up.
 *
 * <p>Measured reason (the reference workload, paired rounds, both orders): between {@code main} and
 * the first packet the set-up took 100-125 ms (the catalog, the topology, the reports' classes),
 * while a throwaway analyzer read the first packets only to have the JIT compile the packet path
 * (the warm-up this replaces). Read for real from 40-50 ms after {@code main}, the run took 4% less
 * wall time (paired 0.96 twice; with {@code --extract} 0.97).
 */
final class PacketThread implements AutoCloseable {
    /** How long a stopped read is waited for (a stretch of packets from a file takes microseconds). */
    static final long STOP_WAIT_MS = 2000;
    private final Analyzer analyzer;
    private final CountDownLatch gate = new CountDownLatch(1);
    private Thread thread;
    private ExtractStream extract;
    private boolean finished;
    private boolean closed;
    private volatile Throwable failure;
    private volatile boolean abandoned;
    /** The thread's CPU time once it has read, with -Dportmatrix.timing=true ({@link Phases}); -1 otherwise. */
    private volatile long cpuNanos = -1;

    /** For {@code analyzer}, whose hand-over to the flow thread is set up ({@link Analyzer#reportOnOwnThread}). */
    PacketThread(Analyzer analyzer) {
        this.analyzer = analyzer;
    }

    /** Starts reading at once, or, when {@code gated}, at {@link #open}. */
    void start(List<PacketSource> sources, Progress progress, boolean gated) {
        if (!gated) {
            gate.countDown();
        }
        thread = new Thread(() -> run(sources, progress), "portmatrix-packets");
        thread.setDaemon(true); // joined by the main thread, except a read blocked on a pipe when the set-up fails
        thread.start();
    }

    boolean started() {
        return thread != null;
    }

    private void run(List<PacketSource> sources, Progress progress) {
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

    /**
     * The read may start, writing the extract into {@code extract} (null without one); the analyzer's
     * classifier is set. Returns this.
     */
    PacketThread open(ExtractStream extract) {
        if (extract != null) {
            this.extract = extract;
            analyzer.streamExtract(extract);
        }
        gate.countDown();
        return this;
    }

    /** The extract given to {@link #open}, or null. */
    ExtractStream extract() {
        return extract;
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
        throw Failures.unchecked(t);
    }

    /** The analysis is complete (its flows reported): {@link #close()} has nothing to stop. */
    void finished() {
        finished = true;
    }

    /** Unless {@link #finished()}: stops the read and drops what it handed over (see the class comment). */
    @Override
    public void close() {
        if (finished || closed) {
            return;
        }
        closed = true;
        abandoned = true;
        analyzer.abandon();
        gate.countDown();
        boolean stopped = true;
        if (thread != null) {
            try {
                thread.join(STOP_WAIT_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            stopped = !thread.isAlive();
        }
        if (stopped) { // (a read still running could hand over a flow while the hand-over is ended)
            analyzer.discardHandedOver();
        }
    }
}
