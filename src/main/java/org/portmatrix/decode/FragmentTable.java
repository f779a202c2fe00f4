package org.portmatrix.decode;

/**
 * Remembers the ports (ICMP's type and code) and transport of first fragments so that later fragments join their flow. Direct-mapped
 * and fixed in size: a newer datagram overwrites an older one in its slot, so memory is bounded
 * whatever the traffic.
 */
final class FragmentTable {
    private static final int SLOTS = 1 << 12;
    private static final int MASK = SLOTS - 1;
    private final long[] keys = new long[SLOTS * 5];
    private final int[] ports = new int[SLOTS];
    /** The first fragment's transport: a later fragment's header names the protocol after the fragment header, which may be another extension. */
    private final int[] protocols = new int[SLOTS];
    private final boolean[] used = new boolean[SLOTS];

    private static int slot(Decoded d) {
        long h = d.srcLo * 0x9e3779b97f4a7c15L ^ d.dstLo * 0xc2b2ae3d27d4eb4fL ^ d.fragmentId * 0x165667b19e3779f9L
                ^ d.srcHi ^ (d.dstHi << 1);
        return (int) (h ^ (h >>> 29)) & MASK;
    }

    void remember(Decoded d) {
        int s = slot(d);
        int k = s * 5;
        keys[k] = d.srcHi;
        keys[k + 1] = d.srcLo;
        keys[k + 2] = d.dstHi;
        keys[k + 3] = d.dstLo;
        keys[k + 4] = d.fragmentId;
        ports[s] = (d.srcPort << 16) | d.dstPort;
        protocols[s] = d.protocol;
        used[s] = true;
    }

    boolean lookup(Decoded d) {
        int s = slot(d);
        int k = s * 5;
        if (!used[s] || keys[k] != d.srcHi || keys[k + 1] != d.srcLo || keys[k + 2] != d.dstHi
                || keys[k + 3] != d.dstLo || keys[k + 4] != d.fragmentId) {
            return false;
        }
        d.srcPort = ports[s] >>> 16;
        d.dstPort = ports[s] & 0xffff;
        d.protocol = protocols[s];
        d.hasPorts = d.protocol == IpProtocol.TCP || d.protocol == IpProtocol.UDP || d.protocol == IpProtocol.SCTP;
        return true;
    }
}
