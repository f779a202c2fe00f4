package org.portmatrix.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.portmatrix.classify.Rule;
import org.portmatrix.classify.RuleProtocol;
import org.portmatrix.inspect.ProtocolCheck;

/**
 * How much of the catalog the capture exercised. Per rule: the flows the rule allowed (the record's
 * {@code rule}, and every other rule that allows the same flow alike: its roles, transport and port, and
 * a protocol checked the same way) and their packets and bytes; and, whatever the verdict, the flows
 * that reached the rule's transport and port on a host of one of its destination roles. A documented
 * port on a role present in the topology that no flow reached is a candidate to close on the firewall.
 *
 * <p>The record names the first rule the flow matched (the first whose protocol the wire shows), and
 * the catalog cites some traffic twice: a Director table row restating a Required Server Ports row
 * (fe-https-444-from-director beside fe-https-444), the client rules of the video and application
 * sharing ranges beside the audio ones, device DHCP beside client DHCP. Counted for the first alone,
 * the others showed 0 flows though their traffic was there.
 *
 * <p>Memory is fixed by the catalog: a few counters per rule and, per transport, a table of the rules
 * serving each port (identical neighbouring entries share one array).
 */
public final class Coverage {
    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int[] NONE = new int[0];

    private final List<Rule> rules;
    private final Map<String, Integer> index = new HashMap<>();
    private final List<Set<String>> dstRoles = new ArrayList<>();
    private final List<Set<String>> srcRoles = new ArrayList<>();
    private final RuleProtocol[] protocols;
    private final Set<String> topologyRoles;
    private final int[][] tcpPorts = new int[65536][];
    private final int[][] udpPorts = new int[65536][];
    final long[] flows;
    final long[] packets;
    final long[] bytes;
    final long[] flaggedFlows;
    final long[] portFlows;
    /** Per rule, bit j: a flow reached its port on a host of its j-th destination role. */
    final long[] reachedRoles;
    final long[] firstNanos;
    final long[] lastNanos;
    /**
     * Per rule, the destination ports outside its own that flows it allowed reached (null while none): RPC on the dynamic
     * endpoints an endpoint mapper on 135 handed out, allowed under the rule for 135. At most {@link #OTHER_PORTS} kept.
     */
    private final java.util.TreeSet<Integer>[] otherPorts;
    final long[] otherPortFlows;
    /** Per rule: more distinct other ports than {@link #OTHER_PORTS} were reached. */
    private final boolean[] otherPortsMore;
    /** Distinct ports kept per rule for {@link RuleRow#otherPorts}; beyond them only counted. */
    static final int OTHER_PORTS = 32;
    private long flowsToTopology;
    private long flowsUnderSeveralRules;
    private long countsUnderOtherRules;

    public Coverage(List<Rule> rules, List<String> topologyRoles) {
        this.rules = List.copyOf(rules);
        this.topologyRoles = Set.copyOf(topologyRoles);
        int n = rules.size();
        flows = new long[n];
        packets = new long[n];
        bytes = new long[n];
        flaggedFlows = new long[n];
        portFlows = new long[n];
        reachedRoles = new long[n];
        firstNanos = new long[n];
        lastNanos = new long[n];
        @SuppressWarnings("unchecked")
        java.util.TreeSet<Integer>[] other = new java.util.TreeSet[n];
        otherPorts = other;
        otherPortFlows = new long[n];
        otherPortsMore = new boolean[n];
        Arrays.fill(firstNanos, Long.MAX_VALUE);
        Arrays.fill(lastNanos, Long.MIN_VALUE);
        protocols = new RuleProtocol[n];
        for (int i = 0; i < n; i++) {
            Rule r = rules.get(i);
            index.put(r.id(), i);
            dstRoles.add(Set.copyOf(r.dstRoles()));
            srcRoles.add(Set.copyOf(r.srcRoles()));
            protocols[i] = r.protocol();
        }
        fillPortTable(TCP, tcpPorts);
        fillPortTable(UDP, udpPorts);
    }

    /** Fills the table segment by segment: the set of rules changes only where a rule's range starts or ends. */
    private void fillPortTable(int transport, int[][] table) {
        java.util.TreeSet<Integer> cuts = new java.util.TreeSet<>(List.of(0, 65536));
        for (Rule r : rules) {
            if (r.transport() == transport) {
                cuts.add(r.portMin());
                cuts.add(r.portMax() + 1);
            }
        }
        Integer from = cuts.first();
        for (Integer to : cuts.tailSet(from, false)) {
            List<Integer> here = new ArrayList<>();
            for (int i = 0; i < rules.size(); i++) {
                Rule r = rules.get(i);
                if (r.transport() == transport && r.portMin() <= from && from <= r.portMax()) {
                    here.add(i);
                }
            }
            int[] a = here.isEmpty() ? NONE : here.stream().mapToInt(Integer::intValue).toArray();
            Arrays.fill(table, from, Math.min(to, 65536), a);
            from = to;
        }
    }

    public boolean isEmpty() {
        return rules.isEmpty();
    }

    /**
     * Flows counted under more than one rule: the catalog cites some traffic twice (fe-https-444 and
     * fe-https-444-from-director), and each rule that allows a flow alike counts it, so the rules' flows add up to more
     * than the flows.
     */
    public long flowsUnderSeveralRules() {
        return flowsUnderSeveralRules;
    }

    /**
     * The counts of those flows beyond their first rule: what the rules' flows add up to more than the flows they count. As
     * many as {@link #flowsUnderSeveralRules} when each counts twice; more when the catalog cites a flow three times (a
     * client's TCP media under client-audio-, client-video- and client-app-sharing-media-tcp-1024-65535).
     */
    public long countsUnderOtherRules() {
        return countsUnderOtherRules;
    }

    void add(FlowRecord r) {
        if (rules.isEmpty()) {
            return;
        }
        Integer ri = r.rule() == null ? null : index.get(r.rule());
        if (ri != null) {
            allowed(ri, r);
        }
        int port = r.dstPort();
        List<String> reached = r.dstRoles();
        List<String> from = r.srcRoles();
        if (ri != null && "udp".equals(r.transport())) {
            Rule rule = rules.get(ri);
            if ((port < rule.portMin() || port > rule.portMax()) && r.srcPort() >= rule.portMin() && r.srcPort() <= rule.portMax()) {
                port = r.srcPort(); // media allowed by its rule read the other way round: the initiator's port carried it
                reached = r.srcRoles();
                from = r.dstRoles();
            }
        }
        if (ri != null && (port < rules.get(ri).portMin() || port > rules.get(ri).portMax()) && port >= 0 && port <= 65535) {
            // Allowed on a port that is not the rule's: what a firewall between the hosts must pass too (RPC's endpoints).
            otherPortFlows[ri]++;
            java.util.TreeSet<Integer> ports = otherPorts[ri];
            if (ports == null) {
                ports = otherPorts[ri] = new java.util.TreeSet<>();
            }
            if (ports.size() < OTHER_PORTS || ports.contains(port)) {
                ports.add(port);
            } else {
                otherPortsMore[ri] = true;
            }
        }
        if (port < 0 || port > 65535 || reached.isEmpty()) {
            return;
        }
        int[][] table = switch (r.transport()) {
            case "tcp" -> tcpPorts;
            case "udp" -> udpPorts;
            default -> null;
        };
        if (table == null) {
            return;
        }
        // Counted here, after the transport: an SCTP flow (ports, no catalog rule) between two hosts of the topology had
        // made a capture without a TCP or UDP flow "assessed", and every documented port a candidate to close.
        flowsToTopology++;
        if (ri != null) {
            // The other rules that allow the flow alike: the same roles, transport and port, checked the same way.
            boolean more = false;
            for (int j : table[port]) {
                Rule other = rules.get(j);
                if (j != ri && ProtocolCheck.sameCheck(protocols[ri], protocols[j]) && (other.dstAny() || intersects(dstRoles.get(j), reached))
                        && (other.srcAny() || intersects(srcRoles.get(j), from))) {
                    allowed(j, r);
                    countsUnderOtherRules++;
                    more = true;
                }
            }
            if (more) {
                flowsUnderSeveralRules++;
            }
        }
        for (int i : table[port]) {
            Rule rule = rules.get(i);
            if (rule.dstAny() || intersects(dstRoles.get(i), reached)) {
                portFlows[i]++;
                List<String> roles = rule.dstRoles();
                for (int j = 0; j < roles.size() && j < Long.SIZE; j++) { // indexed: no iterator per rule and flow
                    if (reached.contains(roles.get(j))) {
                        reachedRoles[i] |= 1L << j;
                    }
                }
            }
        }
    }

    /** Counts the flow {@code r} for rule {@code i}, which allows it. */
    private void allowed(int i, FlowRecord r) {
        flows[i]++;
        packets[i] += r.packets();
        bytes[i] += r.bytes();
        if (r.flagged()) {
            flaggedFlows[i]++;
        }
        firstNanos[i] = Math.min(firstNanos[i], r.tsFirstNanos());
        lastNanos[i] = Math.max(lastNanos[i], r.tsLastNanos());
    }

    private static boolean intersects(Set<String> a, List<String> b) {
        for (int i = 0; i < b.size(); i++) { // indexed: no iterator per rule and flow
            if (a.contains(b.get(i))) {
                return true;
            }
        }
        return false;
    }

    /** True when some host of the topology has one of the rule's destination roles. */
    boolean applies(int i) {
        Rule r = rules.get(i);
        if (r.dstAny()) {
            return !topologyRoles.isEmpty();
        }
        for (String role : r.dstRoles()) {
            if (topologyRoles.contains(role)) {
                return true;
            }
        }
        return false;
    }

    /**
     * One catalog rule's coverage.
     *
     * @param applies some host of the topology has one of its destination roles
     * @param flows flows the rule allowed
     * @param flaggedFlows of those, flows flagged anyway (wrong protocol, unverifiable)
     * @param portFlows flows of any verdict that reached its transport/port on one of its destination roles
     * @param otherPortFlows of {@code flows}, those to a port outside the rule's (RPC on an endpoint the endpoint mapper
     *                       handed out)
     * @param otherPorts those ports, ascending, at most {@link #OTHER_PORTS}
     * @param otherPortsMore more ports than {@code otherPorts} holds were reached
     */
    public record RuleRow(Rule rule, boolean applies, long flows, long packets, long bytes, long flaggedFlows,
                          long portFlows, long firstNanos, long lastNanos, long otherPortFlows, List<Integer> otherPorts,
                          boolean otherPortsMore) {
        public boolean seen() {
            return flows > 0;
        }

        public String transportPort() {
            return rule.transportName() + "/" + rule.portText();
        }

        public String destinations() {
            return rule.dstAny() ? "any" : String.join("+", rule.dstRoles());
        }

        public String sources() {
            return rule.srcAny() ? "any" : String.join("+", rule.srcRoles());
        }

        /**
         * "1 flow of these to another port, tcp/49667 (RPC on an endpoint the endpoint mapper on TCP 135 handed out: a
         * firewall between these hosts must pass it too)", or null when every flow the rule allowed was on its own port.
         */
        public String otherPortsText() {
            if (otherPortFlows == 0) {
                return null;
            }
            boolean one = otherPorts.size() == 1 && !otherPortsMore;
            StringBuilder b = new StringBuilder();
            b.append(TextReport.plural(otherPortFlows, "flow")).append(" of these to ").append(one ? "another port, " : "other ports, ");
            for (int i = 0; i < otherPorts.size(); i++) {
                b.append(i == 0 ? "" : ", ").append(rule.transportName()).append('/').append(otherPorts.get(i));
            }
            if (otherPortsMore) {
                b.append(" and more");
            }
            b.append(rule.protocol() == RuleProtocol.DCERPC
                    ? (one ? " (RPC on an endpoint the endpoint mapper on " : " (RPC on endpoints the endpoint mapper on ")
                            + rule.transportName().toUpperCase(java.util.Locale.ROOT) + " " + rule.portText() + " handed out: a"
                            + " firewall between these hosts must pass " + (one ? "it" : "them") + " too)"
                    : " (a firewall between these hosts must pass " + (one ? "it" : "them") + " too)");
            return b.toString();
        }
    }

    /**
     * A documented port that no flow reached on hosts of roles present in the topology.
     *
     * @param destinations the roles the port is documented on
     * @param ruleIds the rules documenting it
     */
    public record Candidate(String destinations, String transport, String port, List<String> ruleIds, String service) {
        public String transportPort() {
            return transport + "/" + port;
        }
    }

    public List<RuleRow> rows() {
        List<RuleRow> out = new ArrayList<>(rules.size());
        for (int i = 0; i < rules.size(); i++) {
            out.add(new RuleRow(rules.get(i), applies(i), flows[i], packets[i], bytes[i], flaggedFlows[i], portFlows[i],
                    flows[i] == 0 ? 0 : firstNanos[i], flows[i] == 0 ? 0 : lastNanos[i], otherPortFlows[i],
                    otherPorts[i] == null ? List.of() : List.copyOf(otherPorts[i]), otherPortsMore[i]));
        }
        return out;
    }

    /**
     * True when some TCP or UDP flow reached a host of the topology: only then does a port that no
     * flow reached say anything (an empty capture, or one of other hosts, would make every port a
     * candidate to close).
     */
    public boolean assessed() {
        return flowsToTopology > 0;
    }

    /**
     * Documented ports never used, one per (transport, port) with the roles of the topology on which no flow reached it,
     * in catalog order; empty when not {@link #assessed()}.
     * A rule to any host (DHCP's broadcast to udp/67) is left out: it names no role's listener, so there is nothing on
     * the topology's roles to close.
     */
    public List<Candidate> candidates() {
        if (!assessed()) {
            return List.of();
        }
        // Per role and port, not per rule: one flow to a Front End's 445 leaves the Mediation Server's 445,
        // which the same rule documents and nothing reached, a candidate still.
        Set<String> used = new HashSet<>();
        for (int i = 0; i < rules.size(); i++) {
            Rule r = rules.get(i);
            for (int j = 0; j < r.dstRoles().size() && j < Long.SIZE; j++) {
                if ((reachedRoles[i] & 1L << j) != 0) {
                    used.add(r.dstRoles().get(j) + "|" + r.transportName() + "|" + r.portText());
                }
            }
        }
        // One row per transport and port: the roles on which nothing reached it, the rules documenting it there.
        Map<String, Candidate> byPort = new LinkedHashMap<>();
        Map<String, Set<String>> byRoles = new HashMap<>();
        for (int i = 0; i < rules.size(); i++) {
            Rule r = rules.get(i);
            if (r.dstAny() || !applies(i)) {
                continue;
            }
            String key = r.transportName() + "|" + r.portText();
            for (String role : r.dstRoles()) {
                if (topologyRoles.contains(role) && !used.contains(role + "|" + key)) {
                    byRoles.computeIfAbsent(key, k -> new java.util.LinkedHashSet<>()).add(role);
                    Candidate c = byPort.get(key);
                    if (c == null) {
                        byPort.put(key, new Candidate(null, r.transportName(), r.portText(), new ArrayList<>(List.of(r.id())), r.service()));
                    } else if (!c.ruleIds().contains(r.id())) {
                        c.ruleIds().add(r.id());
                    }
                }
            }
        }
        List<Candidate> out = new ArrayList<>();
        for (Map.Entry<String, Candidate> e : byPort.entrySet()) {
            Candidate c = e.getValue();
            out.add(new Candidate(String.join("+", byRoles.get(e.getKey())), c.transport(), c.port(), List.copyOf(c.ruleIds()), c.service()));
        }
        return out;
    }

    public int ruleCount() {
        return rules.size();
    }
}
