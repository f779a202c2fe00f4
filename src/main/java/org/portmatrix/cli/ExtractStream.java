package org.portmatrix.cli;

import java.io.IOException;
import java.util.Arrays;
import org.portmatrix.flow.Flow;
import org.portmatrix.report.PcapWriter;

/**
 * {@code --extract} in the first pass: the packets of the flagged flows written while the captures
 * are analysed, in the order read, so that the second pass ({@link ExtractPass}) is not needed.
 *
 * <p>Most flows are known to be flagged or not at their first packet: a port or role pair outside
 * the matrix, or a host outside the topology, is flagged whatever the payload; a flow allowed by a
 * topology port, or with inspection off, is not. A flow allowed by a catalog rule waits for the
 * inspect stage (its protocol may not be the documented one): its packets, and every kept packet read
 * after them, wait in a queue, in order, until the flow is decided (its protocol satisfies the rule,
 * inspection has ended, or the flow ends), then the queue's decided front is written.
 *
 * <p>The decision is checked when each flow is reported: if a flow's final verdict is not what was
 * decided (a flow whose protocol satisfied its rule early and not in the end), or the queue outgrew
 * its limit (a flow undecided for long, with many kept packets behind it), the stream is abandoned
 * and the second pass writes the extract instead, exactly as without this stream. Measured reason:
 * the second pass re-read the whole capture after the analysis, +50-70% on the reference workload.
 */
final class ExtractStream {
    /** Flow states ({@link Flow#extract}): not yet seen here, kept, not kept, undecided. */
    static final byte UNSEEN = 0;
    static final byte KEEP = 1;
    static final byte DROP = 2;
    static final byte UNDECIDED = 3;

    private final PcapWriter out;
    private final int limit;
    // The queue: entries [head, tail), their frames in data.
    private Flow[] flows = new Flow[1024];
    private int[] offsets = new int[1024];
    private int[] caplens = new int[1024];
    private int[] origLens = new int[1024];
    private int[] linkTypes = new int[1024];
    private long[] times = new long[1024];
    private byte[] data;
    private int head;
    private int tail;
    private int end;
    private int peak;
    private boolean overflowed;
    private IOException failure;
    private volatile boolean diverged;

    /** @param limitBytes the most frame bytes the queue may hold before the stream is abandoned */
    ExtractStream(PcapWriter out, int limitBytes) {
        this.out = out;
        this.limit = limitBytes;
        this.data = new byte[Math.min(1 << 20, limitBytes)];
    }

    /** A decoded packet of flow {@code f}, whose {@link Flow#extract} state is set. */
    void packet(Flow f, byte[] b, int off, int caplen, int origLen, long tsNanos, int linkType) {
        byte s = f.extract;
        if (s == DROP) {
            return;
        }
        if (head == tail && s == KEEP) {
            try {
                out.write(b, off, caplen, origLen, tsNanos, linkType);
            } catch (IOException e) {
                fail(e);
            }
            return;
        }
        enqueue(f, b, off, caplen, origLen, tsNanos, linkType);
    }

    /** Writes the front of the queue as far as its flows are decided; called when an undecided flow is decided. */
    void drain() {
        while (head < tail) {
            Flow f = flows[head];
            byte s = f.extract;
            if (s == UNDECIDED) {
                return;
            }
            if (s == KEEP) {
                try {
                    out.write(data, offsets[head], caplens[head], origLens[head], times[head], linkTypes[head]);
                } catch (IOException e) {
                    fail(e);
                    return;
                }
            }
            flows[head] = null;
            head++;
        }
        head = 0;
        tail = 0;
        end = 0;
    }

    /**
     * The extract could not be written (a full disk): nothing more is written or decided, and the
     * analysis goes on, so that its reports are still written; the caller reports the failure.
     */
    private void fail(IOException e) {
        failure = e;
        flows = new Flow[0];
        data = new byte[0];
        head = tail = end = 0;
    }

    /** Why the extract could not be written, or null. */
    IOException failure() {
        return failure;
    }

    /** Called when a flow is reported: {@code flagged} is its final verdict. */
    void reported(Flow f, boolean flagged) {
        if (flagged != (f.extract == KEEP)) {
            diverged = true;
        }
    }

    /** True when the stream wrote exactly the flagged flows' packets (every flow ended and was reported). */
    boolean complete() {
        return !overflowed && !diverged && failure == null && head == tail;
    }

    /** False once the queue outgrew its limit or a write failed: nothing more is written or decided. */
    boolean active() {
        return !overflowed && failure == null;
    }

    boolean overflowed() {
        return overflowed;
    }

    boolean diverged() {
        return diverged;
    }

    /** The most frame bytes the queue held at once. */
    int peakBytes() {
        return peak;
    }

    private void enqueue(Flow f, byte[] b, int off, int caplen, int origLen, long tsNanos, int linkType) {
        if (end + caplen > data.length && !makeRoom(caplen)) {
            overflowed = true;
            flows = new Flow[0];
            data = new byte[0];
            head = tail = end = 0;
            return;
        }
        if (tail == flows.length) {
            int n = flows.length * 2;
            flows = Arrays.copyOf(flows, n);
            offsets = Arrays.copyOf(offsets, n);
            caplens = Arrays.copyOf(caplens, n);
            origLens = Arrays.copyOf(origLens, n);
            linkTypes = Arrays.copyOf(linkTypes, n);
            times = Arrays.copyOf(times, n);
        }
        System.arraycopy(b, off, data, end, caplen);
        flows[tail] = f;
        offsets[tail] = end;
        caplens[tail] = caplen;
        origLens[tail] = origLen;
        linkTypes[tail] = linkType;
        times[tail] = tsNanos;
        tail++;
        end += caplen;
        int held = end - offsets[head];
        if (held > peak) {
            peak = held;
        }
    }

    /** Moves the queue to the front of its buffers, growing the frame buffer when the queue fills half of it. */
    private boolean makeRoom(int caplen) {
        int from = head < tail ? offsets[head] : end;
        int held = end - from;
        int size = data.length;
        while (held + caplen > size / 2 && size < limit) {
            size = (int) Math.min((long) Math.max(size, 1) * 2, limit);
        }
        if (held + caplen > size) {
            return false;
        }
        byte[] d = size == data.length ? data : new byte[size];
        System.arraycopy(data, from, d, 0, held);
        data = d;
        int n = tail - head;
        System.arraycopy(flows, head, flows, 0, n);
        Arrays.fill(flows, n, tail, null);
        for (int i = 0; i < n; i++) {
            offsets[i] = offsets[head + i] - from;
        }
        System.arraycopy(caplens, head, caplens, 0, n);
        System.arraycopy(origLens, head, origLens, 0, n);
        System.arraycopy(linkTypes, head, linkTypes, 0, n);
        System.arraycopy(times, head, times, 0, n);
        head = 0;
        tail = n;
        end = held;
        return held + caplen <= data.length;
    }
}
