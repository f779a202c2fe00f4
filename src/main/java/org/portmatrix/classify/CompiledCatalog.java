package org.portmatrix.classify;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The catalog compiled for lookups: per transport, a table from port to the index of its
 * candidate-rule set (ports sharing the same rules share one set), and per rule its role masks in
 * flat arrays. A lookup is two array reads and a few AND operations per candidate; no allocation.
 */
public final class CompiledCatalog {
    public static final int NO_RULE = -1;
    private static final int TCP = 0;
    private static final int UDP = 1;

    private final Catalog catalog;
    private final char[][] portSet = new char[2][65536];
    private final int[][] sets;
    private final long[] srcMask;
    private final long[] dstMask;
    private final boolean[] srcAny;
    private final boolean[] dstAny;
    private final String[] descriptions;

    public CompiledCatalog(Catalog catalog) {
        this.catalog = catalog;
        List<Rule> rules = catalog.rules();
        int n = rules.size();
        srcMask = new long[n];
        dstMask = new long[n];
        srcAny = new boolean[n];
        dstAny = new boolean[n];
        descriptions = new String[n];
        for (Rule r : rules) {
            srcMask[r.index()] = r.srcMask();
            dstMask[r.index()] = r.dstMask();
            srcAny[r.index()] = r.srcAny();
            dstAny[r.index()] = r.dstAny();
        }
        Map<List<Integer>, Integer> setIds = new HashMap<>();
        List<int[]> setList = new ArrayList<>();
        setList.add(new int[0]);
        setIds.put(List.of(), 0);
        for (int t = 0; t < 2; t++) {
            int proto = t == TCP ? 6 : 17;
            List<Rule> ofTransport = new ArrayList<>();
            for (Rule r : rules) { // (loops, not streams: this runs once, interpreted, before the first packet)
                if (r.transport() == proto) {
                    ofTransport.add(r);
                }
            }
            // The candidate set changes only where a rule's range starts or ends: sweep those segments.
            java.util.TreeSet<Integer> cuts = new java.util.TreeSet<>(List.of(0, 65536));
            for (Rule r : ofTransport) {
                cuts.add(r.portMin());
                cuts.add(r.portMax() + 1);
            }
            Integer from = cuts.first();
            for (Integer to = cuts.higher(from); to != null; from = to, to = cuts.higher(to)) {
                List<Integer> ids = new ArrayList<>(4);
                for (Rule r : ofTransport) {
                    if (from >= r.portMin() && from <= r.portMax()) {
                        ids.add(r.index());
                    }
                }
                Integer id = setIds.get(ids);
                if (id == null) {
                    id = setList.size();
                    int[] set = new int[ids.size()];
                    for (int k = 0; k < set.length; k++) {
                        set[k] = ids.get(k);
                    }
                    setList.add(set);
                    setIds.put(List.copyOf(ids), id);
                }
                Arrays.fill(portSet[t], from, to, (char) (int) id);
            }
        }
        sets = setList.toArray(new int[0][]);
    }

    public Catalog catalog() {
        return catalog;
    }

    private static int transportIndex(int protocol) {
        return protocol == 6 ? TCP : protocol == 17 ? UDP : -1;
    }

    /** The first rule serving {@code port} to the responder's roles and allowing the initiator's, or NO_RULE. */
    public int match(int protocol, int port, long src, long dst) {
        return nextMatch(protocol, port, src, dst, NO_RULE);
    }

    /** Like {@link #match}, the first such rule after rule index {@code after}. */
    public int nextMatch(int protocol, int port, long src, long dst, int after) {
        int t = transportIndex(protocol);
        if (t < 0 || src == 0 || dst == 0) {
            return NO_RULE;
        }
        int[] cand = sets[portSet[t][port]];
        for (int r : cand) {
            if (r > after && (dstAny[r] || (dstMask[r] & dst) != 0) && (srcAny[r] || (srcMask[r] & src) != 0)) {
                return r;
            }
        }
        return NO_RULE;
    }

    /** The first rule serving {@code port} to the responder's roles, whoever initiates, or NO_RULE. */
    public int served(int protocol, int port, long dst) {
        int t = transportIndex(protocol);
        if (t < 0 || dst == 0) {
            return NO_RULE;
        }
        for (int r : sets[portSet[t][port]]) {
            if (dstAny[r] || (dstMask[r] & dst) != 0) {
                return r;
            }
        }
        return NO_RULE;
    }

    /**
     * Every rule serving {@code port} to the responder's roles, whoever initiates, in catalog order
     * (for reasons; allocates): the first is {@link #served}'s.
     */
    public int[] servedAll(int protocol, int port, long dst) {
        int t = transportIndex(protocol);
        if (t < 0 || dst == 0) {
            return new int[0];
        }
        int[] cand = sets[portSet[t][port]];
        int[] out = new int[cand.length];
        int n = 0;
        for (int r : cand) {
            if (dstAny[r] || (dstMask[r] & dst) != 0) {
                out[n++] = r;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** Whether any rule documents this transport and port at all. */
    public boolean documented(int protocol, int port) {
        int t = transportIndex(protocol);
        return t >= 0 && sets[portSet[t][port]].length > 0;
    }

    /** Every rule index documenting this transport and port (for reports; allocates). */
    public int[] rulesFor(int protocol, int port) {
        int t = transportIndex(protocol);
        return t < 0 ? new int[0] : Arrays.copyOf(sets[portSet[t][port]], sets[portSet[t][port]].length);
    }

    public Rule rule(int index) {
        return catalog.rules().get(index);
    }

    /**
     * {@link Classifier#describe} of a rule, made once per rule: reasons quote it for every flow
     * (measured: building it per flow was 5% of the flow thread's CPU samples and a tenth of its
     * allocation on the reference workload). Filled lazily; a race only builds an equal string twice.
     */
    public String describe(int index) {
        String d = descriptions[index];
        if (d == null) {
            d = Classifier.describe(rule(index));
            descriptions[index] = d;
        }
        return d;
    }

    public int distinctSets() {
        return sets.length;
    }
}
