package org.portmatrix.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * SIGINT or SIGTERM during {@code analyze} (Ctrl-C an hour into a day of captures): the read stops
 * at the next stretch of packets, the flows read so far are closed and reported, the reports are
 * written and the summary printed, and only then does the JVM exit (status 128 + the signal, as it
 * would have). Without this, the JVM exited at once: nothing of the hour was kept (and the reports'
 * temporary files were left behind). A shutdown hook sets the request and waits for the read to
 * stop ({@link #noticed()}), at most {@link #NOTICE_SECONDS}: a read blocked on a pipe that brings
 * nothing cannot see the request, and the JVM then exits as it did before; once the read has
 * stopped, the hook waits for {@link #close()}, at most {@link #WAIT_SECONDS}.
 */
final class Interruption implements AutoCloseable {
    /** How long the exit waits for the reports (a million open flows take seconds to report). */
    static final long WAIT_SECONDS = 120;
    /** How long the read may take to see the request (a stretch of packets; a pipe that has gone quiet never does). */
    static final long NOTICE_SECONDS = 5;

    private volatile boolean requested;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final CountDownLatch done = new CountDownLatch(1);
    private final Thread hook;

    private Interruption() {
        hook = new Thread(() -> {
            requested = true;
            try {
                if (stopped.await(NOTICE_SECONDS, TimeUnit.SECONDS)) {
                    done.await(WAIT_SECONDS, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "portmatrix-interrupt");
    }

    /** Listens for the JVM's shutdown until {@link #close()}. */
    static Interruption install() {
        Interruption i = new Interruption();
        Runtime.getRuntime().addShutdownHook(i.hook);
        return i;
    }

    /** True once a signal asked the JVM to exit. */
    boolean requested() {
        return requested;
    }

    /** The read is over (stopped for the request, or at the captures' end): an exit now waits for the reports. */
    void noticed() {
        stopped.countDown();
    }

    /** The run is over (its reports written, or given up): the exit may go on; a later signal ends the JVM at once. */
    @Override
    public void close() {
        done.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // shutting down: the hook is running, and returns now
        }
    }
}
