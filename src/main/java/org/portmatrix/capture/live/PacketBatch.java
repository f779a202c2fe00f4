package org.portmatrix.capture.live;

/**
 * A reusable batch of captured packets: the frames copied back to back into one byte array, with
 * parallel arrays of offsets, lengths and timestamps. Batches travel from the capture thread to the
 * analysis thread and back through a free list, so a steady capture allocates nothing.
 */
public final class PacketBatch {
    public final byte[] data;
    public final int[] offset;
    public final int[] caplen;
    public final int[] origLen;
    public final long[] tsNanos;
    /** Packets in the batch. */
    public int count;
    /** Bytes of {@link #data} in use. */
    public int used;
    /** LINKTYPE_* of every packet in the batch. */
    public int linkType;
    /**
     * Packets dropped on this host (inside the tool, or counted dropped by the kernel) that the capture
     * learnt of since the batch before this one was handed over, 0 for none; and the packet time of the
     * latest of them ({@link #lastDropNanos}, nanoseconds since the epoch, as the packets' timestamps).
     * A flow open then may be missing packets.
     */
    public long dropsBefore;
    public long lastDropNanos;

    public PacketBatch(int bytes, int packets) {
        data = new byte[bytes];
        offset = new int[packets];
        caplen = new int[packets];
        origLen = new int[packets];
        tsNanos = new long[packets];
    }

    /** True when one more packet of {@code len} bytes fits. */
    public boolean fits(int len) {
        return count < offset.length && data.length - used >= len;
    }

    /** Takes the current packet of {@code source}; the caller checked {@link #fits}. */
    public void add(LiveSource source) {
        int len = source.caplen();
        int i = count;
        source.copyTo(data, used);
        offset[i] = used;
        caplen[i] = len;
        origLen[i] = source.origLen();
        tsNanos[i] = source.tsNanos();
        used += len;
        count = i + 1;
    }

    /** Adds a packet from an array (tests and other bindings). */
    public void add(byte[] frame, int off, int len, int wireLen, long ts) {
        int i = count;
        System.arraycopy(frame, off, data, used, len);
        offset[i] = used;
        caplen[i] = len;
        origLen[i] = wireLen;
        tsNanos[i] = ts;
        used += len;
        count = i + 1;
    }

    public void clear() {
        count = 0;
        used = 0;
        dropsBefore = 0;
    }

    public boolean isEmpty() {
        return count == 0;
    }
}
