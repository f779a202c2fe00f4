package org.portmatrix.report;

/**
 * ISO-8601 UTC timestamps with microseconds (nanoseconds when the capture has them).
 *
 * <p>Two per flow record: the date and time of day are computed once per distinct second (see
 * {@link #seconds}; four recent seconds cached per thread: flows ending together share them), and
 * the fraction is padded by hand. Measured reason: {@code String.format} for the fraction was 24%
 * of the flow-reporting thread's CPU samples on the reference workload.
 */
public final class Timestamps {
    /** Recent seconds and their text, per thread: slot {@code second & 3}, so a flow's first and last second both stay. */
    private static final ThreadLocal<Recent> RECENT = ThreadLocal.withInitial(Recent::new);

    private static final class Recent {
        final long[] second = {Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE};
        /** The text of each slot's second, rewritten in place when the slot changes second. */
        final char[][] text = new char[4][19];
        final char[] chars = new char[MAX_CHARS];
    }

    private Timestamps() {}

    /**
     * "yyyy-MM-ddTHH:mm:ss" of an epoch second, by the civil-from-days algorithm (H. Hinnant, "chrono-
     * compatible low-level date algorithms"): the same text as {@code DateTimeFormatter} for every
     * second a {@code long} of nanoseconds can hold (years 1677-2262). Measured reason: flows end in
     * time order but start anywhere, so the first-seen times miss the cache of recent seconds, and
     * java.time's formatter was a tenth of the flow thread's allocation on the reference workload.
     * Written into {@code c[0..19)}, a cache slot's own array: a slot that changes second allocates
     * nothing either.
     */
    private static void seconds(long epochSecond, char[] c) {
        long days = Math.floorDiv(epochSecond, 86_400L);
        int secOfDay = (int) Math.floorMod(epochSecond, 86_400L);
        long z = days + 719_468;
        long era = Math.floorDiv(z, 146_097L);
        long doe = z - era * 146_097;                                  // [0, 146096]
        long yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);           // [0, 365]
        long mp = (5 * doy + 2) / 153;                                 // [0, 11]
        int day = (int) (doy - (153 * mp + 2) / 5 + 1);
        int month = (int) (mp < 10 ? mp + 3 : mp - 9);
        long year = yoe + era * 400 + (month <= 2 ? 1 : 0); // 1677-2262: four digits
        put(c, 0, (int) year, 4);
        c[4] = '-';
        put(c, 5, month, 2);
        c[7] = '-';
        put(c, 8, day, 2);
        c[10] = 'T';
        put(c, 11, secOfDay / 3600, 2);
        c[13] = ':';
        put(c, 14, secOfDay / 60 % 60, 2);
        c[16] = ':';
        put(c, 17, secOfDay % 60, 2);
    }

    private static void put(char[] c, int at, int value, int digits) {
        for (int i = at + digits - 1; i >= at; i--) {
            c[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }

    public static String iso(long nanos) {
        Recent recent = RECENT.get();
        return new String(recent.chars, 0, iso(nanos, recent.chars, recent));
    }

    /**
     * Writes the timestamp into {@code out} (at least {@link #MAX_CHARS} long) and returns its length.
     * Measured reason: the JSON lines writer takes the characters as they are, where a string per
     * timestamp (and its builder) was 13 MB of the 180 MB a run allocates on the reference workload.
     */
    public static int iso(long nanos, char[] out) {
        return iso(nanos, out, RECENT.get());
    }

    private static int iso(long nanos, char[] out, Recent recent) {
        long sec = Math.floorDiv(nanos, 1_000_000_000L);
        long frac = Math.floorMod(nanos, 1_000_000_000L);
        int slot = (int) (sec & 3);
        char[] base = recent.text[slot];
        if (recent.second[slot] != sec) {
            seconds(sec, base);
            recent.second[slot] = sec;
        }
        int n = base.length;
        System.arraycopy(base, 0, out, 0, n);
        out[n++] = '.';
        boolean micros = frac % 1000 == 0;
        long value = micros ? frac / 1000 : frac;
        for (long p = micros ? 100_000 : 100_000_000; p > 0; p /= 10) {
            out[n++] = (char) ('0' + (value / p) % 10);
        }
        out[n++] = 'Z';
        return n;
    }

    /** The longest text {@link #iso(long, char[])} writes: 19 + '.' + 9 digits + 'Z'. */
    public static final int MAX_CHARS = 30;
}
