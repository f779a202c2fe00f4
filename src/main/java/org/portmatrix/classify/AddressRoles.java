package org.portmatrix.classify;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Address to role set by longest prefix. One open-addressing table per prefix length present,
 * tried from the longest; entries of equal length add up (a host listed under two roles has both).
 * A lookup allocates nothing.
 */
public final class AddressRoles {
    private final int[] lengths;
    /** Index of the first table tried for IPv4-mapped addresses and for IPv6 ones, and their counts. */
    private final int[] v4Tables;
    private final int[] v6Tables;
    private final long[][] keyHi;
    private final long[][] keyLo;
    private final long[][] values;
    private final boolean[][] used;

    public AddressRoles(List<Cidr> prefixes, List<Long> roleSets) {
        // IPv4 prefixes (held as IPv4-mapped /96+n) and IPv6 prefixes get tables of their own, so a
        // lookup only probes the lengths of its own family.
        Map<Integer, List<Integer>> byLength = new TreeMap<>((a, b) -> b - a);
        for (int i = 0; i < prefixes.size(); i++) {
            Cidr c = prefixes.get(i);
            int key = c.ipv4() ? 1000 + c.length() : c.length();
            byLength.computeIfAbsent(key, k -> new ArrayList<>()).add(i);
        }
        int n = byLength.size();
        lengths = new int[n];
        keyHi = new long[n][];
        keyLo = new long[n][];
        values = new long[n][];
        used = new boolean[n][];
        int t = 0;
        for (Map.Entry<Integer, List<Integer>> e : byLength.entrySet()) {
            int cap = Integer.highestOneBit(Math.max(4, e.getValue().size() * 2 + 1)) << 1;
            lengths[t] = e.getKey() >= 1000 ? e.getKey() - 1000 : e.getKey();
            keyHi[t] = new long[cap];
            keyLo[t] = new long[cap];
            values[t] = new long[cap];
            used[t] = new boolean[cap];
            for (int i : e.getValue()) {
                Cidr c = prefixes.get(i);
                put(t, c.hi(), c.lo(), roleSets.get(i));
            }
            t++;
        }
        int v4 = 0;
        for (int k : byLength.keySet()) {
            if (k >= 1000) {
                v4++;
            }
        }
        v4Tables = new int[v4];
        v6Tables = new int[n - v4];
        int a = 0;
        int b = 0;
        t = 0;
        for (int k : byLength.keySet()) {
            if (k >= 1000) {
                v4Tables[a++] = t++;
            } else {
                v6Tables[b++] = t++;
            }
        }
    }

    private static int hash(long hi, long lo) {
        long h = hi * 0x9e3779b97f4a7c15L ^ lo * 0xc2b2ae3d27d4eb4fL;
        h ^= h >>> 31;
        h *= 0xff51afd7ed558ccdL;
        return (int) (h ^ (h >>> 33));
    }

    private void put(int t, long hi, long lo, long roles) {
        int mask = keyHi[t].length - 1;
        int i = hash(hi, lo) & mask;
        while (used[t][i]) {
            if (keyHi[t][i] == hi && keyLo[t][i] == lo) {
                values[t][i] |= roles;
                return;
            }
            i = (i + 1) & mask;
        }
        used[t][i] = true;
        keyHi[t][i] = hi;
        keyLo[t][i] = lo;
        values[t][i] = roles;
    }

    /** The role set of the most specific prefix holding the address, or 0. */
    public long lookup(long hi, long lo) {
        // An IPv4 address (held IPv4-mapped) is looked up among the IPv4 prefixes alone: an IPv6 prefix that covers the
        // mapped range (::/0) is IPv6's and gives no IPv4 host a role (it had given every IPv4 host outside the IPv4
        // prefixes the roles of ::/0).
        boolean mapped = hi == 0 && (lo >>> 32) == 0xffffL;
        return probe(mapped ? v4Tables : v6Tables, hi, lo);
    }

    private long probe(int[] tables, long hi, long lo) {
        for (int t : tables) {
            int len = lengths[t];
            long h = hi & Cidr.maskHi(len);
            long l = lo & Cidr.maskLo(len);
            long[] kh = keyHi[t];
            int mask = kh.length - 1;
            int i = hash(h, l) & mask;
            boolean[] u = used[t];
            while (u[i]) {
                if (kh[i] == h && keyLo[t][i] == l) {
                    return values[t][i];
                }
                i = (i + 1) & mask;
            }
        }
        return 0;
    }
}
