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
 *
 * <p>An optional {@code ports:} list names ports this deployment configured differently from the
 * catalog (written by {@code portmatrix topology import}): {@code - {role: pstn-gateway, transport: tcp,
 * port: 5067, protocol: tls, instead_of: [5081], hosts: [10.1.6.11], from: [mediation], note: "..."}}; see {@link PortOverride}.
 */
public final class Topology {
    private static final Set<String> TOP_KEYS = Catalog.keys("roles", "ports");
    private static final Set<String> PORT_KEYS = Catalog.keys("role", "transport", "port", "protocol", "instead_of", "hosts", "from", "note");

    private final String source;
    private final Map<String, List<Cidr>> roles;
    private final AddressRoles lookup;
    private final List<PortOverride> ports;
    private final PortOverride[] portArray;
    private final String inferred;
    private final Map<String, String> hostNotes;
    /** What looks like a mistake in the file but is not an error (set by {@link #load}). */
    private List<String> warnings = List.of();

    public Topology(String source, Map<String, List<Cidr>> roles, Roles vocabulary) {
        this(source, roles, List.of(), vocabulary, null, Map.of());
    }

    /**
     * @param ports port overrides (see {@link PortOverride})
     * @param inferred null for a topology the user gave; else how it was inferred, which every verdict's reason then says
     * @param hostNotes for an inferred topology: address text to a short note (roles and confidence) quoted in reasons
     */
    public Topology(String source, Map<String, List<Cidr>> roles, List<PortOverride> ports, Roles vocabulary,
                    String inferred, Map<String, String> hostNotes) {
        this.source = source;
        this.roles = roles;
        this.ports = List.copyOf(ports);
        this.portArray = this.ports.toArray(new PortOverride[0]);
        this.inferred = inferred;
        this.hostNotes = hostNotes;
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
        return load(read(file), vocabulary);
    }

    /** A topology file read and parsed as YAML, not yet checked against a catalog's roles. */
    public static final class Parsed {
        private final String name;
        private final Node root;

        private Parsed(String name, Node root) {
            this.name = name;
            this.root = root;
        }
    }

    /**
     * Reads and parses the file, which needs no catalog: {@code analyze} does it on a thread of its own
     * while the catalog is read (SnakeYAML's cold start and the parse took 10-25 ms of the set-up).
     */
    public static Parsed read(Path file) throws ConfigException {
        String name = file.toString();
        Node root;
        try {
            root = YamlFile.load(name, file);
        } catch (ConfigException e) {
            if (startsLikeXml(file)) { // a Lync topology given to analyze as it is: "malformed YAML: mapping values are not allowed here"
                throw xml(name);
            }
            throw e;
        }
        if (!(root instanceof org.yaml.snakeyaml.nodes.MappingNode) && startsLikeXml(file)) {
            // An XML file without a ': ' in it is one plain YAML scalar (Topology Builder's sfbautomatedlab-contoso.tbxml):
            // it had been refused as "the topology must be a mapping"
            throw xml(name);
        }
        return new Parsed(name, root);
    }

    private static ConfigException xml(String name) {
        return new ConfigException(name, 1, "an XML file, not a topology file (YAML or JSON); a Lync topology (Get-CsTopology -AsXml,"
                + " or Topology Builder's .tbxml) is turned into one by: portmatrix topology import " + name + " --output topology.yaml");
    }

    /** Whether the file's first characters, past a byte-order mark and white space, are '<' (read only after a refusal). */
    private static boolean startsLikeXml(Path file) {
        byte[] head = new byte[256];
        int n;
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
        java.nio.charset.Charset cs = n >= 2 && (head[0] & 0xff) == 0xff && (head[1] & 0xff) == 0xfe ? java.nio.charset.StandardCharsets.UTF_16LE
                : n >= 2 && (head[0] & 0xff) == 0xfe && (head[1] & 0xff) == 0xff ? java.nio.charset.StandardCharsets.UTF_16BE
                : java.nio.charset.StandardCharsets.UTF_8;
        String text = new String(head, 0, n, cs).replace("\uFEFF", "").stripLeading();
        return text.startsWith("<");
    }

    /** The topology of a file {@link #read}, its roles added to the catalog's {@code vocabulary}. */
    public static Topology load(Parsed parsed, Roles vocabulary) throws ConfigException {
        String name = parsed.name;
        Node root = parsed.root;
        Map<String, Node> top = mapping(name, root, "the topology");
        for (Map.Entry<String, Node> e : top.entrySet()) {
            if (!TOP_KEYS.contains(e.getKey())) {
                throw new ConfigException(name, line(e.getValue()), "unknown key '" + e.getKey() + "' (expected 'roles' or 'ports')");
            }
        }
        Node rolesNode = top.get("roles");
        if (rolesNode == null) {
            throw new ConfigException(name, line(root), "no 'roles' mapping (roles: {front-end: [10.1.1.0/24], ...})");
        }
        Map<String, List<Cidr>> roles = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        int known = vocabulary.size(); // the catalog's roles: a misspelt role is compared with these, not with the file's own
        for (Map.Entry<String, Node> e : mapping(name, rolesNode, "roles").entrySet()) {
            String role = e.getKey();
            if (!Roles.validId(role)) {
                throw new ConfigException(name, line(e.getValue()), "invalid role id '" + role + "' (lowercase letters, digits, '-' and '_')");
            }
            String meant = vocabulary.bit(role) < 0 ? likelyMeant(role, vocabulary, known) : null;
            if (meant != null) {
                warnings.add(name + ": line " + line(e.getValue()) + ": role '" + role + "' is not a catalog role; '" + meant
                        + "' is (a role of your own is allowed, but no rule names it: every flow to or from its hosts is flagged)");
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
                        throw new ConfigException(name, line(n), "role '" + role + "': '" + text + "' is not an address or CIDR (like 10.1.1.0/24 or fd00::/64)"
                                + Cidr.leadingZeroHint(text));
                    }
                    int slash = text.indexOf('/');
                    Cidr host = slash < 0 ? c : Cidr.parse(text.substring(0, slash));
                    if (host != null && (host.hi() != c.hi() || host.lo() != c.lo())) { // likely one host meant, or a mistyped prefix
                        warnings.add(name + ": line " + line(n) + ": role '" + role + "': '" + text.trim() + "' has host bits set: read as the network "
                                + c + " (one host is " + host.text() + " alone)"); // (as RFC 5952 writes it, as the network is: FD00:0006::0010 had been echoed)
                    }
                    cidrs.add(c);
                }
            }
            roles.put(role, cidrs);
        }
        List<PortOverride> ports = top.containsKey("ports") ? ports(name, top.get("ports"), vocabulary, known) : List.of();
        if (!ports.isEmpty()) {
            // Once per role, with every entry's line (an entry for tcp and udp is two overrides of one line).
            Map<String, java.util.Set<Integer>> noHost = new LinkedHashMap<>();
            for (PortOverride p : ports) {
                if (roles.getOrDefault(p.role(), List.of()).isEmpty()) {
                    noHost.computeIfAbsent(p.role(), k -> new java.util.LinkedHashSet<>()).add(p.line());
                }
            }
            for (Map.Entry<String, java.util.Set<Integer>> e : noHost.entrySet()) {
                java.util.Set<Integer> lines = e.getValue();
                warnings.add(name + ": line" + (lines.size() > 1 ? "s " : " ") + lines.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", "))
                        + ": ports " + (lines.size() > 1 ? "entries" : "entry") + " for role '" + e.getKey()
                        + "': no address in 'roles' holds that role, so " + (lines.size() > 1 ? "they apply" : "the entry applies") + " to no host"
                        + didYouMean(e.getKey(), vocabulary, known));
            }
        }
        Topology t = new Topology(name, roles, ports, vocabulary, null, Map.of());
        // A host of an entry that does not hold the entry's role (a typo in an address, a host moved to another role): the
        // entry applies to no host there, as it does to no host of a role without addresses (said above).
        java.util.Set<String> said = new java.util.HashSet<>();
        for (PortOverride p : ports) {
            if (roles.getOrDefault(p.role(), List.of()).isEmpty()) {
                continue;
            }
            for (Cidr h : p.hosts()) {
                if (!holdsRole(t, h, p, roles.get(p.role())) && said.add(p.line() + " " + h)) {
                    warnings.add(name + ": line " + p.line() + ": ports entry for role '" + p.role() + "': host " + h.text()
                            + " does not hold that role in 'roles', so the entry does not apply there");
                }
            }
        }
        t.warnings = List.copyOf(warnings);
        return t;
    }

    /**
     * Whether the entry's host {@code h} holds its role: an address (or a prefix within one of the role's) by the lookup,
     * where a longer prefix of another role wins; a wider prefix when it holds one of the role's prefixes (review: its
     * network address alone was looked up, and hosts: [127.0.1.0/24] said to apply to no Front End at .10 and .11).
     */
    private static boolean holdsRole(Topology t, Cidr h, PortOverride p, List<Cidr> prefixes) {
        for (Cidr c : prefixes) {
            if (c.length() <= h.length() ? c.contains(h.hi(), h.lo()) && (t.rolesOf(h.hi(), h.lo()) & p.roleSet()) != 0
                    : h.contains(c.hi(), c.lo())) {
                return true;
            }
        }
        return false;
    }

    /** What the file has that looks like a mistake but is not an error ("FILE: line N: ..."), for standard error. */
    public List<String> warnings() {
        return warnings;
    }

    /**
     * The known role a new role id most likely stands for: the same letters without '-' and '_', or
     * with a trailing 's' ("frontend", "front_end", "front-ends" for front-end), else one typing slip
     * away from it (a letter wrong, missing, added, or two swapped: "directr", "cleint"); null for none.
     * Two slips are not taken: edge-external, a role of the import's own, is two from edge-internal.
     */
    private static String likelyMeant(String role, Roles vocabulary, int catalogRoles) {
        String key = bare(role);
        for (int b = 0; b < catalogRoles; b++) {
            String known = vocabulary.name(b);
            String k = bare(known);
            if (key.equals(k) || key.equals(k + "s")) {
                return known;
            }
        }
        for (int b = 0; b < catalogRoles; b++) {
            String known = vocabulary.name(b);
            if (key.length() >= 4 && Spelling.distance(key, bare(known)) == 1) {
                return known;
            }
        }
        return null;
    }

    private static String bare(String id) {
        return id.replace("-", "").replace("_", "");
    }

    /** " (did you mean 'front-end'?)" for a role id that is no catalog role but looks like one ({@link #likelyMeant}); else "". */
    private static String didYouMean(String role, Roles vocabulary, int catalogRoles) {
        String meant = likelyMeant(role, vocabulary, catalogRoles);
        return meant == null || meant.equals(role) ? "" : " (did you mean '" + meant + "'?)";
    }

    private static List<PortOverride> ports(String name, Node node, Roles vocabulary, int catalogRoles) throws ConfigException {
        List<PortOverride> out = new ArrayList<>();
        if (node instanceof org.yaml.snakeyaml.nodes.ScalarNode s && s.getValue().isEmpty()) {
            return out;
        }
        for (Node n : sequence(name, node, "ports")) {
            int ln = line(n);
            Map<String, Node> m = mapping(name, n, "a ports entry");
            for (Map.Entry<String, Node> e : m.entrySet()) {
                if (!PORT_KEYS.contains(e.getKey())) {
                    throw new ConfigException(name, line(e.getValue()), "unknown key '" + e.getKey() + "' in a ports entry (expected one of " + PORT_KEYS + ")");
                }
            }
            for (String k : List.of("role", "transport", "port")) {
                if (!m.containsKey(k)) {
                    throw new ConfigException(name, ln, "a ports entry without '" + k + "'");
                }
            }
            String role = scalar(name, m.get("role"), "'role'");
            if (!Roles.validId(role)) {
                throw new ConfigException(name, line(m.get("role")), "invalid role id '" + role + "' (lowercase letters, digits, '-' and '_')");
            }
            int bit = vocabulary.add(role);
            if (bit < 0) {
                throw new ConfigException(name, ln, "more than " + Roles.MAX_ROLES + " roles");
            }
            String where = "ports entry for '" + role + "'";
            int[] range = Catalog.parsePortRange(name, line(m.get("port")), where, scalar(name, m.get("port"), "'port'"));
            List<PortOverride.PortRange> insteadOf = new ArrayList<>();
            if (m.containsKey("instead_of")) {
                for (String r : YamlFile.scalars(name, m.get("instead_of"), "'instead_of'")) {
                    int[] ir = Catalog.parsePortRange(name, line(m.get("instead_of")), where + " instead_of", r);
                    insteadOf.add(new PortOverride.PortRange(ir[0], ir[1]));
                }
            }
            String protocol = m.containsKey("protocol") ? scalar(name, m.get("protocol"), "'protocol'") : null;
            if (protocol != null && RuleProtocol.parse(protocol.trim().toLowerCase(java.util.Locale.ROOT)) == null) {
                StringBuilder known = new StringBuilder();
                for (RuleProtocol rp : RuleProtocol.values()) {
                    known.append(known.length() == 0 ? "" : ", ").append(rp.id());
                }
                throw new ConfigException(name, line(m.get("protocol")), where + ": protocol '" + protocol + "' is none of " + known);
            }
            String note = m.containsKey("note") ? scalar(name, m.get("note"), "'note'") : null;
            List<Cidr> hosts = new ArrayList<>();
            if (m.containsKey("hosts")) {
                for (Node h : sequence(name, m.get("hosts"), where + " hosts")) {
                    String text = scalar(name, h, "a host of " + where);
                    Cidr c = Cidr.parse(text);
                    if (c == null) {
                        throw new ConfigException(name, line(h), where + ": host '" + text + "' is not an address or CIDR (like 10.1.1.11 or fd00::/64)"
                                + Cidr.leadingZeroHint(text));
                    }
                    hosts.add(c);
                }
                if (hosts.isEmpty()) { // (no hosts key at all is every host of the role: an empty list would read as that)
                    throw new ConfigException(name, line(m.get("hosts")), where + ": 'hosts' is empty; leave it out for every host of the role");
                }
            }
            List<String> from = new ArrayList<>();
            long fromSet = 0;
            if (m.containsKey("from")) { // the initiator roles; no key: any
                Node fn = m.get("from");
                for (String r : YamlFile.scalars(name, fn, "'from'")) {
                    String id = r.trim();
                    int b = Roles.validId(id) ? vocabulary.bit(id) : -1;
                    if (b < 0) {
                        throw new ConfigException(name, line(fn), where + ": from '" + r + "' is " + (Roles.validId(id) ? "no role of the catalog or of 'roles'"
                                + didYouMean(id, vocabulary, catalogRoles) : "not a role id (lowercase letters, digits, '-' and '_')"));
                    }
                    if (!from.contains(id)) {
                        from.add(id);
                        fromSet |= 1L << b;
                    }
                }
                if (from.isEmpty()) { // (an empty list would read as any initiator, as no key does)
                    throw new ConfigException(name, line(fn), where + ": 'from' is empty; leave it out for any initiator");
                }
            }
            for (String t : YamlFile.scalars(name, m.get("transport"), "'transport'")) {
                int transport = switch (t.trim().toLowerCase(java.util.Locale.ROOT)) {
                    case "tcp" -> 6;
                    case "udp" -> 17;
                    default -> throw new ConfigException(name, line(m.get("transport")), where + ": transport '" + t + "' is neither tcp nor udp");
                };
                out.add(new PortOverride(role, 1L << bit, transport, range[0], range[1], protocol, List.copyOf(insteadOf), note,
                        List.copyOf(hosts), List.copyOf(from), fromSet, ln));
            }
        }
        return out;
    }

    public String source() {
        return source;
    }

    public Map<String, List<Cidr>> roles() {
        return roles;
    }

    /**
     * The roles that at least one address holds, in the file's order: a role listed with no address
     * ({@code director: []}, as {@code topology import} writes a role whose machines it could not resolve) is
     * no host's, and none of its documented ports is a port to close.
     */
    public List<String> rolesHeld() {
        List<String> out = new ArrayList<>(roles.size());
        for (Map.Entry<String, List<Cidr>> e : roles.entrySet()) {
            if (!e.getValue().isEmpty()) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    /** Ports this deployment configured differently from the catalog (the file's {@code ports:}). */
    public List<PortOverride> ports() {
        return ports;
    }

    PortOverride[] portArray() {
        return portArray;
    }

    /** Null for a topology the user gave; else how the roles were inferred. */
    public String inferred() {
        return inferred;
    }

    /** For an inferred topology, the note on one address (its roles and confidence), or null. */
    public String hostNote(String address) {
        return hostNotes.get(address);
    }

    /** The roles of an address (held as two longs, IPv4 mapped), or 0 when outside the topology. */
    public long rolesOf(long hi, long lo) {
        return lookup.lookup(hi, lo);
    }
}
