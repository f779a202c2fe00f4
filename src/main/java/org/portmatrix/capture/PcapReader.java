package org.portmatrix.capture;

import java.io.IOException;
import java.io.InputStream;

/**
 * Classic libpcap file format, both byte orders, microsecond and nanosecond timestamps.
 *
 * <pre>
 * Global header (24 bytes)                 Record header (16 bytes)
 *  0 magic    a1b2c3d4 (us) / a1b23c4d (ns)  0 ts_sec
 *  4 version_major (2), 6 version_minor (4)  4 ts_usec or ts_nsec
 *  8 thiszone, 12 sigfigs                    8 incl_len (bytes stored)
 * 16 snaplen                                12 orig_len (bytes on the wire)
 * 20 network (LINKTYPE_*; FCS bits above 16)
 * </pre>
 *
 * Spec: draft-ietf-opsawg-pcap. Lengths are checked before use: a record whose incl_len exceeds
 * {@link #MAX_RECORD} (as libpcap's maximum snapshot length) ends reading with damage; no buffer is
 * ever sized by a length field.
 */
public final class PcapReader extends FileSource {
    public static final int MAGIC_MICRO = 0xa1b2c3d4;
    public static final int MAGIC_NANO = 0xa1b23c4d;
    public static final int MAGIC_MICRO_SWAPPED = 0xd4c3b2a1;
    public static final int MAGIC_NANO_SWAPPED = 0x4d3cb2a1;
    static final int GLOBAL_HEADER = 24;
    static final int RECORD_HEADER = 16;
    /** libpcap's MAXIMUM_SNAPLEN. */
    public static final int MAX_RECORD = 262_144;

    private final boolean bigEndian;
    private final boolean nanos;
    private final int linkType;
    private final int snaplen;
    /** The largest stored length read without a remark: the snap length, within {@link #MAX_RECORD}. */
    private final int quietMax;
    private long caplenOverOrig;

    PcapReader(String name, InputStream stream, long size, GuardedStream guard) throws IOException {
        super(name, stream, size, guard);
        if (!in.ensure(GLOBAL_HEADER)) {
            int have = in.available();
            in.close();
            throw new CaptureFormatException(name, 0,
                    have == 0 ? "empty file" : "truncated pcap global header (" + have + " of 24 bytes)");
        }
        byte[] b = in.buf;
        int h = in.pos;
        int magic = Bytes.i32(b, h);
        switch (magic) {
            case MAGIC_MICRO -> { bigEndian = true; nanos = false; }
            case MAGIC_NANO -> { bigEndian = true; nanos = true; }
            case MAGIC_MICRO_SWAPPED -> { bigEndian = false; nanos = false; }
            case MAGIC_NANO_SWAPPED -> { bigEndian = false; nanos = true; }
            default -> {
                in.close();
                throw new CaptureFormatException(name, 0, "not a pcap file (magic " + String.format("0x%08x", magic) + ")");
            }
        }
        int major = Bytes.u16(b, h + 4, bigEndian);
        if (major != 2) {
            in.close();
            throw new CaptureFormatException(name, 4, "unsupported pcap version " + major);
        }
        snaplen = Bytes.i32(b, h + 16, bigEndian);
        linkType = Bytes.i32(b, h + 20, bigEndian) & 0xffff;
        quietMax = snaplen > 0 && snaplen < MAX_RECORD ? snaplen : MAX_RECORD;
        in.pos = h + GLOBAL_HEADER;
    }

    public int linkType() {
        return linkType;
    }

    public int snaplen() {
        return snaplen;
    }

    /** Records whose stored length exceeded their wire length (read with wire length = stored). */
    public long caplenOverOrig() {
        return caplenOverOrig;
    }

    /**
     * The common record first: whole in the buffer, its lengths within the snap length and the
     * stored one not above the wire one; anything else takes {@link #nextChecked}, which remarks on
     * it or ends reading. Measured reason: the record header was about a tenth of the packet thread's
     * samples on the reference workload with the general path's two buffer checks and per-field
     * byte-order branches.
     */
    @Override
    public boolean next(PacketRef ref) throws IOException {
        byte[] b = in.buf;
        int p = in.pos;
        int room = in.limit - p - RECORD_HEADER;
        if (room >= 0 && !done) {
            int sec;
            int frac;
            int incl;
            int orig;
            if (bigEndian) {
                sec = Bytes.i32(b, p);
                frac = Bytes.i32(b, p + 4);
                incl = Bytes.i32(b, p + 8);
                orig = Bytes.i32(b, p + 12);
            } else {
                sec = UncheckedBytes.i32le(b, p);
                frac = UncheckedBytes.i32le(b, p + 4);
                incl = UncheckedBytes.i32le(b, p + 8);
                orig = UncheckedBytes.i32le(b, p + 12);
            }
            if (incl >= 0 && incl <= quietMax && incl <= room && orig >= incl) {
                long f = frac & 0xffffffffL;
                long ts = (sec & 0xffffffffL) * 1_000_000_000L + (nanos ? f : f * 1000L);
                ref.set(b, p + RECORD_HEADER, incl, orig, ts, linkType);
                ref.recordOffset = in.offset();
                in.pos = p + RECORD_HEADER + incl;
                return true;
            }
        }
        return nextChecked(ref);
    }

    private boolean nextChecked(PacketRef ref) throws IOException {
        if (done) {
            return false;
        }
        long recordOffset = in.offset();
        if (!in.ensure(RECORD_HEADER)) {
            return end(recordOffset, in.available(), "record header");
        }
        byte[] b = in.buf;
        int p = in.pos;
        long sec = Bytes.u32(b, p, bigEndian);
        long frac = Bytes.u32(b, p + 4, bigEndian);
        long incl = Bytes.u32(b, p + 8, bigEndian);
        long orig = Bytes.u32(b, p + 12, bigEndian);
        if (incl > MAX_RECORD) {
            return damage(recordOffset, "record length " + incl + " exceeds the maximum of " + MAX_RECORD + "; reading stopped", true);
        }
        int caplen = (int) incl;
        if (!in.ensure(RECORD_HEADER + caplen)) {
            return cutOff(recordOffset, "last record", in.available() - RECORD_HEADER, caplen);
        }
        if (snaplen > 0 && incl > snaplen) {
            damage(recordOffset, "record length " + incl + " exceeds the snap length " + snaplen
                    + " of the file header; read as stored", false);
        }
        if (orig < incl) {
            caplenOverOrig++;
            damage(recordOffset, "record stores " + incl + " bytes of a " + orig
                    + "-byte frame (stored length above the wire length); read with the stored length", false);
            orig = incl;
        }
        p = in.pos;
        long ts = sec * 1_000_000_000L + (nanos ? frac : frac * 1000L);
        ref.set(in.buf, p + RECORD_HEADER, caplen, (int) Math.min(orig, Integer.MAX_VALUE), ts, linkType);
        ref.recordOffset = recordOffset;
        in.pos = p + RECORD_HEADER + caplen;
        return true;
    }
}
