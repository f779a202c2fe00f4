package org.portmatrix.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Flows started per time interval, by verdict, in bounded memory: buckets start one millisecond
 * wide and double (merging neighbours) whenever the capture spans more than {@link #MAX_BUCKETS}.
 * Flows arrive in the order they end, not the order they start, so buckets are keyed by absolute
 * time rather than an offset from the first flow.
 */
public final class Timeline {
    static final int MAX_BUCKETS = 512;
    private final int verdicts;
    private long widthNanos = 1_000_000L;
    private final TreeMap<Long, long[]> buckets = new TreeMap<>();

    Timeline(int verdicts) {
        this.verdicts = verdicts;
    }

    /** The bucket counted last and its key: flows ending together mostly started together. */
    private long lastKey;
    private long[] lastCounts;

    void add(long tsNanos, int verdict) {
        long key = Math.floorDiv(tsNanos, widthNanos);
        if (lastCounts != null && key == lastKey) {
            lastCounts[verdict]++; // no boxed key and no tree walk
            return;
        }
        long[] counts = buckets.get(key);
        if (counts == null) {
            counts = new long[verdicts];
            buckets.put(key, counts);
        }
        counts[verdict]++;
        lastKey = key;
        lastCounts = counts;
        while (buckets.lastKey() - buckets.firstKey() + 1 > MAX_BUCKETS) {
            coarsen();
        }
    }

    private void coarsen() {
        TreeMap<Long, long[]> merged = new TreeMap<>();
        for (Map.Entry<Long, long[]> e : buckets.entrySet()) {
            long[] into = merged.computeIfAbsent(Math.floorDiv(e.getKey(), 2), k -> new long[verdicts]);
            for (int i = 0; i < verdicts; i++) {
                into[i] += e.getValue()[i];
            }
        }
        buckets.clear();
        buckets.putAll(merged);
        widthNanos *= 2;
        lastCounts = null;
    }

    /**
     * One interval of the timeline.
     *
     * @param startNanos start of the interval
     * @param widthNanos its length
     * @param counts flows started in it, by verdict (index = {@code Verdict.ordinal()})
     */
    public record Bucket(long startNanos, long widthNanos, long[] counts) {
        public long total() {
            long t = 0;
            for (long c : counts) {
                t += c;
            }
            return t;
        }
    }

    /** At most {@code maxBars} consecutive intervals covering the span of the capture, empty ones included. */
    public List<Bucket> bars(int maxBars) {
        List<Bucket> out = new ArrayList<>();
        if (buckets.isEmpty()) {
            return out;
        }
        long first = buckets.firstKey();
        long last = buckets.lastKey();
        long span = last - first + 1;
        long factor = 1;
        while (span / factor + (span % factor == 0 ? 0 : 1) > maxBars) {
            factor *= 2;
        }
        long start = Math.floorDiv(first, factor) * factor;
        for (long k = start; k <= last; k += factor) {
            long[] counts = new long[verdicts];
            for (long[] c : buckets.subMap(k, true, k + factor - 1, true).values()) {
                for (int i = 0; i < verdicts; i++) {
                    counts[i] += c[i];
                }
            }
            out.add(new Bucket(k * widthNanos, factor * widthNanos, counts));
        }
        return out;
    }
}
