package org.portmatrix.capture.live;

import java.util.concurrent.locks.LockSupport;

/**
 * The capture thread: reads packets from a {@link LiveSource}, copies them into reusable
 * {@link PacketBatch}es and hands full batches to the analysis thread through a bounded ring; empty
 * batches come back through a second ring (the free list). The capture thread never waits for the
 * analysis: when no free batch is left it drops the packet and counts it ("dropped inside the
 * tool"), so the kernel's ring keeps draining and the loss is reported instead of spreading.
 *
 * <p>A batch is handed over when it is full, when its oldest packet is {@link #FLUSH_NANOS} old
 * and another packet arrives, or when the capture is idle with packets in it. libpcap on Linux
 * (TPACKET_V3) never returns from an idle wait on its own, so the analysis thread calls
 * {@link #nudge} while it waits: when the batch being filled has waited {@link #FLUSH_NANOS}, or
 * the kernel counters are a second old, it wakes the capture thread ({@code pcap_breakloop}), which
 * then hands the batch over and reads the counters. No packet is lost by a wake-up: it stays in the
 * kernel's ring for the next read.
 *
 * <p>On {@link #requestStop} the loop breaks out of the wait, switches the source to non-blocking
 * reads and takes what the kernel already holds until it has been empty for {@link #QUIET_NANOS}
 * (the kernel hands over a partly filled block after the capture timeout), at most
 * {@link #DRAIN_NANOS}; then it hands over the last batch and ends: nothing captured is left behind.
 *
 * <p>Counters are written by the capture thread only and published with volatile stores at each
 * hand-over and timeout; after {@link #finished()} they are final.
 */
public final class CaptureLoop implements Runnable {
    /** Longest time a packet waits in a partly filled batch. */
    public static final long FLUSH_NANOS = 100_000_000L;
    /** Longest time spent reading what the kernel still holds after a stop. */
    public static final long DRAIN_NANOS = 2_000_000_000L;
    /** The kernel's ring must stay empty this long before the drain ends (several capture timeouts). */
    public static final long QUIET_NANOS = 250_000_000L;
    private static final long STATS_INTERVAL_NANOS = 1_000_000_000L;
    private static final int CLOCK_CHECK_PACKETS = 1024;

    private final LiveSource source;
    private final BatchRing<PacketBatch> full;
    private final BatchRing<PacketBatch> free;
    private final int batches;
    private final int linkType;

    private volatile boolean stopRequested;
    private volatile boolean finished;
    private volatile Thread consumer;
    private volatile boolean consumerParked;
    private volatile LiveCaptureException failure;
    private volatile long threadId = -1;
    /** nanoTime of the first packet of the batch being filled, 0 when it is empty. */
    private volatile long pendingSince;
    private volatile long lastTick;

    // Written by the capture thread; published through the volatile copies below.
    private long received;
    private long droppedInTool;
    private long batchesHanded;
    private volatile long receivedPublished;
    private volatile long droppedPublished;
    private volatile long batchesPublished;
    private final KernelStats kernelScratch = new KernelStats();
    private final KernelStats kernel = new KernelStats();

    /** The batch being filled by the capture thread, or null. */
    private PacketBatch filling;
    private long firstTsOfBatch;
    /**
     * Drops on this host not yet handed over with a batch, and the packet time of the latest: a packet
     * dropped in the tool gives its own timestamp; the kernel's drops, known from its counters once a
     * second, the wall-clock time the counters were read (packet timestamps are the system clock).
     * Handed over with the next batch ({@link PacketBatch#dropsBefore}).
     */
    private long pendingDrops;
    private long pendingLastDrop = Long.MIN_VALUE;
    /** The kernel's and the interface's drops when its counters were last read. */
    private long kernelDropsSeen;
    private long nextStats;

    /**
     * @param batches batches in circulation (the queue between the threads holds at most this many)
     * @param batchBytes bytes per batch (at least the snap length)
     * @param batchPackets most packets per batch
     */
    public CaptureLoop(LiveSource source, int batches, int batchBytes, int batchPackets) {
        this.source = source;
        this.batches = batches;
        this.linkType = source.linkType();
        this.full = new BatchRing<>(batches);
        this.free = new BatchRing<>(batches);
        for (int i = 0; i < batches; i++) {
            PacketBatch b = new PacketBatch(batchBytes, batchPackets);
            b.linkType = linkType;
            free.offer(b);
        }
    }

    @Override
    public void run() {
        threadId = Thread.currentThread().getId();
        try {
            capture();
        } catch (LiveCaptureException e) {
            failure = e; // (what was captured before it, the batch being filled included, is still handed over)
        } finally {
            PacketBatch cur = filling;
            filling = null;
            if (cur != null && !cur.isEmpty()) {
                handOver(cur);
            } else if (cur != null) {
                free.offer(cur);
            }
            try {
                source.stats(kernelScratch);
                kernelRead();
                publishKernel();
            } catch (LiveCaptureException e) {
                // keep the last figures read
            }
            publishCounters();
            finished = true;
            wakeConsumer();
        }
    }

    /** Reads until stopped; the batch being filled is {@link #filling} (not a local: a failure must not lose it). */
    private void capture() throws LiveCaptureException {
        LiveSource s = source;
        filling = free.poll();
        lastTick = System.nanoTime();
        nextStats = lastTick + STATS_INTERVAL_NANOS;
        int sinceClock = 0;
        while (!stopRequested) {
            int r = s.next();
            if (r == LiveSource.PACKET) {
                filling = take(filling);
                if (++sinceClock >= CLOCK_CHECK_PACKETS) {
                    sinceClock = 0;
                    tick();
                }
            } else {
                // A timeout, or a wake-up from nudge(): hand over what waits, refresh the counters.
                if (filling != null && !filling.isEmpty()) {
                    handOver(filling);
                    filling = free.poll();
                }
                publishCounters();
                tick();
                if (pendingDrops > 0) {
                    // Drops learnt of with no packet after them to carry them (the traffic stopped after a burst, or the
                    // kernel's counters were read while idle): handed over now with an empty batch, before the analysis
                    // closes the flows they cut on its wall-clock timer.
                    PacketBatch b = filling != null ? filling : free.poll();
                    if (b != null) {
                        handOver(b);
                        filling = free.poll();
                    }
                }
            }
        }
        // Stop requested: take what the kernel already captured, then end.
        s.nonBlocking();
        long start = System.nanoTime();
        long quietSince = start;
        while (true) {
            int r = s.next();
            long now = System.nanoTime();
            if (r == LiveSource.PACKET) {
                filling = take(filling);
                quietSince = now;
            } else if (now - quietSince >= QUIET_NANOS) {
                break;
            } else {
                LockSupport.parkNanos(5_000_000L);
            }
            if (now - start >= DRAIN_NANOS) {
                break;
            }
        }
    }

    /** Takes the source's current packet into {@code cur}; returns the batch to fill next (null: none free). */
    private PacketBatch take(PacketBatch cur) {
        received++;
        int len = source.caplen();
        if (cur != null && !cur.fits(len)) {
            handOver(cur);
            cur = null;
        }
        if (cur == null) {
            cur = free.poll();
            if (cur == null || !cur.fits(len)) {
                if (cur != null) {
                    free.offer(cur); // larger than a whole batch: cannot happen with batches >= snap length
                    cur = null;
                }
                droppedInTool++;
                noteDrops(1, source.tsNanos());
                return null;
            }
        }
        long ts = source.tsNanos();
        if (cur.isEmpty()) {
            firstTsOfBatch = ts;
            pendingSince = System.nanoTime();
        }
        cur.add(source);
        if (ts - firstTsOfBatch >= FLUSH_NANOS) {
            handOver(cur);
            return free.poll();
        }
        return cur;
    }

    private void noteDrops(long n, long at) {
        pendingDrops += n;
        pendingLastDrop = Math.max(pendingLastDrop, at);
    }

    /** The kernel's counters just read into {@link #kernelScratch}: its new drops, taken as of now (they happened since the last read). */
    private void kernelRead() {
        long drops = kernelScratch.dropped + kernelScratch.interfaceDropped;
        if (drops > kernelDropsSeen) {
            noteDrops(drops - kernelDropsSeen, System.currentTimeMillis() * 1_000_000L);
            kernelDropsSeen = drops;
        }
    }

    private void handOver(PacketBatch b) {
        pendingSince = 0;
        b.linkType = linkType;
        b.dropsBefore = pendingDrops;
        b.lastDropNanos = pendingLastDrop;
        pendingDrops = 0;
        pendingLastDrop = Long.MIN_VALUE;
        full.offer(b); // never full: the ring holds every batch in circulation
        batchesHanded++;
        publishCounters();
        if (consumerParked) {
            wakeConsumer();
        }
    }

    private void tick() throws LiveCaptureException {
        long now = System.nanoTime();
        lastTick = now;
        if (now >= nextStats) {
            nextStats = now + STATS_INTERVAL_NANOS;
            source.stats(kernelScratch);
            kernelRead();
            publishKernel();
        }
    }

    private void publishCounters() {
        receivedPublished = received;
        droppedPublished = droppedInTool;
        batchesPublished = batchesHanded;
    }

    private void publishKernel() {
        synchronized (kernel) {
            kernel.copyFrom(kernelScratch);
        }
    }

    private void wakeConsumer() {
        Thread c = consumer;
        if (c != null) {
            LockSupport.unpark(c);
        }
    }

    // ---- the analysis thread's side ----

    /** The next full batch, or null. Give it back with {@link #recycle}. */
    public PacketBatch poll() {
        return full.poll();
    }

    public void recycle(PacketBatch b) {
        b.clear();
        free.offer(b);
    }

    /** Parks the calling (analysis) thread until a batch is handed over, the capture ends, or {@code maxNanos} pass. */
    public void awaitBatch(long maxNanos) {
        consumer = Thread.currentThread();
        consumerParked = true;
        if (full.size() == 0 && !finished) {
            LockSupport.parkNanos(this, maxNanos);
        }
        consumerParked = false;
    }

    /**
     * Called by the analysis thread while it waits: wakes the capture thread when the batch being
     * filled has waited {@link #FLUSH_NANOS} or the counters are {@link #STATS_INTERVAL_NANOS} old.
     */
    public void nudge(long nowNanos) {
        long p = pendingSince;
        if ((p != 0 && nowNanos - p >= FLUSH_NANOS) || nowNanos - lastTick >= STATS_INTERVAL_NANOS) {
            lastTick = nowNanos; // one wake-up per interval, even before the capture thread runs
            source.wakeup();
        }
    }

    /** Ends the capture: breaks out of the wait; the loop then reads what the kernel holds and finishes. */
    public void requestStop() {
        stopRequested = true;
        source.wakeup();
    }

    public boolean stopRequested() {
        return stopRequested;
    }

    /** True when the capture thread has handed over its last batch and its counters are final. */
    public boolean finished() {
        return finished;
    }

    /** Why the capture ended on its own, or null. */
    public LiveCaptureException failure() {
        return failure;
    }

    /** Packets libpcap delivered to the tool (including those then dropped inside the tool). */
    public long received() {
        return receivedPublished;
    }

    /** Packets delivered but dropped because every batch was waiting for the analysis. */
    public long droppedInTool() {
        return droppedPublished;
    }

    public long batchesHanded() {
        return batchesPublished;
    }

    public int queued() {
        return full.size();
    }

    public int batches() {
        return batches;
    }

    public void kernelStats(KernelStats into) {
        synchronized (kernel) {
            into.copyFrom(kernel);
        }
    }

    /**
     * Drops on this host that no batch carried (learnt of after the last one was handed over), and the
     * packet time of the latest. Read once the capture thread has ended.
     */
    public long dropsNotHandedOver() {
        return pendingDrops;
    }

    public long lastDropNotHandedOver() {
        return pendingLastDrop;
    }

    /** Id of the capture thread once it runs, else -1 (for per-thread allocation figures). */
    public long threadId() {
        return threadId;
    }

    public LiveSource source() {
        return source;
    }
}
