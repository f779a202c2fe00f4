package org.portmatrix.hostile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes classic pcap bytes by hand, honest or lying, for the hostile-input tests
 * (draft-ietf-opsawg-pcap; little-endian, microsecond timestamps).
 *
 * <pre>
 * Global header (24)                         Record header (16)
 *  0 magic a1b2c3d4 (written d4 c3 b2 a1)     0 ts_sec, 4 ts_usec
 *  4 major 2, 6 minor 4                       8 incl_len (caplen: bytes stored)
 *  8 thiszone, 12 sigfigs                    12 orig_len (bytes on the wire)
 * 16 snaplen, 20 link type
 * </pre>
 */
public final class PcapBytes {
    public static final int GLOBAL_HEADER = 24;
    public static final int RECORD_HEADER = 16;
    public static final int LINKTYPE_ETHERNET = 1;
    public static final int MAGIC = 0xa1b2c3d4;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private long micros = 1_700_000_000_000_000L;

    public PcapBytes() {
        this(LINKTYPE_ETHERNET, 65535);
    }

    public PcapBytes(int linkType, int snaplen) {
        le32(MAGIC);
        le16(2);
        le16(4);
        le32(0);
        le32(0);
        le32(snaplen);
        le32(linkType);
    }

    /** Offset of the next record: where damage written next will be reported. */
    public long offset() {
        return out.size();
    }

    /** An honest record of {@code frame}, 1 ms after the previous one. */
    public PcapBytes packet(byte[] frame) {
        return record(frame.length, frame.length, frame);
    }

    /** A record whose header says {@code caplen} and {@code origLen} before {@code data} (written whole). */
    public PcapBytes record(long caplen, long origLen, byte[] data) {
        micros += 1000;
        le32(micros / 1_000_000);
        le32(micros % 1_000_000);
        le32(caplen);
        le32(origLen);
        raw(data);
        return this;
    }

    public PcapBytes raw(byte[] b) {
        out.write(b, 0, b.length);
        return this;
    }

    public byte[] bytes() {
        return out.toByteArray();
    }

    public Path write(Path file) throws IOException {
        return Files.write(file, bytes());
    }

    private void le16(int v) {
        out.write(v);
        out.write(v >>> 8);
    }

    private void le32(long v) {
        le16((int) v);
        le16((int) (v >>> 16));
    }
}
