package org.portmatrix.capture.live;

import java.io.Closeable;

/**
 * A live capture: packets as the interface receives them, one at a time, each valid until the next
 * call to {@link #next}. The capture edge stays behind this interface so that another binding than
 * pcap4j can replace {@link PcapLiveSource}.
 *
 * <p>Only the capture thread calls {@link #next}, {@link #copyTo}, {@link #stats} and
 * {@link #close}; {@link #wakeup} is the one method another thread may call.
 */
public interface LiveSource extends Closeable {
    /** {@link #next} result: a packet is ready. */
    int PACKET = 1;
    /** {@link #next} result: no packet within the source's timeout. */
    int TIMEOUT = 0;
    /** {@link #next} result: {@link #wakeup} interrupted the wait. */
    int WOKEN = -2;

    /**
     * Waits for the next packet: {@link #PACKET}, {@link #TIMEOUT} or {@link #WOKEN}. A source may
     * block until a packet arrives or {@link #wakeup} is called, whatever its timeout: libpcap on
     * Linux (TPACKET_V3) never times out on an idle interface. In non-blocking mode it returns
     * {@link #TIMEOUT} at once when nothing is ready.
     */
    int next() throws LiveCaptureException;

    /** From now on {@link #next} does not wait (for reading what is left after a stop). */
    void nonBlocking() throws LiveCaptureException;

    /** Bytes captured of the current packet (at most the snap length). */
    int caplen();

    /** Length of the current packet on the wire. */
    int origLen();

    /** Capture time of the current packet, nanoseconds since the Unix epoch. */
    long tsNanos();

    /** Copies the current packet's {@link #caplen} bytes to {@code dst} at {@code offset}. */
    void copyTo(byte[] dst, int offset);

    /** LINKTYPE_* of the interface. */
    int linkType();

    /** The interface name. */
    String name();

    /** Fills {@code into} with the kernel's and the interface's counters since the capture started. */
    void stats(KernelStats into) throws LiveCaptureException;

    /** Makes a {@link #next} blocked in another thread return {@link #WOKEN} soon. Thread-safe. */
    void wakeup();

    @Override
    void close();
}
