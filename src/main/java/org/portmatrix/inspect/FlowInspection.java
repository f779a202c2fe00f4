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
    /**
     * TCP: the connection's start was seen (the initiator's SYN or the responder's SYN-ACK, the direction not inferred), so
     * that each direction's first payload is the first of its byte stream, not the middle of a message. Set by
     * {@link Inspection#packet}.
     */
    public boolean connectionStartSeen;
    /** Payloads looked at per direction. */
    public int payloadsFwd, payloadsRev;
    /** Payloads looked at per direction at most: {@link Inspection#BUDGET}, or the deciding inspector's {@link Inspector#budget}. */
    public int budget = Inspection.BUDGET;
    /**
     * Payloads an inspector passed over as the keying of its own protocol on the same 5-tuple (DTLS-SRTP's handshake
     * before its SRTP, RFC 5764), given back to their direction's budget ({@link #passOver}), at most
     * {@link #PASSED_OVER} per flow.
     */
    public int payloadsPassedOver;
    /**
     * Most payloads given back per flow: a DTLS handshake in small datagrams (GStreamer's dtlssrtpenc: 7 and 11 of
     * 256 bytes, certificates included; captures/inspect/lookalikes.pcap) had spent both directions' 8 payloads
     * before its first SRTP packets.
     */
    public static final int PASSED_OVER = 4 * Inspection.BUDGET;
    /**
     * What the DTLS hellos passed over as DTLS-SRTP's keying said of the use_srtp extension (RFC 5764 §4.1.1):
     * {@link #USE_SRTP_UNKNOWN} (no whole ClientHello or ServerHello seen), {@link #USE_SRTP_OFFERED} (the ServerHello, or
     * the ClientHello where no ServerHello was seen, carries it: the association keys SRTP) or {@link #USE_SRTP_NONE}.
     */
    public int useSrtp = USE_SRTP_UNKNOWN;
    public static final int USE_SRTP_UNKNOWN = 0, USE_SRTP_OFFERED = 1, USE_SRTP_NONE = 2;
    /** Payloads passed over as copies of earlier ones ({@link #repeats}). */
    public int payloadsRepeated;
    /** Payloads not looked at because their direction had spent its budget. */
    public int payloadsSkipped;
    /** A payload looked at was a first IP fragment's (the rest of its datagram in later fragments). */
    public boolean payloadFragmented;
    /** A payload looked at was cut by the snap length (what a first fragment never cuts: a text protocol's first line). */
    public boolean payloadSnapCut;
    /** The most bytes of one payload looked at (cut or not): whether a cut one could show a protocol's first bytes. */
    public int longestPayload;
    /**
     * DCE/RPC on a port other than the endpoint mapper's: the id of the flow in which the responder's endpoint mapper
     * (TCP 135) handed this port out to this initiator, or -1.
     */
    public long rpcEndpointFlow = -1;
    /**
     * UDP, once STUN, MS-TURN, RTP or RTCP decided the flow: the first byte of the first datagram after (within the
     * budget) that is none of the protocols sharing a media 5-tuple ({@link MediaDemux}), or -1.
     */
    public int foreignByte = -1;
    /** The TLS summary, built once when the flow ends (TLS flows only). */
    public TlsInfo tls;
    /** Each inspector's per-flow state, by slot; allocated on the first inspector that needs one. */
    public Object[] state;
    /**
     * TCP, per direction: the run of sequence numbers whose payload was looked at without a gap, from its first to just
     * past its last ({@code -1}: no payload yet).
     */
    private long seqFromFwd = -1, seqToFwd = -1, seqFromRev = -1, seqToRev = -1;
    /**
     * TCP: bytes of one direction that came ahead of their place (a gap before them: the segment before was lost and is
     * sent again later, or came late), held until the gap is filled and then looked at in sequence order; or null.
     * {@link Inspection} lends the buffer and takes it back.
     */
    byte[] held;
    /**
     * The sequence number of the held bytes' first, the count from it to the last's end, and their direction; the runs
     * of held bytes (offsets from the first, start and end of each, in order, a gap between each two) and their count.
     */
    long heldSeq;
    int heldLen;
    boolean heldForward;
    int[] heldRuns;
    int heldRunCount;
    /**
     * TCP: bytes held ahead of a gap were looked at with the gap never filled: the capture lacks what came before them
     * ({@link #startMissed}: the start of a direction's data, its first bytes seen from the middle of a message).
     */
    public boolean gapUnfilled, startMissed;
    /**
     * TCP: bytes held ahead of a gap were let go without being looked at (inspection ended first, or the flow did, the gap
     * never filled) while no payload of the flow had been: the flow carried data the capture does not let be checked.
     */
    public boolean heldUnseen;
    /** UDP, per direction: the length of the last datagram looked at (-1 before one) and its first 16 bytes. */
    private int lastLenFwd = -1, lastLenRev = -1;
    private long lastHeadFwd0, lastHeadFwd1, lastHeadRev0, lastHeadRev1;

    /**
     * A payload looked at (within the budget) was only the start of what was sent: cut by the capture's snap length
     * (the packet was longer on the wire), or a first IP fragment's.
     */
    public boolean payloadCut() {
        return payloadSnapCut || payloadFragmented;
    }

    /** Whether any payload was looked at (counted in the budget or {@linkplain #passOver passed over}). */
    public boolean anyPayload() {
        return payloadsFwd + payloadsRev + payloadsPassedOver > 0;
    }

    /**
     * The payload just looked at, which an inspector passes over as its own protocol's keying, is not counted in its
     * direction's budget, up to {@link #PASSED_OVER} per flow.
     */
    public void passOver(boolean forward) {
        if (payloadsPassedOver < PASSED_OVER) {
            payloadsPassedOver++;
            if (forward) {
                payloadsFwd--;
            } else {
                payloadsRev--;
            }
        }
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

    /**
     * True when the payload repeats what its direction already brought, so that it tells nothing new and is not counted
     * in the budget: a TCP payload within the run of sequence numbers already looked at (a retransmission, or the copy
     * of a packet captured again: pktmon writes a packet once per network stack component it passed, a Hyper-V port
     * mirror or two mirror sessions deliver it twice), a UDP datagram of the same length and first 16 bytes as the
     * direction's last one (RTP's sequence number, STUN's transaction id are in them). Every inspector passes over such
     * a payload anyway; counted, three copies of each packet spent a direction's 8 payloads on three packets. Otherwise
     * records the payload: a TCP payload that leaves a gap, or comes before the run (it fills a gap), starts a new run.
     * {@code seq} is -1 for UDP or an unknown sequence number.
     */
    public boolean repeats(boolean forward, long seq, byte[] b, int off, int len) {
        if (tcp) {
            if (seq < 0) {
                return false;
            }
            long end = (seq + len) & 0xffffffffL;
            long from = forward ? seqFromFwd : seqFromRev;
            long to = forward ? seqToFwd : seqToRev;
            // 32-bit sequence arithmetic (RFC 9293 section 3.4)
            if (from >= 0 && (int) (seq - from) >= 0 && (int) (end - to) <= 0) {
                return true;
            }
            if (from >= 0 && (int) (seq - from) >= 0 && (int) (seq - to) <= 0) {
                to = end; // it carries the run on
            } else {
                from = seq;
                to = end;
            }
            if (forward) {
                seqFromFwd = from;
                seqToFwd = to;
            } else {
                seqFromRev = from;
                seqToRev = to;
            }
            return false;
        }
        long head0 = 0;
        long head1 = 0;
        int n = Math.min(len, 16);
        for (int i = 0; i < n; i++) {
            long v = b[off + i] & 0xffL;
            if (i < 8) {
                head0 = head0 << 8 | v;
            } else {
                head1 = head1 << 8 | v;
            }
        }
        if (forward) {
            if (len == lastLenFwd && head0 == lastHeadFwd0 && head1 == lastHeadFwd1) {
                return true;
            }
            lastLenFwd = len;
            lastHeadFwd0 = head0;
            lastHeadFwd1 = head1;
        } else {
            if (len == lastLenRev && head0 == lastHeadRev0 && head1 == lastHeadRev1) {
                return true;
            }
            lastLenRev = len;
            lastHeadRev0 = head0;
            lastHeadRev1 = head1;
        }
        return false;
    }

    /** TCP: the sequence number just past the payloads looked at in the direction, or -1 before its first. */
    long nextSeq(boolean forward) {
        return forward ? seqToFwd : seqToRev;
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
