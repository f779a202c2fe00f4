package org.portmatrix.capture;

import java.io.IOException;
import java.io.InputStream;

/**
 * The pcapng file format: any number of sections, each in its own byte order, each with its own
 * interfaces (link type, snap length and timestamp resolution per interface); enhanced, simple and
 * obsolete packet blocks; every other block type skipped by its length.
 *
 * <pre>
 * Every block                         Section Header Block (type 0x0A0D0D0A)
 *  0 block type                         8 byte-order magic 0x1A2B3C4D
 *  4 block total length (multiple of 4) 12 major version (1), 14 minor version
 *  8 body ...                           16 section length (64 bits, -1 = unknown), options
 *  L-4 block total length again
 *
 * Interface Description Block (1)     Enhanced Packet Block (6)       Obsolete Packet Block (2)
 *  8 link type (16 bits), 10 reserved   8 interface id                  8 interface id (16 bits), 10 drops
 * 12 snap length                       12 timestamp, high 32 bits      12 timestamp high, 16 low
 * 16 options: if_tsresol (9),          16 timestamp, low 32 bits       20 captured length, 24 length
 *    if_tsoffset (14)                  20 captured length              28 packet data
 *                                      24 original length
 * Simple Packet Block (3)              28 packet data, padded to 4, options
 *  8 original length, 12 packet data (interface 0; captured length = min(length, snap length, body))
 * </pre>
 *
 * Spec: draft-ietf-opsawg-pcapng. Every length is checked before use: a block length below 12, not
 * a multiple of 4, past the end of the file, or different at its two ends ends reading with damage
 * naming its offset; a packet naming an interface its section did not describe is skipped and
 * recorded as damage; no buffer is ever sized by a length field. Packet blocks are read in place
 * in the reused buffer; other blocks larger than it are skipped without being buffered.
 */
public final class PcapngReader extends FileSource {
    public static final int BLOCK_SHB = 0x0A0D0D0A;
    public static final int BLOCK_IDB = 1;
    public static final int BLOCK_OPB = 2;
    public static final int BLOCK_SPB = 3;
    public static final int BLOCK_EPB = 6;
    public static final int BYTE_ORDER_MAGIC = 0x1A2B3C4D;
    public static final int BYTE_ORDER_MAGIC_SWAPPED = 0x4D3C2B1A;
    static final int BLOCK_HEADER = 8;
    static final int MIN_BLOCK = 12;
    static final int MIN_SHB = 28;
    static final int MIN_IDB = 20;
    static final int MIN_EPB = 32;
    static final int MIN_SPB = 16;
    static final int PACKET_DATA_EPB = 28;
    static final int PACKET_DATA_SPB = 12;
    static final int OPT_END = 0;
    static final int OPT_IF_TSRESOL = 9;
    static final int OPT_IF_TSOFFSET = 14;
    /** Largest packet accepted, as libpcap's MAXIMUM_SNAPLEN (and Wireshark's standard maximum). */
    public static final int MAX_PACKET = PcapReader.MAX_RECORD;
    /** Interfaces described per section at most; beyond it reading stops (memory stays bounded). */
    static final int MAX_INTERFACES = 1 << 16;
    private static final long NANOS = 1_000_000_000L;
    /** How an interface's timestamp units become nanoseconds. */
    private static final int TS_MULTIPLY = 0;
    private static final int TS_DIVIDE = 1;
    private static final int TS_BINARY = 2;

    private boolean bigEndian;
    private int sections;
    // Interfaces of the current section, as parallel primitive arrays.
    private int interfaces;
    private int[] ifLinkType = new int[4];
    private int[] ifSnaplen = new int[4];
    /** The largest stored length the common path reads without a remark: the interface's snap length, within {@link #MAX_PACKET}. */
    private int[] ifQuietCaplen = new int[4];
    private int[] ifTsMode = new int[4];
    /** Multiplier or divisor (decimal resolutions) or shift (binary ones). */
    private long[] ifTsScale = new long[4];
    private long[] ifTsOffsetNanos = new long[4];
    /** The offset as given, in seconds (the exact sum, {@link #nanos}, for one beyond Java's nanoseconds). */
    private long[] ifTsOffsetSeconds = new long[4];
    /**
     * For {@link #TS_MULTIPLY}: the largest time in the interface's units whose nanoseconds, with the
     * offset, a Java long holds (until 2262-04-11), its sign bit flipped for an unsigned compare. Later
     * times are held as that last instant ({@link #nanos}): they had wrapped to 1715 and sorted first.
     */
    private long[] ifTsMaxUnitsFlipped = new long[4];
    private long lastTsNanos;
    private long packetsSkipped;

    PcapngReader(String name, InputStream stream, long size, GuardedStream guard) throws IOException {
        super(name, stream, size, guard);
        if (!in.ensure(MIN_SHB)) {
            int have = in.available();
            in.close();
            throw new CaptureFormatException(name, 0,
                    have == 0 ? "empty file" : "truncated pcapng section header (" + have + " of " + MIN_SHB + " bytes)");
        }
        if (Bytes.i32(in.buf, in.pos) != BLOCK_SHB) {
            in.close();
            throw new CaptureFormatException(name, 0, "not a pcapng file (first block is not a section header)");
        }
        String problem = sectionHeaderProblem();
        if (problem != null) {
            in.close();
            throw new CaptureFormatException(name, 0, problem);
        }
        // The first section header cut off (its options), or its length wrong: nothing of the file can be
        // read, so it is refused like a cut-off pcap header (a wrong length had been damage, exit 3, with not
        // a packet read).
        long length = Bytes.u32(in.buf, in.pos + 4, bigEndian);
        String wrong = length < MIN_SHB || (length & 3) != 0 ? "its block length " + length + " is "
                + (length < MIN_SHB ? "below " + MIN_SHB : "not a multiple of 4")
                : length > in.capacity() ? "its block length " + length + " exceeds the maximum of " + in.capacity() : null;
        if (wrong == null && !in.ensure((int) length)) {
            int have = in.available();
            in.close();
            String failure = streamFailure(); // a .gz whose inflating failed inside it: that is what is wrong
            throw new CaptureFormatException(name, 0, failure != null ? failure + " in the pcapng section header"
                    : "truncated pcapng section header (" + have + " of " + length + " bytes)");
        }
        if (wrong == null && Bytes.u32(in.buf, in.pos + (int) length - 4, bigEndian) != length) {
            wrong = "its block length " + length + " at the start and " + Bytes.u32(in.buf, in.pos + (int) length - 4, bigEndian)
                    + " at the end differ";
        }
        if (wrong != null) {
            in.close();
            throw new CaptureFormatException(name, 0, "damaged pcapng section header: " + wrong);
        }
    }

    /** Packets skipped because they named an interface that their section did not describe. */
    public long packetsSkipped() {
        return packetsSkipped;
    }

    /** Sections met so far. */
    public int sections() {
        return sections;
    }

    /**
     * Checks the section header block at {@link ByteInput#pos} (at least {@link #MIN_SHB} bytes
     * buffered) and takes its byte order. Returns what is wrong, or null.
     */
    private String sectionHeaderProblem() {
        byte[] b = in.buf;
        int p = in.pos;
        int bom = Bytes.i32(b, p + 8);
        if (bom == BYTE_ORDER_MAGIC) {
            bigEndian = true;
        } else if (bom == BYTE_ORDER_MAGIC_SWAPPED) {
            bigEndian = false;
        } else {
            return "section header with an unknown byte-order magic " + String.format("0x%08x", bom);
        }
        int major = Bytes.u16(b, p + 12, bigEndian);
        if (major != 1) {
            return "unsupported pcapng version " + major + "." + Bytes.u16(b, p + 14, bigEndian);
        }
        return null;
    }

    /**
     * The common block first: an enhanced packet block, little-endian, whole in the buffer, its
     * lengths consistent, its interface known and its timestamps a power of ten below a second;
     * anything else takes {@link #nextBlock}, which checks and remarks on every field the same way.
     * Measured reason: the reference workload as pcapng (editcap -F pcapng; dumpcap writes pcapng
     * by default) read with the general path alone spent 13% of the packet thread's samples in this
     * method against 5% for the same packets as classic pcap, which has such a path.
     */
    @Override
    public boolean next(PacketRef ref) throws IOException {
        byte[] b = in.buf;
        int p = in.pos;
        int room = in.limit - p;
        if (room >= MIN_EPB && !bigEndian && !done) {
            int len = UncheckedBytes.i32le(b, p + 4);
            if (UncheckedBytes.i32le(b, p) == BLOCK_EPB && len >= MIN_EPB && len <= room && len <= in.capacity() && (len & 3) == 0) {
                int ifId = UncheckedBytes.i32le(b, p + 8);
                int caplen = UncheckedBytes.i32le(b, p + 20);
                int orig = UncheckedBytes.i32le(b, p + 24);
                if (ifId >= 0 && ifId < interfaces && ifTsMode[ifId] == TS_MULTIPLY && caplen >= 0 && caplen <= len - MIN_EPB
                        && caplen <= ifQuietCaplen[ifId] && orig >= caplen && UncheckedBytes.i32le(b, p + len - 4) == len) {
                    long units = ((long) UncheckedBytes.i32le(b, p + 12) << 32) | (UncheckedBytes.i32le(b, p + 16) & 0xffffffffL);
                    long ts = (units ^ Long.MIN_VALUE) <= ifTsMaxUnitsFlipped[ifId]
                            ? units * ifTsScale[ifId] + ifTsOffsetNanos[ifId] : nanos(ifId, units);
                    lastTsNanos = ts;
                    ref.set(b, p + PACKET_DATA_EPB, caplen, orig, ts, ifLinkType[ifId]);
                    ref.recordOffset = in.offset();
                    in.pos = p + len;
                    return true;
                }
            }
        }
        return nextBlock(ref);
    }

    private boolean nextBlock(PacketRef ref) throws IOException {
        while (!done) {
            long offset = in.offset();
            if (!in.ensure(MIN_BLOCK)) {
                return end(offset, in.available(), "block header");
            }
            byte[] b = in.buf;
            int p = in.pos;
            int type = Bytes.i32(b, p, bigEndian);
            if (type == BLOCK_SHB) {
                // A new section: its own byte order, which the length field is written in.
                int bom = Bytes.i32(b, p + 8);
                if (bom != BYTE_ORDER_MAGIC && bom != BYTE_ORDER_MAGIC_SWAPPED) {
                    return damage(offset, "section header with an unknown byte-order magic " + String.format("0x%08x", bom), true);
                }
                bigEndian = bom == BYTE_ORDER_MAGIC;
            }
            long length = Bytes.u32(b, p + 4, bigEndian);
            if (length < MIN_BLOCK || (length & 3) != 0) {
                return damage(offset, "block length " + length + (length < MIN_BLOCK ? " is below 12" : " is not a multiple of 4")
                        + "; reading stopped", true);
            }
            if (length > in.capacity()) {
                if (type == BLOCK_EPB || type == BLOCK_OPB || type == BLOCK_SPB || type == BLOCK_IDB || type == BLOCK_SHB) {
                    return damage(offset, "block length " + length + " exceeds the maximum of " + in.capacity() + "; reading stopped", true);
                }
                if (!in.skip(length)) {
                    return cutOff(offset, "last block", in.offset() - offset, length);
                }
                continue;
            }
            int len = (int) length;
            if (!in.ensure(len)) {
                return cutOff(offset, "last block", in.available(), len);
            }
            b = in.buf;
            p = in.pos;
            long trailer = Bytes.u32(b, p + len - 4, bigEndian);
            if (trailer != length) {
                return damage(offset, "block length " + length + " at the start and " + trailer + " at the end differ; reading stopped", true);
            }
            switch (type) {
                case BLOCK_SHB:
                    if (len < MIN_SHB) {
                        return damage(offset, "section header block length " + len + " is below " + MIN_SHB + "; reading stopped", true);
                    }
                    String problem = sectionHeaderProblem();
                    if (problem != null) {
                        return damage(offset, problem + "; reading stopped", true);
                    }
                    sections++;
                    interfaces = 0;
                    break;
                case BLOCK_IDB:
                    if (!interfaceBlock(b, p, len, offset)) {
                        return false;
                    }
                    break;
                case BLOCK_EPB:
                case BLOCK_OPB: {
                    if (len < MIN_EPB) {
                        return damage(offset, "packet block length " + len + " is below " + MIN_EPB + "; reading stopped", true);
                    }
                    int ifId = type == BLOCK_EPB ? Bytes.i32(b, p + 8, bigEndian) : Bytes.u16(b, p + 8, bigEndian);
                    long tsUnits = (Bytes.u32(b, p + 12, bigEndian) << 32) | Bytes.u32(b, p + 16, bigEndian);
                    long caplen = Bytes.u32(b, p + 20, bigEndian);
                    long orig = Bytes.u32(b, p + 24, bigEndian);
                    if (caplen > len - MIN_EPB) {
                        return damage(offset, "packet block of " + len + " bytes cannot hold its " + caplen
                                + " bytes of packet data; reading stopped", true);
                    }
                    if (caplen > MAX_PACKET) {
                        return damage(offset, "packet length " + caplen + " exceeds the maximum of " + MAX_PACKET + "; reading stopped", true);
                    }
                    in.pos = p + len;
                    if (ifId < 0 || ifId >= interfaces) {
                        skipped(offset, ifId);
                        continue;
                    }
                    // As classic pcap remarks on them (PcapReader): read as stored, the file counted as damaged.
                    if (ifSnaplen[ifId] > 0 && caplen > ifSnaplen[ifId]) {
                        damage(offset, "packet length " + caplen + " exceeds the snap length " + ifSnaplen[ifId] + " of interface "
                                + ifId + "; read as stored", false);
                    }
                    if (orig < caplen) {
                        damage(offset, "packet block stores " + caplen + " bytes of a " + orig
                                + "-byte frame (stored length above the wire length); read with the stored length", false);
                    }
                    long ts = nanos(ifId, tsUnits);
                    lastTsNanos = ts;
                    ref.set(b, p + PACKET_DATA_EPB, (int) caplen, (int) Math.min(Math.max(orig, caplen), Integer.MAX_VALUE), ts,
                            ifLinkType[ifId]);
                    ref.recordOffset = offset;
                    return true;
                }
                case BLOCK_SPB: {
                    if (len < MIN_SPB) {
                        return damage(offset, "simple packet block length " + len + " is below " + MIN_SPB + "; reading stopped", true);
                    }
                    in.pos = p + len;
                    if (interfaces == 0) {
                        skipped(offset, 0);
                        continue;
                    }
                    long orig = Bytes.u32(b, p + 8, bigEndian);
                    long caplen = Math.min(orig, len - MIN_SPB);
                    if (ifSnaplen[0] > 0 && caplen > ifSnaplen[0]) {
                        caplen = ifSnaplen[0];
                    }
                    if (caplen > MAX_PACKET) {
                        caplen = MAX_PACKET;
                    }
                    // A simple packet block has no timestamp: it keeps the time of the packet before it.
                    ref.set(b, p + PACKET_DATA_SPB, (int) caplen, (int) Math.min(orig, Integer.MAX_VALUE), lastTsNanos, ifLinkType[0]);
                    ref.recordOffset = offset;
                    return true;
                }
                default:
                    break; // name resolution, statistics, decryption secrets, custom, ...: not needed
            }
            in.pos = p + len;
        }
        return false;
    }

    private void skipped(long offset, int ifId) {
        packetsSkipped++;
        damage(offset, "packet names interface " + Integer.toUnsignedString(ifId) + " but its section describes "
                + interfaces + "; packet skipped", false);
    }

    /** Adds the interface of an interface description block; false when reading stopped. */
    private boolean interfaceBlock(byte[] b, int p, int len, long offset) {
        if (len < MIN_IDB) {
            return damage(offset, "interface description block length " + len + " is below " + MIN_IDB + "; reading stopped", true);
        }
        if (interfaces == MAX_INTERFACES) {
            return damage(offset, "more than " + MAX_INTERFACES + " interfaces in one section; reading stopped", true);
        }
        if (interfaces == ifLinkType.length) {
            int n = interfaces * 2;
            ifLinkType = java.util.Arrays.copyOf(ifLinkType, n);
            ifSnaplen = java.util.Arrays.copyOf(ifSnaplen, n);
            ifQuietCaplen = java.util.Arrays.copyOf(ifQuietCaplen, n);
            ifTsMode = java.util.Arrays.copyOf(ifTsMode, n);
            ifTsScale = java.util.Arrays.copyOf(ifTsScale, n);
            ifTsOffsetNanos = java.util.Arrays.copyOf(ifTsOffsetNanos, n);
            ifTsOffsetSeconds = java.util.Arrays.copyOf(ifTsOffsetSeconds, n);
            ifTsMaxUnitsFlipped = java.util.Arrays.copyOf(ifTsMaxUnitsFlipped, n);
        }
        int i = interfaces;
        ifLinkType[i] = Bytes.u16(b, p + 8, bigEndian);
        ifSnaplen[i] = Bytes.i32(b, p + 12, bigEndian);
        ifQuietCaplen[i] = ifSnaplen[i] > 0 ? Math.min(ifSnaplen[i], MAX_PACKET) : MAX_PACKET;
        int tsresol = 6; // microseconds unless told otherwise
        long tsoffset = 0;
        int o = p + 16;
        int end = p + len - 4;
        while (end - o >= 4) {
            int code = Bytes.u16(b, o, bigEndian);
            int optLen = Bytes.u16(b, o + 2, bigEndian);
            if (code == OPT_END || end - o - 4 < optLen) {
                break; // an option running past the block: ignore the rest of the options
            }
            if (code == OPT_IF_TSRESOL && optLen >= 1) {
                tsresol = b[o + 4] & 0xff;
            } else if (code == OPT_IF_TSOFFSET && optLen >= 8) {
                tsoffset = bigEndian ? Bytes.i64(b, o + 4) : ((long) Bytes.i32le(b, o + 8) << 32) | Bytes.u32le(b, o + 4);
            }
            o += 4 + ((optLen + 3) & ~3);
        }
        if ((tsresol & 0x80) != 0) {
            ifTsMode[i] = TS_BINARY;
            ifTsScale[i] = Math.min(tsresol & 0x7f, 63);
        } else if (tsresol <= 9) {
            ifTsMode[i] = TS_MULTIPLY;
            ifTsScale[i] = pow10(9 - tsresol);
        } else {
            ifTsMode[i] = TS_DIVIDE;
            ifTsScale[i] = tsresol - 9 > 18 ? 0 : pow10(tsresol - 9);
        }
        // (An offset beyond Java's nanoseconds, 292 years either way: no time of the interface takes the quick
        // path, the exact sum decides.)
        boolean offsetHeld = tsoffset <= Long.MAX_VALUE / NANOS && tsoffset >= Long.MIN_VALUE / NANOS;
        ifTsOffsetSeconds[i] = tsoffset;
        ifTsOffsetNanos[i] = offsetHeld ? tsoffset * NANOS : tsoffset < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        long maxUnits = ifTsMode[i] == TS_MULTIPLY && offsetHeld ? (Long.MAX_VALUE - Math.max(0, ifTsOffsetNanos[i])) / ifTsScale[i] : 0;
        ifTsMaxUnitsFlipped[i] = maxUnits ^ Long.MIN_VALUE;
        interfaces++;
        return true;
    }

    private static long pow10(int n) {
        long r = 1;
        for (int k = 0; k < n; k++) {
            r *= 10;
        }
        return r;
    }

    /**
     * Converts a timestamp in the interface's units (unsigned) to nanoseconds since the epoch; a time past
     * what a Java long holds (after 2262-04-11, before 1677-09-21) is held as the last (first) instant
     * it holds, in its place in time, instead of wrapping around. Where the sum might not fit a long, it is
     * made exactly (a time of 2^64 units, an offset beyond 292 years: rare, and only on this path).
     */
    private long nanos(int ifId, long units) {
        long scale = ifTsScale[ifId];
        long off = ifTsOffsetNanos[ifId];
        boolean offsetHeld = off != Long.MIN_VALUE && off != Long.MAX_VALUE; // (whole seconds never are either)
        switch (ifTsMode[ifId]) {
            case TS_MULTIPLY:
                if (offsetHeld && Long.compareUnsigned(units, Long.MAX_VALUE / scale) <= 0) {
                    return sum(units * scale, off);
                }
                return exact(unsigned(units).multiply(java.math.BigInteger.valueOf(scale)), ifId);
            case TS_DIVIDE:
                long ns = scale == 0 ? 0 : Long.divideUnsigned(units, scale); // (at most 2^64 / 10: held)
                return offsetHeld ? sum(ns, off) : exact(java.math.BigInteger.valueOf(ns), ifId);
            default: {
                int shift = (int) scale;
                long seconds = shift == 0 ? units : units >>> shift;
                long fraction = shift == 0 ? 0 : units << (64 - shift); // the fraction as 0.64 fixed point
                long fractionNanos = Math.multiplyHigh(fraction, NANOS) + (fraction < 0 ? NANOS : 0);
                if (offsetHeld && Long.compareUnsigned(seconds, Long.MAX_VALUE / NANOS - 1) <= 0) {
                    return sum(seconds * NANOS + fractionNanos, off);
                }
                return exact(unsigned(seconds).multiply(java.math.BigInteger.valueOf(NANOS))
                        .add(java.math.BigInteger.valueOf(fractionNanos)), ifId);
            }
        }
    }

    /** {@code ns} (not negative) and an offset that a long holds, held at the end of a long's range. */
    private static long sum(long ns, long off) {
        long s = ns + off;
        return off > 0 && s < 0 ? Long.MAX_VALUE : s; // (a negative offset cannot take a positive time below MIN)
    }

    /** {@code ns} and the interface's offset, summed exactly, held within a long's range. */
    private long exact(java.math.BigInteger ns, int ifId) {
        java.math.BigInteger t = ns.add(java.math.BigInteger.valueOf(ifTsOffsetSeconds[ifId]).multiply(java.math.BigInteger.valueOf(NANOS)));
        return t.bitLength() < 64 ? t.longValue() : t.signum() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }

    private static java.math.BigInteger unsigned(long v) {
        java.math.BigInteger b = java.math.BigInteger.valueOf(v & Long.MAX_VALUE);
        return v < 0 ? b.setBit(63) : b;
    }
}
