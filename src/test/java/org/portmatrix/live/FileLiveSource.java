package org.portmatrix.live;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.portmatrix.capture.Captures;
import org.portmatrix.capture.PacketRef;
import org.portmatrix.capture.PacketSource;
import org.portmatrix.capture.live.KernelStats;
import org.portmatrix.capture.live.LiveSource;

/**
 * A second binding of {@link LiveSource}: a capture file delivered as if it arrived on an
 * interface, as fast as the capture thread asks. After the last packet it times out until woken.
 * Lets the capture loop's queueing and accounting be checked packet by packet on a real capture.
 */
final class FileLiveSource implements LiveSource {
    private final PacketSource file;
    private final PacketRef ref = new PacketRef();
    final CountDownLatch exhausted = new CountDownLatch(1);
    private volatile boolean woken;
    private long delivered;
    private int linkType = -1;

    FileLiveSource(Path pcap) throws IOException {
        file = Captures.open(pcap);
        // The link type is known from the first packet; peek it now.
        if (file.next(ref)) {
            linkType = ref.linkType;
            pending = true;
        }
    }

    private boolean pending;

    @Override
    public int next() {
        if (woken) {
            woken = false;
            return WOKEN;
        }
        try {
            if (pending) {
                pending = false;
                delivered++;
                return PACKET;
            }
            if (file.next(ref)) {
                delivered++;
                return PACKET;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        exhausted.countDown();
        try {
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return TIMEOUT;
    }

    @Override
    public void nonBlocking() {}

    @Override
    public int caplen() {
        return ref.caplen;
    }

    @Override
    public int origLen() {
        return ref.origLen;
    }

    @Override
    public long tsNanos() {
        return ref.tsNanos;
    }

    @Override
    public void copyTo(byte[] dst, int offset) {
        System.arraycopy(ref.buf, ref.offset, dst, offset, ref.caplen);
    }

    @Override
    public int linkType() {
        return linkType;
    }

    @Override
    public String name() {
        return file.name();
    }

    @Override
    public void stats(KernelStats into) {
        into.set(delivered, 0, 0);
    }

    @Override
    public void wakeup() {
        woken = true;
    }

    @Override
    public void close() {
        try {
            file.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
