package org.portmatrix.live;

import org.portmatrix.capture.live.KernelStats;
import org.portmatrix.capture.live.LiveCaptureConfig;
import org.portmatrix.capture.live.LiveSource;
import org.portmatrix.capture.live.PcapLiveSource;

/**
 * Run in a test namespace by {@link PcapLiveSourceTest}: reads packets from an interface while
 * another thread calls {@link LiveSource#wakeup} ({@code pcap_breakloop}) without pause, the worst
 * case of the analysis thread's idle wake-ups. Prints "ready" once capturing, then
 * "received R kernel K dropped D woken W" after {@code N} packets or 60 s.
 */
public final class WakeupStress {
    private WakeupStress() {}

    public static void main(String[] args) throws Exception {
        String iface = args[0];
        long want = Long.parseLong(args[1]);
        PcapLiveSource s = PcapLiveSource.open(new LiveCaptureConfig(iface, null, 65535, 64 << 20, 50, false));
        Thread waker = new Thread(() -> {
            while (true) {
                s.wakeup();
                Thread.onSpinWait();
            }
        }, "waker");
        waker.setDaemon(true);
        waker.start();
        System.out.println("ready");
        System.out.flush();
        byte[] buf = new byte[65536];
        long received = 0;
        long woken = 0;
        long until = System.nanoTime() + 60_000_000_000L;
        while (received < want && System.nanoTime() < until) {
            int r = s.next();
            if (r == LiveSource.PACKET) {
                s.copyTo(buf, 0);
                received++;
            } else if (r == LiveSource.WOKEN) {
                woken++;
            }
        }
        KernelStats k = new KernelStats();
        s.stats(k);
        System.out.println("received " + received + " kernel " + k.received + " dropped " + k.dropped + " woken " + woken);
        System.out.flush();
        System.exit(0);
    }
}
