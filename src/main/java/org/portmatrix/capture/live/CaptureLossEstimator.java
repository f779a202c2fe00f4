package org.portmatrix.capture.live;

/**
 * Estimates packets lost before they reached this host (a mirror port or tap that drops silently),
 * from TCP acknowledgements, as Zeek's {@code misc/capture-loss} policy does: an endpoint that
 * acknowledges data the capture never saw proves that the data crossed the network but not the
 * mirror. Zeek reports gap events per ACK event; this estimator reports that ratio and the same in
 * bytes.
 *
 * <p>Per TCP flow and direction it keeps the highest sequence number seen ({@code seq + payload},
 * SYN and FIN counting one each) and the highest acknowledgement sent. Two kinds of gap are counted
 * once each, when the other side's ACK covers them:
 * <ul>
 *   <li>an ACK beyond the highest sequence seen from the other side (the tail of the data never
 *       arrived);</li>
 *   <li>a hole: a segment that starts after the highest sequence seen, so bytes in between are
 *       missing. A later segment inside the hole (reordering, retransmission) fills it before it is
 *       counted.</li>
 * </ul>
 * Flows joined mid-stream count from the first segment seen in each direction. The state lives in
 * primitive arrays indexed by the flow id modulo a power of two (direct mapped, tagged with the id):
 * memory is fixed, nothing is allocated per packet, and a flow whose slot a newer flow took starts
 * over, which can only lower the estimate.
 */
public final class CaptureLossEstimator {
    private static final int TCP_FIN = 0x01;
    private static final int TCP_SYN = 0x02;
    private static final int TCP_RST = 0x04;
    private static final int TCP_ACK = 0x10;
    /** Jumps larger than this are a confused state (a slot reused, a bogus segment), not a gap. */
    private static final long MAX_JUMP = 1L << 30;
    private static final int SEQ_SEEN = 1;
    private static final int ACK_SEEN = 2;

    private final int mask;
    private final long[] tag;
    private final int[] seqEnd;
    private final int[] ackHigh;
    private final int[] holeStart;
    private final int[] holeEnd;
    private final long[] holeBytes;
    private final byte[] seen;

    private long ackEvents;
    private long ackedBytes;
    private long gapEvents;
    private long gapBytes;

    /** @param slots flows tracked at once (rounded up to a power of two) */
    public CaptureLossEstimator(int slots) {
        int n = Integer.highestOneBit(Math.max(2, slots) - 1) << 1;
        mask = n - 1;
        tag = new long[n];
        seqEnd = new int[2 * n];
        ackHigh = new int[2 * n];
        holeStart = new int[2 * n];
        holeEnd = new int[2 * n];
        holeBytes = new long[2 * n];
        seen = new byte[2 * n];
    }

    /**
     * One TCP segment of a flow.
     *
     * @param flowId the flow's id (unique in the run)
     * @param forward true when sent by the flow's initiator
     * @param flags the TCP flags byte
     * @param seq the sequence number (unsigned 32 bits)
     * @param ack the acknowledgement number
     * @param payload TCP payload bytes in the segment
     */
    public void segment(long flowId, boolean forward, int flags, long seq, long ack, int payload) {
        int slot = (int) flowId & mask;
        if (tag[slot] != flowId + 1) {
            tag[slot] = flowId + 1;
            for (int d = 2 * slot; d < 2 * slot + 2; d++) {
                seen[d] = 0;
                holeBytes[d] = 0;
            }
        }
        int me = 2 * slot + (forward ? 0 : 1);
        int other = 2 * slot + (forward ? 1 : 0);
        if ((flags & TCP_RST) == 0) {
            sent(me, (int) seq, payload + ((flags & TCP_SYN) != 0 ? 1 : 0) + ((flags & TCP_FIN) != 0 ? 1 : 0));
            if ((flags & TCP_ACK) != 0) {
                acknowledged(me, other, (int) ack);
            }
        }
    }

    private void sent(int d, int seq, int len) {
        if (len <= 0) {
            return;
        }
        int end = seq + len;
        if ((seen[d] & SEQ_SEEN) == 0) {
            seqEnd[d] = end;
            seen[d] |= SEQ_SEEN;
            return;
        }
        if (holeBytes[d] > 0 && !before(seq, holeStart[d]) && before(seq, holeEnd[d])) {
            holeBytes[d] -= Math.min(holeBytes[d], Math.min(len, holeEnd[d] - seq));
        }
        int jump = seq - seqEnd[d];
        if (jump > 0 && jump < MAX_JUMP) {
            if (holeBytes[d] == 0) {
                holeStart[d] = seqEnd[d];
            }
            holeBytes[d] += jump;
            holeEnd[d] = seq;
        }
        if (after(end, seqEnd[d]) && end - seqEnd[d] < MAX_JUMP) {
            seqEnd[d] = end;
        }
    }

    /** {@code d} acknowledges {@code ack} of the data sent by {@code o}. */
    private void acknowledged(int d, int o, int ack) {
        if ((seen[d] & ACK_SEEN) == 0) {
            seen[d] |= ACK_SEEN;
            ackHigh[d] = ack;
        } else if (after(ack, ackHigh[d])) {
            int n = ack - ackHigh[d];
            if (n < MAX_JUMP) {
                ackEvents++;
                ackedBytes += n;
            }
            ackHigh[d] = ack;
        }
        if ((seen[o] & SEQ_SEEN) == 0) {
            return;
        }
        if (holeBytes[o] > 0 && !before(ack, holeEnd[o])) {
            gapEvents++;
            gapBytes += holeBytes[o];
            holeBytes[o] = 0;
        }
        int beyond = ack - seqEnd[o];
        if (beyond > 0 && beyond < MAX_JUMP) {
            gapEvents++;
            gapBytes += beyond;
            seqEnd[o] = ack;
        }
    }

    private static boolean after(int a, int b) {
        return a - b > 0;
    }

    private static boolean before(int a, int b) {
        return a - b < 0;
    }

    /** ACKs that acknowledged new data. */
    public long ackEvents() {
        return ackEvents;
    }

    /** Bytes those ACKs acknowledged. */
    public long ackedBytes() {
        return ackedBytes;
    }

    /** Gaps: acknowledged data the capture never saw. */
    public long gapEvents() {
        return gapEvents;
    }

    public long gapBytes() {
        return gapBytes;
    }

    /** Zeek's figure: gap events per hundred ACK events. */
    public double lossPercentByEvents() {
        return ackEvents == 0 ? 0 : 100.0 * gapEvents / ackEvents;
    }

    /** Gap bytes per hundred acknowledged bytes. */
    public double lossPercentByBytes() {
        return ackedBytes == 0 ? 0 : 100.0 * gapBytes / ackedBytes;
    }
}
