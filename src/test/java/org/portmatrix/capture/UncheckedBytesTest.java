package org.portmatrix.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The single loads read the numbers {@link Bytes} reads byte by byte, at every offset, and with
 * assertions on (as every test and fuzzer runs) a read outside the array fails instead of reading
 * what lies beyond it.
 */
class UncheckedBytesTest {
    @Test
    void readTheSameNumbersAsBytes() {
        byte[] b = new byte[4096];
        new SplittableRandom(1).nextBytes(b);
        for (int off = 0; off <= b.length - 8; off++) {
            assertEquals(Bytes.i32le(b, off), UncheckedBytes.i32le(b, off), "i32le at " + off);
            assertEquals(Bytes.u16(b, off), UncheckedBytes.u16(b, off), "u16 at " + off);
            assertEquals(Bytes.i32(b, off), UncheckedBytes.i32(b, off), "i32 at " + off);
            assertEquals(Bytes.i64(b, off), UncheckedBytes.i64(b, off), "i64 at " + off);
        }
    }

    @Test
    void storesWhatBytesReadsBack() {
        byte[] b = new byte[64];
        SplittableRandom r = new SplittableRandom(2);
        for (int off = 0; off <= b.length - 4; off++) {
            int v = r.nextInt();
            UncheckedBytes.putI32le(b, off, v);
            assertEquals(v, Bytes.i32le(b, off), "at " + off);
        }
    }

    @Test
    void withAssertionsOnAReadOutsideTheArrayFails() {
        assertTrue(UncheckedBytes.class.desiredAssertionStatus(), "tests run with assertions on (surefire's default)");
        byte[] b = new byte[10];
        assertThrows(AssertionError.class, () -> UncheckedBytes.u16(b, 9));
        assertThrows(AssertionError.class, () -> UncheckedBytes.i32(b, 7));
        assertThrows(AssertionError.class, () -> UncheckedBytes.i32le(b, -1));
        assertThrows(AssertionError.class, () -> UncheckedBytes.i64(b, 3));
        assertThrows(AssertionError.class, () -> UncheckedBytes.putI32le(b, 7, 1));
        assertEquals(Bytes.i64(b, 2), UncheckedBytes.i64(b, 2));
    }
}
