package org.portmatrix.cli;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Consumer;
import org.portmatrix.flow.Flow;

/**
 * Ended flows handed from the packet thread to a thread of their own, in batches, where they are
 * classified, inspected to their verdict and reported, in the order they ended. The packet thread
 * never touches a flow again once it has ended (flows are not reused), so a flow needs no lock; the
 * queue's hand-over orders the two threads' writes.
 *
 * <p>Measured reason (benchmarks/compare.sh, the reference workload): the per-flow work (verdict,
 * reason text, JSON) was 57% of the packet thread's CPU samples; on its own thread it runs beside
 * the packet loop on the second core.
 *
 * <p>A failure of the flow thread (a write error) is raised on the packet thread at its next
 * hand-over or at {@link #finish}; flows ended after it are not reported.
 */
final class FlowHandoff {
    private static final int BATCH = 256;
    private static final Flow[] END = new Flow[0];
    private final BlockingQueue<Flow[]> queue = new ArrayBlockingQueue<>(64);
    private final Consumer<Flow> work;
    private final Thread thread;
    private Flow[] batch = new Flow[BATCH];
    private int n;
    private volatile Throwable failure;
    private boolean finished;
    /** The flow thread's CPU time when it ended, for {@code -Dportmatrix.timing=true} ({@link Phases}); -1 otherwise. */
    private volatile long cpuNanos = -1;

    FlowHandoff(Consumer<Flow> work) {
        this.work = work;
        this.thread = new Thread(this::run, "portmatrix-flows");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void run() {
        try {
            while (true) {
                Flow[] b = queue.take();
                if (b == END) {
                    if (Phases.enabled()) {
                        cpuNanos = Phases.threadCpuNanos();
                    }
                    return;
                }
                if (failure != null) {
                    continue; // drain, so that the packet thread never blocks on a dead consumer
                }
                try {
                    for (Flow f : b) {
                        if (f == null) {
                            break;
                        }
                        work.accept(f);
                    }
                } catch (Throwable t) {
                    failure = t;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Hands over one ended flow. */
    void add(Flow f) {
        batch[n++] = f;
        if (n == BATCH) {
            put(batch);
            batch = new Flow[BATCH];
            n = 0;
        }
    }

    /** Hands over what is left, waits until every flow is reported, and raises the flow thread's failure. */
    void finish() throws IOException {
        if (finished) {
            return;
        }
        finished = true;
        if (n > 0) {
            put(batch);
            batch = new Flow[BATCH];
            n = 0;
        }
        put(END);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reporting flows");
        }
        raise();
    }

    /** The flow thread's CPU time in nanoseconds once {@link #finish} has returned, with timing on; -1 otherwise. */
    long cpuNanos() {
        return cpuNanos;
    }

    private void put(Flow[] b) {
        raise();
        try {
            queue.put(b);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new InterruptedIOException("interrupted while handing over flows"));
        }
    }

    private void raise() {
        Throwable t = failure;
        if (t != null) {
            throw Failures.unchecked(t);
        }
    }
}
