package org.portmatrix.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.portmatrix.classify.Catalog;
import org.portmatrix.classify.ConfigException;
import org.portmatrix.classify.Roles;
import org.portmatrix.classify.lync.TopologyImporter;

/**
 * {@code portmatrix topology import TOPOLOGY.xml [--hosts FILE.csv] [--resolve-from CAPTURE]...
 * [--output FILE]}: the Lync topology (published XML or Topology Builder .tbxml) as a topology file.
 */
final class TopologyCommand {
    private TopologyCommand() {}

    /**
     * The options of {@code topology import}.
     *
     * @param topology the Lync topology XML or .tbxml
     * @param hosts a CSV of fqdn,address, or null
     * @param resolveFrom captures whose DNS answers resolve names (never DNS itself)
     * @param output the topology file to write, or null for standard output
     * @param catalog a catalog file replacing the built-in one (to compare ports with), or null
     */
    record ImportOptions(Path topology, Path hosts, List<Path> resolveFrom, Path output, Path catalog) {}

    static Options importOptions() {
        Options o = new Options();
        o.addOption(Option.builder().longOpt("hosts").hasArg().argName("FILE.csv")
                .desc("names and addresses (CSV: fqdn,address) for machines the topology lists as 0.0.0.0, pool names"
                        + " (load balancers) and Edge external names (ConfiguredFqdn)").get());
        o.addOption(Option.builder().longOpt("resolve-from").hasArg().argName("CAPTURE")
                .desc("resolve names from the DNS answers inside this capture (repeatable; DNS itself is never asked)").get());
        o.addOption(Option.builder("o").longOpt("output").hasArg().argName("FILE")
                .desc("write the topology to FILE instead of standard output").get());
        o.addOption(Option.builder().longOpt("catalog").hasArg().argName("FILE")
                .desc("compare the topology's ports with this catalog instead of the built-in one").get());
        return o;
    }

    static ImportOptions parseImport(String[] args) throws UsageException {
        CommandLine cl = Main.parse("topology import", importOptions(), args, java.util.Set.of("resolve-from"), true);
        List<String> rest = cl.getArgList();
        if (rest.size() != 1) {
            throw new UsageException("topology import: " + (rest.isEmpty() ? "no topology file given" : "one topology file only, got " + rest)
                    + " (portmatrix topology import TOPOLOGY.xml [--hosts FILE.csv] [--resolve-from CAPTURE] [--output FILE])");
        }
        List<Path> resolve = new ArrayList<>();
        for (String s : cl.getOptionValues("resolve-from") == null ? new String[0] : cl.getOptionValues("resolve-from")) {
            resolve.add(Path.of(s));
        }
        return new ImportOptions(Path.of(rest.get(0)), path(cl.getOptionValue("hosts")), List.copyOf(resolve),
                Main.outputPath(cl.getOptionValue("output")), path(cl.getOptionValue("catalog")));
    }

    private static Path path(String s) {
        return s == null ? null : Path.of(s);
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws UsageException, ConfigException, IOException {
        if (args.length == 0) {
            throw new UsageException("topology: no subcommand given (subcommands: import; `portmatrix topology help` shows its options)");
        }
        if (args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
            usage(out);
            return ExitStatus.OK;
        }
        if (!args[0].equals("import")) {
            throw new UsageException("topology: unknown subcommand '" + args[0] + "' (subcommands: import)");
        }
        String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        if (Help.asked(rest)) {
            usage(out);
            return ExitStatus.OK;
        }
        ImportOptions o = parseImport(rest);
        List<Path> inputs = new ArrayList<>(o.resolveFrom());
        java.util.Collections.addAll(inputs, o.topology(), o.hosts(), o.catalog());
        Main.writable(o.output(), false, "cannot write output"); // before the captures of --resolve-from are read
        Main.notAnInput(o.output(), inputs); // written over, the input would be gone (the file is replaced once the import is done)
        Roles roles = new Roles();
        Catalog catalog = o.catalog() == null ? Catalog.builtIn(roles) : Catalog.load(o.catalog(), roles);
        TopologyImporter.Result r = TopologyImporter.run(o.topology(), o.hosts(), o.resolveFrom(), catalog);
        try (Main.Output output = Main.Output.open(o.output(), out)) {
            Writer w = output.writer();
            w.write(r.yaml());
            output.commit();
        }
        for (String n : r.notes()) {
            err.println("portmatrix: " + n);
        }
        err.println("portmatrix: topology import: " + r.addresses() + (r.addresses() == 1 ? " address, " : " addresses, ") + r.ports()
                + (r.ports() == 1 ? " port override" : " port overrides") + (o.output() != null ? " written to " + o.output() : ""));
        if (!r.unresolved().isEmpty()) {
            boolean one = r.unresolved().size() == 1;
            err.println("portmatrix: topology import: " + r.unresolved().size() + (one ? " name" : " names")
                    + " without an address (listed in the file's comments too):");
            for (String u : r.unresolved()) {
                err.println("  " + u);
            }
            err.println("portmatrix: topology import: to map " + (one ? "it" : "them") + ", give "
                    + (one ? "its address" : "their addresses") + " as fqdn,address rows of --hosts FILE.csv,"
                    + " or --resolve-from a capture holding " + (one ? "its" : "their") + " DNS answers, and import again"
                    + (r.unresolved().stream().anyMatch(u -> u.contains("(pool of ")) ? " (a pool name needs one only when a load balancer holds it)" : ""));
        }
        err.println("portmatrix: topology import: " + TopologyImporter.NO_CLIENTS); // (every client flow had been unknown_host without a word)
        // A damaged capture of --resolve-from was read up to its damage (its note says where): the topology is
        // written, and the status says so, as analyze's does for a damaged capture.
        return r.damaged() ? ExitStatus.DAMAGED : ExitStatus.OK;
    }

    static void usage(PrintStream to) {
        Help.print(to, "portmatrix topology import TOPOLOGY.xml",
                "Turn a Lync Server 2013 topology ((Get-CsTopology -AsXml).ToString(), or Topology Builder's .tbxml) into a topology file.",
                importOptions(), "Machines listed as 0.0.0.0 need --hosts or --resolve-from; names left without an address are listed. Exit status: "
                        + "0 done, 2 usage error or an input that cannot be read, 3 a capture of --resolve-from damaged but read (the topology is written).");
    }
}
