package org.portmatrix.capture;

import java.lang.reflect.Field;
import java.nio.ByteOrder;

/**
 * Integers read from a byte array by single loads, without the array's bounds checks: only for
 * code that has checked the bounds itself before every read (the capture readers' common-record
 * paths, the packet decoder, whose every length is checked as {@code limit - offset < needed}
 * first), and one store, of the extract's record headers after the room for them is checked. With
 * assertions on (tests, the fuzzers included) every access's bounds are checked again.
 * Little-endian machines that load integers at any byte offset only (x86-64, ARM64, POWER
 * little-endian): the class refuses to load elsewhere rather than read wrong numbers or trap. On
 * JDK 24 and later the JVM warns once on standard error that {@code sun.misc.Unsafe}'s memory
 * access is deprecated (JEP 498); this project is built and run on JDK 17.
 *
 * <p>Measured reason (reference workload, paired rounds): the quick JIT (C1) reads an integer as
 * {@link Bytes} writes it, each byte with its bounds check, shift and or; the capture readers'
 * record headers read this way took the whole run -6% in wall time as classic pcap and -5% as
 * pcapng (8-10 rounds each way); with the decoder's fields too, -5% in wall time and CPU against
 * neither (10 rounds). Each method stays within C1's inlining limit (35 bytes of
 * bytecode): the check is a call behind a constant, and there is no branch on the byte order.
 */
public final class UncheckedBytes {
    private static final sun.misc.Unsafe UNSAFE;
    private static final long BASE;
    /** Assertions on for this class: every read's bounds checked (a constant: C1 drops the branch when off). */
    private static final boolean CHECK = UncheckedBytes.class.desiredAssertionStatus();

    static {
        String arch = System.getProperty("os.arch", "");
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN
                || !(arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64") || arch.equals("ppc64le"))) {
            throw new ExceptionInInitializerError("portmatrix reads captures on x86-64, ARM64 and little-endian POWER machines only (this one: "
                    + arch + ", " + ByteOrder.nativeOrder() + ")");
        }
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

    private static void check(byte[] b, int off, int n) {
        if (off < 0 || off > b.length - n) {
            throw new AssertionError("read of " + n + " bytes at " + off + " of " + b.length);
        }
    }

    /** Little-endian 32 bits at {@code off}. */
    public static int i32le(byte[] b, int off) {
        if (CHECK) {
            check(b, off, 4);
        }
        return UNSAFE.getInt(b, BASE + off);
    }

    /** Stores {@code v} little-endian at {@code off}. */
    public static void putI32le(byte[] b, int off, int v) {
        if (CHECK) {
            check(b, off, 4);
        }
        UNSAFE.putInt(b, BASE + off, v);
    }

    /** Big-endian unsigned 16 bits at {@code off}. */
    public static int u16(byte[] b, int off) {
        if (CHECK) {
            check(b, off, 2);
        }
        return Character.reverseBytes(UNSAFE.getChar(b, BASE + off));
    }

    /** Big-endian 32 bits at {@code off}. */
    public static int i32(byte[] b, int off) {
        if (CHECK) {
            check(b, off, 4);
        }
        return Integer.reverseBytes(UNSAFE.getInt(b, BASE + off));
    }

    /** Big-endian 64 bits at {@code off}. */
    public static long i64(byte[] b, int off) {
        if (CHECK) {
            check(b, off, 8);
        }
        return Long.reverseBytes(UNSAFE.getLong(b, BASE + off));
    }
}
