package org.portmatrix.inspect;

/**
 * One application protocol's inspector. For each payload of a flow that is still undecided it
 * answers {@link #DETECTED}, {@link #NOT_THIS} or {@link #NEED_MORE} (the three answers of nDPI's
 * dissectors and netty's SNI handler). The pure byte tests live in each inspector's static
 * methods; the per-flow logic that needs several packets to agree keeps its state in the flow's
 * {@link FlowInspection} slot for this inspector and never reads another inspector's slot.
 *
 * <p>Once an inspector has detected its protocol it may keep reading the flow's payload for
 * details ({@link #follow}), within the same per-flow budget, until it has what it wants.
 */
public abstract class Inspector {
    /** The payload is not this protocol; the inspector is not asked again for this flow. */
    public static final int NOT_THIS = 0;
    /** Could be this protocol: ask again with the next payload. */
    public static final int NEED_MORE = 1;
    /** This is the protocol; {@link FlowInspection#app} and {@link FlowInspection#detail} are set. */
    public static final int DETECTED = 2;

    private final String name;
    private final boolean tcp;
    private final boolean udp;
    private final int[] tcpPorts;
    private final int[] udpPorts;

    /**
     * @param name short name for diagnostics
     * @param tcp whether the protocol runs over TCP
     * @param udp whether it runs over UDP
     * @param tcpPorts well-known responder ports that suggest this inspector first (TCP)
     * @param udpPorts the same for UDP
     */
    protected Inspector(String name, boolean tcp, boolean udp, int[] tcpPorts, int[] udpPorts) {
        this.name = name;
        this.tcp = tcp;
        this.udp = udp;
        this.tcpPorts = tcpPorts;
        this.udpPorts = udpPorts;
    }

    public final String name() {
        return name;
    }

    public final boolean runsOn(boolean isTcp) {
        return isTcp ? tcp : udp;
    }

    final int[] ports(boolean isTcp) {
        return isTcp ? tcpPorts : udpPorts;
    }

    /**
     * Looks at one payload of an undecided flow.
     *
     * @param fi the flow's inspection state; {@code fi.state[slot]} is this inspector's own
     * @param slot this inspector's index in {@link Inspectors}
     * @param forward true when the payload travels from the flow's initiator
     * @param seq the TCP sequence number of the payload's first byte, or -1 (UDP, unknown)
     * @return {@link #DETECTED}, {@link #NOT_THIS} or {@link #NEED_MORE}
     */
    public abstract int inspect(FlowInspection fi, int slot, boolean forward, long seq, byte[] b, int off, int len);

    /**
     * After {@link #DETECTED}: whether this inspector wants to keep reading the flow for details
     * (a TLS handshake that is not over yet). Default: no.
     */
    public boolean wantsMore(FlowInspection fi, int slot) {
        return false;
    }

    /** Payloads per direction this inspector may read of a flow it detected, while it {@link #wantsMore wants} more. */
    public int budget() {
        return Inspection.BUDGET;
    }

    /** More payload of a flow this inspector detected and still {@link #wantsMore wants}. */
    public void follow(FlowInspection fi, int slot, boolean forward, long seq, byte[] b, int off, int len) {}
}
