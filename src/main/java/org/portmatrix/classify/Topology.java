package org.portmatrix.classify;

import static org.portmatrix.classify.YamlFile.line;
import static org.portmatrix.classify.YamlFile.mapping;
import static org.portmatrix.classify.YamlFile.scalar;
import static org.portmatrix.classify.YamlFile.sequence;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Which addresses hold which roles. The file (YAML; JSON is accepted) maps role ids to lists of
 * CIDRs or addresses: {@code roles: {front-end: [10.1.1.0/24], ...}}. Roles the catalog does not
 * know are added to the vocabulary and match no rule.
 */
public final class Topology {
    private static final Set<String> TOP_KEYS = Set.of("roles");

    private final String source;
    private final Map<String, List<Cidr>> roles;
    private final AddressRoles lookup;

    public Topology(String source, Map<String, List<Cidr>> roles, Roles vocabulary) {
        this.source = source;
        this.roles = roles;
        List<Cidr> prefixes = new ArrayList<>();
        List<Long> sets = new ArrayList<>();
        for (Map.Entry<String, List<Cidr>> e : roles.entrySet()) {
            long bit = 1L << vocabulary.bit(e.getKey());
            for (Cidr c : e.getValue()) {
                prefixes.add(c);
                sets.add(bit);
            }
        }
        this.lookup = new AddressRoles(prefixes, sets);
    }

    /** An empty topology: every host is unknown. */
    public static Topology empty() {
        return new Topology("(none)", Map.of(), new Roles());
    }

    public static Topology load(Path file, Roles vocabulary) throws ConfigException {
        String name = file.toString();
        Node root = YamlFile.load(name, file);
        Map<String, Node> top = mapping(name, root, "the topology");
        for (Map.Entry<String, Node> e : top.entrySet()) {
            if (!TOP_KEYS.contains(e.getKey())) {
                throw new ConfigException(name, line(e.getValue()), "unknown key '" + e.getKey() + "' (expected 'roles')");
            }
        }
        Node rolesNode = top.get("roles");
        if (rolesNode == null) {
            throw new ConfigException(name, line(root), "no 'roles' mapping (roles: {front-end: [10.1.1.0/24], ...})");
        }
        Map<String, List<Cidr>> roles = new LinkedHashMap<>();
        for (Map.Entry<String, Node> e : mapping(name, rolesNode, "roles").entrySet()) {
            String role = e.getKey();
            if (!Roles.validId(role)) {
                throw new ConfigException(name, line(e.getValue()), "invalid role id '" + role + "' (lowercase letters, digits, '-' and '_')");
            }
            if (vocabulary.add(role) < 0) {
                throw new ConfigException(name, line(e.getValue()), "more than " + Roles.MAX_ROLES + " roles");
            }
            List<Cidr> cidrs = new ArrayList<>();
            if (!(e.getValue() instanceof org.yaml.snakeyaml.nodes.ScalarNode s && s.getValue().isEmpty())) {
                for (Node n : sequence(name, e.getValue(), "role '" + role + "'")) {
                    String text = scalar(name, n, "an address of role '" + role + "'");
                    Cidr c = Cidr.parse(text);
                    if (c == null) {
                        throw new ConfigException(name, line(n), "role '" + role + "': '" + text + "' is not an address or CIDR (like 10.1.1.0/24 or fd00::/64)");
                    }
                    cidrs.add(c);
                }
            }
            roles.put(role, cidrs);
        }
        return new Topology(name, roles, vocabulary);
    }

    public String source() {
        return source;
    }

    public Map<String, List<Cidr>> roles() {
        return roles;
    }

    /** The roles of an address (held as two longs, IPv4 mapped), or 0 when outside the topology. */
    public long rolesOf(long hi, long lo) {
        return lookup.lookup(hi, lo);
    }
}
