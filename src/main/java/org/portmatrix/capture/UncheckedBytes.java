package org.portmatrix.capture;

import java.lang.reflect.Field;
import java.nio.ByteOrder;

/**
 * Integers read from a byte array by single loads, without the array's bounds checks: only for
 * code that has checked the bounds itself before every read (the capture readers' common-record
 * paths, the packet decoder, whose every length is checked as {@code limit - offset < needed}
 * first). Tests run with assertions on, which check every read's bounds again, the fuzzers included.
 *
 * <p>Measured reason (reference workload, paired rounds): the quick JIT (C1) reads an integer as
 * {@link Bytes} writes it, each byte with its bounds check, shift and or; the capture readers'
 * record headers read this way took the whole run -6% in wall time as classic pcap and -5% as
 * pcapng (8-10 rounds each way).
 */
public final class UncheckedBytes {
    private static final sun.misc.Unsafe UNSAFE;
    private static final long BASE;
    private static final boolean LITTLE_ENDIAN_HOST = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    static {
        try {
            Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            UNSAFE = (sun.misc.Unsafe) f.get(null);
            BASE = UNSAFE.arrayBaseOffset(byte[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private UncheckedBytes() {}

    private static boolean within(byte[] b, int off, int n) {
        return off >= 0 && off <= b.length - n;
    }

    /** Little-endian 32 bits at {@code off}. */
    public static int i32le(byte[] b, int off) {
        assert within(b, off, 4) : "read of 4 at " + off + " of " + b.length;
        int v = UNSAFE.getInt(b, BASE + off);
        return LITTLE_ENDIAN_HOST ? v : Integer.reverseBytes(v);
    }

    /** Big-endian unsigned 16 bits at {@code off}. */
    public static int u16(byte[] b, int off) {
        assert within(b, off, 2) : "read of 2 at " + off + " of " + b.length;
        short v = UNSAFE.getShort(b, BASE + off);
        return (LITTLE_ENDIAN_HOST ? Short.reverseBytes(v) : v) & 0xffff;
    }

    /** Big-endian 32 bits at {@code off}. */
    public static int i32(byte[] b, int off) {
        assert within(b, off, 4) : "read of 4 at " + off + " of " + b.length;
        int v = UNSAFE.getInt(b, BASE + off);
        return LITTLE_ENDIAN_HOST ? Integer.reverseBytes(v) : v;
    }

    /** Big-endian unsigned 32 bits at {@code off}. */
    public static long u32(byte[] b, int off) {
        return i32(b, off) & 0xffffffffL;
    }

    /** Big-endian 64 bits at {@code off}. */
    public static long i64(byte[] b, int off) {
        assert within(b, off, 8) : "read of 8 at " + off + " of " + b.length;
        long v = UNSAFE.getLong(b, BASE + off);
        return LITTLE_ENDIAN_HOST ? Long.reverseBytes(v) : v;
    }
}
