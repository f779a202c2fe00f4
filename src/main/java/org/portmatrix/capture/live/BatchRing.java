package org.portmatrix.capture.live;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded single-producer single-consumer ring of references. The producer publishes an element
 * with a release store of the tail, the consumer frees a slot with a release store of the head; no
 * locks, no allocation. {@link #offer} fails instead of waiting when the ring is full.
 */
public final class BatchRing<T> {
    private final Object[] items;
    private final int mask;
    private final AtomicLong head = new AtomicLong();
    private final AtomicLong tail = new AtomicLong();

    public BatchRing(int capacity) {
        int n = Integer.highestOneBit(Math.max(2, capacity) - 1) << 1;
        items = new Object[n];
        mask = n - 1;
    }

    /** Producer only. Returns false when full. */
    public boolean offer(T item) {
        long t = tail.get();
        if (t - head.get() == items.length) {
            return false;
        }
        items[(int) t & mask] = item;
        tail.lazySet(t + 1);
        return true;
    }

    /** Consumer only. Returns null when empty. */
    @SuppressWarnings("unchecked")
    public T poll() {
        long h = head.get();
        if (h == tail.get()) {
            return null;
        }
        int i = (int) h & mask;
        T item = (T) items[i];
        items[i] = null;
        head.lazySet(h + 1);
        return item;
    }

    public int size() {
        return (int) (tail.get() - head.get());
    }

    public int capacity() {
        return items.length;
    }
}
