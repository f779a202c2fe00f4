package org.portmatrix.flow;

/**
 * Flow-table settings.
 *
 * @param capacity most flows held at once; beyond it a finished TCP flow silent for a while makes room,
 *     else the longest-idle flow is closed early
 * @param tcpEstablishedTimeoutNanos idle timeout of an established TCP flow
 * @param tcpOtherTimeoutNanos idle timeout of a TCP flow not (or no longer) established
 * @param udpTimeoutNanos idle timeout of UDP and every other transport
 * @param tcpClosedTimeoutNanos how long a TCP flow finished by FIN both ways or by RST stays open after its
 *     last packet, for the final ACK and retransmissions (Zeek's {@code tcp_close_delay} is 5 s too)
 */
public record FlowConfig(int capacity, long tcpEstablishedTimeoutNanos, long tcpOtherTimeoutNanos, long udpTimeoutNanos,
        long tcpClosedTimeoutNanos) {
    public static final int DEFAULT_CAPACITY = 1 << 20;
    /** The most flows a table can be asked to hold: its slot array (twice to four times as many) must stay a Java array. */
    public static final int MAX_CAPACITY = 1 << 28;
    private static final long SECOND = 1_000_000_000L;

    public static FlowConfig defaults() {
        return new FlowConfig(DEFAULT_CAPACITY, 3600 * SECOND, 120 * SECOND, 120 * SECOND, 5 * SECOND);
    }

    public FlowConfig withCapacity(int n) {
        return new FlowConfig(n, tcpEstablishedTimeoutNanos, tcpOtherTimeoutNanos, udpTimeoutNanos, tcpClosedTimeoutNanos);
    }

    public FlowConfig withTimeouts(long tcpEstablished, long tcpOther, long udp) {
        return new FlowConfig(capacity, tcpEstablished, tcpOther, udp, tcpClosedTimeoutNanos);
    }

    public FlowConfig withTcpClosedTimeout(long nanos) {
        return new FlowConfig(capacity, tcpEstablishedTimeoutNanos, tcpOtherTimeoutNanos, udpTimeoutNanos, nanos);
    }
}
