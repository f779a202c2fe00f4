package org.portmatrix.capture;

/**
 * One captured packet as a view into a reader's buffer. A source re-points the same instance at
 * every packet; the bytes are valid only until the next call to {@link PacketSource#next}.
 */
public final class PacketRef {
    /** The buffer holding the frame. */
    public byte[] buf;
    /** Offset of the first frame byte in {@link #buf}. */
    public int offset;
    /** Bytes captured (the frame as stored, possibly cut by the snap length). */
    public int caplen;
    /** Length of the frame on the wire. */
    public int origLen;
    /** Capture time, nanoseconds since the Unix epoch. */
    public long tsNanos;
    /** LINKTYPE_* value of the interface the frame was captured on. */
    public int linkType;
    /** Index of the source (file) in the run, for messages and extracts. */
    public int sourceIndex;
    /** Byte offset of the record in its source (in the uncompressed stream). */
    public long recordOffset;

    public void set(byte[] buf, int offset, int caplen, int origLen, long tsNanos, int linkType) {
        this.buf = buf;
        this.offset = offset;
        this.caplen = caplen;
        this.origLen = origLen;
        this.tsNanos = tsNanos;
        this.linkType = linkType;
    }
}
