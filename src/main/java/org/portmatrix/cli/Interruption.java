package org.portmatrix.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * SIGINT, SIGTERM or SIGHUP during {@code analyze} (Ctrl-C an hour into a day of captures): the read stops
 * at the next stretch of packets, the flows read so far are closed and reported, the reports are
 * written and the summary printed, and only then does the JVM exit (status 128 + the signal, as it
 * would have). Without this, the JVM exited at once: nothing of the hour was kept (and the reports'
 * temporary files were left behind). A shutdown hook sets the request and waits for the read to
 * stop ({@link #noticed()}), at most {@link #NOTICE_SECONDS}: a read blocked on a pipe that brings
 * nothing is woken after {@link #WAKE_MILLIS} ({@link #wakeWith}) and stops there; one that still
 * does not stop is left, and the JVM exits, saying so; once the read has stopped, the hook waits
 * for {@link #close()}, at most {@link #WAIT_SECONDS}.
 */
final class Interruption implements AutoCloseable {
    /** How long the exit waits for the reports (a million open flows take seconds to report). */
    static final long WAIT_SECONDS = 120;
    /** How long the read may take to see the request (a stretch of packets; a pipe that has gone quiet never does). */
    static final long NOTICE_SECONDS = 5;

    /** The signals that end the JVM by default, each by its shutdown hooks: status 128 + the signal (129, 130, 143). */
    private static final String[] ENDING = {"HUP", "INT", "TERM"};
    /** The last of them received ("SIGHUP", ...), or null. */
    private static volatile String received;
    private static boolean listening;

    private volatile boolean requested;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final CountDownLatch done = new CountDownLatch(1);
    private final Thread hook;

    /** How long the read is given to see the request before it is woken ({@link #wakeWith}). */
    static final long WAKE_MILLIS = 500;

    private volatile Runnable wake;

    private Interruption() {
        hook = new Thread(() -> {
            requested = true;
            try {
                boolean seen = stopped.await(WAKE_MILLIS, TimeUnit.MILLISECONDS);
                Runnable w = wake;
                if (!seen && w != null) {
                    w.run(); // a read blocked on a quiet pipe: woken, it stops as for a stretch's end
                }
                if (seen || stopped.await(NOTICE_SECONDS * 1000 - WAKE_MILLIS, TimeUnit.MILLISECONDS)) {
                    if (done.await(WAIT_SECONDS, TimeUnit.SECONDS) && readWhole) {
                        // The signal came once every packet was read (while the reports or the extract were written): they are
                        // of the whole input and say no interruption, yet the exit status is the signal's. Said, so that a
                        // script or a reader of 143 does not take the reports for a part.
                        System.err.println("portmatrix: " + reason() + " after the read was over: the reports are whole, every"
                                + " packet read is in them (the exit status is the signal's all the same)");
                        System.err.flush();
                    }
                } else {
                    System.err.println("portmatrix: " + reason() + "; the read did not stop within " + NOTICE_SECONDS
                            + " s, so nothing was reported");
                    System.err.flush();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "portmatrix-interrupt");
    }

    /**
     * What wakes a read that has not seen the request within {@link #WAKE_MILLIS}: one blocked on a
     * pipe whose writer has gone quiet (a capture piped from tcpdump, signalled alone) would otherwise
     * lose every flow read before it.
     */
    void wakeWith(Runnable w) {
        wake = w;
    }

    /** Listens for the JVM's shutdown until {@link #close()}. */
    static Interruption install() {
        listen();
        Interruption i = new Interruption();
        Runtime.getRuntime().addShutdownHook(i.hook);
        return i;
    }

    /**
     * Notes which signal arrives before the JVM's own handler starts the shutdown (exit status 128 + the
     * signal, as before): the hook alone cannot tell SIGHUP from SIGINT or SIGTERM. Once per JVM; a
     * signal ignored from the start (SIGINT of a job a script starts with '&') stays ignored (the JVM
     * keeps it so and hands back SIG_IGN), and a JVM that keeps these signals for itself (-Xrs) is left alone.
     */
    private static synchronized void listen() {
        if (listening) {
            return;
        }
        listening = true;
        for (String name : ENDING) {
            try {
                sun.misc.Signal signal = new sun.misc.Signal(name);
                sun.misc.SignalHandler[] before = new sun.misc.SignalHandler[1];
                before[0] = sun.misc.Signal.handle(signal, sig -> {
                    received = "SIG" + sig.getName();
                    before[0].handle(sig); // the JVM's: the shutdown, with the signal's status
                });
                if (before[0] == sun.misc.SignalHandler.SIG_IGN || before[0] == sun.misc.SignalHandler.SIG_DFL) {
                    sun.misc.Signal.handle(signal, before[0]); // not the JVM's handler: put back as it was
                }
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                // the signal is the JVM's own (-Xrs) or unknown here: the reason names no signal then
            }
        }
    }

    /** "stopped by SIGHUP" (SIGINT, SIGTERM): the signal received, as far as it is known. */
    static String reason() {
        String s = received;
        return "stopped by " + (s != null ? s : "a signal (SIGHUP, SIGINT or SIGTERM)");
    }

    /** True once a signal asked the JVM to exit. */
    boolean requested() {
        return requested;
    }

    /** Set once the read reached the captures' end, not stopped by a signal (or by nothing left to write). */
    private volatile boolean readWhole;

    /** The read reached the captures' end: a signal now stops nothing, and its exit says so once the reports are written. */
    void readWhole() {
        readWhole = true;
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
