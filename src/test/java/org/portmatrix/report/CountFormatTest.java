package org.portmatrix.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The reports' counts with thousands separators are exactly what {@code %,d} writes. */
class CountFormatTest {
    @Test
    void sameAsTheFormatterAtEveryLengthAndSign() {
        long[] edges = {0, 1, -1, 9, 99, 999, 1000, -1000, 9999, 12345, 100000, 999999, 1000000, 1234567,
            -1234567, Integer.MAX_VALUE, Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1};
        for (long v : edges) {
            assertEquals(String.format(Locale.ROOT, "%,d", v), TextReport.n(v), "value " + v);
        }
        SplittableRandom r = new SplittableRandom(2013);
        for (int i = 0; i < 10_000; i++) {
            long v = r.nextLong() >> r.nextInt(64); // every magnitude
            assertEquals(String.format(Locale.ROOT, "%,d", v), TextReport.n(v), "value " + v);
        }
    }
}
