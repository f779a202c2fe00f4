package org.portmatrix.classify;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.portmatrix.decode.IpProtocol;
import org.portmatrix.flow.Flow;

/**
 * Port and role-pair verdicts: the responder's roles must be served the flow's transport and port
 * by some rule ({@code unexpected_port} otherwise), and that rule must allow the initiator's roles
 * ({@code unexpected_role_pair} otherwise). Both ends must be in the topology ({@code unknown_host}
 * otherwise). Protocol checks refine {@code expected} later, in the inspect stage.
 *
 * <p>A topology's port overrides (see {@link PortOverride}) count as documented for their role, and a
 * catalog port that the topology moved away from a role no longer counts for it; the reason then
 * names both the topology's port and the catalog's. With an inferred topology every reason says
 * that the roles were inferred from traffic.
 */
public final class Classifier {
    /** Ranges up to this many ports are named in reasons as "documented for"; wider ones are media ranges. */
    private static final int NARROW_RANGE = 16;
    private final CompiledCatalog catalog;
    private final Topology topology;
    private final Roles roles;
    private final PortOverride[] overrides;

    public Classifier(CompiledCatalog catalog, Topology topology) {
        this.catalog = catalog;
        this.topology = topology;
        this.roles = catalog.catalog().roles();
        this.overrides = topology.portArray();
        long udp = 0;
        for (Rule r : catalog.catalog().rules()) {
            // (DHCP's 67 "to any" documents no role's own ports)
            if (r.transport() == IpProtocol.UDP && !r.dstAny() && r.portMax() - r.portMin() > NARROW_RANGE) {
                udp |= r.dstMask();
            }
        }
        for (PortOverride o : overrides) {
            if (o.transport() == IpProtocol.UDP && o.portMax() - o.portMin() > NARROW_RANGE) {
                udp |= o.roleSet();
            }
        }
        this.udpRanges = udp;
    }

    /**
     * The roles with UDP port ranges of their own in the catalog or the topology (a Front End's or a
     * client's media ranges; not an Edge's STUN 3478): a UDP port of theirs outside them is none of their
     * media ports, and not a port to read a media rule the other way round for. An Edge's internal
     * interface and a PSTN gateway have none.
     */
    private final long udpRanges;
    /** Ports below this are services' (a media end's port is not one of them). */
    private static final int WELL_KNOWN_PORTS = 1024;

    public CompiledCatalog catalog() {
        return catalog;
    }

    public Roles roles() {
        return roles;
    }

    public Topology topology() {
        return topology;
    }

    /** Classifies a flow by its ports and roles; stores and returns its {@link Classification}. */
    public Classification classify(Flow f) {
        return classify(f, true);
    }

    /**
     * The same, with the reason left null unless {@code reasons}: the verdict and rule alone, as
     * {@code --extract} needs them at a flow's first packet, on the packet thread. Measured reason:
     * the reasons' cache lookups (a key allocated, a concurrent map) were a quarter of that
     * classification's CPU samples.
     */
    public Classification classify(Flow f, boolean reasons) {
        Classification c = f.classification instanceof Classification existing ? existing : new Classification();
        f.classification = c;
        return classify(f, c, reasons);
    }

    /**
     * The same into {@code c}, which is not stored in the flow: the flow is left as it was (an open flow
     * classified for a live report, whose own classification is made when it ends).
     */
    public Classification classify(Flow f, Classification c, boolean reasons) {
        c.reason = null;
        decide(f, c, reasons);
        if ((c.verdict == Verdict.UNEXPECTED_PORT || c.verdict == Verdict.UNEXPECTED_ROLE_PAIR) && f.protocol() == IpProtocol.UDP
                && c.srcRoles != 0 && c.dstRoles != 0) {
            reversedMedia(f, c, reasons);
        }
        return c;
    }

    private void decide(Flow f, Classification c, boolean reasons) {
        boolean v6 = f.ipVersion() == 6;
        // (An IPv6 packet's IPv4-mapped address, ::ffff:a.b.c.d, is held as the IPv4 address is: it is no topology host's.)
        c.srcRoles = v6 && Addresses.isIpv4Mapped(f.srcHi(), f.srcLo()) ? 0 : topology.rolesOf(f.srcHi(), f.srcLo());
        c.dstRoles = v6 && Addresses.isIpv4Mapped(f.dstHi(), f.dstLo()) ? 0 : topology.rolesOf(f.dstHi(), f.dstLo());
        int proto = f.protocol();
        boolean ported = proto == IpProtocol.TCP || proto == IpProtocol.UDP;
        int port = f.dstPort();
        c.rule = CompiledCatalog.NO_RULE;
        c.noConfigured();
        c.reversed = false;
        if (c.srcRoles == 0 || c.dstRoles == 0) {
            c.verdict = Verdict.UNKNOWN_HOST;
            c.reason = reasons ? unknownHostReason(f, c) : null;
            return;
        }
        if (!ported) {
            c.verdict = Verdict.UNEXPECTED_PORT;
            c.reason = !reasons ? null : "The catalog documents only TCP and UDP; " + transportName(f) + " from " + roleText(c.srcRoles)
                    + " to " + roleText(c.dstRoles) + " is outside the matrix.";
            return;
        }
        long moved = overrides.length == 0 ? 0 : movedRoles(proto, port, c.dstRoles, f.dstHi(), f.dstLo());
        int r = catalog.match(proto, port, c.srcRoles, c.dstRoles & ~moved);
        if (r != CompiledCatalog.NO_RULE) {
            c.rule = r;
            c.verdict = Verdict.EXPECTED;
            if (!reasons) {
                return;
            }
            ReasonKey key = reasonKey(moved, Verdict.EXPECTED, proto, port, c.srcRoles, c.dstRoles);
            String reason = remembered(key);
            if (reason == null) {
                reason = transportName(f) + " " + port + " from " + roleText(c.srcRoles) + " to " + roleText(c.dstRoles)
                        + " is documented: " + catalog.describe(r) + ".";
                remember(key, reason);
            }
            c.reason = reason;
            return;
        }
        if (overrides.length > 0 && byTopology(f, c, proto, port, moved, reasons)) {
            return;
        }
        int served = catalog.served(proto, port, c.dstRoles & ~moved);
        if (served != CompiledCatalog.NO_RULE) {
            c.rule = served;
            c.verdict = Verdict.UNEXPECTED_ROLE_PAIR;
            if (!reasons) {
                return;
            }
            ReasonKey key = reasonKey(moved, Verdict.UNEXPECTED_ROLE_PAIR, proto, port, c.srcRoles, c.dstRoles);
            String reason = remembered(key);
            if (reason == null) {
                reason = roleOnlyReason(f, port, c, catalog.servedAll(proto, port, c.dstRoles & ~moved));
                remember(key, reason);
            }
            c.reason = reason;
            return;
        }
        c.verdict = Verdict.UNEXPECTED_PORT;
        if (!reasons) {
            return;
        }
        // (The other transport's sentence depends on the host when an entry moves that port on some hosts: not remembered then.)
        ReasonKey key = otherMovedSomewhere(proto, port, c.dstRoles) ? null : reasonKey(moved, Verdict.UNEXPECTED_PORT, proto, port, 0, c.dstRoles);
        String reason = remembered(key);
        if (reason != null) {
            c.reason = reason;
            return;
        }
        StringBuilder sb = new StringBuilder();
        sb.append("No catalog rule serves ").append(transportName(f)).append(' ').append(port).append(" on ")
                .append(roleText(c.dstRoles)).append('.');
        otherTransport(sb, f, proto, port, c.dstRoles & ~moved);
        documentedFor(sb, proto, port);
        c.reason = sb.toString();
        remember(key, c.reason);
    }

    /**
     * " The catalog documents UDP 3478 on edge-internal (rule ...)." when the port is served on the responder's roles over
     * the other transport: a firewall team reading "no rule serves TCP 3478" would otherwise not know that the service is
     * there, on the other transport (a client's TCP 3478 to an Edge whose STUN is UDP).
     */
    private void otherTransport(StringBuilder sb, Flow f, int proto, int port, long dstRoles) {
        int other = otherTransport(proto);
        for (PortOverride o : overrides) {
            if (o.moves(other, port, dstRoles, f.dstHi(), f.dstLo())) {
                return; // (review) the deployment moved it on this host: the catalog's port would point at the wrong one
            }
        }
        int[] serving = other < 0 ? new int[0] : catalog.servedAll(other, port, dstRoles);
        if (serving.length > 0) {
            // The responder's roles that those rules serve, not all of its roles: a Front End with a collocated Mediation
            // Server was said to have TCP 5060 documented "on front-end+mediation", where the catalog documents it on the
            // Front End only.
            long on = 0;
            for (int r : serving) {
                Rule rule = catalog.rule(r);
                on |= rule.dstAny() ? dstRoles : dstRoles & rule.dstMask();
            }
            sb.append(" The catalog documents ").append(IpProtocol.upperName(other)).append(' ').append(port).append(" on ")
                    .append(roleText(on)).append(" (").append(rulesCited(serving)).append(").");
        }
    }

    private static int otherTransport(int proto) {
        return proto == IpProtocol.TCP ? IpProtocol.UDP : proto == IpProtocol.UDP ? IpProtocol.TCP : -1;
    }

    /** Whether an entry moves the port on the other transport away from one of {@code dstRoles} on some of its hosts. */
    private boolean otherMovedSomewhere(int proto, int port, long dstRoles) {
        int other = otherTransport(proto);
        for (PortOverride o : overrides) {
            if (o.movesOnSomeHost(other, port, dstRoles)) {
                return true;
            }
        }
        return false;
    }

    /** Role groups of a port named with their rules in an unexpected_port reason; the others by their roles alone. */
    private static final int DESCRIBED_GROUPS = 3;
    /** Role groups named at all; past them, "and N more". */
    private static final int NAMED_GROUPS = 8;

    /**
     * " The port is documented for front-end (rule ...); director (rule ...); and fe-load-balancer (rule ...)."
     * Every role the catalog documents the port for (by its narrow rules: a wide range, a client's media
     * ports, says nothing here), each once: the roles documented by the same rules are named together, in
     * catalog order; the first {@link #DESCRIBED_GROUPS} groups with their first rule's description and the
     * ids of the others, the next by their rule ids, the rest counted. It named the first rule alone: TCP
     * 8080 on a Director's load balancer was "documented for front-end", though the Director and the Front
     * End's load balancer have it too. Made once per reason (see {@link ReasonKey}).
     */
    private void documentedFor(StringBuilder sb, int proto, int port) {
        Map<String, List<Integer>> byRole = new LinkedHashMap<>();
        for (int i : catalog.rulesFor(proto, port)) {
            Rule o = catalog.rule(i);
            if (o.portMax() - o.portMin() <= NARROW_RANGE) {
                for (String role : o.dstAny() ? List.of("any role") : o.dstRoles()) {
                    byRole.computeIfAbsent(role, k -> new ArrayList<>(2)).add(i);
                }
            }
        }
        if (byRole.isEmpty()) {
            return;
        }
        Map<List<Integer>, List<String>> groups = new LinkedHashMap<>(); // the roles of each set of rules
        for (Map.Entry<String, List<Integer>> e : byRole.entrySet()) {
            groups.computeIfAbsent(e.getValue(), k -> new ArrayList<>(2)).add(e.getKey());
        }
        sb.append(" The port is documented for ");
        int g = 0;
        int n = groups.size();
        int rolesLeft = byRole.size();
        for (Map.Entry<List<Integer>, List<String>> e : groups.entrySet()) {
            if (g == NAMED_GROUPS) {
                sb.append("; and ").append(rolesLeft).append(" more role").append(rolesLeft == 1 ? "" : "s");
                break;
            }
            rolesLeft -= e.getValue().size();
            sb.append(g == 0 ? "" : g == n - 1 ? "; and " : "; ").append(String.join(", ", e.getValue())).append(" (");
            List<Integer> rules = e.getKey();
            if (g < DESCRIBED_GROUPS) {
                sb.append(catalog.describe(rules.get(0)));
                for (int k = 1; k < rules.size(); k++) {
                    sb.append(k == 1 ? "; also rule" + (rules.size() > 2 ? "s " : " ") : ", ").append(catalog.rule(rules.get(k)).id());
                }
            } else {
                sb.append(rules.size() == 1 ? "rule " : "rules ");
                for (int k = 0; k < rules.size(); k++) {
                    sb.append(k == 0 ? "" : ", ").append(catalog.rule(rules.get(k)).id());
                }
            }
            sb.append(')');
            g++;
        }
        sb.append('.');
    }

    /**
     * The reasons of port and role-pair verdicts depend on the transport, the port and the two role
     * sets only (without a topology port override in play), and a capture repeats few of them: each
     * is made once. Measured reason: building them per flow was the largest share of the flow
     * thread's allocation on the reference workload (with the inspect stage's reasons).
     */
    private static final class ReasonKey {
        final int verdictTransportPort;
        final long src;
        final long dst;

        ReasonKey(Verdict v, int proto, int port, long src, long dst) {
            this.verdictTransportPort = v.ordinal() << 24 | proto << 16 | port;
            this.src = src;
            this.dst = dst;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ReasonKey k && k.verdictTransportPort == verdictTransportPort && k.src == src && k.dst == dst;
        }

        @Override
        public int hashCode() {
            long h = (src * 31 + dst) * 0x9e3779b97f4a7c15L + verdictTransportPort;
            return (int) (h ^ h >>> 32);
        }
    }

    private static final int MAX_REASONS = 4096;
    private final Map<ReasonKey, String> reasons = new ConcurrentHashMap<>();

    /** The key of a reason that depends on these alone; null when a topology port override moved a role's port here. */
    private static ReasonKey reasonKey(long moved, Verdict v, int proto, int port, long src, long dst) {
        return moved == 0 ? new ReasonKey(v, proto, port, src, dst) : null;
    }

    private String remembered(ReasonKey key) {
        return key == null ? null : reasons.get(key);
    }

    private void remember(ReasonKey key, String reason) {
        if (key != null && reasons.size() < MAX_REASONS) {
            reasons.put(key, reason);
        }
    }

    /**
     * UDP media whose first packet came from the end that owns the documented media port (a Mediation
     * Server's audio port) to an end whose media ports the catalog does not document (a PSTN gateway's):
     * a media rule read the other way round allows it. The flow's orientation is its first packet's,
     * and both ends of RTP send, so which end spoke first says nothing: the same call seen gateway-first
     * was expected, Mediation-first unexpected_port. The guard is the responder's port: not one of its
     * own UDP service ports (the Edge's STUN 3478; the verdict is then unexpected_role_pair), not below
     * 1024, and its role without documented UDP media ranges: RTP to a port outside a Front End's
     * documented ranges stays unexpected_port, whichever port the client sent it from, while a Front End's
     * audio to an Edge's 50071 is read as the Edge's (it was unexpected_port, as the Edge has UDP 3478 of
     * its own: the same stream seen Edge-first was expected). Only media counts: a flow
     * whose wire shows no media, or that brought back ICMP errors, gets its verdict back (a UDP scan from
     * a client's high port to a gateway would otherwise be "documented" as the client's media).
     */
    private boolean reversedMedia(Flow f, Classification c, boolean reasons) {
        if (c.verdict == Verdict.UNEXPECTED_ROLE_PAIR || f.dstPort() < WELL_KNOWN_PORTS || (c.dstRoles & udpRanges) != 0
                || catalog.served(IpProtocol.UDP, f.dstPort(), c.dstRoles) != CompiledCatalog.NO_RULE) {
            // (The last: the responder's own UDP service port in the catalog, which the topology moved away, so that the
            // verdict is unexpected_port, not the role pair's: a client's STUN to an Edge's 3478 moved to 3480 was read as
            // the Edge's media to the client's port, expected; review.)
            // The responder's own service port (an Edge's 3478: the flow was sent to it), a well-known port, or a port
            // outside the responder's documented media ranges: not the port of the other end of a media stream.
            return false;
        }
        int port = f.srcPort();
        long owner = c.srcRoles & ~(overrides.length == 0 ? 0 : movedRoles(IpProtocol.UDP, port, c.srcRoles, f.srcHi(), f.srcLo()));
        int r = catalog.match(IpProtocol.UDP, port, c.dstRoles, owner);
        while (r != CompiledCatalog.NO_RULE && catalog.rule(r).protocol() != RuleProtocol.MEDIA) {
            r = catalog.nextMatch(IpProtocol.UDP, port, c.dstRoles, owner, r);
        }
        if (r == CompiledCatalog.NO_RULE) {
            return overrides.length > 0 && reversedConfiguredMedia(f, c, port, reasons);
        }
        c.unreversedVerdict = c.verdict;
        c.unreversedRule = c.rule;
        c.unreversedReason = c.reason;
        c.rule = r;
        c.verdict = Verdict.EXPECTED; // while the wire shows media: the inspect stage gives the verdict above back otherwise
        c.reversed = true;
        if (reasons) {
            // (the transport's high bit set: apart from a forward EXPECTED reason of the same port and roles)
            ReasonKey key = new ReasonKey(Verdict.EXPECTED, IpProtocol.UDP | 0x80, port, c.srcRoles, c.dstRoles);
            String reason = remembered(key);
            if (reason == null) {
                reason = "UDP " + port + " from " + roleText(c.dstRoles) + " to " + roleText(c.srcRoles) + " is documented: "
                        + catalog.describe(r) + ". The first packet came from " + roleText(c.srcRoles)
                        + "'s end: media flows both ways.";
                remember(key, reason);
            }
            c.reason = reason;
        }
        return true;
    }

    /**
     * {@link #reversedMedia} by the topology's {@code ports:} entries: the initiator's port is in a media range an entry
     * gives its role on its host (a Mediation Server's audio moved to 40000-40999, as {@code topology import} writes it),
     * served to the responder's roles. The flow is then allowed by that entry read the other way round, while the wire
     * shows media ({@link Classification#configured} with {@link Classification#reversed}). Only the catalog's media rules
     * were read so: the same RTP was expected seen gateway-first and unexpected_port seen Mediation-first, and the
     * catalog's own range, moved away, was no longer the Mediation Server's to read either way.
     */
    private boolean reversedConfiguredMedia(Flow f, Classification c, int port, boolean reasons) {
        int found = -1;
        for (int i = 0; i < overrides.length && found < 0; i++) {
            PortOverride o = overrides[i];
            RuleProtocol rp = o.checked();
            boolean media = rp == RuleProtocol.MEDIA || (rp == null && o.portMax() - o.portMin() > NARROW_RANGE);
            if (media && o.serves(IpProtocol.UDP, port, c.srcRoles, f.srcHi(), f.srcLo()) && o.servesFrom(c.dstRoles)) {
                found = i;
            }
        }
        if (found < 0) {
            return false;
        }
        PortOverride o = overrides[found];
        c.unreversedVerdict = c.verdict;
        c.unreversedRule = c.rule;
        c.unreversedReason = c.reason;
        c.rule = CompiledCatalog.NO_RULE;
        c.verdict = Verdict.EXPECTED; // while the wire shows media: the inspect stage gives the verdict above back otherwise
        c.reversed = true;
        c.configured = o;
        c.configuredIndex = found;
        if (reasons) {
            c.configuredAt = source(o);
            c.reason = "UDP " + port + " from " + roleText(c.dstRoles) + " to " + roleText(c.srcRoles) + " is configured in this deployment's"
                    + " topology (" + c.configuredAt + "); " + catalogSays(IpProtocol.UDP, port, o, c.dstRoles) + ". The first packet came from "
                    + roleText(c.srcRoles) + "'s end: media flows both ways.";
        }
        return true;
    }

    /**
     * The index of the first of the topology's {@code ports:} entries after the {@code after}-th (-1: from the first)
     * that serves the flow {@code f} classified as {@code c} (its transport, port, responder's roles and address, and
     * initiator's roles when the entry has {@code from});
     * -1 when none does. Several entries may serve one port with different protocols (a Skype for Business Server
     * 2015 Edge's Internal 4443: SkypeSearchProxy's MTLS and the CMS replication's HTTPS): the inspect stage takes
     * the first whose protocol the wire shows, as it does of catalog rules.
     */
    public int nextConfigured(Flow f, Classification c, int after) {
        int proto = f.protocol();
        int port = f.dstPort();
        for (int i = after + 1; i < overrides.length; i++) {
            if (overrides[i].serves(proto, port, c.dstRoles, f.dstHi(), f.dstLo()) && overrides[i].servesFrom(c.srcRoles)) {
                return i;
            }
        }
        return -1;
    }

    /** The {@code i}-th of the topology's {@code ports:} entries (an index from {@link #nextConfigured}). */
    public PortOverride configured(int i) {
        return overrides[i];
    }

    /**
     * Makes the {@code i}-th {@code ports:} entry the one that allows the flow: {@link Classification#configured},
     * and with {@code reasons} where it is written and the reason that names it. The verdict is the caller's.
     */
    public void configure(Flow f, Classification c, int i, boolean reasons) {
        PortOverride o = overrides[i];
        c.configured = o;
        c.configuredIndex = i;
        if (reasons) {
            int port = f.dstPort();
            c.configuredAt = source(o);
            c.reason = transportName(f) + " " + port + " from " + roleText(c.srcRoles) + " to " + roleText(c.dstRoles)
                    + " is configured in this deployment's topology (" + c.configuredAt + "); " + catalogSays(f.protocol(), port, o, c.srcRoles) + ".";
        }
    }

    /** The roles of {@code dst} whose catalog ports the topology moved away from this port. */
    private long movedRoles(int proto, int port, long dst, long dstHi, long dstLo) {
        long moved = 0;
        for (PortOverride o : overrides) {
            if (o.moves(proto, port, dst, dstHi, dstLo)) {
                moved |= o.roleSet();
            }
        }
        return moved & dst;
    }

    /** Decides a flow the catalog did not allow by the topology's ports; false when they say nothing. */
    private boolean byTopology(Flow f, Classification c, int proto, int port, long moved, boolean reasons) {
        int i = nextConfigured(f, c, -1);
        if (i >= 0) {
            c.verdict = Verdict.EXPECTED; // the inspect stage checks the entry's protocol, as a rule's (and the next entries')
            configure(f, c, i, reasons);
            return true;
        }
        int r = moved == 0 ? CompiledCatalog.NO_RULE : catalog.match(proto, port, c.srcRoles, c.dstRoles);
        if (r == CompiledCatalog.NO_RULE) {
            return otherInitiators(f, c, proto, port, moved, reasons);
        }
        c.rule = r;
        c.verdict = Verdict.UNEXPECTED_PORT;
        if (!reasons) {
            return true;
        }
        PortOverride o = null; // the entry that moved the narrowest range holding the port: the service it belonged to
        int narrowest = Integer.MAX_VALUE;
        for (PortOverride m : overrides) {
            if (m.moves(proto, port, c.dstRoles, f.dstHi(), f.dstLo())) {
                for (PortOverride.PortRange gone : m.insteadOf()) {
                    if (gone.contains(port) && gone.max() - gone.min() < narrowest) {
                        narrowest = gone.max() - gone.min();
                        o = m;
                    }
                }
            }
        }
        c.reason = "The catalog documents " + transportName(f) + " " + port + " from " + roleText(c.srcRoles) + " to "
                + roleText(c.dstRoles) + " (" + catalog.describe(r) + "), but this deployment's topology moved it for "
                + o.role() + " to " + transportName(f) + " " + new PortOverride.PortRange(o.portMin(), o.portMax())
                + " (" + source(o) + ").";
        return true;
    }

    /**
     * An entry serves the port on the responder, to initiators of its {@code from} roles only, and the flow's is
     * none of them (Director -> a gateway's SIP port that the topology ties to the Mediation Servers):
     * unexpected_role_pair, the reason naming the entry and its {@code from}, and the initiators of the catalog's
     * rules that serve the port there too (an entry adding the branch appliances to a gateway's 5081, which the
     * catalog serves to the Mediation Servers: the reason said "survivable-branch-appliance only", and a flow from
     * a Mediation Server was expected). False when no entry serves the port.
     */
    private boolean otherInitiators(Flow f, Classification c, int proto, int port, long moved, boolean reasons) {
        PortOverride first = null;
        java.util.Set<String> from = null; // the initiator roles of every entry serving the port (review: the first's alone were named)
        for (PortOverride o : overrides) {
            if (o.serves(proto, port, c.dstRoles, f.dstHi(), f.dstLo())) {
                if (first == null) {
                    first = o;
                    if (!reasons) {
                        break;
                    }
                    from = new java.util.LinkedHashSet<>();
                }
                from.addAll(o.from());
            }
        }
        if (first == null) {
            return false;
        }
        c.verdict = Verdict.UNEXPECTED_ROLE_PAIR;
        if (reasons) {
            int[] serving = catalog.servedAll(proto, port, c.dstRoles & ~moved);
            String configured = transportName(f) + " " + port + " on " + roleText(c.dstRoles) + " is configured in this deployment's topology ("
                    + source(first) + ") for initiators of the roles " + String.join(", ", from);
            c.reason = serving.length == 0 ? configured + " only, and the initiator is " + roleText(c.srcRoles) + "."
                    : configured + ", and documented in the catalog only from " + initiators(serving) + " (" + rulesCited(serving)
                    + "); not from " + roleText(c.srcRoles) + ".";
        }
        return true;
    }

    /** The initiator roles of the rules {@code serving}, each once ("mediation, front-end"), or "any role". */
    private String initiators(int[] serving) {
        java.util.LinkedHashSet<String> from = new java.util.LinkedHashSet<>();
        for (int i : serving) {
            Rule r = catalog.rule(i);
            if (r.srcAny()) {
                return "any role";
            }
            from.addAll(r.srcRoles());
        }
        return String.join(", ", from);
    }

    /** The first of the rules {@code serving} described, the others by id ("rule x, ...; seed: ...; also rules y, z"). */
    private String rulesCited(int[] serving) {
        StringBuilder sb = new StringBuilder(catalog.describe(serving[0]));
        for (int k = 1; k < serving.length; k++) {
            sb.append(k == 1 ? "; also rule" + (serving.length > 2 ? "s " : " ") : ", ").append(catalog.rule(serving[k]).id());
        }
        return sb.toString();
    }

    private String source(PortOverride o) {
        return topology.source() + (o.line() > 0 ? ":" + o.line() : "") + ": " + o.describe();
    }

    /**
     * What the catalog says about the role of an override: the ports it moved, the initiators it documents the port
     * from when the flow's ({@code srcRoles}) are none of them, or that it has no such rule. It said "the catalog
     * documents it too" of a branch appliance's flow to a gateway's 5081, which the catalog serves to the Mediation
     * Servers only.
     */
    private String catalogSays(int proto, int port, PortOverride o, long srcRoles) {
        String t = proto == 6 ? "TCP" : "UDP";
        if (!o.insteadOf().isEmpty()) {
            StringBuilder sb = new StringBuilder("the catalog documents ").append(t).append(' ');
            for (int i = 0; i < o.insteadOf().size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(o.insteadOf().get(i));
            }
            PortOverride.PortRange first = o.insteadOf().get(0);
            int r = catalog.served(proto, first.min(), o.roleSet());
            if (r != CompiledCatalog.NO_RULE) {
                sb.append(" (").append(catalog.describe(r)).append(')');
            }
            return sb.append(" for ").append(o.role()).append(" instead").toString();
        }
        int allowed = catalog.match(proto, port, srcRoles, o.roleSet());
        if (allowed != CompiledCatalog.NO_RULE) {
            return "the catalog documents it too (" + catalog.describe(allowed) + ")";
        }
        int[] serving = catalog.servedAll(proto, port, o.roleSet());
        if (serving.length > 0) {
            return "the catalog documents " + t + " " + port + " on " + o.role() + " only from " + initiators(serving) + " ("
                    + rulesCited(serving) + ")";
        }
        return "the catalog has no rule for " + t + " " + port + " on " + o.role();
    }

    /**
     * For a topology inferred from traffic, the sentence that every reason ends with (" Roles inferred
     * from traffic: 10.1.1.11 front-end (confidence 0.95); ..."); empty otherwise. Added after the
     * inspect stage, which may rewrite the reason.
     */
    public String inferredNote(Flow f) {
        if (topology.inferred() == null) {
            return "";
        }
        String src = topology.hostNote(Addresses.format(f.ipVersion(), f.srcHi(), f.srcLo()));
        String dst = topology.hostNote(Addresses.format(f.ipVersion(), f.dstHi(), f.dstLo()));
        StringBuilder sb = new StringBuilder(" Roles ").append(topology.inferred());
        if (src != null || dst != null) {
            sb.append(": ");
            if (src != null) {
                sb.append(src);
            }
            if (dst != null) {
                sb.append(src != null ? "; " : "").append(dst);
            }
        }
        return sb.append('.').toString();
    }

    private String unknownHostReason(Flow f, Classification c) {
        StringBuilder sb = new StringBuilder();
        if (c.srcRoles == 0) {
            sb.append("The initiator ").append(Addresses.format(f.ipVersion(), f.srcHi(), f.srcLo()));
        }
        if (c.dstRoles == 0) {
            sb.append(sb.length() == 0 ? "The responder " : " and the responder ")
                    .append(Addresses.format(f.ipVersion(), f.dstHi(), f.dstLo()));
        }
        boolean inferred = topology.inferred() != null; // no topology was given: the roles came from the traffic
        sb.append(c.srcRoles == 0 && c.dstRoles == 0 ? (inferred ? " have" : " are") : (inferred ? " has" : " is"))
                .append(inferred ? " no role inferred from the traffic (" : " outside the topology (").append(transportName(f));
        if (f.protocol() == IpProtocol.TCP || f.protocol() == IpProtocol.UDP) {
            sb.append(' ').append(f.dstPort());
        }
        boolean mapped = f.ipVersion() == 6 && ((c.srcRoles == 0 && Addresses.isIpv4Mapped(f.srcHi(), f.srcLo()))
                || (c.dstRoles == 0 && Addresses.isIpv4Mapped(f.dstHi(), f.dstLo())));
        if (mapped) {
            // Not a host to add: such a packet is malformed or made to look like a trusted IPv4 host's (a filter for the IPv4
            // address does not match it).
            return sb.append("); an IPv4-mapped IPv6 address (::ffff:0:0/96) does not belong in a packet on the wire (RFC 4291"
                    + " 2.5.5.2, RFC 6890): the topology's IPv4 hosts are not IPv6 ones, and a firewall rule for the IPv4 address"
                    + " does not match it. Find out which host sends it.").toString();
        }
        sb.append(inferred ? "); give " + (c.srcRoles == 0 && c.dstRoles == 0 ? "them roles" : "it one")
                + " in a topology (--write-topology FILE writes the inferred roles to correct, --topology FILE reads them) "
                + "or find out why it talks to this deployment." : c.srcRoles == 0 && c.dstRoles == 0
                ? "); add the hosts to the topology or find out why they are in the capture." // (neither talks to the deployment)
                : "); add the host to the topology or find out why it talks to this deployment.");
        return sb.toString();
    }

    static String transportName(Flow f) {
        return IpProtocol.upperName(f.protocol());
    }

    String roleText(long set) {
        return set == 0 ? "an unknown host" : roles.text(set);
    }

    /**
     * "TCP 5061 on front-end is documented only from A, B, not from C (rule ...; also rules ...)": the
     * initiators of every rule serving the port on the responder's roles, not of the first alone
     * (which left out, say, the clients of fe-sip-tls-5061-client).
     */
    private String roleOnlyReason(Flow f, int port, Classification c, int[] serving) {
        java.util.LinkedHashSet<String> from = new java.util.LinkedHashSet<>();
        boolean any = false;
        for (int i : serving) {
            Rule r = catalog.rule(i);
            any |= r.srcAny();
            from.addAll(r.srcRoles());
        }
        StringBuilder sb = new StringBuilder(transportName(f)).append(' ').append(port).append(" on ").append(roleText(c.dstRoles))
                .append(" is documented only from ").append(any ? "any role" : String.join(", ", from)).append(", not from ")
                .append(roleText(c.srcRoles)).append(" (").append(catalog.describe(serving[0]));
        for (int k = 1; k < serving.length; k++) {
            sb.append(k == 1 ? "; also rule" + (serving.length > 2 ? "s " : " ") : ", ").append(catalog.rule(serving[k]).id());
        }
        return sb.append(").").toString();
    }

    /** "rule fe-sip-mtls-5061, Lync Server Front-End service; seed: Required Server Ports (by Server Role), row 3". */
    public static String describe(Rule r) {
        StringBuilder sb = new StringBuilder("rule ").append(r.id());
        if (r.service() != null && !r.service().isBlank()) {
            sb.append(", ").append(r.service());
        }
        if (!r.citations().isEmpty()) {
            sb.append("; seed: ");
            for (int i = 0; i < r.citations().size(); i++) {
                if (i > 0) {
                    sb.append("; ");
                }
                sb.append(r.citations().get(i).shortForm());
            }
        }
        return sb.toString();
    }
}
