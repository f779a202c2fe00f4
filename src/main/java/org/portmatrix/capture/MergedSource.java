package org.portmatrix.capture;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Several captures read as one, in time order: a k-way merge on the timestamp of each source's
 * next packet (a binary heap of source indices; ties go to the source begun first, then to the one
 * given first, and each source's own order is kept). A source is opened only when the merge reaches its first packet and closed
 * at its end, so a ring buffer of a thousand files holds one or two read buffers at a time, not a
 * thousand. The caller's {@link PacketRef} points into the buffer of the source it came from,
 * which is not touched until the next call.
 */
final class MergedSource implements PacketSource {
    /** Opens one source again (its first packet was already seen once, when the merge was set up). */
    interface Opener {
        PacketSource open() throws IOException;
    }

    private final String name;
    private final String[] names;
    private final Opener[] openers;
    private final PacketSource[] sources;
    private final PacketRef[] heads;
    /** Timestamp of each source's next packet: the heap key. */
    private final long[] key;
    /** Timestamp of each source's first packet: of two packets at the same time, the one of the file begun first goes first. */
    private final long[] first;
    private final int[] heap;
    private int heapSize;
    private final List<CaptureDamage> finishedDamage = new ArrayList<>();
    private long finishedBytes;
    private long size;
    private int last = -1;

    /**
     * @param name the name for messages (a directory, or the files joined)
     * @param names each source's name
     * @param openers one per source, in the order given
     * @param firstTs each source's first timestamp, or {@link Long#MIN_VALUE} when it has no packet
     * @param opened sources already open and positioned after their first packet (their first
     *     packet in {@code firstRefs}), or null where the source is closed until needed
     */
    MergedSource(String name, String[] names, Opener[] openers, long[] firstTs, PacketSource[] opened, PacketRef[] firstRefs,
                 List<CaptureDamage> setupDamage, long size) {
        int n = openers.length;
        this.name = name;
        this.names = names;
        this.openers = openers;
        this.sources = opened.clone();
        this.heads = new PacketRef[n];
        this.key = new long[n];
        this.first = firstTs.clone();
        this.heap = new int[n];
        this.size = size;
        this.finishedDamage.addAll(setupDamage);
        for (int i = 0; i < n; i++) {
            heads[i] = firstRefs[i] != null ? firstRefs[i] : new PacketRef();
            if (firstTs[i] != Long.MIN_VALUE) {
                key[i] = firstTs[i];
                heap[heapSize++] = i;
                siftUp(heapSize - 1);
            }
        }
    }

    /**
     * Time order; at the same time, the file begun first, then the one given first. By the order given alone, the
     * last packet of tcpdump -C's cap.pcap9 went after the first of cap.pcap10 at the same microsecond (a
     * directory's files and a shell's glob are in name order, cap.pcap10 before cap.pcap2): a STUN answer
     * read before its request.
     */
    private boolean less(int a, int b) {
        return key[a] < key[b] || (key[a] == key[b] && (first[a] < first[b] || (first[a] == first[b] && a < b)));
    }

    private void siftUp(int pos) {
        int x = heap[pos];
        while (pos > 0) {
            int parent = (pos - 1) >>> 1;
            if (!less(x, heap[parent])) {
                break;
            }
            heap[pos] = heap[parent];
            pos = parent;
        }
        heap[pos] = x;
    }

    private void siftDown(int pos) {
        int x = heap[pos];
        while (true) {
            int c = 2 * pos + 1;
            if (c >= heapSize) {
                break;
            }
            if (c + 1 < heapSize && less(heap[c + 1], heap[c])) {
                c++;
            }
            if (!less(heap[c], x)) {
                break;
            }
            heap[pos] = heap[c];
            pos = c;
        }
        heap[pos] = x;
    }

    private void removeTop() {
        heap[0] = heap[--heapSize];
        if (heapSize > 0) {
            siftDown(0);
        }
    }

    /** Closes a source at its end, keeping its damage and byte count. */
    private void finish(int i) throws IOException {
        PacketSource s = sources[i];
        heads[i].buf = null; // (it held the source's last chunk: a day of files kept a chunk of each, 1-2 MiB a file)
        if (s != null) {
            finishedDamage.addAll(s.damages());
            finishedBytes += s.position();
            s.close();
            sources[i] = null;
        }
    }

    @Override
    public boolean next(PacketRef ref) throws IOException {
        if (last >= 0) {
            // The packet handed out last is done with: move its source on.
            int i = last;
            last = -1;
            if (sources[i].next(heads[i])) {
                key[i] = heads[i].tsNanos;
                siftDown(0);
            } else {
                finish(i);
                removeTop();
            }
        }
        while (heapSize > 0) {
            int i = heap[0];
            if (sources[i] == null) {
                // First reached: open it and read its first packet again.
                PacketSource s;
                try {
                    s = openers[i].open();
                } catch (CaptureFormatException e) {
                    finishedDamage.add(new CaptureDamage(names[i], 0, "could not be read again (" + e.getMessage() + "); skipped", true));
                    removeTop();
                    continue;
                }
                sources[i] = s;
                if (!s.next(heads[i])) {
                    finish(i);
                    removeTop();
                    continue;
                }
                if (heads[i].tsNanos != key[i]) {
                    key[i] = first[i] = heads[i].tsNanos; // the file changed since it was first opened
                    siftDown(0);
                    continue;
                }
            }
            PacketRef h = heads[i];
            ref.set(h.buf, h.offset, h.caplen, h.origLen, h.tsNanos, h.linkType);
            ref.recordOffset = h.recordOffset;
            ref.sourceIndex = i;
            last = i;
            return true;
        }
        return false;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String nameOf(PacketRef ref) {
        int i = ref.sourceIndex;
        return i >= 0 && i < names.length ? names[i] : name;
    }

    @Override
    public int files() {
        return names.length;
    }

    @Override
    public String fileName(int index) {
        return names[index];
    }

    @Override
    public CaptureDamage damage() {
        List<CaptureDamage> all = damages();
        return all.isEmpty() ? null : all.get(0);
    }

    @Override
    public List<CaptureDamage> damages() {
        List<CaptureDamage> all = new ArrayList<>(finishedDamage);
        for (PacketSource s : sources) {
            if (s != null) {
                all.addAll(s.damages());
            }
        }
        return all;
    }

    @Override
    public long position() {
        long p = finishedBytes;
        for (PacketSource s : sources) {
            if (s != null) {
                p += s.position();
            }
        }
        return p;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (int i = 0; i < sources.length; i++) {
            if (sources[i] != null) {
                try {
                    sources[i].close();
                } catch (IOException e) {
                    first = first == null ? e : first;
                }
                sources[i] = null;
            }
        }
        heapSize = 0;
        if (first != null) {
            throw first;
        }
    }
}
