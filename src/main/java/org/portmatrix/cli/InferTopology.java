package org.portmatrix.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.portmatrix.capture.PacketSource;
import org.portmatrix.classify.Catalog;
import org.portmatrix.classify.CompiledCatalog;
import org.portmatrix.classify.Roles;
import org.portmatrix.classify.Topology;
import org.portmatrix.classify.lync.RoleInference;
import org.portmatrix.classify.lync.TrafficProfile;

/**
 * {@code analyze} without {@code --topology}: a first pass over the captures (decode and flows only)
 * gathers what each host served and whom it connected to, {@link RoleInference} infers the roles, and
 * the analysis then classifies against that topology. Standard error says how many hosts were
 * inferred and lists those that were not; {@code --write-topology} writes the inferred topology.
 */
final class InferTopology {
    /** Hosts not inferred that standard error names one by one; the rest are counted (all are in --write-topology). */
    static final int LIST_ON_STDERR = 20;

    private InferTopology() {}

    static Topology run(AnalyzeOptions o, Catalog catalog, Roles roles, PrintStream err) throws IOException, UsageException {
        for (Path p : o.captures()) {
            boolean once = p.toString().equals("-") || (Files.exists(p) && !Files.isRegularFile(p) && !Files.isDirectory(p));
            if (once) { // standard input or a pipe; a missing file fails below with the usual message
                if (o.writeTopology() != null) { // asked for, it cannot be written: not a note but a usage error
                    throw new UsageException(o.writeTopology() + ": not written: roles are inferred from a first pass over the captures, and "
                            + p + " can be read only once (give capture files)");
                }
                err.println("portmatrix: roles are not inferred: " + p + " can be read only once (give --topology)");
                return Topology.empty();
            }
        }
        TrafficProfile profile = new TrafficProfile(o.flowConfig(), o.vlanInKey(), Analyzer.servicePorts(new CompiledCatalog(catalog)));
        for (PacketSource source : Main.openSources(o.captures())) { // the same sources, in the same order, as the analysis pass
            try (PacketSource s = source) {
                profile.read(s);
            }
        }
        profile.finish();
        List<RoleInference.HostRoles> hosts = RoleInference.infer(profile, catalog);
        List<String> names = o.captures().stream().map(Path::toString).toList();
        if (o.writeTopology() != null) {
            try (Main.Output output = Main.Output.open(o.writeTopology(), null)) {
                Writer w = output.writer();
                w.write(RoleInference.yaml(hosts, names));
                output.commit();
            }
        }
        List<RoleInference.HostRoles> not = hosts.stream().filter(h -> !h.inferred()).toList();
        long clients = hosts.stream().filter(h -> h.roles().equals(List.of("client"))).count();
        long servers = hosts.size() - not.size() - clients;
        err.println("portmatrix: no --topology: roles inferred from the traffic (a first pass over the captures) for "
                + n(hosts.size() - not.size()) + " of " + n(hosts.size()) + " hosts (" + n(servers) + " servers, " + n(clients) + " clients)"
                + (o.writeTopology() != null ? "; written to " + o.writeTopology() : "; --write-topology FILE writes them"));
        for (RoleInference.HostRoles h : hosts) {
            if (h.inferred() && !h.roles().equals(List.of("client"))) {
                err.println("  " + h.note());
            }
        }
        if (profile.flowsNotProfiled() > 0) {
            err.println("portmatrix: " + n(profile.flowsNotProfiled()) + " flows of hosts beyond the first " + n(TrafficProfile.MAX_HOSTS)
                    + " were not profiled; those hosts are unknown");
        }
        if (!not.isEmpty()) {
            err.println("portmatrix: roles not inferred for " + n(not.size()) + (not.size() == 1 ? " host" : " hosts")
                    + " (their flows are unknown_host):");
            List<String> lines = new ArrayList<>();
            for (RoleInference.HostRoles h : not) {
                lines.add("  " + h.address() + ": " + h.evidence());
            }
            lines.stream().limit(LIST_ON_STDERR).forEach(err::println);
            if (lines.size() > LIST_ON_STDERR) {
                err.println("  and " + n(lines.size() - LIST_ON_STDERR) + " more" + (o.writeTopology() != null ? " (listed in " + o.writeTopology() + ")" : ""));
            }
        }
        return RoleInference.topology(hosts, roles, "inferred from traffic (" + n(hosts.size() - not.size()) + " of " + n(hosts.size())
                + " hosts; no --topology)");
    }

    /** A count as the reports write counts ("1,694"): the header's "inferred from traffic (1694 of 1695 hosts ...)" had none. */
    private static String n(long v) {
        return org.portmatrix.report.TextReport.n(v);
    }
}
