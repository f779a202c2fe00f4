package org.portmatrix.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The chart coordinates of the HTML page are written as String.format's "%.1f" writes them. */
class HtmlNumbersTest {
    private static void same(double v) {
        assertEquals(String.format(Locale.ROOT, "%.1f", v), HtmlReport.f(v), "value " + v);
    }

    @Test
    void tiesAndEdgesRoundAsTheFormatterDoes() {
        for (double v : new double[] {0, -0.0, -0.04, -1.15, 0.05, 0.15, 0.25, 1.15, 2.675, 9.95, 99.95, 1e7, 1.2345e-5, 1e-300,
            123456789.95, 330.5, 1290, Double.NaN, Double.POSITIVE_INFINITY, Double.MAX_VALUE}) {
            same(v);
        }
    }

    @Test
    void agreesWithTheFormatterOnChartLikeValues() {
        SplittableRandom r = new SplittableRandom(17);
        for (int i = 0; i < 200_000; i++) {
            same(r.nextDouble() * 1300);
            same(Math.round(r.nextDouble() * 130_000) / 100.0);
            same(r.nextInt(2000) + 0.05 * r.nextInt(3));
        }
    }
}
