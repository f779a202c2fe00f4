package org.portmatrix.cli;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.portmatrix.classify.Catalog;
import org.portmatrix.classify.Citation;
import org.portmatrix.classify.ConfigException;
import org.portmatrix.classify.Roles;
import org.portmatrix.classify.Rule;

/** {@code portmatrix catalog [--format text|json] [--catalog FILE]}: every rule with its citation. */
final class CatalogCommand {
    static final List<String> FORMATS = List.of("text", "json");

    private CatalogCommand() {}

    static Options options() {
        Options o = new Options();
        o.addOption(Option.builder("f").longOpt("format").hasArg().argName("FORMAT").desc("text or json (default text)").get());
        o.addOption(Option.builder().longOpt("catalog").hasArg().argName("FILE")
                .desc("print this catalog file instead of the built-in one (checks it, too)").get());
        return o;
    }

    static int run(String[] args, PrintStream out) throws UsageException, ConfigException, IOException {
        if (Help.asked(args)) {
            Help.print(out, "portmatrix catalog", "Print every rule of the port catalog with the rows of the Lync Server 2013 documents it cites.",
                    options(), "Exit status: 0 done, 2 usage error or a catalog file that cannot be read or is not valid.");
            return ExitStatus.OK;
        }
        CommandLine cl = Main.parse("catalog", options(), args, java.util.Set.of(), false);
        if (!cl.getArgList().isEmpty()) {
            throw new UsageException("catalog: unexpected argument '" + cl.getArgList().get(0) + "'");
        }
        String format = cl.getOptionValue("format", "text");
        if (!FORMATS.contains(format)) {
            throw new UsageException("catalog: unknown format '" + format + "' (formats: text, json)");
        }
        Roles roles = new Roles();
        Catalog catalog = cl.hasOption("catalog") ? Catalog.load(Path.of(cl.getOptionValue("catalog")), roles) : Catalog.builtIn(roles);
        if (format.equals("json")) {
            json(catalog, out);
        } else {
            text(catalog, out);
        }
        return ExitStatus.OK;
    }

    static Map<String, Object> ruleMap(Rule r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("src_roles", r.srcAny() ? List.of("any") : r.srcRoles());
        m.put("dst_roles", r.dstAny() ? List.of("any") : r.dstRoles());
        m.put("transport", r.transportName());
        m.put("port_min", r.portMin());
        m.put("port_max", r.portMax());
        m.put("protocol", r.protocol().id());
        m.put("service", r.service());
        m.put("note", r.note());
        m.put("reading", r.reading());
        List<Map<String, Object>> cites = new ArrayList<>();
        for (Citation c : r.citations()) {
            Map<String, Object> cm = new LinkedHashMap<>();
            cm.put("document", c.document());
            cm.put("table", c.table());
            cm.put("row", c.row());
            cites.add(cm);
        }
        m.put("citation", cites.size() == 1 ? cites.get(0) : cites);
        return m;
    }

    private static void json(Catalog catalog, PrintStream out) throws IOException {
        List<Map<String, Object>> rules = new ArrayList<>();
        for (Rule r : catalog.rules()) {
            rules.add(ruleMap(r));
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("source", catalog.source());
        root.put("role_groups", catalog.groups());
        root.put("rules", rules);
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter().withArrayIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE);
        out.println(new ObjectMapper().writer(pp).writeValueAsString(root));
    }

    private static void text(Catalog catalog, PrintStream out) {
        out.printf("%d rules (%s)%n%n", catalog.rules().size(), catalog.source());
        for (Rule r : catalog.rules()) {
            out.printf("%-40s %s %-11s %-6s %s -> %s%n", r.id(), r.transportName(), r.portText(), r.protocol().id(),
                    r.srcAny() ? "any" : String.join(",", r.srcRoles()), r.dstAny() ? "any" : String.join(",", r.dstRoles()));
            if (r.service() != null && !r.service().isBlank()) {
                out.printf("    service: %s%n", r.service());
            }
            if (r.note() != null && !r.note().isBlank()) {
                out.printf("    note:    %s%n", r.note());
            }
            if (r.reading() != null && !r.reading().isBlank()) {
                out.printf("    reading: %s%n", r.reading());
            }
            for (Citation c : r.citations()) {
                out.printf("    seed:    %s, \"%s\", row %d%n", c.document(), c.table(), c.row());
            }
        }
    }
}
