package org.portmatrix.classify;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The role vocabulary: each role id has a bit, and a set of roles is a {@code long}. The catalog's
 * roles come first; a topology may add roles of its own (which then match no catalog rule).
 */
public final class Roles {
    /** The role ids of the public contract, in bit order. */
    public static final List<String> CATALOG_ROLES = List.of(
            "front-end", "director", "mediation", "edge-internal", "reverse-proxy", "persistent-chat",
            "office-web-apps", "pstn-gateway", "survivable-branch-appliance", "client", "fe-load-balancer",
            "director-load-balancer", "mediation-load-balancer");
    public static final int MAX_ROLES = 64;

    private final Map<String, Integer> bits = new LinkedHashMap<>();
    private final List<String> names = new ArrayList<>();
    /** Sets named so far; read by the flow thread while the packet thread may name others. */
    private final Map<Long, Named> named = new java.util.concurrent.ConcurrentHashMap<>();

    public Roles() {
        for (String r : CATALOG_ROLES) {
            add(r);
        }
    }

    /** The bit of a role, adding it when new. Returns -1 when the vocabulary is full. */
    public int add(String role) {
        Integer b = bits.get(role);
        if (b != null) {
            return b;
        }
        if (names.size() >= MAX_ROLES) {
            return -1;
        }
        bits.put(role, names.size());
        names.add(role);
        return names.size() - 1;
    }

    /** The bit of a known role, or -1. */
    public int bit(String role) {
        Integer b = bits.get(role);
        return b == null ? -1 : b;
    }

    public String name(int bit) {
        return names.get(bit);
    }

    public int size() {
        return names.size();
    }

    /**
     * The role names of a set, in vocabulary order (unmodifiable). Made once per set: every flow
     * record carries two, and a deployment has few distinct sets (measured: lists and joins per
     * flow were a tenth of the flow thread's allocation on the reference workload).
     */
    public List<String> names(long set) {
        return named(set).names;
    }

    /** The role names of a set joined with '+' ("front-end+director"), made once per set. */
    public String text(long set) {
        return named(set).text;
    }

    /** " (front-end+director)": the text in parentheses after a space, made once per set. */
    public String inParentheses(long set) {
        return named(set).inParentheses;
    }

    private record Named(long set, List<String> names, String text, String inParentheses) {}

    /**
     * The sets named last, direct-mapped by a hash of the set, in front of {@link #named}: a lookup
     * there boxes the set, three times per flow reported. Entries are immutable, so no lock.
     */
    private final Named[] recent = new Named[64];

    private Named named(long set) {
        int i = (int) ((set * 0x9e3779b97f4a7c15L) >>> 58);
        Named n = recent[i];
        if (n != null && n.set == set) {
            return n;
        }
        n = named.get(set);
        if (n == null) {
            List<String> out = new ArrayList<>(Long.bitCount(set));
            for (long s = set; s != 0; s &= s - 1) {
                out.add(names.get(Long.numberOfTrailingZeros(s)));
            }
            String text = String.join("+", out);
            n = new Named(set, List.copyOf(out), text, " (" + text + ")");
            named.put(set, n);
        }
        recent[i] = n;
        return n;
    }

    public static boolean validId(String id) {
        return id.matches("[a-z0-9][a-z0-9_-]*");
    }
}
