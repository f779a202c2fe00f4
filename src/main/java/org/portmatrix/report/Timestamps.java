package org.portmatrix.report;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** ISO-8601 UTC timestamps with microseconds (nanoseconds when the capture has them). */
public final class Timestamps {
    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);

    private Timestamps() {}

    public static String iso(long nanos) {
        long sec = Math.floorDiv(nanos, 1_000_000_000L);
        long frac = Math.floorMod(nanos, 1_000_000_000L);
        String base = SECONDS.format(Instant.ofEpochSecond(sec));
        if (frac % 1000 == 0) {
            return base + String.format(".%06dZ", frac / 1000);
        }
        return base + String.format(".%09dZ", frac);
    }
}
