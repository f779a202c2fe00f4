package org.portmatrix.classify.lync;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.portmatrix.classify.ConfigException;

/**
 * A Lync Server 2013 topology as read from XML: the published topology that
 * {@code (Get-CsTopology -AsXml).ToString()} writes (root {@code Topology} in
 * {@code urn:schema:Microsoft.Rtc.Management.Deploy.Topology.2008}), or a Topology Builder file
 * ({@code .tbxml}: root {@code TopologyBuilder}, the topology inside {@code NewTopology/PartialTopology}).
 *
 * <p>The two shapes differ in how they link things. The published document names a cluster by
 * {@code <ClusterId SiteId= Number=>} and a service's host by {@code <InstalledOn><ClusterId/>} (or
 * {@code <SqlInstanceId>}), with clusters in a top-level {@code <Clusters>}. Topology Builder nests
 * clusters in {@code CentralSite/Clusters}, wraps machines in {@code <Machines>}, gives clusters and
 * SQL instances a {@code UniqueId} and puts it in the service's {@code InstalledOn} attribute. Both
 * carry the same {@code Machine/NetInterface} and {@code Ports/Port} elements. Only what the port
 * matrix needs is kept: pools, machines, interfaces, services and their ports.
 */
final class LyncTopology {
    static final String TOPOLOGY_NS = "urn:schema:Microsoft.Rtc.Management.Deploy.Topology.2008";

    /**
     * One network interface of a machine: InterfaceSide Primary, Internal, External or Pstn, and its
     * InterfaceNumber (1 when absent): an Edge server with three external addresses has External 1, 2 and 3,
     * which its Port elements name.
     */
    record NetInterface(String side, int number, String ipAddress, String configuredIpAddress, int line) {
        boolean external() {
            return "External".equalsIgnoreCase(side);
        }
    }

    record Machine(String fqdn, List<NetInterface> interfaces, int line) {}

    /** A cluster (pool): an Enterprise pool, a Standard Edition server, an Edge pool, a gateway, ... */
    record Pool(String key, String fqdn, boolean branchSite, List<Machine> machines, int line) {}

    /**
     * One {@code Port} element. {@code range} is the Range attribute, a count of ports (the
     * {@code AudioPortCount} of {@code Set-CsConferencingServer}: 49152 with 8348 is 49152-57499), 0
     * for a single port; {@code configuredPort} is the port published in front of it (a reverse
     * proxy's, for the External web site), or -1; {@code configuredFqdn} the name clients reach it by, when
     * the topology gives one (an Edge pool's External ports: its external FQDN, which names the external
     * virtual address of a hardware load balancer), lower case, or null; {@code interfaceNumber} the
     * InterfaceNumber of the machines' interface of its side it listens on (1 when absent).
     */
    record PortSpec(String owner, String usage, String side, int interfaceNumber, int port, int range, String protocol,
                    int configuredPort, String configuredFqdn, int line) {
        int last() {
            return range <= 1 ? port : port + range - 1;
        }

        /** IP protocol numbers this port uses (6, 17, or both for TcpOrUdp). */
        int[] transports() {
            return switch (protocol.toLowerCase(Locale.ROOT)) {
                case "udp" -> new int[] {17};
                case "tcporudp" -> new int[] {6, 17};
                default -> new int[] {6};
            };
        }

        /** "Registrar" from "urn:component:Registrar", "RGS" from "urn:application:RGS". */
        String ownerName() {
            int c = owner.lastIndexOf(':');
            return c < 0 ? owner : owner.substring(c + 1);
        }
    }

    /**
     * A service installed on a pool. {@code onSqlInstance}: installed on a SQL Server instance of the
     * pool (a store) rather than on the pool's machines. {@code director}: a Registrar that is a
     * Director ({@code <RegistrarService IsDirector="true">}, or RoleName Director).
     */
    record Service(String roleName, String poolKey, boolean onSqlInstance, boolean director, List<PortSpec> ports, int line) {}

    static final Set<String> PROTOCOLS = Set.of("mtls", "tls", "https", "http", "tcp", "udp", "tcporudp");

    final String source;
    /** "published topology" or "Topology Builder file". */
    final String format;
    final Map<String, Pool> pools;
    final List<Service> services;

    private LyncTopology(String source, String format, Map<String, Pool> pools, List<Service> services) {
        this.source = source;
        this.format = format;
        this.pools = pools;
        this.services = services;
    }

    static LyncTopology read(Path file) throws ConfigException {
        return from(file.toString(), XmlTree.parse(file));
    }

    static LyncTopology from(String name, XmlTree.Element root) throws ConfigException {
        XmlTree.Element topo;
        String format;
        if (root.name.equals("Topology") && TOPOLOGY_NS.equals(root.namespace)) {
            topo = root;
            format = "published topology";
        } else if (root.name.equals("TopologyBuilder")) {
            XmlTree.Element nt = root.child("NewTopology");
            topo = nt == null ? null : nt.child("PartialTopology");
            if (topo == null) {
                throw new ConfigException(name, root.line, "a Topology Builder file without NewTopology/PartialTopology");
            }
            format = "Topology Builder file";
        } else {
            throw new ConfigException(name, root.line, "not a Lync Server topology: the root element is '" + root.name
                    + "' (expected Topology in " + TOPOLOGY_NS + ", from Get-CsTopology -AsXml, or a Topology Builder .tbxml)");
        }
        Set<String> branchSites = new HashSet<>();
        for (XmlTree.Element b : topo.descendants("BranchSite")) {
            if (b.attr("SiteId") != null) {
                branchSites.add(b.attr("SiteId"));
            }
        }
        Map<String, Pool> pools = new LinkedHashMap<>();
        Map<String, String> sqlInstanceToPool = new HashMap<>();
        for (XmlTree.Element c : topo.descendants("Cluster")) {
            if (c.within("OldTopology")) {
                continue;
            }
            String key = clusterKey(name, c);
            String fqdn = c.attr("Fqdn");
            if (fqdn == null || fqdn.isBlank()) {
                throw new ConfigException(name, c.line, "a Cluster without an Fqdn attribute");
            }
            fqdn = fqdn.trim().toLowerCase(Locale.ROOT);
            boolean branch = c.within("BranchSite") || (c.child("ClusterId") != null
                    && branchSites.contains(c.child("ClusterId").attr("SiteId")));
            List<Machine> machines = new ArrayList<>();
            for (XmlTree.Element m : c.descendants("Machine")) {
                String mf = m.attr("Fqdn");
                // A single-machine cluster (Office Web Apps, SQL, file store) may leave the machine unnamed.
                String mfqdn = mf == null || mf.isBlank() ? fqdn : mf.trim().toLowerCase(Locale.ROOT);
                List<NetInterface> nics = new ArrayList<>();
                for (XmlTree.Element n : m.children("NetInterface")) {
                    String side = n.attr("InterfaceSide") == null ? "Primary" : n.attr("InterfaceSide");
                    // A damaged address would silently lose a machine's or an Edge's public (NAT) address.
                    String ip = address(name, n, mfqdn, side, "IPAddress");
                    String configured = address(name, n, mfqdn, side, "ConfiguredIPAddress");
                    int number = number(name, n, "InterfaceNumber", 1, mfqdn + ", " + side + " interface");
                    nics.add(new NetInterface(side, number, ip, configured, n.line));
                }
                machines.add(new Machine(mfqdn, List.copyOf(nics), m.line));
            }
            if (pools.put(key, new Pool(key, fqdn, branch, List.copyOf(machines), c.line)) != null) {
                throw new ConfigException(name, c.line, "two clusters with the same id " + key);
            }
            for (XmlTree.Element s : c.descendants("SqlInstance")) { // Topology Builder: instances inside the cluster
                if (s.attr("UniqueId") != null) {
                    sqlInstanceToPool.put(s.attr("UniqueId").toLowerCase(Locale.ROOT), key);
                }
            }
        }
        List<Service> services = new ArrayList<>();
        for (XmlTree.Element s : topo.descendants("Service")) {
            if (s.within("OldTopology") || s.parent == null || !s.parent.name.equals("Services")) {
                continue;
            }
            services.add(service(name, s, pools, sqlInstanceToPool));
        }
        return new LyncTopology(name, format, pools, List.copyOf(services));
    }

    /** An interface's address attribute, trimmed; null when absent; an error naming the line when it is no address. */
    private static String address(String name, XmlTree.Element n, String machine, String side, String attr) throws ConfigException {
        String v = trimOrNull(n.attr(attr));
        // One host's address, as the hosts CSV takes (a prefix, 10.1.2.0/24, had given the machine's roles to the whole
        // prefix), and refused with the same hint (the form to write for a zone index, a port, a part with a leading zero).
        org.portmatrix.classify.Cidr c = v == null ? null : org.portmatrix.classify.Cidr.parse(v);
        if (v != null && (c == null || c.length() != 128)) {
            throw new ConfigException(name, n.line, machine + ", " + side + " interface: " + attr + "=\"" + v
                    + "\" is not an IPv4 or IPv6 address" + (c == null ? org.portmatrix.classify.Cidr.leadingZeroHint(v) : " (a prefix, not one host's)"));
        }
        return v;
    }

    private static String trimOrNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static String clusterKey(String name, XmlTree.Element c) throws ConfigException {
        if (c.attr("UniqueId") != null) {
            return c.attr("UniqueId").toLowerCase(Locale.ROOT);
        }
        XmlTree.Element id = c.child("ClusterId");
        if (id == null || id.attr("SiteId") == null || id.attr("Number") == null) {
            throw new ConfigException(name, c.line, "a Cluster without a UniqueId or a ClusterId SiteId/Number");
        }
        return "site " + id.attr("SiteId") + " cluster " + id.attr("Number");
    }

    private static Service service(String name, XmlTree.Element s, Map<String, Pool> pools, Map<String, String> sqlInstances)
            throws ConfigException {
        XmlTree.Element sid = s.child("ServiceId");
        String role = s.attr("RoleName") != null ? s.attr("RoleName") : sid != null ? sid.attr("RoleName") : null;
        if (role == null || role.isBlank()) {
            throw new ConfigException(name, s.line, "a Service without a RoleName");
        }
        String poolKey = null;
        boolean onSql = false;
        String installedAttr = s.attr("InstalledOn");
        XmlTree.Element installed = s.child("InstalledOn");
        if (installedAttr != null) { // Topology Builder: the UniqueId of a cluster or of a SQL instance
            String k = installedAttr.toLowerCase(Locale.ROOT);
            if (pools.containsKey(k)) {
                poolKey = k;
            } else if (sqlInstances.containsKey(k)) {
                poolKey = sqlInstances.get(k);
                onSql = true;
            }
        } else if (installed != null) { // published: <ClusterId/> or <SqlInstanceId><ClusterId/></SqlInstanceId>
            XmlTree.Element cid = installed.child("ClusterId");
            XmlTree.Element sql = installed.child("SqlInstanceId");
            if (cid == null && sql != null) {
                cid = sql.child("ClusterId");
                onSql = true;
            }
            if (cid != null && cid.attr("SiteId") != null && cid.attr("Number") != null) {
                poolKey = "site " + cid.attr("SiteId") + " cluster " + cid.attr("Number");
            }
        }
        if (poolKey != null && !pools.containsKey(poolKey)) {
            throw new ConfigException(name, s.line, "service " + role + " is installed on " + poolKey + ", which is not a Cluster of the topology");
        }
        boolean director = role.equalsIgnoreCase("Director");
        for (XmlTree.Element r : s.descendants("RegistrarService")) {
            director |= "true".equalsIgnoreCase(r.attr("IsDirector"));
        }
        List<PortSpec> ports = new ArrayList<>();
        for (XmlTree.Element p : s.descendants("Port")) {
            ports.add(port(name, role, p));
        }
        return new Service(role, poolKey, onSql, director, List.copyOf(ports), s.line);
    }

    private static PortSpec port(String name, String role, XmlTree.Element p) throws ConfigException {
        String where = "service " + role + ", Port";
        if (p.attr("Port") == null) {
            throw new ConfigException(name, p.line, where + ": no Port attribute"); // (it had said Port="null" is not a port)
        }
        int port = number(name, p, "Port", -1, where);
        if (port < 1 || port > 65535) {
            throw new ConfigException(name, p.line, where + ": Port=\"" + p.attr("Port") + "\" is not a port (1-65535)");
        }
        int range = number(name, p, "Range", 0, where);
        if (range < 0) {
            throw new ConfigException(name, p.line, where + " " + port + ": Range=\"" + p.attr("Range") + "\" is negative");
        }
        if (port + Math.max(range, 1) - 1 > 65535) {
            throw new ConfigException(name, p.line, where + " " + port + ": Range=\"" + p.attr("Range") + "\" runs past port 65535");
        }
        String protocol = p.attr("Protocol");
        if (protocol == null || !PROTOCOLS.contains(protocol.toLowerCase(Locale.ROOT))) {
            throw new ConfigException(name, p.line, where + " " + port + ": unknown Protocol=\"" + protocol
                    + "\" (known: Mtls, Tls, Https, Http, Tcp, Udp, TcpOrUdp)");
        }
        int configured = number(name, p, "ConfiguredPort", -1, where);
        String owner = p.attr("Owner") == null ? "" : p.attr("Owner");
        String usage = p.attr("Usage") == null ? "" : p.attr("Usage");
        String side = p.attr("InterfaceSide") == null ? "Primary" : p.attr("InterfaceSide");
        int number = number(name, p, "InterfaceNumber", 1, where + " " + port);
        String fqdn = trimOrNull(p.attr("ConfiguredFqdn"));
        return new PortSpec(owner, usage, side, number, port, range, protocol, configured, fqdn == null ? null : fqdn.toLowerCase(Locale.ROOT), p.line);
    }

    private static int number(String name, XmlTree.Element e, String attr, int absent, String where) throws ConfigException {
        String v = e.attr(attr);
        if (v == null || v.isBlank()) {
            return absent;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException ex) {
            // (A run of digits too long for an int is a number, only too large: no port or range is.)
            boolean digits = v.trim().matches("[+-]?[0-9]+");
            throw new ConfigException(name, e.line, where + ": " + attr + "=\"" + v + "\" is "
                    + (digits ? (v.trim().startsWith("-") ? "out of range" : "too large") : "not a number"));
        }
    }
}
