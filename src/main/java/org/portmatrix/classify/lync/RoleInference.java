package org.portmatrix.classify.lync;

import static org.portmatrix.classify.lync.TrafficProfile.key;
import static org.portmatrix.classify.lync.TrafficProfile.portOf;
import static org.portmatrix.classify.lync.TrafficProfile.protocolOf;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.portmatrix.classify.Catalog;
import org.portmatrix.classify.Cidr;
import org.portmatrix.classify.Roles;
import org.portmatrix.classify.Rule;
import org.portmatrix.classify.Topology;
import org.portmatrix.classify.lync.TrafficProfile.Host;
import org.portmatrix.classify.lync.TrafficProfile.HostTraffic;
import org.portmatrix.classify.lync.TrafficProfile.PortUse;

/**
 * Infers each host's roles from what it served and whom it connected to, in three steps:
 *
 * <ol>
 * <li><b>Signatures.</b> Ports only one role listens on decide at once: UDP 3478 (or the CLS ports
 * 50001-50003) → edge-internal; TCP 5070/5067/5068 → mediation; 5041/881 → persistent-chat;
 * 5066/5081/5082 → pstn-gateway; the conferencing, application and web-conferencing ports of a Front
 * End (444 with 5061, 5062-5065, 5071-5076, 8057, 8058, 8404, 135, ...) → front-end; SIP on 5061
 * with web ports (443, 80, 4443, 8080) but none of the Front End's → director; TCP 1433 →
 * sql-backend and DNS/DHCP → infrastructure (roles the catalog does not have; the reference
 * workload's names). A host can get several (a Front End with a collocated Mediation Server).</li>
 * <li><b>The catalog.</b> For every other host, each port it served (with its initiators' roles) and
 * each port it connected to on a host of known roles is evidence for the roles whose catalog rules
 * (single ports or narrow ranges; wide media ranges say nothing) document that flow; the role that
 * explains the most wins. A host that only starts flows that clients start is a client.</li>
 * <li><b>Ties.</b> A tie goes to the role of a decided host in the same subnet (/24, /64) — pools
 * sit in a subnet — else to the role whose documented listening ports the host's served ports cover
 * best (a host serving only 443 to Front Ends is Office Web Apps, not a Front End); else the host
 * is reported as not inferred, with its candidates.</li>
 * </ol>
 *
 * Every host gets a confidence between 0 and 1 and a sentence of evidence.
 */
public final class RoleInference {
    public static final String SQL_BACKEND = TopologyImport.SQL_BACKEND;
    public static final String INFRASTRUCTURE = "infrastructure";
    static final String CLIENT = "client";
    /**
     * Roles a host can have without ever being seen serving: a reverse proxy and a gateway start
     * flows into the deployment (their listeners face outside or the PSTN). Every other server role
     * listens; a host that only starts flows is not taken for one on the catalog's word alone.
     */
    static final Set<String> STARTS_ONLY = Set.of(CLIENT, "reverse-proxy", "pstn-gateway");
    /** Ranges up to this many ports are evidence; wider ones (media ranges) say nothing about a role. */
    static final int NARROW_RANGE = 16;

    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final Set<Integer> EDGE = keys(UDP, 3478, TCP, 50001, TCP, 50002, TCP, 50003);
    private static final Set<Integer> MEDIATION = keys(TCP, 5070, TCP, 5067, TCP, 5068);
    private static final Set<Integer> PERSISTENT_CHAT = keys(TCP, 5041, TCP, 881);
    private static final Set<Integer> GATEWAY = keys(TCP, 5066, TCP, 5081, TCP, 5082);
    /** Front End listeners no other server role has (conferencing, applications, web conferencing, DCOM). */
    private static final Set<Integer> FRONT_END = keys(TCP, 135, TCP, 448, TCP, 5062, TCP, 5063, TCP, 5064, TCP, 5065,
            TCP, 5071, TCP, 5072, TCP, 5073, TCP, 5074, TCP, 5075, TCP, 5076, TCP, 5080, TCP, 5086, TCP, 5087,
            TCP, 8057, TCP, 8058, TCP, 8060, TCP, 8061, TCP, 8404);
    private static final int FOCUS_444 = key(TCP, 444);
    private static final int SIP_5061 = key(TCP, 5061);
    private static final Set<Integer> WEB = keys(TCP, 443, TCP, 80, TCP, 4443, TCP, 8080);
    private static final Set<Integer> SQL = keys(TCP, 1433, UDP, 1434);
    private static final Set<Integer> INFRA = keys(UDP, 53, TCP, 53, UDP, 67);

    private static Set<Integer> keys(int... protoPort) {
        Set<Integer> s = new LinkedHashSet<>();
        for (int i = 0; i < protoPort.length; i += 2) {
            s.add(key(protoPort[i], protoPort[i + 1]));
        }
        return Set.copyOf(s);
    }

    /** One host's outcome. Empty roles: not inferred ({@code evidence} then says why and what it could be). */
    public record HostRoles(String address, Cidr cidr, List<String> roles, double confidence, String evidence) {
        public boolean inferred() {
            return !roles.isEmpty();
        }

        /** "10.1.1.11 front-end (confidence 0.95)". */
        public String note() {
            return address + " " + String.join("+", roles) + " (confidence " + confidenceText(confidence) + ")";
        }
    }

    /** "0.95": two decimals without String.format, which is slow once per host of a large capture. */
    static String confidenceText(double c) {
        long hundredths = Math.round(Math.max(0, Math.min(1, c)) * 100);
        return hundredths / 100 + "." + (hundredths % 100 < 10 ? "0" : "") + hundredths % 100;
    }

    private final Catalog catalog;
    private final List<String> catalogRoles;
    /** Narrow catalog rules by protocol/port key. */
    private final Map<Integer, List<Rule>> rulesByKey = new HashMap<>();
    /** The narrow ports a role listens on, per the catalog. */
    private final Map<String, Set<Integer>> listening = new HashMap<>();
    private final Map<Host, HostTraffic> hosts;
    private final Map<Host, Decision> decided = new LinkedHashMap<>();

    private record Decision(List<String> roles, double confidence, String why) {}

    private RoleInference(TrafficProfile profile, Catalog catalog) {
        this.catalog = catalog;
        this.hosts = profile.hosts();
        this.catalogRoles = new ArrayList<>(Roles.CATALOG_ROLES);
        for (Rule r : catalog.rules()) {
            if (r.portMax() - r.portMin() > NARROW_RANGE) {
                continue;
            }
            for (int p = r.portMin(); p <= r.portMax(); p++) {
                rulesByKey.computeIfAbsent(key(r.transport(), p), k -> new ArrayList<>()).add(r);
                for (String d : r.dstRoles()) {
                    listening.computeIfAbsent(d, k -> new TreeSet<>()).add(key(r.transport(), p));
                }
            }
        }
    }

    /** Infers the roles of every host of the profile. Hosts come out in address order. */
    public static List<HostRoles> infer(TrafficProfile profile, Catalog catalog) {
        return new RoleInference(profile, catalog).run();
    }

    private List<HostRoles> run() {
        List<Host> order = new ArrayList<>(hosts.keySet());
        order.sort((a, b) -> a.ipVersion() != b.ipVersion() ? Integer.compare(a.ipVersion(), b.ipVersion())
                : a.hi() != b.hi() ? Long.compareUnsigned(a.hi(), b.hi()) : Long.compareUnsigned(a.lo(), b.lo()));
        for (Host h : order) {
            Decision d = signature(hosts.get(h));
            if (d != null) {
                decided.put(h, d);
            }
        }
        Map<Host, Candidates> open = new LinkedHashMap<>();
        for (Host h : order) {
            if (decided.containsKey(h)) {
                continue;
            }
            Candidates c = candidates(hosts.get(h));
            Decision d = c.decide();
            if (d != null) {
                decided.put(h, d);
            } else {
                open.put(h, c);
            }
        }
        Map<Host, Decision> late = new LinkedHashMap<>();
        Map<Host, String> why = new HashMap<>();
        subnets = subnetRoles();
        for (Map.Entry<Host, Candidates> e : open.entrySet()) {
            Decision d = tieBreak(e.getKey(), e.getValue());
            if (d != null) {
                late.put(e.getKey(), d);
            } else {
                why.put(e.getKey(), e.getValue().undecided());
            }
        }
        decided.putAll(late);
        List<HostRoles> out = new ArrayList<>();
        for (Host h : order) {
            Decision d = decided.get(h);
            Cidr cidr = Cidr.parse(h.address());
            if (d != null) {
                out.add(new HostRoles(h.address(), cidr, d.roles(), d.confidence(), d.why()));
            } else {
                out.add(new HostRoles(h.address(), cidr, List.of(), 0, why.get(h)));
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------ signatures

    private Decision signature(HostTraffic t) {
        Set<Integer> s = t.served.keySet();
        List<String> roles = new ArrayList<>();
        List<String> why = new ArrayList<>();
        double conf = 1;
        Set<Integer> edge = intersect(s, EDGE);
        if (!edge.isEmpty()) {
            roles.add("edge-internal");
            double c = s.contains(SIP_5061) || s.contains(key(TCP, 443)) ? 0.95 : 0.9;
            conf = Math.min(conf, c);
            why.add("serves " + ports(t, edge) + " (Edge internal: A/V authentication and relay)");
        }
        Set<Integer> med = intersect(s, MEDIATION);
        if (!med.isEmpty()) {
            roles.add("mediation");
            conf = Math.min(conf, med.size() > 1 ? 0.95 : 0.9);
            why.add("serves " + ports(t, med) + " (Mediation Server SIP)");
        }
        Set<Integer> pchat = intersect(s, PERSISTENT_CHAT);
        if (!pchat.isEmpty()) {
            roles.add("persistent-chat");
            conf = Math.min(conf, 0.9);
            why.add("serves " + ports(t, pchat) + " (Persistent Chat)");
        }
        Set<Integer> gw = intersect(s, GATEWAY);
        if (!gw.isEmpty()) {
            roles.add("pstn-gateway");
            conf = Math.min(conf, 0.9);
            why.add("serves " + ports(t, gw) + " (PSTN gateway SIP)");
        }
        if (edge.isEmpty()) {
            Set<Integer> fe = intersect(s, FRONT_END);
            boolean sip = s.contains(SIP_5061);
            boolean focus = s.contains(FOCUS_444);
            double c = -1;
            if (fe.size() >= 2) {
                c = sip || focus ? 0.95 : 0.85;
            } else if (fe.size() == 1) {
                c = sip || focus ? 0.8 : 0.6;
            } else if (focus && sip) {
                c = 0.6;
            }
            if (c > 0) {
                roles.add(0, "front-end");
                conf = Math.min(conf, c);
                Set<Integer> shown = new LinkedHashSet<>(fe);
                if (sip) {
                    shown.add(SIP_5061);
                }
                if (focus) {
                    shown.add(FOCUS_444);
                }
                why.add(0, "serves " + ports(t, shown) + " (Front End: SIP, Focus and conferencing services)");
            } else if (roles.isEmpty() && sip && !intersect(s, WEB).isEmpty()) {
                roles.add("director");
                conf = 0.6;
                Set<Integer> shown = new LinkedHashSet<>(List.of(SIP_5061));
                shown.addAll(intersect(s, WEB));
                why.add("serves " + ports(t, shown) + " but no Front End conferencing port (Director)");
            }
        }
        if (roles.isEmpty() && !intersect(s, SQL).isEmpty()) {
            roles.add(SQL_BACKEND);
            conf = s.contains(key(TCP, 1433)) ? 0.8 : 0.6;
            why.add("serves " + ports(t, intersect(s, SQL)) + " (SQL Server: a back-end database; not a catalog role)");
        }
        if (roles.isEmpty() && !intersect(s, INFRA).isEmpty()) {
            roles.add(INFRASTRUCTURE);
            conf = 0.8;
            why.add("serves " + ports(t, intersect(s, INFRA)) + " (DNS/DHCP: infrastructure; not a catalog role)");
        }
        if (roles.isEmpty()) {
            return null;
        }
        return new Decision(roles, conf, String.join("; ", why));
    }

    private static Set<Integer> intersect(Set<Integer> a, Set<Integer> b) {
        Set<Integer> out = new TreeSet<>();
        for (Integer k : a) {
            if (b.contains(k)) {
                out.add(k);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------ catalog evidence

    /** The roles a host could have, counted over its evidence items. */
    private final class Candidates {
        final HostTraffic traffic;
        final Map<String, Integer> count = new LinkedHashMap<>();
        final Set<Integer> servedKeys = new TreeSet<>();
        int servedItems;
        int startedItems;
        int clientStarted;
        final List<String> evidence = new ArrayList<>();

        Candidates(HostTraffic t) {
            this.traffic = t;
        }

        void vote(Set<String> roles) {
            for (String r : roles) {
                count.merge(r, 1, Integer::sum);
            }
        }

        List<String> best() {
            int max = count.values().stream().max(Integer::compare).orElse(0);
            List<String> out = new ArrayList<>();
            for (Map.Entry<String, Integer> e : count.entrySet()) {
                if (e.getValue() == max && max > 0 && !(servedItems > 0 && e.getKey().equals(CLIENT))) {
                    out.add(e.getKey());
                }
            }
            return out;
        }

        int items() {
            return servedItems + startedItems;
        }

        Decision decide() {
            String ev = String.join("; ", evidence);
            List<String> best = best();
            if (servedItems == 0) {
                if (startedItems == 0) {
                    if (traffic.started.isEmpty()) {
                        return null; // serves only ports no rule documents: the subnet may tell
                    }
                    return new Decision(List.of(CLIENT), 0.4, "only starts flows, none on a port the catalog documents for a known host ("
                            + startedPorts(traffic) + ")");
                }
                if (clientStarted == startedItems) {
                    return new Decision(List.of(CLIENT), Math.min(0.9, 0.6 + 0.1 * startedItems), "only starts flows clients start: " + ev);
                }
                if (best.size() != 1 || !STARTS_ONLY.contains(best.get(0))) {
                    return null; // a listening role that was never seen listening: the subnet may tell
                }
            }
            if (best.size() == 1 && count.get(best.get(0)) * 2 >= items()) {
                double c = 0.2 + 0.5 * count.get(best.get(0)) / items();
                return new Decision(best, c, ev);
            }
            return null;
        }

        String undecided() {
            if (items() == 0) {
                return traffic.served.isEmpty() ? "served no port: the flows to it were refused (ICMP errors) or never answered"
                        : "serves only ports no catalog rule documents: " + servedPorts(traffic);
            }
            List<String> best = best();
            return (best.isEmpty() ? "no role explains its traffic" : "could be " + String.join(" or ", best)) + ": "
                    + String.join("; ", evidence);
        }
    }

    private Candidates candidates(HostTraffic t) {
        Candidates c = new Candidates(t);
        for (Map.Entry<Integer, PortUse> e : sorted(t.served)) {
            List<Rule> rules = rulesByKey.get(e.getKey());
            if (rules == null) {
                continue;
            }
            Set<String> initiatorRoles = knownRoles(e.getValue().peers);
            Set<String> explain = new LinkedHashSet<>();
            for (Rule r : rules) {
                if (initiatorRoles.isEmpty() || r.srcAny() || !java.util.Collections.disjoint(r.srcRoles(), initiatorRoles)) {
                    explain.addAll(r.dstRoles());
                }
            }
            if (explain.isEmpty()) {
                continue;
            }
            c.servedItems++;
            c.servedKeys.add(e.getKey());
            c.vote(explain);
            c.evidence.add("serves " + portName(e.getKey()) + " (" + peersText(e.getValue(), initiatorRoles) + ")");
        }
        for (Map.Entry<Integer, PortUse> e : sorted(t.started)) {
            List<Rule> rules = rulesByKey.get(e.getKey());
            if (rules == null) {
                continue;
            }
            // one item per distinct role set of the responders
            Map<List<String>, Integer> responders = new LinkedHashMap<>();
            for (Host p : e.getValue().peers) {
                Decision d = decided.get(p);
                if (d != null) {
                    responders.merge(d.roles(), 1, Integer::sum);
                }
            }
            for (Map.Entry<List<String>, Integer> rs : responders.entrySet()) {
                Set<String> allowed = new LinkedHashSet<>();
                for (Rule r : rules) {
                    if (r.dstAny() || !java.util.Collections.disjoint(r.dstRoles(), rs.getKey())) {
                        if (r.srcAny()) {
                            allowed.addAll(catalogRoles);
                        } else {
                            allowed.addAll(r.srcRoles());
                        }
                    }
                }
                if (allowed.isEmpty()) {
                    continue;
                }
                c.startedItems++;
                if (allowed.contains(CLIENT)) {
                    c.clientStarted++;
                }
                c.vote(allowed);
                c.evidence.add("starts " + portName(e.getKey()) + " to " + String.join("+", rs.getKey()) + " (" + rs.getValue()
                        + (rs.getValue() == 1 ? " host)" : " hosts)"));
            }
        }
        return c;
    }

    private Set<String> knownRoles(Set<Host> peers) {
        Set<String> out = new LinkedHashSet<>();
        for (Host p : peers) {
            Decision d = decided.get(p);
            if (d != null) {
                out.addAll(d.roles());
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------ ties

    private Decision tieBreak(Host h, Candidates c) {
        List<String> best = c.best();
        String ev = String.join("; ", c.evidence);
        Map<String, Integer> near = neighbourRoles(h);
        if (c.servedItems == 0) {
            int clients = near.getOrDefault(CLIENT, 0);
            int all = near.values().stream().mapToInt(Integer::intValue).sum();
            if (all >= 3 && clients * 3 >= all * 2) {
                return new Decision(List.of(CLIENT), c.startedItems > 0 ? 0.5 : 0.4, (c.startedItems > 0 ? "only starts flows"
                        : "serves only " + servedPorts(c.traffic)) + ", and its subnet holds clients (" + clients + " of " + all
                        + " hosts)" + (ev.isEmpty() ? "" : "; " + ev));
            }
        }
        if (best.isEmpty()) {
            return null;
        }
        List<String> nearBest = best.stream().filter(near::containsKey).toList();
        if (nearBest.size() == 1) {
            return new Decision(nearBest, 0.45, ev + "; a " + nearBest.get(0) + " sits in the same subnet");
        }
        if (c.servedItems > 0) {
            String top = null;
            double topCover = -1;
            boolean unique = false;
            for (String r : best) {
                Set<Integer> docs = listening.getOrDefault(r, Set.of());
                if (docs.isEmpty()) {
                    continue;
                }
                long covered = c.servedKeys.stream().filter(docs::contains).count();
                double cover = (double) covered / docs.size();
                if (cover > topCover + 1e-9) {
                    top = r;
                    topCover = cover;
                    unique = true;
                } else if (Math.abs(cover - topCover) <= 1e-9) {
                    unique = false;
                }
            }
            if (top != null && unique) {
                return new Decision(List.of(top), 0.4, ev + "; of " + String.join(", ", best) + ", " + top
                        + " has the fewest other listening ports (the host shows " + Math.round(topCover * 100) + "% of them)");
            }
        }
        return null;
    }

    /** A /24 (IPv4) or /64 (IPv6). */
    private record Subnet(int ipVersion, long prefix) {
        static Subnet of(Host h) {
            return new Subnet(h.ipVersion(), h.ipVersion() == 4 ? h.lo() >>> 8 : h.hi());
        }
    }

    /** Role counts of the hosts decided before the tie-breaks, per subnet. */
    private Map<Subnet, Map<String, Integer>> subnets = Map.of();

    private Map<Subnet, Map<String, Integer>> subnetRoles() {
        Map<Subnet, Map<String, Integer>> out = new HashMap<>();
        for (Map.Entry<Host, Decision> e : decided.entrySet()) {
            Map<String, Integer> m = out.computeIfAbsent(Subnet.of(e.getKey()), k -> new LinkedHashMap<>());
            for (String r : e.getValue().roles()) {
                m.merge(r, 1, Integer::sum);
            }
        }
        return out;
    }

    /** Roles of decided hosts in the same /24 (IPv4) or /64 (IPv6) as an undecided one, with counts. */
    private Map<String, Integer> neighbourRoles(Host h) {
        return subnets.getOrDefault(Subnet.of(h), Map.of());
    }

    // ------------------------------------------------------------------------------ text

    private static List<Map.Entry<Integer, PortUse>> sorted(Map<Integer, PortUse> m) {
        List<Map.Entry<Integer, PortUse>> l = new ArrayList<>(m.entrySet());
        l.sort(Map.Entry.comparingByKey());
        return l;
    }

    static String portName(int key) {
        return (protocolOf(key) == TCP ? "tcp/" : "udp/") + portOf(key);
    }

    private static String peersText(PortUse u, Set<String> roles) {
        int n = u.peers.size();
        return u.flows + (u.flows == 1 ? " flow" : " flows") + " from " + n + (u.peersTruncated ? "+" : "") + (n == 1 ? " host" : " hosts")
                + (roles.isEmpty() ? "" : ", " + String.join("+", roles));
    }

    private static String ports(HostTraffic t, Set<Integer> keys) {
        List<String> out = new ArrayList<>();
        for (Integer k : keys) {
            PortUse u = t.served.get(k);
            out.add(portName(k) + (u == null ? "" : " (" + u.flows + (u.flows == 1 ? " flow)" : " flows)")));
        }
        return String.join(", ", out);
    }

    private static String servedPorts(HostTraffic t) {
        return limit(t.served.keySet().stream().sorted().map(RoleInference::portName).toList());
    }

    private static String startedPorts(HostTraffic t) {
        return limit(t.started.keySet().stream().sorted().map(RoleInference::portName).toList());
    }

    private static String limit(List<String> l) {
        return l.size() <= 6 ? String.join(", ", l) : String.join(", ", l.subList(0, 6)) + " and " + (l.size() - 6) + " more";
    }

    // ------------------------------------------------------------------------------ results

    /** The topology of the inferred hosts, for classification: every verdict's reason says it was inferred. */
    public static Topology topology(List<HostRoles> hosts, Roles vocabulary, String source) {
        Map<String, List<Cidr>> roles = new LinkedHashMap<>();
        Map<String, String> notes = new HashMap<>();
        for (String r : Roles.CATALOG_ROLES) {
            roles.put(r, new ArrayList<>());
        }
        for (HostRoles h : hosts) {
            if (!h.inferred() || h.cidr() == null) {
                continue;
            }
            for (String r : h.roles()) {
                vocabulary.add(r);
                roles.computeIfAbsent(r, k -> new ArrayList<>()).add(h.cidr());
            }
            notes.put(h.address(), h.note());
        }
        roles.values().removeIf(List::isEmpty);
        return new Topology(source, roles, List.of(), vocabulary, "inferred from traffic", notes);
    }

    /** The inferred topology as a file the user can correct and pass back with --topology. */
    public static String yaml(List<HostRoles> hosts, List<String> captures) {
        TopologyYaml y = new TopologyYaml();
        y.comment("Topology inferred by portmatrix from the traffic of " + String.join(", ", captures) + ".");
        y.comment("Every address has its confidence (0-1) and the evidence. Correct what is wrong, add what is missing, and");
        y.comment("pass the file back with --topology. Client addresses are listed one by one: a client subnet is shorter.");
        List<HostRoles> not = hosts.stream().filter(h -> !h.inferred()).toList();
        if (!not.isEmpty()) {
            y.comment("Not inferred (add them under the right role):");
            for (HostRoles h : not) {
                y.comment("  " + h.address() + ": " + h.evidence());
            }
        }
        Map<String, List<TopologyYaml.Address>> roles = new LinkedHashMap<>();
        Set<String> order = new LinkedHashSet<>(Roles.CATALOG_ROLES);
        for (HostRoles h : hosts) {
            order.addAll(h.roles());
        }
        for (String r : order) {
            for (HostRoles h : hosts) {
                if (h.roles().contains(r) && h.cidr() != null) {
                    roles.computeIfAbsent(r, k -> new ArrayList<>()).add(new TopologyYaml.Address(h.cidr(),
                            confidenceText(h.confidence()) + ": " + h.evidence()
                                    + (h.roles().size() > 1 ? " [roles " + String.join(", ", h.roles()) + "]" : "")));
                }
            }
        }
        return y.roles(roles).toString();
    }
}
