package org.portmatrix.capture.live;

/**
 * How to open a live capture.
 *
 * @param iface the interface name
 * @param bpf a capture filter in pcap-filter(7) syntax, or null for everything
 * @param snaplen bytes kept of each packet
 * @param bufferBytes the kernel's capture buffer (the ring that absorbs bursts while the tool is busy)
 * @param timeoutMillis longest wait for a packet before {@link LiveSource#next} returns a timeout
 * @param immediate deliver every packet at once instead of in kernel blocks (lower latency, more CPU)
 */
public record LiveCaptureConfig(String iface, String bpf, int snaplen, int bufferBytes, int timeoutMillis, boolean immediate) {
    public static final int DEFAULT_SNAPLEN = 65535;
    public static final int DEFAULT_BUFFER_MIB = 64;
    public static final int DEFAULT_TIMEOUT_MILLIS = 50;
}
