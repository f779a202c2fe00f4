package org.portmatrix.inspect;

/**
 * What the inspect stage keeps for one flow in {@code Flow.inspection}: which inspectors are still
 * candidates, the per-direction payload budget, each inspector's own state, and the result. One
 * object per flow with payload, plus whatever state an inspector allocates for itself.
 */
public final class FlowInspection {
    /** True when inspection is over: the pipeline hands this flow no more payload. */
    public boolean done;
    /** Bit i set: inspector i of {@link Inspectors} may still match. */
    public int candidates;
    /** Index of the inspector that detected the protocol, or -1. */
    public int decided = -1;
    /** The protocol found, or null. */
    public AppProtocol app;
    /** A short description of what was seen ("SIP OPTIONS request, Via SIP/2.0/TCP"), or null. */
    public String detail;
    /** True for TCP, false for UDP. */
    public final boolean tcp;
    /** The responder's port (for inspectors whose byte test is too weak without it). */
    public final int dstPort;
    /** Payloads looked at per direction. */
    public int payloadsFwd, payloadsRev;
    /** Payloads looked at per direction at most: {@link Inspection#BUDGET}, or the deciding inspector's {@link Inspector#budget}. */
    public int budget = Inspection.BUDGET;
    /** Payloads not looked at because their direction had spent its budget. */
    public int payloadsSkipped;
    /** A payload looked at was a first IP fragment's (the rest of its datagram in later fragments). */
    public boolean payloadFragmented;
    /** A payload looked at was cut by the snap length (what a first fragment never cuts: a text protocol's first line). */
    public boolean payloadSnapCut;
    /** The most bytes of one payload looked at (cut or not): whether a cut one could show a protocol's first bytes. */
    public int longestPayload;
    /** The TLS summary, built once when the flow ends (TLS flows only). */
    public TlsInfo tls;
    /** Each inspector's per-flow state, by slot; allocated on the first inspector that needs one. */
    public Object[] state;

    /**
     * A payload looked at (within the budget) was only the start of what was sent: cut by the capture's snap length
     * (the packet was longer on the wire), or a first IP fragment's.
     */
    public boolean payloadCut() {
        return payloadSnapCut || payloadFragmented;
    }

    public FlowInspection(boolean tcp, int dstPort, int candidates) {
        this.tcp = tcp;
        this.dstPort = dstPort;
        this.candidates = candidates;
    }

    /** Records the result of a detection. */
    public void detected(AppProtocol protocol, String what) {
        this.app = protocol;
        this.detail = what;
    }

    public Object state(int slot) {
        return state == null ? null : state[slot];
    }

    public void state(int slot, Object s) {
        if (state == null) {
            state = new Object[Inspectors.count()];
        }
        state[slot] = s;
    }
}
