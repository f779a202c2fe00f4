package org.portmatrix.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.portmatrix.classify.Catalog;
import org.portmatrix.classify.Cidr;
import org.portmatrix.classify.CompiledCatalog;
import org.portmatrix.classify.Roles;
import org.portmatrix.classify.Rule;
import org.portmatrix.classify.Topology;

/**
 * One classification: the roles of both endpoints (longest prefix) and the first catalog rule
 * serving the responder's transport/port to the initiator's roles. The compiled structures beside
 * a JDK baseline (HashMap from masked address to roles per prefix length, HashMap from port to the
 * list of rules). Inputs come from pre-generated random arrays, so the branch predictor cannot
 * learn one port; hit = a documented role pair and port, miss = an undocumented port.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CatalogLookupBenchmark {
    private static final int N = 4096;
    private static final String[] ROLE_NETS = {
        "front-end", "10.1.1.0/24", "fd00:10:1:1::/64",
        "director", "10.1.2.0/24", "fd00:10:1:2::/64",
        "edge-internal", "10.1.3.0/24", "fd00:10:1:3::/64",
        "mediation", "10.1.4.0/24", "fd00:10:1:4::/64",
        "reverse-proxy", "10.1.5.0/24", "fd00:10:1:5::/64",
        "pstn-gateway", "10.1.6.0/24", "fd00:10:1:6::/64",
        "persistent-chat", "10.1.7.0/24", "fd00:10:1:7::/64",
        "office-web-apps", "10.1.8.0/24", "fd00:10:1:8::/64",
        "client", "10.2.0.0/16", "fd00:10:2::/48",
    };

    @Param({"ipv4", "ipv6"})
    public String family;

    @Param({"hit", "miss"})
    public String kind;

    private Topology topology;
    private CompiledCatalog compiled;
    private final long[] srcHi = new long[N];
    private final long[] srcLo = new long[N];
    private final long[] dstHi = new long[N];
    private final long[] dstLo = new long[N];
    private final int[] proto = new int[N];
    private final int[] port = new int[N];
    private int i;

    // JDK baseline: per prefix length (longest first), masked address -> roles; port -> rules.
    private int[] baselineLengths;
    private List<Map<Addr, Long>> baselineByLength;
    private Map<Integer, List<Rule>> baselinePorts;

    record Addr(long hi, long lo) {}

    @Setup
    public void setup() throws Exception {
        Roles roles = new Roles();
        Catalog catalog = Catalog.builtIn(roles);
        compiled = new CompiledCatalog(catalog);
        Map<String, List<Cidr>> map = new LinkedHashMap<>();
        for (int r = 0; r < ROLE_NETS.length; r += 3) {
            map.put(ROLE_NETS[r], List.of(Cidr.parse(ROLE_NETS[r + 1]), Cidr.parse(ROLE_NETS[r + 2])));
        }
        topology = new Topology("bench", map, roles);

        Map<Integer, Map<Addr, Long>> byLen = new java.util.TreeMap<>(java.util.Comparator.reverseOrder());
        for (Map.Entry<String, List<Cidr>> e : map.entrySet()) {
            for (Cidr c : e.getValue()) {
                byLen.computeIfAbsent(c.length(), k -> new HashMap<>()).merge(new Addr(c.hi(), c.lo()), 1L << roles.bit(e.getKey()), (a, b) -> a | b);
            }
        }
        baselineLengths = byLen.keySet().stream().mapToInt(Integer::intValue).toArray();
        baselineByLength = new ArrayList<>(byLen.values());
        baselinePorts = new HashMap<>();
        for (Rule r : catalog.rules()) {
            for (int p = r.portMin(); p <= r.portMax(); p++) {
                baselinePorts.computeIfAbsent((r.transport() << 16) | p, k -> new ArrayList<>()).add(r);
            }
        }

        // Documented (initiator role, responder role, transport, port) samples drawn from the catalog's
        // single-port rules; misses use ports no rule documents.
        List<int[]> hits = new ArrayList<>();
        for (Rule r : catalog.rules()) {
            if (r.srcAny() || r.dstAny() || r.portMax() - r.portMin() > 16) {
                continue;
            }
            for (String s : r.srcRoles()) {
                for (String d : r.dstRoles()) {
                    int si = roleIndex(s);
                    int di = roleIndex(d);
                    if (si >= 0 && di >= 0) {
                        hits.add(new int[] {si, di, r.transport(), r.portMin()});
                    }
                }
            }
        }
        int[] missPorts = {22, 23, 3389, 8443, 1433, 25, 110, 5900, 9000, 7000};
        SplittableRandom rnd = new SplittableRandom(2013);
        boolean v6 = family.equals("ipv6");
        for (int k = 0; k < N; k++) {
            int[] h = hits.get(rnd.nextInt(hits.size()));
            setAddr(k, true, h[0], v6, rnd);
            setAddr(k, false, h[1], v6, rnd);
            proto[k] = h[2];
            port[k] = kind.equals("hit") ? h[3] : missPorts[rnd.nextInt(missPorts.length)];
        }
    }

    private static int roleIndex(String role) {
        for (int r = 0; r < ROLE_NETS.length; r += 3) {
            if (ROLE_NETS[r].equals(role)) {
                return r / 3;
            }
        }
        return -1;
    }

    private void setAddr(int k, boolean src, int role, boolean v6, SplittableRandom rnd) {
        Cidr net = Cidr.parse(ROLE_NETS[role * 3 + (v6 ? 2 : 1)]);
        long hi = net.hi();
        long lo = net.lo() | (v6 ? rnd.nextLong() & 0xffffL : 1 + rnd.nextInt(250));
        if (src) {
            srcHi[k] = hi;
            srcLo[k] = lo;
        } else {
            dstHi[k] = hi;
            dstLo[k] = lo;
        }
    }

    @Benchmark
    public int compiled() {
        int k = i++ & (N - 1);
        long s = topology.rolesOf(srcHi[k], srcLo[k]);
        long d = topology.rolesOf(dstHi[k], dstLo[k]);
        int r = compiled.match(proto[k], port[k], s, d);
        return r != CompiledCatalog.NO_RULE ? r : compiled.served(proto[k], port[k], d);
    }

    @Benchmark
    public int hashMapBaseline() {
        int k = i++ & (N - 1);
        long s = baselineRoles(srcHi[k], srcLo[k]);
        long d = baselineRoles(dstHi[k], dstLo[k]);
        List<Rule> rules = baselinePorts.get((proto[k] << 16) | port[k]);
        if (rules == null) {
            return -1;
        }
        for (Rule r : rules) {
            if (r.servesDestination(d) && r.allowsSource(s)) {
                return r.index();
            }
        }
        for (Rule r : rules) {
            if (r.servesDestination(d)) {
                return r.index();
            }
        }
        return -1;
    }

    private long baselineRoles(long hi, long lo) {
        for (int t = 0; t < baselineLengths.length; t++) {
            int len = baselineLengths[t];
            Long v = baselineByLength.get(t).get(new Addr(hi & Cidr.maskHi(len), lo & Cidr.maskLo(len)));
            if (v != null) {
                return v;
            }
        }
        return 0;
    }
}
