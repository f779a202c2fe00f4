package org.portmatrix.flow;

/**
 * Flow-table settings.
 *
 * @param capacity most flows held at once; beyond it a finished TCP flow silent for a while makes room,
 *     else the longest-idle flow is closed early
 * @param tcpEstablishedTimeoutNanos idle timeout of an established TCP flow
 * @param tcpOtherTimeoutNanos idle timeout of a TCP flow not (or no longer) established
 * @param udpTimeoutNanos idle timeout of UDP and every other transport
 */
public record FlowConfig(int capacity, long tcpEstablishedTimeoutNanos, long tcpOtherTimeoutNanos, long udpTimeoutNanos) {
    public static final int DEFAULT_CAPACITY = 1 << 20;
    private static final long SECOND = 1_000_000_000L;

    public static FlowConfig defaults() {
        return new FlowConfig(DEFAULT_CAPACITY, 3600 * SECOND, 120 * SECOND, 120 * SECOND);
    }

    public FlowConfig withCapacity(int n) {
        return new FlowConfig(n, tcpEstablishedTimeoutNanos, tcpOtherTimeoutNanos, udpTimeoutNanos);
    }

    public FlowConfig withTimeouts(long tcpEstablished, long tcpOther, long udp) {
        return new FlowConfig(capacity, tcpEstablished, tcpOther, udp);
    }
}
