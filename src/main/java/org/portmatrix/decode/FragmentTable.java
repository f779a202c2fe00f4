package org.portmatrix.decode;

/**
 * Remembers, for each first fragment, the flow its datagram belongs to (addresses, IP version, transport, ports or
 * ICMP's type and code, tunnel depth), so that later fragments join that flow. A datagram is known by the addresses
 * of the header that was fragmented and its identification ({@link Decoded#fragSrcHi}, {@link Decoded#fragmentId}):
 * for a tunnel's carrier fragmented on its way (GRE, IP-in-IP, VXLAN, Geneve), the outer header, while the flow is
 * the inner packet's, which only the first fragment shows. Direct-mapped and fixed in size: a newer datagram
 * overwrites an older one in its slot, so memory is bounded whatever the traffic.
 */
final class FragmentTable {
    private static final int SLOTS = 1 << 12;
    private static final int MASK = SLOTS - 1;
    /** Per slot: the fragmented header's source and destination, and the datagram's identification. */
    private static final int KEY_LONGS = 5;
    /** Per slot: the flow's source and destination. */
    private static final int FLOW_LONGS = 4;
    private final long[] keys = new long[SLOTS * KEY_LONGS];
    private final long[] flows = new long[SLOTS * FLOW_LONGS];
    private final int[] ports = new int[SLOTS];
    /** The first fragment's transport: a later fragment's header names the protocol after the fragment header, which may be another extension. */
    private final int[] protocols = new int[SLOTS];
    /** The flow's IP version (a tunnel's inner packet may differ from its carrier) and tunnel depth, as {@code version << 8 | depth}. */
    private final int[] layers = new int[SLOTS];
    private final boolean[] used = new boolean[SLOTS];

    private static int slot(long srcHi, long srcLo, long dstHi, long dstLo, long id) {
        long h = srcLo * 0x9e3779b97f4a7c15L ^ dstLo * 0xc2b2ae3d27d4eb4fL ^ id * 0x165667b19e3779f9L ^ srcHi ^ (dstHi << 1);
        return (int) (h ^ (h >>> 29)) & MASK;
    }

    private static int slot(Decoded d) {
        return slot(d.fragSrcHi, d.fragSrcLo, d.fragDstHi, d.fragDstLo, d.fragmentId);
    }

    void remember(Decoded d) {
        remember(d, d.fragSrcHi, d.fragSrcLo, d.fragDstHi, d.fragDstLo, d.fragmentId);
    }

    /** Remembers {@code d}'s flow for the fragmented carrier's datagram too ({@link Decoded#hasCarrierKey}). */
    void rememberForCarrier(Decoded d) {
        remember(d, d.carrierSrcHi, d.carrierSrcLo, d.carrierDstHi, d.carrierDstLo, d.carrierFragmentId);
    }

    private void remember(Decoded d, long srcHi, long srcLo, long dstHi, long dstLo, long id) {
        int s = slot(srcHi, srcLo, dstHi, dstLo, id);
        int k = s * KEY_LONGS;
        keys[k] = srcHi;
        keys[k + 1] = srcLo;
        keys[k + 2] = dstHi;
        keys[k + 3] = dstLo;
        keys[k + 4] = id;
        int v = s * FLOW_LONGS;
        flows[v] = d.srcHi;
        flows[v + 1] = d.srcLo;
        flows[v + 2] = d.dstHi;
        flows[v + 3] = d.dstLo;
        ports[s] = (d.srcPort << 16) | d.dstPort;
        protocols[s] = d.protocol;
        layers[s] = d.ipVersion << 8 | d.tunnelDepth;
        used[s] = true;
    }

    boolean lookup(Decoded d) {
        int s = slot(d);
        int k = s * KEY_LONGS;
        if (!used[s] || keys[k] != d.fragSrcHi || keys[k + 1] != d.fragSrcLo || keys[k + 2] != d.fragDstHi
                || keys[k + 3] != d.fragDstLo || keys[k + 4] != d.fragmentId) {
            return false;
        }
        int v = s * FLOW_LONGS;
        d.srcHi = flows[v];
        d.srcLo = flows[v + 1];
        d.dstHi = flows[v + 2];
        d.dstLo = flows[v + 3];
        d.ipVersion = layers[s] >>> 8;
        d.tunnelDepth = layers[s] & 0xff;
        d.srcPort = ports[s] >>> 16;
        d.dstPort = ports[s] & 0xffff;
        d.protocol = protocols[s];
        d.hasPorts = d.protocol == IpProtocol.TCP || d.protocol == IpProtocol.UDP || d.protocol == IpProtocol.SCTP;
        return true;
    }
}
