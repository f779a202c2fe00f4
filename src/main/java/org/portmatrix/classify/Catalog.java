package org.portmatrix.classify;

import static org.portmatrix.classify.YamlFile.line;
import static org.portmatrix.classify.YamlFile.mapping;
import static org.portmatrix.classify.YamlFile.scalar;
import static org.portmatrix.classify.YamlFile.scalars;
import static org.portmatrix.classify.YamlFile.sequence;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.Node;

/**
 * The port catalog: every rule of the documented matrix, each citing the seed rows it comes from.
 * The built-in catalog is the resource {@code catalog.yaml} beside this class; {@code --catalog}
 * replaces it with a user's file of the same shape.
 */
public final class Catalog {
    public static final String BUILT_IN = "catalog.yaml";
    /** The built-in catalog's name in messages and reports. */
    public static final String BUILT_IN_NAME = "built-in catalog";
    // (In a fixed order: the messages list them, and Set.of's order changes from run to run.)
    private static final Set<String> TOP_KEYS = keys("version", "roles", "role_groups", "rules");
    private static final Set<String> RULE_KEYS = keys("id", "src", "dst", "transport", "port", "protocol",
            "service", "note", "reading", "cite");
    private static final Set<String> CITE_KEYS = keys("doc", "table", "row");

    /** The keys, in the order given (for messages that list them). */
    public static Set<String> keys(String... names) {
        return java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(java.util.Arrays.asList(names)));
    }

    /** What the message of an unknown key adds when the key is one of {@code catalog --format json}'s names. */
    private static String jsonHint(String key) {
        return switch (key) {
            case "source", "src_roles", "dst_roles", "port_min", "port_max", "citation", "document" -> "; a catalog file has catalog.yaml's keys, not the"
                    + " names of `portmatrix catalog --format json`";
            default -> "";
        };
    }

    private final String source;
    private final Roles roles;
    private final List<Rule> rules;
    private final Map<String, List<String>> groups;

    private Catalog(String source, Roles roles, List<Rule> rules, Map<String, List<String>> groups) {
        this.source = source;
        this.roles = roles;
        this.rules = Collections.unmodifiableList(rules);
        this.groups = groups;
    }

    /**
     * The built-in catalog: from its binary form when that was made from the YAML beside it (see
     * {@link CatalogBinary}), else parsed from the YAML.
     */
    public static Catalog builtIn(Roles roles) throws ConfigException {
        try {
            byte[] yaml = CatalogBinary.resource(BUILT_IN);
            if (yaml == null) {
                throw new ConfigException(BUILT_IN_NAME, 0, "missing from the jar");
            }
            byte[] bin = CatalogBinary.resource(CatalogBinary.RESOURCE);
            Catalog c = bin == null ? null : CatalogBinary.read(bin, yaml, roles);
            if (c != null) {
                return c;
            }
            return parse(BUILT_IN_NAME, YamlFile.load(BUILT_IN_NAME, new java.io.ByteArrayInputStream(yaml)), roles);
        } catch (IOException e) {
            throw new ConfigException(BUILT_IN_NAME, 0, e.getMessage());
        }
    }

    static Catalog of(String source, Roles roles, List<Rule> rules, Map<String, List<String>> groups) {
        return new Catalog(source, roles, rules, groups);
    }

    public static Catalog load(Path file, Roles roles) throws ConfigException {
        String name = file.toString();
        return parse(name, YamlFile.load(name, file), roles);
    }

    static Catalog parse(String file, Node root, Roles roles) throws ConfigException {
        Map<String, Node> top = mapping(file, root, "the catalog");
        for (Map.Entry<String, Node> e : top.entrySet()) {
            if (!TOP_KEYS.contains(e.getKey())) {
                throw new ConfigException(file, line(e.getValue()), "unknown key '" + e.getKey() + "' (expected one of " + TOP_KEYS + ")"
                        + jsonHint(e.getKey()));
            }
        }
        if (top.containsKey("roles")) {
            for (Node n : sequence(file, top.get("roles"), "roles")) {
                String r = scalar(file, n, "a role");
                if (!Roles.validId(r)) {
                    throw new ConfigException(file, line(n), "invalid role id '" + r + "' (lowercase letters, digits, '-' and '_')");
                }
                if (roles.add(r) < 0) {
                    throw new ConfigException(file, line(n), "more than " + Roles.MAX_ROLES + " roles");
                }
            }
        }
        Map<String, List<String>> groups = new LinkedHashMap<>();
        if (top.containsKey("role_groups")) {
            for (Map.Entry<String, Node> g : mapping(file, top.get("role_groups"), "role_groups").entrySet()) {
                List<String> members = new ArrayList<>();
                for (Node n : sequence(file, g.getValue(), "role group " + g.getKey())) {
                    String r = scalar(file, n, "a role");
                    if (roles.bit(r) < 0) {
                        throw new ConfigException(file, line(n), "unknown role '" + r + "' in role group '" + g.getKey() + "'");
                    }
                    members.add(r);
                }
                groups.put(g.getKey(), members);
            }
        }
        Node rulesNode = top.get("rules");
        if (rulesNode == null) {
            throw new ConfigException(file, line(root), "no 'rules' list");
        }
        List<Rule> rules = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (Node rn : sequence(file, rulesNode, "rules")) {
            Rule r = parseRule(file, rn, rules.size(), roles, groups);
            if (!ids.add(r.id())) {
                throw new ConfigException(file, line(rn), "duplicate rule id '" + r.id() + "'");
            }
            rules.add(r);
        }
        return new Catalog(file, roles, rules, groups);
    }

    private static Rule parseRule(String file, Node rn, int index, Roles roles, Map<String, List<String>> groups)
            throws ConfigException {
        int ln = line(rn);
        Map<String, Node> m = mapping(file, rn, "a rule");
        for (Map.Entry<String, Node> e : m.entrySet()) {
            if (!RULE_KEYS.contains(e.getKey())) {
                throw new ConfigException(file, line(e.getValue()), "unknown key '" + e.getKey() + "' in a rule (expected one of " + RULE_KEYS + ")"
                        + jsonHint(e.getKey()));
            }
        }
        String id = required(file, m, "id", ln);
        String where = "rule '" + id + "'";
        if (!id.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new ConfigException(file, line(m.get("id")), "invalid rule id '" + id + "'");
        }
        Node srcNode = m.get("src");
        Node dstNode = m.get("dst");
        if (srcNode == null || dstNode == null) {
            throw new ConfigException(file, ln, where + ": 'src' and 'dst' are required");
        }
        RoleSet src = roleSet(file, srcNode, where + " src", roles, groups);
        RoleSet dst = roleSet(file, dstNode, where + " dst", roles, groups);
        String t = required(file, m, "transport", ln);
        int transport = switch (t.toLowerCase(java.util.Locale.ROOT)) {
            case "tcp" -> 6;
            case "udp" -> 17;
            default -> throw new ConfigException(file, line(m.get("transport")), where + ": transport '" + t + "' is neither tcp nor udp");
        };
        String portText = required(file, m, "port", ln);
        int[] range = parsePortRange(file, line(m.get("port")), where, portText);
        String p = required(file, m, "protocol", ln);
        RuleProtocol protocol = RuleProtocol.parse(p);
        if (protocol == null) {
            throw new ConfigException(file, line(m.get("protocol")), where + ": unknown protocol '" + p + "' (known: "
                    + java.util.Arrays.stream(RuleProtocol.values()).map(RuleProtocol::id).toList() + ")");
        }
        String service = optional(file, m, "service");
        String note = optional(file, m, "note");
        String reading = optional(file, m, "reading");
        List<Citation> cites = new ArrayList<>();
        if (m.containsKey("cite")) {
            for (Node cn : sequence(file, m.get("cite"), where + " cite")) {
                Map<String, Node> c = mapping(file, cn, "a citation");
                for (String k : c.keySet()) {
                    if (!CITE_KEYS.contains(k)) {
                        throw new ConfigException(file, line(cn), where + ": unknown citation key '" + k + "' (expected one of " + CITE_KEYS + ")"
                                + jsonHint(k));
                    }
                }
                String doc = required(file, c, "doc", line(cn));
                String table = required(file, c, "table", line(cn));
                String rowText = required(file, c, "row", line(cn));
                int row;
                try {
                    row = Integer.parseInt(rowText);
                } catch (NumberFormatException e) {
                    throw new ConfigException(file, line(c.get("row")), where + ": citation row '" + rowText + "' is not a number");
                }
                cites.add(new Citation(doc, table, row));
            }
        }
        return new Rule(index, id, src.names, src.mask, src.any, dst.names, dst.mask, dst.any, transport, range[0], range[1],
                protocol, service, note, reading, List.copyOf(cites), ln);
    }

    static int[] parsePortRange(String file, int line, String where, String text) throws ConfigException {
        String s = text.trim();
        int dash = s.indexOf('-');
        try {
            int lo = Integer.parseInt(dash < 0 ? s : s.substring(0, dash).trim());
            int hi = dash < 0 ? lo : Integer.parseInt(s.substring(dash + 1).trim());
            if (lo < 1 || hi > 65535 || lo > hi) {
                throw new ConfigException(file, line, where + ": port " + text + " out of range (1-65535, low before high)");
            }
            return new int[] {lo, hi};
        } catch (NumberFormatException e) {
            throw new ConfigException(file, line, where + ": port '" + text + "' is not a port or a range like 49152-65535");
        }
    }

    private record RoleSet(List<String> names, long mask, boolean any) {}

    private static RoleSet roleSet(String file, Node n, String where, Roles roles, Map<String, List<String>> groups)
            throws ConfigException {
        Set<String> names = new LinkedHashSet<>();
        boolean any = false;
        for (Node e : sequence(file, n, where)) {
            String r = scalar(file, e, where);
            if (r.equals("any")) {
                any = true;
            } else if (groups.containsKey(r)) {
                names.addAll(groups.get(r));
            } else if (roles.bit(r) >= 0) {
                names.add(r);
            } else {
                throw new ConfigException(file, line(e), where + ": unknown role '" + r + "'");
            }
        }
        long mask = 0;
        for (String r : names) {
            mask |= 1L << roles.bit(r);
        }
        return new RoleSet(List.copyOf(names), mask, any);
    }

    private static String required(String file, Map<String, Node> m, String key, int line) throws ConfigException {
        Node n = m.get(key);
        if (n == null) {
            throw new ConfigException(file, line, "missing '" + key + "'");
        }
        return scalar(file, n, "'" + key + "'");
    }

    private static String optional(String file, Map<String, Node> m, String key) throws ConfigException {
        Node n = m.get(key);
        return n == null ? null : scalar(file, n, "'" + key + "'");
    }

    public String source() {
        return source;
    }

    public Roles roles() {
        return roles;
    }

    public List<Rule> rules() {
        return rules;
    }

    public Map<String, List<String>> groups() {
        return groups;
    }
}
