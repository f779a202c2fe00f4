package org.portmatrix.classify.lync;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.portmatrix.classify.Catalog;
import org.portmatrix.classify.Cidr;
import org.portmatrix.classify.PortOverride.PortRange;
import org.portmatrix.classify.Roles;
import org.portmatrix.classify.Rule;

/**
 * Turns a Lync topology into the project's topology: the roles of every address, and the ports this
 * deployment configured differently from the catalog.
 *
 * <ul>
 * <li>Services installed on a cluster give its roles: Registrar, UserServices, ConfServices,
 * WebServices, ApplicationServer → front-end (director on a Director pool: a Registrar with
 * {@code IsDirector="true"} or RoleName Director; survivable-branch-appliance in a branch site);
 * MediationServer → mediation (collocated on a Front End pool: both roles); EdgeServer →
 * edge-internal for the Internal interface and edge-external for the External one (a role the
 * catalog does not have); PstnGateway → pstn-gateway; PersistentChatServer → persistent-chat;
 * WacService/WacServer → office-web-apps; a store on a SQL Server instance → sql-backend, a file
 * store → file-store (neither is in the catalog).</li>
 * <li>NetInterface gives each machine's addresses per side; {@code 0.0.0.0} ("all addresses of
 * the machine") is resolved by the machine's FQDN; {@code ConfiguredIPAddress} is the public
 * address of an interface behind NAT.</li>
 * <li>A pool FQDN that resolves to an address of none of its machines is the pool's load balancer:
 * fe-load-balancer, director-load-balancer, mediation-load-balancer (an Edge pool's internal VIP
 * stays edge-internal).</li>
 * <li>Port elements that the catalog does not document for the role, or that differ from the Lync
 * default for their component (see {@link LyncDefaults}), become port overrides; a port moved from one
 * the catalog documents at the pool's load balancer moves on its virtual address too.</li>
 * </ul>
 */
final class TopologyImport {
    static final String EDGE_EXTERNAL = "edge-external";
    static final String SQL_BACKEND = "sql-backend";
    static final String FILE_STORE = "file-store";

    /** One address of the result with its roles and where it comes from. */
    static final class HostEntry {
        final Cidr address;
        final Set<String> roles = new LinkedHashSet<>();
        /** "machine, pool|source" to the interface sides it was found on. */
        final Map<String, Set<String>> sides = new LinkedHashMap<>();

        HostEntry(Cidr address) {
            this.address = address;
        }

        String comment() {
            List<String> out = new ArrayList<>();
            for (Map.Entry<String, Set<String>> e : sides.entrySet()) {
                int bar = e.getKey().lastIndexOf('|');
                out.add(e.getKey().substring(0, bar) + " (" + String.join("/", e.getValue()) + ", " + e.getKey().substring(bar + 1) + ")");
            }
            return String.join("; ", out) + (roles.size() > 1 ? " [roles " + String.join(", ", roles) + "]" : "");
        }
    }

    /** One port override as it will be written. */
    record PortEntry(String role, List<String> transports, PortRange ports, String protocol, List<PortRange> insteadOf,
                     List<Cidr> hosts, List<String> from, String note) {}

    /** Something the import could not place: kind "machine", "interface", "pool" or "external" (an Edge pool's ConfiguredFqdn). */
    record Unresolved(String kind, String fqdn, String detail) {
        @Override
        public String toString() {
            return fqdn + " (" + detail + ")";
        }
    }

    final Map<Cidr, HostEntry> hosts = new LinkedHashMap<>();
    /** The addresses of each pool (its machines', their public NAT ones, its load balancer's), by pool FQDN. */
    private final Map<String, Set<Cidr>> poolAddresses = new LinkedHashMap<>();
    final List<PortEntry> ports = new ArrayList<>();
    /**
     * An Edge pool's external addresses (IPAddress and NAT's ConfiguredIPAddress) by pool FQDN, machine and
     * InterfaceNumber: the External Port elements name the interface they listen on.
     */
    private final Map<String, Map<String, Map<Integer, Set<Cidr>>>> externalInterfaces = new LinkedHashMap<>();
    /** The addresses of the names External Port elements give in ConfiguredFqdn. */
    private final Map<String, Set<Cidr>> externalNameAddresses = new LinkedHashMap<>();
    final List<Unresolved> unresolved = new ArrayList<>();
    /**
     * Services that have no role here and are on no pool that has one (a trusted application pool of its own, ...):
     * service name to the pools it is installed on.
     */
    final Map<String, Set<String>> ignoredServices = new LinkedHashMap<>();
    /**
     * Services that have no role here, installed on a pool that has one: their ports went to that role's hosts.
     * Service name to "role on pool" (the Edge pool's ManagementServices: "edge-internal on edgepool.contoso.com").
     */
    final Map<String, Set<String>> carriedServices = new LinkedHashMap<>();
    private final Resolver resolver;
    private final Catalog catalog;

    /** Name to addresses: the hosts file first, then the capture's DNS answers. */
    interface Resolver {
        /** The addresses of a name with a word on where they came from, or an empty map. */
        Map<Cidr, String> resolve(String fqdn);
    }

    private TopologyImport(Resolver resolver, Catalog catalog) {
        this.resolver = resolver;
        this.catalog = catalog;
    }

    static TopologyImport run(LyncTopology topo, Resolver resolver, Catalog catalog) {
        TopologyImport imp = new TopologyImport(resolver, catalog);
        imp.build(topo);
        return imp;
    }

    private void build(LyncTopology topo) {
        Map<String, Set<String>> poolRoles = new LinkedHashMap<>();
        Set<String> directorPools = new HashSet<>();
        for (LyncTopology.Service s : topo.services) {
            if (s.director() && s.poolKey() != null) {
                directorPools.add(s.poolKey());
            }
        }
        for (LyncTopology.Service s : topo.services) {
            if (s.poolKey() == null) {
                continue;
            }
            String role = roleOf(s, topo.pools.get(s.poolKey()), directorPools.contains(s.poolKey()));
            if (role != null) {
                poolRoles.computeIfAbsent(s.poolKey(), k -> new LinkedHashSet<>()).add(role);
                if (role.equals("edge-internal")) {
                    poolRoles.get(s.poolKey()).add(EDGE_EXTERNAL);
                }
            }
        }
        List<RolePort> portsByRole = new ArrayList<>();
        for (LyncTopology.Service s : topo.services) {
            if (s.poolKey() == null) {
                continue;
            }
            LyncTopology.Pool pool = topo.pools.get(s.poolKey());
            String role = roleOf(s, pool, directorPools.contains(s.poolKey()));
            if (role == null) {
                // A service with no role of its own on a pool that has one (the Edge's ManagementServices, CMS
                // replication on 4443; a trusted application's ExternalServer on a Front End pool) listens on the
                // pool's machines: its ports are the pool's role's. On a pool of its own, it has no host here.
                role = hostRole(poolRoles.getOrDefault(s.poolKey(), Set.of()));
                if (role == null) {
                    ignoredServices.computeIfAbsent(s.roleName(), k -> new LinkedHashSet<>()).add(pool.fqdn());
                    continue;
                }
                carriedServices.computeIfAbsent(s.roleName(), k -> new LinkedHashSet<>()).add(role + " on " + pool.fqdn());
            }
            for (LyncTopology.PortSpec p : s.ports()) {
                String r = role.equals("edge-internal") && "External".equalsIgnoreCase(p.side()) ? EDGE_EXTERNAL : role;
                portsByRole.add(new RolePort(r, p, pool.fqdn(), s.roleName(), false));
            }
        }
        Map<String, Set<String>> externalNames = new LinkedHashMap<>(); // by pool FQDN: the ConfiguredFqdn of its External ports
        for (RolePort rp : portsByRole) {
            if (rp.role().equals(EDGE_EXTERNAL) && rp.spec().configuredFqdn() != null) {
                externalNames.computeIfAbsent(rp.pool(), k -> new LinkedHashSet<>()).add(rp.spec().configuredFqdn());
            }
        }
        Map<String, Set<String>> rolesByFqdn = new LinkedHashMap<>();
        for (Map.Entry<String, Set<String>> e : poolRoles.entrySet()) {
            LyncTopology.Pool pool = topo.pools.get(e.getKey());
            addresses(pool, e.getValue());
            rolesByFqdn.put(pool.fqdn(), e.getValue());
        }
        for (Map.Entry<String, Set<String>> e : externalNames.entrySet()) {
            externalNames(e.getKey(), e.getValue()); // once every pool's own addresses are placed
        }
        // A pool's load balancer forwards the ports of its machines: a port moved on them moved on its virtual address too.
        List<RolePort> withBalancers = new ArrayList<>();
        for (RolePort rp : portsByRole) {
            withBalancers.add(rp);
            String lb = balancerRole(rp.role(), rolesByFqdn.getOrDefault(rp.pool(), Set.of()));
            if (lb != null && poolAddresses.getOrDefault(rp.pool(), Set.of()).stream().anyMatch(a -> hosts.get(a).roles.contains(lb))) {
                withBalancers.add(new RolePort(lb, rp.spec(), rp.pool(), rp.service(), true));
            }
        }
        ports(withBalancers);
    }

    /** The role of the load balancer in front of a pool's {@code role}, or null when the catalog has none for it. */
    static String balancerRole(String role, Set<String> poolRoles) {
        return switch (role) {
            case "front-end" -> "fe-load-balancer";
            case "director" -> "director-load-balancer";
            // a collocated Mediation Server sits behind the Front End pool's balancer
            case "mediation" -> poolRoles.contains("front-end") ? "fe-load-balancer" : "mediation-load-balancer";
            default -> null;
        };
    }

    /** Roles whose hosts carry the ports of a service without a role of its own, the first a pool has in this order. */
    private static final List<String> HOST_ROLES = List.of("director", "front-end", "survivable-branch-appliance", "edge-internal",
            "mediation", "persistent-chat", "office-web-apps", "pstn-gateway");

    /** The role of a pool's machines that takes the ports of its services without a role, or null (none, or only stores). */
    static String hostRole(Set<String> poolRoles) {
        for (String r : HOST_ROLES) {
            if (poolRoles.contains(r)) {
                return r;
            }
        }
        return null;
    }

    /** The role a service gives its pool, or null when it has none here. */
    static String roleOf(LyncTopology.Service s, LyncTopology.Pool pool, boolean directorPool) {
        String n = s.roleName().toLowerCase(Locale.ROOT);
        if (s.onSqlInstance()) {
            return SQL_BACKEND;
        }
        switch (n) {
            case "registrar":
                return s.director() || directorPool ? "director" : pool.branchSite() ? "survivable-branch-appliance" : "front-end";
            case "director":
                return "director";
            case "userservices", "confservices", "applicationserver", "webservices", "centralmgmt", "userserver":
                return directorPool ? "director" : pool.branchSite() ? "survivable-branch-appliance" : "front-end";
            case "mediationserver":
                return "mediation";
            case "edgeserver":
                return "edge-internal";
            case "pstngateway":
                return "pstn-gateway";
            case "wacservice", "wacserver":
                return "office-web-apps";
            case "filestore":
                return FILE_STORE;
            default:
                if (n.startsWith("persistentchat") && !n.endsWith("store")) {
                    return "persistent-chat";
                }
                if (n.endsWith("store")) {
                    return SQL_BACKEND;
                }
                return null;
        }
    }

    /**
     * The addresses of the external names an Edge pool's External ports give ({@code ConfiguredFqdn}): a hardware load
     * balancer's external virtual address (DNS load balancing resolves them to the servers' own, which have the role
     * already), edge-external. Not an address that holds another role here: a name such as sip.contoso.com resolves,
     * in the internal DNS of a split-brain namespace (and so in a capture's DNS answers inside), to the Front End
     * pool's own address, which then took edge-external and every External port of the Edge with it (review).
     */
    private void externalNames(String poolFqdn, Set<String> names) {
        for (String name : names) {
            Cidr literal = Cidr.parse(name);
            Map<Cidr, String> found = literal != null ? Map.of(literal, "its name is its address") : resolver.resolve(name);
            if (found.isEmpty() && unresolved.stream().noneMatch(u -> u.fqdn().equals(name))) {
                unresolved.add(new Unresolved("external", name, "ConfiguredFqdn of External ports of the Edge pool " + poolFqdn));
            }
            for (Map.Entry<Cidr, String> a : found.entrySet()) {
                Cidr addr = a.getKey();
                if (allAddresses(addr)) {
                    continue;
                }
                HostEntry h = hosts.get(addr);
                if (h != null && !h.roles.equals(Set.of(EDGE_EXTERNAL))) {
                    unresolved.add(new Unresolved("external", name, "ConfiguredFqdn of External ports of the Edge pool " + poolFqdn
                            + "; resolved to " + addr.text() + ", an address of " + String.join(", ", h.roles)
                            + " here (an internal DNS answer?): not taken as the Edge's"));
                    continue;
                }
                externalNameAddresses.computeIfAbsent(name, k -> new LinkedHashSet<>()).add(addr);
                if (poolAddresses.computeIfAbsent(poolFqdn, k -> new LinkedHashSet<>()).add(addr)) {
                    add(addr, Set.of(EDGE_EXTERNAL), name + ", pool " + poolFqdn, "ConfiguredFqdn of its External ports", a.getValue());
                }
            }
        }
    }

    /** The addresses of a pool's machines by role, and its load balancer's. */
    private void addresses(LyncTopology.Pool pool, Set<String> roles) {
        Set<String> internal = new LinkedHashSet<>(roles);
        internal.remove(EDGE_EXTERNAL);
        boolean edge = roles.contains("edge-internal");
        Set<Cidr> machineAddresses = new HashSet<>();
        Set<String> machineNames = new HashSet<>();
        for (LyncTopology.Machine m : pool.machines()) {
            machineNames.add(m.fqdn());
            String where = m.fqdn().equals(pool.fqdn()) ? m.fqdn() : m.fqdn() + ", pool " + pool.fqdn();
            List<LyncTopology.NetInterface> nics = m.interfaces().isEmpty()
                    ? List.of(new LyncTopology.NetInterface("Primary", 1, null, null, m.line())) : m.interfaces();
            for (LyncTopology.NetInterface n : nics) {
                boolean ext = n.external() && edge;
                Set<String> r = ext ? Set.of(EDGE_EXTERNAL) : internal;
                String side = n.side();
                Cidr literal = n.ipAddress() == null ? null : Cidr.parse(n.ipAddress());
                Set<Cidr> numbered = !ext ? new HashSet<>() : externalInterfaces.computeIfAbsent(pool.fqdn(), k -> new LinkedHashMap<>())
                        .computeIfAbsent(m.fqdn(), k -> new LinkedHashMap<>()).computeIfAbsent(n.number(), k -> new LinkedHashSet<>());
                if (literal != null && !allAddresses(literal)) {
                    add(literal, r, where, side, "address in the topology");
                    machineAddresses.add(literal);
                    numbered.add(literal);
                } else if (ext) {
                    // The machine's FQDN names its internal side; the external address is not in DNS by that name.
                    unresolved.add(new Unresolved("interface", m.fqdn(), side + " interface has IPAddress=\"" + n.ipAddress()
                            + "\": its address is not in the topology"));
                } else {
                    Cidr fromName = Cidr.parse(m.fqdn()); // a gateway may be named by its address
                    Map<Cidr, String> found = fromName != null ? Map.of(fromName, "its name is its address") : resolver.resolve(m.fqdn());
                    if (found.isEmpty()) {
                        if (unresolved.stream().noneMatch(u -> u.fqdn().equals(m.fqdn()))) {
                            unresolved.add(new Unresolved("machine", m.fqdn(), (m.fqdn().equals(pool.fqdn()) ? "" : "machine of pool " + pool.fqdn() + ", ")
                                    + (n.ipAddress() == null ? "no address in the topology" : side + " IPAddress=\"" + n.ipAddress() + "\"")
                                    + "; roles " + String.join(", ", r)));
                        }
                    }
                    for (Map.Entry<Cidr, String> a : found.entrySet()) {
                        add(a.getKey(), r, where, side, a.getValue());
                        machineAddresses.add(a.getKey());
                    }
                }
                if (n.configuredIpAddress() != null) {
                    Cidr nat = Cidr.parse(n.configuredIpAddress());
                    if (nat != null && !allAddresses(nat) && !nat.equals(literal)) {
                        add(nat, r, where, side, "public address translated by NAT to "
                                + (literal != null ? literal.text() : n.ipAddress())); // (as written everywhere: FD00:0172:0:0:... compressed)
                        poolAddresses.computeIfAbsent(pool.fqdn(), k -> new LinkedHashSet<>()).add(nat);
                        numbered.add(nat);
                    }
                }
            }
        }
        poolAddresses.computeIfAbsent(pool.fqdn(), k -> new LinkedHashSet<>()).addAll(machineAddresses);
        if (machineNames.size() == 1 && machineNames.contains(pool.fqdn())) {
            return; // a Standard Edition server or a single named machine: the pool is the machine
        }
        Cidr literalPool = Cidr.parse(pool.fqdn());
        Map<Cidr, String> vip = literalPool != null ? Map.of(literalPool, "its name is its address") : resolver.resolve(pool.fqdn());
        if (vip.isEmpty()) {
            unresolved.add(new Unresolved("pool", pool.fqdn(), "pool of " + String.join(", ", machineNames.stream().sorted().toList())));
            return;
        }
        Set<String> lb = loadBalancerRoles(internal);
        for (Map.Entry<Cidr, String> a : vip.entrySet()) {
            if (machineAddresses.contains(a.getKey())) {
                continue; // DNS load balancing: the pool name resolves to its machines
            }
            add(a.getKey(), lb, "pool " + pool.fqdn(), "load balancer virtual address", a.getValue());
            poolAddresses.get(pool.fqdn()).add(a.getKey()); // an Edge pool's VIP keeps edge-internal: its ports' entries hold it
        }
    }

    private static Set<String> loadBalancerRoles(Set<String> roles) {
        Set<String> out = new LinkedHashSet<>();
        for (String r : roles) {
            switch (r) {
                case "front-end" -> out.add("fe-load-balancer");
                case "director" -> out.add("director-load-balancer");
                case "mediation" -> {
                    if (!roles.contains("front-end")) {
                        out.add("mediation-load-balancer"); // a collocated Mediation Server sits behind the FE balancer
                    }
                }
                default -> out.add(r);
            }
        }
        return out;
    }

    static boolean allAddresses(Cidr c) {
        return c.length() == 128 && (c.ipv4() ? c.lo() == Cidr.V4_MAPPED : c.hi() == 0 && c.lo() == 0);
    }

    /** Adds an address; the sides of one machine from one source share a comment: "se01 (Primary/Pstn, from hosts.csv)". */
    private void add(Cidr address, Set<String> roles, String where, String side, String source) {
        HostEntry h = hosts.computeIfAbsent(address, HostEntry::new);
        h.roles.addAll(roles);
        h.sides.computeIfAbsent(where + "|" + source, k -> new LinkedHashSet<>()).add(side);
    }

    // ------------------------------------------------------------------------------------ ports

    /** Ports the catalog documents for a role, per transport (index 0 TCP, 1 UDP). */
    private BitSet[] catalogPorts(String role) {
        BitSet[] out = {new BitSet(65536), new BitSet(65536)};
        for (Rule r : catalog.rules()) {
            if (r.dstAny() || r.dstRoles().contains(role)) {
                out[r.transport() == 6 ? 0 : 1].set(r.portMin(), r.portMax() + 1);
            }
        }
        return out;
    }

    /**
     * A Port element with the role whose addresses it is on. {@code balanced}: the role is the load balancer's in
     * front of the pool, which forwards the port; it gives an entry only where the port moved from one the
     * catalog documents for the balancer.
     */
    private record RolePort(String role, LyncTopology.PortSpec spec, String pool, String service, boolean balanced) {}

    /** An override being built: equal ones of several pools or transports merge. */
    private static final class Merged {
        final Set<String> pools = new LinkedHashSet<>();
        final String role;
        final Set<String> transports = new java.util.TreeSet<>();
        final PortRange range;
        final String protocol;
        final List<PortRange> insteadOf;
        /** The initiator roles ({@link #initiators}); empty for any. */
        final List<String> from;
        final Set<String> notes = new LinkedHashSet<>();
        /** Set when an Edge pool's entry applies to the addresses of the External interface its Port elements name. */
        boolean interfaced;
        /** The addresses it applies to when {@link #interfaced}: those interfaces', and every address of the role of its other pools. */
        final Set<Cidr> scope = new LinkedHashSet<>();

        Merged(String role, PortRange range, String protocol, List<PortRange> insteadOf, List<String> from) {
            this.role = role;
            this.range = range;
            this.protocol = protocol;
            this.insteadOf = insteadOf;
            this.from = from;
        }
    }

    private BitSet catalogRanges(String role, int transport, int min, int max) {
        BitSet out = new BitSet(65536);
        for (Rule r : catalog.rules()) {
            if (r.transport() == transport && r.dstRoles().contains(role) && r.portMin() <= max && r.portMax() >= min) {
                out.set(r.portMin(), r.portMax() + 1);
            }
        }
        return out;
    }

    /**
     * The port overrides: per pool, a Port element the catalog does not document for the role, or one
     * moved from its Lync default (then the catalog ports it no longer serves, less those the pool's
     * other Port elements still configure). Equal entries of several pools merge; an entry that not
     * every pool of the role has applies to its pools' machines only ({@code hosts}): one pool's moved
     * media range moved nothing on the others.
     */
    private void ports(List<RolePort> specs) {
        Map<String, BitSet[]> documented = new LinkedHashMap<>();
        Map<String, BitSet[]> configured = new LinkedHashMap<>(); // by role and pool
        Map<String, Set<String>> poolsOfRole = new LinkedHashMap<>();
        for (RolePort rp : specs) {
            documented.computeIfAbsent(rp.role(), this::catalogPorts);
            poolsOfRole.computeIfAbsent(rp.role(), k -> new LinkedHashSet<>()).add(rp.pool());
            BitSet[] c = configured.computeIfAbsent(rp.role() + "|" + rp.pool(), k -> new BitSet[] {new BitSet(65536), new BitSet(65536)});
            // Lync's ranges count ports where the documents give inclusive ends one higher: 49152 + 16383 ends at
            // 65534 and the documents' range at 65535, the 8348 audio ports from 49152 end at 57499 and the
            // documents' at 57500. A range configured so still holds that port, or it would come out as moved.
            int last = rp.spec().last();
            for (int t : rp.spec().transports()) {
                int ti = t == 6 ? 0 : 1;
                if (documented.get(rp.role())[ti].get(last + 1) && endsAt(rp.role(), t, last + 1, rp.spec().port())) {
                    last++;
                }
                c[ti].set(rp.spec().port(), last + 1);
                last = rp.spec().last();
            }
        }
        Map<String, Merged> merged = new LinkedHashMap<>();
        for (RolePort rp : specs) {
            LyncTopology.PortSpec p = rp.spec();
            LyncDefaults.Default def = LyncDefaults.of(p);
            for (int t : p.transports()) {
                int ti = t == 6 ? 0 : 1;
                BitSet doc = documented.get(rp.role())[ti];
                boolean covered = doc.nextClearBit(p.port()) > p.last();
                List<PortRange> insteadOf = new ArrayList<>();
                if (def != null && (def.port() != p.port() || def.last() != p.last())) {
                    // the catalog's ranges for this service (its rules for the role that overlap the default),
                    // less every port a Port element of the role still configures on this pool
                    BitSet gone = catalogRanges(rp.role(), t, def.port(), def.last());
                    gone.andNot(configured.get(rp.role() + "|" + rp.pool())[ti]);
                    for (int i = gone.nextSetBit(0); i >= 0; ) {
                        int end = gone.nextClearBit(i);
                        insteadOf.add(new PortRange(i, end - 1));
                        i = gone.nextSetBit(end);
                    }
                }
                if ((covered || rp.balanced()) && insteadOf.isEmpty()) {
                    continue; // the catalog already says so (or has nothing of this service at the pool's load balancer)
                }
                String protocol = p.protocol().toLowerCase(Locale.ROOT);
                if (protocol.equals("tcporudp")) {
                    protocol = null;
                }
                // Per transport first: a pool's TCP and UDP may have moved different ports (a pool's own UDP Port element).
                String transport = t == 6 ? "tcp" : "udp";
                List<String> from = initiators(rp);
                String key = rp.role() + "|" + p.port() + "-" + p.last() + "|" + protocol + "|" + insteadOf + "|" + transport + "|" + from;
                Merged m = merged.computeIfAbsent(key, k -> new Merged(rp.role(), new PortRange(p.port(), p.last()),
                        p.protocol().equalsIgnoreCase("tcporudp") ? null : p.protocol().toLowerCase(Locale.ROOT), List.copyOf(insteadOf), from));
                m.pools.add(rp.pool());
                m.transports.add(transport);
                Set<Cidr> only = interfaceScope(rp);
                m.interfaced |= only != null;
                m.scope.addAll(only != null ? only : roleAddresses(rp.pool(), rp.role()));
                m.notes.add("service " + rp.service() + ", " + p.ownerName() + " " + p.usage() + ", on " + rp.pool()
                        + (rp.balanced() ? " (its load balancer)" : "") + ", " + p.side()
                        + " side" + (p.configuredPort() > 0 ? ", published as " + p.configuredPort() : ""));
            }
        }
        // Then one entry for the transports whose entries are the same for the same pools.
        Map<String, Merged> byPools = new LinkedHashMap<>();
        for (Merged m : merged.values()) {
            String key = m.role + "|" + m.range + "|" + m.protocol + "|" + m.insteadOf + "|" + m.from + "|" + m.pools + (m.interfaced ? "|" + m.scope : "");
            Merged g = byPools.computeIfAbsent(key, k -> new Merged(m.role, m.range, m.protocol, m.insteadOf, m.from));
            g.pools.addAll(m.pools);
            g.interfaced |= m.interfaced;
            g.scope.addAll(m.scope);
            g.transports.addAll(m.transports);
            g.notes.addAll(m.notes);
        }
        for (Merged m : byPools.values()) {
            String note = m.notes.iterator().next() + (m.notes.size() > 1 ? " and " + (m.notes.size() - 1) + " more" : "");
            List<Cidr> scope = new ArrayList<>();
            if (m.interfaced || !m.pools.containsAll(poolsOfRole.get(m.role))) {
                scope.addAll(m.scope);
                if (scope.isEmpty()) {
                    continue; // none of its pools' machines has an address: it would apply to every host of the role
                }
                scope = new ArrayList<>(new LinkedHashSet<>(scope));
                scope.sort((a, b) -> {
                    int c = Long.compareUnsigned(a.hi(), b.hi());
                    return c != 0 ? c : Long.compareUnsigned(a.lo(), b.lo());
                });
            }
            ports.add(new PortEntry(m.role, List.copyOf(m.transports), m.range, m.protocol, m.insteadOf, List.copyOf(scope), m.from, note));
        }
    }

    /**
     * The initiator roles of a port where the Lync topology makes them certain (its entry's {@code from:}); empty
     * (any initiator) elsewhere. A PSTN gateway's SIP listener (PstnGateway, SipServer) is the next hop of the
     * Mediation Servers (a Front End pool's collocated one: its machines hold the mediation role too) and of
     * Survivable Branch Appliances; a trusted application on a Front End or Director pool (ExternalServer) is
     * reached through the pools' Front Ends and Directors; the Edge's Internal services (SIP, A/V authentication,
     * PSOM, the XMPP gateway, CMS replication, the search proxy) by the Front Ends and Directors. Not the Edge's
     * Internal TURN and media ports (MediaRelayEdge: internal clients and Mediation Servers relay through them),
     * nor the External side (external users are in no topology), nor a load balancer's entries.
     */
    static List<String> initiators(RolePort rp) {
        if (rp.balanced()) {
            return List.of();
        }
        return switch (rp.role()) {
            case "pstn-gateway" -> rp.service().equalsIgnoreCase("PstnGateway") && "SipServer".equalsIgnoreCase(rp.spec().usage())
                    ? List.of("mediation", "survivable-branch-appliance") : List.of();
            case "front-end", "director" -> rp.service().equalsIgnoreCase("ExternalServer") ? List.of("front-end", "director") : List.of();
            // (Survivable Branch Appliances and Servers too: the Edge's A/V authentication 5062 takes "any Front End
            // Server or pool, and any Survivable Branch Appliance or Server using this Edge Server"; review)
            case "edge-internal" -> "Internal".equalsIgnoreCase(rp.spec().side()) && !rp.spec().ownerName().equalsIgnoreCase("MediaRelayEdge")
                    ? List.of("front-end", "director", "survivable-branch-appliance") : List.of();
            default -> List.of();
        };
    }

    /** The addresses of a pool that hold {@code role} (not a Front End pool's balancer for its Mediation role). */
    private Set<Cidr> roleAddresses(String pool, String role) {
        Set<Cidr> out = new LinkedHashSet<>();
        for (Cidr a : poolAddresses.getOrDefault(pool, Set.of())) {
            HostEntry h = hosts.get(a);
            if (h != null && h.roles.contains(role)) {
                out.add(a);
            }
        }
        return out;
    }

    /**
     * The addresses an Edge pool's External Port element listens on when the pool's servers have several External
     * interfaces (Access Edge, Web Conferencing and A/V each on its own address): on every machine, the interface of
     * its InterfaceNumber (its IPAddress and public NAT address), and the addresses of its ConfiguredFqdn (the
     * service's external virtual address behind a hardware load balancer). A machine without an interface of that
     * number keeps it on all of its external addresses. Null when the pool's External interfaces all have one
     * number: the element applies to all of them.
     */
    private Set<Cidr> interfaceScope(RolePort rp) {
        Map<String, Map<Integer, Set<Cidr>>> machines = externalInterfaces.get(rp.pool());
        if (!rp.role().equals(EDGE_EXTERNAL) || machines == null) {
            return null;
        }
        Set<Integer> numbers = new HashSet<>();
        machines.values().forEach(m -> numbers.addAll(m.keySet()));
        if (numbers.size() < 2) {
            return null;
        }
        Set<Cidr> out = new LinkedHashSet<>();
        for (Map<Integer, Set<Cidr>> byNumber : machines.values()) {
            Set<Cidr> own = byNumber.get(rp.spec().interfaceNumber());
            if (own != null) {
                out.addAll(own);
            } else {
                byNumber.values().forEach(out::addAll);
            }
        }
        if (rp.spec().configuredFqdn() != null) {
            out.addAll(externalNameAddresses.getOrDefault(rp.spec().configuredFqdn(), Set.of()));
        }
        return out;
    }

    /** True when a catalog rule for {@code role} over {@code transport} starts at or below {@code from} and ends at {@code end}. */
    private boolean endsAt(String role, int transport, int end, int from) {
        for (Rule r : catalog.rules()) {
            if (r.transport() == transport && r.dstRoles().contains(role) && r.portMax() == end && r.portMin() <= from) {
                return true;
            }
        }
        return false;
    }

    /** Roles of the result in vocabulary order (catalog roles first), then addresses in numeric order. */
    Map<String, List<HostEntry>> byRole() {
        Map<String, List<HostEntry>> out = new LinkedHashMap<>();
        List<HostEntry> sorted = new ArrayList<>(hosts.values());
        sorted.sort((a, b) -> {
            int c = Long.compareUnsigned(a.address.hi(), b.address.hi());
            return c != 0 ? c : Long.compareUnsigned(a.address.lo(), b.address.lo());
        });
        Set<String> order = new LinkedHashSet<>(Roles.CATALOG_ROLES);
        for (HostEntry h : sorted) {
            order.addAll(h.roles);
        }
        for (String r : order) {
            for (HostEntry h : sorted) {
                if (h.roles.contains(r)) {
                    out.computeIfAbsent(r, k -> new ArrayList<>()).add(h);
                }
            }
        }
        return out;
    }
}
