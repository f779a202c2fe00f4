package org.portmatrix.flow;

import org.portmatrix.decode.IpProtocol;

/**
 * One bidirectional flow: its key, who initiated it, and per-direction counters. The only object
 * the pipeline allocates per flow; later stages keep their per-flow results in its public slots.
 *
 * <p>The key is held in canonical order (endpoint A is the smaller address:port, as the Community
 * ID spec orders them); {@link #initiatorIsA} says which end started the flow.
 */
public final class Flow {
    /** TCP states. */
    public static final int TCP_NONE = 0;
    public static final int TCP_ATTEMPTED = 1;
    public static final int TCP_ESTABLISHED = 2;
    public static final int TCP_CLOSED_FIN = 3;
    public static final int TCP_CLOSED_RST = 4;
    /** Why a flow ended. */
    public static final int END_OPEN = 0;
    public static final int END_IDLE = 1;
    public static final int END_EVICTED = 2;
    public static final int END_CAPTURE = 3;
    public static final int END_RESTARTED = 4;
    /** A TCP flow finished (FIN both ways, or RST) and silent since for its close timeout, or making room when the table is full. */
    public static final int END_CLOSED = 5;

    // Key, canonical order.
    long aHi, aLo, bHi, bLo;
    int aPort, bPort;
    int protocol;
    int vlan;
    int ipVersion;
    int hash;

    /** Sequence number of the flow in the run (order first seen). */
    public long id;
    public boolean initiatorIsA;
    public boolean directionInferred;
    public long packetsFwd, packetsRev;
    public long bytesFwd, bytesRev;
    /** Transport payload bytes per direction. */
    public long payloadFwd, payloadRev;
    public long firstNanos, lastNanos;
    public long firstFwdNanos = -1, lastFwdNanos = -1, firstRevNanos = -1, lastRevNanos = -1;
    /** OR of the TCP flags seen per direction. */
    public int flagsFwd, flagsRev;
    public int tcpState;
    boolean finFwd, finRev;
    /**
     * The sequence number of the connection's SYN (without ACK), or -1: a SYN that repeats it after the
     * connection ended is that SYN again (retransmitted, or the same packet seen on a second interface),
     * not the next connection on the 5-tuple.
     */
    long synSeq = -1;
    /** The sequence number of the responder's SYN-ACK, or -1 (the responder's first data byte is the one after it). */
    long synAckSeq = -1;
    public int endReason;
    /**
     * The capture file ({@code PacketRef.sourceIndex}) of the flow's first packet, and of its last, in time
     * (the packets at {@link #firstNanos} and {@link #lastNanos}, whatever order they were read in): set by
     * {@link FlowTable#update} from {@link FlowTable#packetFile} (a primitive, resolved to the file's name
     * only when the flow is reported); -1 where the source has no files to tell apart (a live capture).
     */
    public int fileFirst = -1, fileLast = -1;
    /** ICMP type and code of the flow's first packet (ICMP flows are keyed without them). */
    public int icmpType, icmpCode;

    // Intrusive idle-order list.
    Flow older, newer;
    int list;
    /** {@link #lastNanos} when the flow was last (re)appended to its list: the list's order. */
    long listKey;

    // Slots for later stages, filled per flow (never per packet once decided).
    /** Per-flow inspection state (owned by the inspect stage). */
    public Object inspection;
    /** Per-flow classification (owned by the classify stage). */
    public Object classification;
    /** The ICMP errors seen about this flow's packets, not among its packets; or null ({@link IcmpErrors}). */
    public IcmpErrors icmpErrors;
    /** For an ICMP flow: the errors among its packets whose quoted flow was not open; or null. */
    public IcmpErrors icmpCarried;
    /** Whether {@code --extract} keeps the flow's packets, as far as known (owned by the cli stage's extract stream). */
    public byte extract;

    public int protocol() {
        return protocol;
    }

    public int ipVersion() {
        return ipVersion;
    }

    /** Outer VLAN id when VLANs are part of the key, else -1. */
    public int vlan() {
        return vlan;
    }

    public long srcHi() {
        return initiatorIsA ? aHi : bHi;
    }

    public long srcLo() {
        return initiatorIsA ? aLo : bLo;
    }

    public long dstHi() {
        return initiatorIsA ? bHi : aHi;
    }

    public long dstLo() {
        return initiatorIsA ? bLo : aLo;
    }

    public int srcPort() {
        return initiatorIsA ? aPort : bPort;
    }

    public int dstPort() {
        return initiatorIsA ? bPort : aPort;
    }

    /**
     * TCP: the sequence number of the first data byte the initiator ({@code forward}) or the responder sends, the one after
     * its SYN's or SYN-ACK's; -1 when that was not seen, or when the initiator was inferred (no SYN told which end is which).
     */
    public long dataStart(boolean forward) {
        long isn = forward ? synSeq : synAckSeq;
        return isn < 0 || directionInferred ? -1 : (isn + 1) & 0xffffffffL;
    }

    /**
     * Reads the flow the other way round: the responder becomes the initiator, and every per-direction
     * counter, time, flag set and FIN follows, so that forward still means "from the initiator". For a
     * flow whose direction was inferred ({@link #directionInferred}) and that the catalog allows only
     * the other way round; called once, after its last packet, by the stage that knows the roles.
     */
    public void turn() {
        initiatorIsA = !initiatorIsA;
        long t = packetsFwd;
        packetsFwd = packetsRev;
        packetsRev = t;
        t = bytesFwd;
        bytesFwd = bytesRev;
        bytesRev = t;
        t = payloadFwd;
        payloadFwd = payloadRev;
        payloadRev = t;
        t = firstFwdNanos;
        firstFwdNanos = firstRevNanos;
        firstRevNanos = t;
        t = lastFwdNanos;
        lastFwdNanos = lastRevNanos;
        lastRevNanos = t;
        int flags = flagsFwd;
        flagsFwd = flagsRev;
        flagsRev = flags;
        boolean fin = finFwd;
        finFwd = finRev;
        finRev = fin;
    }

    /**
     * True when the end taken for the initiator of this UDP flow (inferred: {@link #directionInferred}) is refuted by its
     * own host: that host answered the flow's datagrams to it with ICMP port unreachable, so nothing listened on its
     * port, and it sent none. Read as answers from a service port (RTP from a client's STUN port 3478 to an Edge's
     * 50000, where nothing listens), the datagrams were the flow's start. Called once the flow has ended.
     */
    public boolean initiatorRefuted() {
        return directionInferred && packetsFwd == 0 && icmpErrors != null && refusedAt(srcHi(), srcLo(), srcPort());
    }

    /**
     * True for a UDP flow turned because {@link #initiatorRefuted()}: its direction inferred, its responder silent and
     * refusing the datagrams to its port with ICMP port unreachable. (Inferred the usual way, a UDP flow's responder
     * sent its first datagram.)
     */
    public boolean turnedByRefusal() {
        return directionInferred && packetsRev == 0 && packetsFwd > 0 && icmpErrors != null && refusedAt(dstHi(), dstLo(), dstPort());
    }

    /** Whether a port unreachable about UDP to this end came from its own host. */
    private boolean refusedAt(long hi, long lo, int port) {
        if (protocol != IpProtocol.UDP) {
            return false;
        }
        for (IcmpErrors.Kind k : icmpErrors.kinds()) {
            if (k.portUnreachable() && k.quotedProtocol == IpProtocol.UDP && k.senderHi == hi && k.senderLo == lo
                    && k.quotedDstHi == hi && k.quotedDstLo == lo && k.quotedDstPort == port) {
                return true;
            }
        }
        return false;
    }

    public long packets() {
        return packetsFwd + packetsRev;
    }

    public long bytes() {
        return bytesFwd + bytesRev;
    }
}
