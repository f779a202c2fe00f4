package org.portmatrix.cli;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * Wall and CPU time of an analysis's phases, printed to stderr when the JVM runs with
 * {@code -Dportmatrix.timing=true} (PORTMATRIX_JAVA_OPTS): how benchmarks/compare.sh splits a run.
 * Off by default; when off it measures nothing.
 */
final class Phases {
    private static final Phases OFF = new Phases(false);
    private final boolean on;
    private final StringBuilder out = new StringBuilder();
    private long wall;
    private long cpu;
    private long processCpu;

    private Phases(boolean on) {
        this.on = on;
        if (on) {
            wall = System.nanoTime();
            cpu = threads().getCurrentThreadCpuTime();
            processCpu = processCpu();
            long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
            out.append(String.format("timing: JVM start to main %d ms%n", System.currentTimeMillis() - jvmStart));
        }
    }

    static Phases start() {
        return enabled() ? new Phases(true) : OFF;
    }

    void mark(String phase) {
        mark(phase, -1);
    }

    /** On when {@code -Dportmatrix.timing=true}. */
    static boolean enabled() {
        return Boolean.getBoolean("portmatrix.timing");
    }

    /** The calling thread's CPU time in nanoseconds (for a thread that ends before its phase is marked). */
    static long threadCpuNanos() {
        return threads().getCurrentThreadCpuTime();
    }

    /**
     * Ends a phase; when its work was another thread's (the read: {@link PacketThread}) the line adds
     * that thread's CPU time ({@code otherCpuNanos}; negative when there is none or it is not known).
     */
    void mark(String phase, long otherCpuNanos) {
        if (!on) {
            return;
        }
        long w = System.nanoTime();
        long c = threads().getCurrentThreadCpuTime();
        long p = processCpu();
        out.append(String.format("timing: %-8s wall %6d ms, main thread CPU %6d ms, process CPU %6d ms",
                phase, (w - wall) / 1_000_000, (c - cpu) / 1_000_000, (p - processCpu) / 1_000_000));
        if (otherCpuNanos >= 0) {
            out.append(String.format(", packet thread CPU %6d ms", otherCpuNanos / 1_000_000));
        }
        out.append(System.lineSeparator());
        wall = w;
        cpu = c;
        processCpu = p;
    }

    /** A line of its own in the timing output. */
    void note(String text) {
        if (on) {
            out.append("timing: ").append(text).append(System.lineSeparator());
        }
    }

    void print(PrintStream err) {
        if (on) {
            err.print(out);
            err.flush();
        }
    }

    private static ThreadMXBean threads() {
        return ManagementFactory.getThreadMXBean();
    }

    private static long processCpu() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : 0;
    }
}
