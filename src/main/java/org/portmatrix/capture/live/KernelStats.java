package org.portmatrix.capture.live;

/**
 * What the capture layer below the tool counted (libpcap's {@code pcap_stat}). On Linux
 * {@code received} counts packets that passed the filter, including those then dropped because the
 * socket's ring buffer was full ({@code dropped}); {@code interfaceDropped} is what the network
 * interface or its driver dropped, where the platform reports it.
 */
public final class KernelStats {
    public long received;
    public long dropped;
    public long interfaceDropped;

    public void set(long received, long dropped, long interfaceDropped) {
        this.received = received;
        this.dropped = dropped;
        this.interfaceDropped = interfaceDropped;
    }

    public void copyFrom(KernelStats o) {
        set(o.received, o.dropped, o.interfaceDropped);
    }
}
