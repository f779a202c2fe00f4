package org.portmatrix.live;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.portmatrix.capture.Captures;
import org.portmatrix.capture.PacketRef;
import org.portmatrix.capture.PacketSource;
import org.portmatrix.capture.live.CaptureLoop;
import org.portmatrix.capture.live.PacketBatch;

/**
 * The capture thread's queue on a real capture (the reference workload cut, through a file-backed
 * {@link org.portmatrix.capture.live.LiveSource}): what the analysis side receives is the capture,
 * packet by packet and byte by byte, in order; when the analysis side does not keep up the capture
 * thread drops instead of waiting, and received = handed over + dropped.
 */
class CaptureLoopTest {

    /** Every packet of the file, in order, as (caplen, origLen, ts, bytes). */
    private static List<byte[]> framesOf(Path pcap, List<long[]> meta) throws Exception {
        List<byte[]> frames = new ArrayList<>();
        try (PacketSource s = Captures.open(pcap)) {
            PacketRef r = new PacketRef();
            while (s.next(r)) {
                frames.add(Arrays.copyOfRange(r.buf, r.offset, r.offset + r.caplen));
                meta.add(new long[] {r.origLen, r.tsNanos});
            }
        }
        return frames;
    }

    @Test
    void theAnalysisSideGetsTheCaptureInOrderWithExactlyTheCountedDropsMissing() throws Exception {
        Path pcap = Workload.mixCut()[0];
        List<long[]> meta = new ArrayList<>();
        List<byte[]> frames = framesOf(pcap, meta);
        // The file source is not paced: the capture thread may outrun this consumer and drop.
        FileLiveSource source = new FileLiveSource(pcap);
        CaptureLoop loop = new CaptureLoop(source, 8, 256 * 1024, 1024);
        Thread t = new Thread(loop, "capture");
        t.start();
        int next = 0; // index in the file of the next packet not yet seen or skipped
        long consumed = 0;
        try {
            while (!(loop.finished() && loop.queued() == 0) && next < frames.size()) {
                PacketBatch b = loop.poll();
                if (b == null) {
                    if (source.exhausted.getCount() == 0 && !loop.stopRequested()) {
                        loop.requestStop();
                    }
                    loop.nudge(System.nanoTime());
                    loop.awaitBatch(TimeUnit.MILLISECONDS.toNanos(10));
                    continue;
                }
                assertEquals(1, b.linkType);
                for (int k = 0; k < b.count; k++, consumed++) {
                    byte[] got = Arrays.copyOfRange(b.data, b.offset[k], b.offset[k] + b.caplen[k]);
                    while (next < frames.size() && !(meta.get(next)[1] == b.tsNanos[k] && Arrays.equals(frames.get(next), got))) {
                        next++; // dropped inside the tool
                    }
                    assertTrue(next < frames.size(), "packet " + consumed + " handed over is not the next of the capture");
                    assertEquals(meta.get(next)[0], b.origLen[k]);
                    next++;
                }
                loop.recycle(b);
            }
        } finally {
            loop.requestStop();
            t.join(10_000);
        }
        for (PacketBatch b; (b = loop.poll()) != null; ) {
            consumed += b.count;
        }
        assertTrue(loop.finished());
        assertEquals(frames.size(), loop.received());
        assertEquals(loop.received(), consumed + loop.droppedInTool(), "received = handed over + dropped inside the tool");
        assertTrue(consumed > 0);
    }

    @Test
    void aStalledConsumerMakesTheCaptureDropAndCountInsteadOfWaiting() throws Exception {
        Path pcap = Workload.mixCut()[0];
        List<long[]> meta = new ArrayList<>();
        List<byte[]> frames = framesOf(pcap, meta);
        FileLiveSource source = new FileLiveSource(pcap);
        int batches = 4;
        CaptureLoop loop = new CaptureLoop(source, batches, 64 * 1024, 256);
        Thread t = new Thread(loop, "capture");
        t.start();
        // The analysis side takes nothing until the capture has read the whole file: the capture
        // thread must have gone on reading (never blocked), keeping 4 batches and dropping the rest.
        assertTrue(source.exhausted.await(60, TimeUnit.SECONDS), "the capture thread never waited for the analysis");
        loop.requestStop();
        t.join(10_000);
        assertTrue(loop.finished());
        List<PacketBatch> kept = new ArrayList<>();
        for (PacketBatch b; (b = loop.poll()) != null; ) {
            kept.add(b);
        }
        assertEquals(batches, kept.size(), "every batch in circulation was filled and handed over");
        int i = 0;
        for (PacketBatch b : kept) {
            assertTrue(b.count > 0);
            for (int k = 0; k < b.count; k++, i++) {
                assertArrayEquals(frames.get(i), Arrays.copyOfRange(b.data, b.offset[k], b.offset[k] + b.caplen[k]),
                        "the kept packets are the first of the capture, in order: packet " + i);
            }
        }
        assertEquals(frames.size(), loop.received());
        assertEquals(frames.size() - i, loop.droppedInTool());
        assertTrue(loop.droppedInTool() > 40_000, "dropped: " + loop.droppedInTool());
    }

    /**
     * The kernel's drops learnt of when no packet follows them (a burst cut by a full buffer, then
     * silence) are handed over while the capture runs, with an empty batch: they had waited in the
     * capture thread for the next packet, so the flows they cut, closed meanwhile as idle by the
     * analysis thread's wall-clock timer, were written without drops_on_this_host.
     */
    @Test
    void dropsLearntOfWhileIdleAreHandedOverWithoutWaitingForAPacket() throws Exception {
        long t0 = System.currentTimeMillis() * 1_000_000L;
        org.portmatrix.capture.live.LiveSource source = new org.portmatrix.capture.live.LiveSource() {
            private int delivered;
            private volatile boolean woken;

            @Override
            public int next() {
                if (woken) {
                    woken = false;
                    return WOKEN;
                }
                if (delivered < 3) {
                    delivered++;
                    return PACKET;
                }
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return TIMEOUT; // then silence
            }

            @Override
            public void nonBlocking() {}

            @Override
            public int caplen() {
                return 60;
            }

            @Override
            public int origLen() {
                return 60;
            }

            @Override
            public long tsNanos() {
                return t0 + delivered;
            }

            @Override
            public void copyTo(byte[] dst, int offset) {}

            @Override
            public int linkType() {
                return 1;
            }

            @Override
            public String name() {
                return "test";
            }

            @Override
            public void stats(org.portmatrix.capture.live.KernelStats into) {
                into.set(delivered + 7, delivered == 3 ? 7 : 0, 0); // the 7 packets after the 3 dropped by the kernel
            }

            @Override
            public void wakeup() {
                woken = true;
            }

            @Override
            public void close() {}
        };
        CaptureLoop loop = new CaptureLoop(source, 4, 64 * 1024, 256);
        Thread t = new Thread(loop, "capture");
        t.start();
        long packets = 0;
        long drops = 0;
        long lastDrop = Long.MIN_VALUE;
        try {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5); // the counters are read once a second
            while (drops == 0 && System.nanoTime() < end) {
                PacketBatch b = loop.poll();
                if (b == null) {
                    loop.nudge(System.nanoTime());
                    loop.awaitBatch(TimeUnit.MILLISECONDS.toNanos(10));
                    continue;
                }
                packets += b.count;
                drops += b.dropsBefore;
                lastDrop = b.dropsBefore > 0 ? b.lastDropNanos : lastDrop;
                loop.recycle(b);
            }
            assertTrue(!loop.stopRequested() && t.isAlive());
        } finally {
            loop.requestStop();
            t.join(10_000);
        }
        assertEquals(3, packets);
        assertEquals(7, drops, "the kernel's drops reached the analysis while the capture ran, no packet following them");
        assertTrue(lastDrop >= t0, "dated by the read of the counters: " + lastDrop);
        assertEquals(0, loop.dropsNotHandedOver());
    }
}
