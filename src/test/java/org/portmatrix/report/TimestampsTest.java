package org.portmatrix.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TimestampsTest {
    /** java.time's own ISO instant, with the fraction always 6 or 9 digits as the reports write it. */
    private static String reference(long nanos) {
        Instant i = Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
        String seconds = DateTimeFormatter.ISO_LOCAL_DATE_TIME.withZone(java.time.ZoneOffset.UTC)
                .format(i.truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        int n = i.getNano();
        return n % 1000 == 0 ? seconds + "." + String.format("%06d", n / 1000) + "Z" : seconds + "." + String.format("%09d", n) + "Z";
    }

    @Test
    void microsecondsAndNanosecondsAreWrittenInFull() {
        assertEquals("1970-01-01T00:00:00.000000Z", Timestamps.iso(0));
        assertEquals("2026-11-22T04:49:47.808518Z", Timestamps.iso(1_795_322_987_808_518_000L));
        assertEquals("2026-11-22T04:49:47.808518001Z", Timestamps.iso(1_795_322_987_808_518_001L));
        assertEquals("1969-12-31T23:59:59.999999Z", Timestamps.iso(-1000));
    }

    @Test
    void agreesWithJavaTimeOverTheWholeRangeOfALong() {
        SplittableRandom r = new SplittableRandom(11);
        long[] edges = {Long.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE + 1, -1, 1, 951_782_400_000_000_000L /* 2000-02-29 */,
            4_107_542_400_000_000_000L /* 2100-03-01 */, -2_208_988_800_000_000_000L /* 1900-01-01 */};
        for (long v : edges) {
            assertEquals(reference(v), Timestamps.iso(v), "nanos " + v);
        }
        for (int i = 0; i < 100_000; i++) {
            long v = r.nextLong();
            assertEquals(reference(v), Timestamps.iso(v), "nanos " + v);
        }
    }

    @Test
    void agreesWithJavaTimeAcrossSecondsOnOneThreadOrMany() throws Exception {
        SplittableRandom r = new SplittableRandom(7);
        long t = 1_795_322_987_000_000_000L;
        for (int i = 0; i < 20_000; i++) {
            t += r.nextLong(0, 3_000_000_000L);
            long v = r.nextBoolean() ? t - t % 1000 : t;
            assertEquals(reference(v), Timestamps.iso(v));
        }
        Thread other = new Thread(() -> Timestamps.iso(42_000_000_000L));
        other.start();
        other.join();
        assertEquals(reference(t), Timestamps.iso(t));
    }
}
