package org.portmatrix.classify.lync;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.portmatrix.classify.Catalog;
import org.portmatrix.classify.Cidr;
import org.portmatrix.classify.ConfigException;

/**
 * {@code portmatrix topology import}: reads a Lync Server 2013 topology (published XML or Topology
 * Builder .tbxml), resolves the machines that the topology lists as {@code 0.0.0.0} from a hosts
 * file and from the DNS answers inside captures, and writes the project's topology YAML with a
 * comment naming the machine and pool of every address.
 */
public final class TopologyImporter {
    private TopologyImporter() {}

    /**
     * The outcome of an import.
     *
     * @param yaml the topology file's text
     * @param unresolved names that stayed without an address ("fqdn (what it is)")
     * @param addresses addresses written
     * @param ports port overrides written
     * @param notes lines for standard error (DNS answers read, damaged captures)
     * @param damaged whether a capture of {@code --resolve-from} was damaged (read up to the damage: exit status 3)
     */
    public record Result(String yaml, List<String> unresolved, int addresses, int ports, List<String> notes, boolean damaged) {}

    /** Said on standard error after an import: a Lync topology has no client role (a comment in the file says it too). */
    public static final String NO_CLIENTS = "a Lync topology lists no clients: add your client subnets to the file (client: [10.2.0.0/16]),"
            + " or their flows are unknown_host";

    public static Result run(Path topologyXml, Path hostsCsv, List<Path> resolveFrom, Catalog catalog)
            throws ConfigException, IOException {
        LyncTopology topo = LyncTopology.read(topologyXml);
        Map<String, Integer> hostLines = new java.util.HashMap<>();
        Map<String, Set<Cidr>> hosts = hostsCsv == null ? Map.of() : HostsFile.read(hostsCsv, hostLines);
        List<DnsAnswers> dns = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        boolean damaged = false;
        for (Path p : resolveFrom) {
            DnsAnswers d = DnsAnswers.read(p);
            dns.add(d);
            damaged |= d.damage() != null;
            notes.add(p + ": " + d.responses() + " DNS responses, " + d.all().size() + " names with addresses"
                    + (d.malformed() > 0 ? ", " + d.malformed() + " malformed messages skipped" : "")
                    + (d.damage() != null ? "; damaged capture, read up to the damage: " + d.damage() : ""));
        }
        Set<String> asked = new java.util.HashSet<>();
        TopologyImport.Resolver resolver = fqdn -> {
            Map<Cidr, String> out = new LinkedHashMap<>();
            String n = HostsFile.normalize(fqdn);
            asked.add(n);
            for (Cidr c : hosts.getOrDefault(n, Set.of())) {
                out.putIfAbsent(c, "from " + hostsCsv.getFileName());
            }
            for (int i = 0; i < dns.size(); i++) {
                for (Cidr c : dns.get(i).resolve(n)) {
                    out.putIfAbsent(c, "DNS answer in " + resolveFrom.get(i).getFileName());
                }
            }
            return out;
        };
        TopologyImport imp = TopologyImport.run(topo, resolver, catalog);
        // The names asked for and left without an address, that a hosts row no machine asks for may be one or two slips from
        // (sorted: the same name each run when two are as near).
        java.util.TreeSet<String> unmapped = new java.util.TreeSet<>(asked);
        unmapped.removeAll(hosts.keySet());
        for (String name : hosts.keySet()) {
            if (!asked.contains(name)) { // a typo of a machine's name, or a host of another topology
                String meant = org.portmatrix.classify.Spelling.nearest(name, unmapped, 2);
                notes.add(hostsCsv + ": line " + hostLines.get(name) + ": " + name + " is not a machine or pool of the topology that needs an address"
                        + (meant != null ? " (did you mean " + meant + "?)" : "") + "; not used");
            }
        }

        TopologyYaml y = new TopologyYaml();
        y.comment("Topology imported by portmatrix from " + topologyXml.getFileName() + " (Lync Server 2013 " + topo.format + ").");
        List<String> sources = new ArrayList<>();
        if (hostsCsv != null) {
            sources.add(hostsCsv.getFileName() + " (hosts file)");
        }
        for (Path p : resolveFrom) {
            sources.add(p.getFileName() + " (DNS answers in the capture)");
        }
        y.comment("Each address names its machine and pool. Machines listed as 0.0.0.0 resolved from: "
                + (sources.isEmpty() ? "nothing (give --hosts or --resolve-from)" : String.join(", ", sources)) + ".");
        y.comment("Roles outside the catalog (edge-external, sql-backend, file-store) match no catalog rule; 'ports:' lists the");
        y.comment("ports this deployment configured that the catalog does not document for the role, or moved from it.");
        y.comment("A Lync topology lists no clients: add your client subnets below (client: [10.2.0.0/16]), or their flows are unknown_host.");
        List<String> unresolved = new ArrayList<>();
        for (String kind : List.of("machine", "interface", "pool", "external")) {
            List<TopologyImport.Unresolved> of = imp.unresolved.stream().filter(u -> u.kind().equals(kind)).toList();
            if (of.isEmpty()) {
                continue;
            }
            y.comment(switch (kind) {
                case "machine" -> "Machines without an address (resolve them with --hosts or --resolve-from; they are not below):";
                case "interface" -> "Interfaces without an address:";
                case "pool" -> "Pool names not resolved (a pool's load balancer address, if it has one, is not below):";
                default -> "External names of Edge pools not resolved, or resolved to another role's address (an external load balancer's"
                        + " address, if there is one, is not below):";
            });
            for (TopologyImport.Unresolved u : of) {
                y.comment("  " + u);
                unresolved.add(u.toString());
            }
        }
        if (!imp.carriedServices.isEmpty()) {
            List<String> carried = new ArrayList<>();
            imp.carriedServices.forEach((service, on) -> carried.add(service + " (" + String.join(", ", on) + ")"));
            y.comment("Services with no role of their own in the port matrix, installed on a pool that has one: their ports are");
            y.comment("  that role's (in 'ports:' where the catalog does not document them): " + String.join("; ", carried) + ".");
        }
        if (!imp.ignoredServices.isEmpty()) {
            List<String> ignored = new ArrayList<>();
            imp.ignoredServices.forEach((service, on) -> ignored.add(service + " (on " + String.join(", ", on) + ")"));
            y.comment("Services with no role in the port matrix, on no pool that has one (their ports are not used): "
                    + String.join("; ", ignored) + ".");
        }
        Map<String, List<TopologyYaml.Address>> roles = new LinkedHashMap<>();
        for (Map.Entry<String, List<TopologyImport.HostEntry>> e : imp.byRole().entrySet()) {
            List<TopologyYaml.Address> list = new ArrayList<>();
            for (TopologyImport.HostEntry h : e.getValue()) {
                list.add(new TopologyYaml.Address(h.address, h.comment()));
            }
            roles.put(e.getKey(), list);
        }
        y.roles(roles).ports(imp.ports);
        return new Result(y.toString(), List.copyOf(unresolved), imp.hosts.size(), imp.ports.size(), notes, damaged);
    }
}
