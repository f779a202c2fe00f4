package org.portmatrix.report;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.portmatrix.capture.ForwardingPacketSource;
import org.portmatrix.capture.PacketRef;
import org.portmatrix.capture.PacketSource;

/**
 * A progress bar for offline runs (me.tongfei:progressbar): bytes read of the captures' total, the
 * packet rate and the time left. Shown only when standard error is a terminal; in a pipe, a log file
 * or a test it prints nothing. It reads the source's position every {@link #EVERY} packets, so the
 * per-packet cost is one counter. The read starts before the set-up ends (its warnings go to the
 * same terminal), so the bar appears at {@link #show()}, with what was read until then.
 */
public final class Progress implements AutoCloseable {
    static final int EVERY = 1 << 14;
    private final long total;
    private final PrintStream err;
    /** Null until {@link #show()}. */
    private volatile ProgressBar bar;
    private boolean closed;
    private long packets;
    private long base;
    /** Bytes read and packets, as of the last update (the reading thread's; {@link #show()} starts from them). */
    private volatile long doneBytes;
    private volatile long donePackets;
    private final long startNanos = System.nanoTime();

    private Progress(long total, PrintStream err) {
        this.total = total;
        this.err = err;
    }

    /** True when file descriptor 2 is a terminal (Linux: /proc/self/fd/2 names a tty; elsewhere: a console). */
    public static boolean stderrIsTerminal() {
        return isTerminal(2);
    }

    /** True when this file descriptor (1 or 2) is a terminal (Linux: /proc/self/fd/N names a tty; elsewhere: a console). */
    public static boolean isTerminal(int fd) {
        try {
            String t = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return t.startsWith("/dev/pts/") || t.startsWith("/dev/tty") || t.equals("/dev/console");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return System.console() != null;
        }
    }

    /**
     * True when standard output and standard error are one file or pipe ({@code 2>&1 | tee}, {@code > log 2>&1}; Linux:
     * /proc/self/fd/1 and /proc/self/fd/2 are the same file); false when they are not, or where that cannot be told.
     */
    public static boolean stdoutIsStderr() {
        try {
            return Files.isSameFile(Path.of("/proc/self/fd/1"), Path.of("/proc/self/fd/2"));
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    /** A progress bar on {@code err} over these sources, shown from {@link #show()}, or null when {@code show} is false. */
    public static Progress start(List<PacketSource> sources, PrintStream err, boolean show) {
        if (!show) {
            return null;
        }
        long total = 0;
        for (PacketSource s : sources) {
            long size = s.size();
            if (size < 0) {
                total = -1;
                break;
            }
            total += size;
        }
        return new Progress(total, err);
    }

    /** Shows the bar, from what was read so far (once; not after {@link #close()}). */
    public synchronized void show() {
        if (bar != null || closed) {
            return;
        }
        ProgressBar b = new ProgressBarBuilder().setTaskName("reading").setInitialMax(total)
                .setUnit(" MiB", 1L << 20).showSpeed(new java.text.DecimalFormat("0.0")).setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(500).setConsumer(new ConsoleProgressBarConsumer(err)).clearDisplayOnFinish().build();
        b.stepTo(doneBytes);
        b.setExtraMessage(rate(donePackets));
        bar = b;
    }

    /** Wraps a source so that reading it moves the bar; everything else is the source's own (every method delegates). */
    public PacketSource track(PacketSource source) {
        return new Tracked(source);
    }

    private void update(PacketSource s) {
        long bytes = base + s.position();
        doneBytes = bytes;
        donePackets = packets;
        ProgressBar b = bar;
        if (b != null) {
            b.stepTo(bytes);
            b.setExtraMessage(rate(packets));
        }
    }

    private String rate(long packets) {
        double secs = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
        return " " + si(packets / secs) + " packets/s";
    }

    /** 950, 12k, 1.2M: short enough to leave the bar room on an 80-column terminal. */
    static String si(double v) {
        if (v < 1e3) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (v < 1e6) {
            return String.format(Locale.ROOT, "%.0fk", v / 1e3);
        }
        return String.format(Locale.ROOT, "%.1fM", v / 1e6);
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (bar != null) {
            bar.close();
        }
    }

    private final class Tracked extends ForwardingPacketSource {
        private int countdown = EVERY;
        private boolean ended;

        Tracked(PacketSource s) {
            super(s);
        }

        @Override
        public boolean next(PacketRef ref) throws IOException {
            boolean more = in.next(ref);
            if (more) {
                packets++;
                if (--countdown == 0) {
                    countdown = EVERY;
                    update(in);
                }
            } else if (!ended) {
                ended = true;
                update(in);
                base += Math.max(in.position(), in.size());
            }
            return more;
        }
    }
}
