package org.portmatrix.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Proves that the port catalog (classpath resource {@code /org/portmatrix/classify/catalog.yaml})
 * covers every row of the two seed documents in {@code ../shared/seeds/}, and that the catalog is
 * well formed. Deliberately independent of the project's own classes: the YAML is read with
 * Jackson and the seed tables are parsed here.
 */
class CatalogSeedCoverageTest {

    private static final String CATALOG_RESOURCE = "/org/portmatrix/classify/catalog.yaml";
    private static final Path SEEDS = Path.of("..", "shared", "seeds");

    private static final String DOC_SERVERS = "ports-internal-servers.md";
    private static final String DOC_DIRECTOR = "port-summary-single-director.md";

    private static final String T_SERVER = "Required Server Ports (by Server Role)";
    private static final String T_HLB = "Hardware Load Balancer Ports if Using Only Hardware Load Balancing";
    private static final String T_DNSLB = "Hardware Load Balancer Ports if Using DNS Load Balancing";
    private static final String T_CLIENT = "Required Client Ports";
    private static final String T_DIRECTOR = "Single Director Ports and Protocols for Firewall Definitions";

    private static final Set<String> ROLE_IDS = Set.of(
            "front-end", "director", "mediation", "edge-internal", "reverse-proxy", "persistent-chat",
            "office-web-apps", "pstn-gateway", "survivable-branch-appliance", "client",
            "fe-load-balancer", "director-load-balancer", "mediation-load-balancer");
    private static final Set<String> TRANSPORTS = Set.of("tcp", "udp");
    private static final Set<String> PROTOCOLS = Set.of(
            "mtls", "tls", "https", "http", "sip", "psom", "stun", "media", "dcerpc", "ssrp", "dhcp",
            "smb", "tcp", "udp");
    private static final Pattern RULE_ID = Pattern.compile("[a-z0-9-]+");
    private static final Pattern PORT_TEXT = Pattern.compile("(\\d+)(?:-(\\d+))?");

    /** One data row of a seed table; {@code row} counts from 1, empty rows not counted. */
    record SeedRow(String doc, String table, int row, String role, String service, String port,
                   String protocol) {
        String key() {
            return key(doc, table, row);
        }

        static String key(String doc, String table, int row) {
            return doc + " | " + table + " | row " + row;
        }
    }

    record Cite(String doc, String table, int row) {
        String key() {
            return SeedRow.key(doc, table, row);
        }
    }

    record Rule(String id, List<String> src, List<String> dst, String transport, Integer lo, Integer hi,
                String protocol, String service, String note, List<Cite> cites) {
        boolean covers(int port) {
            return lo != null && hi != null && lo <= port && port <= hi;
        }
    }

    private static final Map<String, SeedRow> SEED_ROWS = new LinkedHashMap<>();
    /** The Notes column of the markdown tables that have one, by row key. */
    private static final Map<String, String> SEED_NOTES = new LinkedHashMap<>();
    private static final Map<String, List<String>> ROLE_GROUPS = new LinkedHashMap<>();
    private static final List<Rule> RULES = new ArrayList<>();
    private static JsonNode catalog;

    @BeforeAll
    static void load() throws IOException {
        String servers = Files.readString(SEEDS.resolve(DOC_SERVERS), StandardCharsets.UTF_8);
        for (String table : List.of(T_SERVER, T_HLB, T_DNSLB, T_CLIENT)) {
            for (SeedRow r : parseMarkdownTable(DOC_SERVERS, servers, table)) {
                SEED_ROWS.put(r.key(), r);
            }
        }
        String director = Files.readString(SEEDS.resolve(DOC_DIRECTOR), StandardCharsets.UTF_8);
        for (SeedRow r : parseHtmlTable(DOC_DIRECTOR, director, T_DIRECTOR)) {
            SEED_ROWS.put(r.key(), r);
        }

        try (InputStream in = CatalogSeedCoverageTest.class.getResourceAsStream(CATALOG_RESOURCE)) {
            assertNotNull(in, "catalog resource missing: " + CATALOG_RESOURCE);
            catalog = new ObjectMapper(new YAMLFactory()).readTree(in);
        }
        JsonNode groups = catalog.path("role_groups");
        groups.fields().forEachRemaining(e -> ROLE_GROUPS.put(e.getKey(), strings(e.getValue())));
        for (JsonNode r : catalog.path("rules")) {
            RULES.add(toRule(r));
        }
    }

    // ------------------------------------------------------------------------------------------
    // 1. the seed tables
    // ------------------------------------------------------------------------------------------

    @Test
    void seedTablesHaveTheDocumentedRowCounts() {
        Map<String, Integer> expected = new LinkedHashMap<>();
        expected.put(DOC_SERVERS + " | " + T_SERVER, 52);
        expected.put(DOC_SERVERS + " | " + T_HLB, 20);
        expected.put(DOC_SERVERS + " | " + T_DNSLB, 6); // the empty "||||" row is not counted
        expected.put(DOC_SERVERS + " | " + T_CLIENT, 12);
        expected.put(DOC_DIRECTOR + " | " + T_DIRECTOR, 9);
        Map<String, Integer> actual = new LinkedHashMap<>();
        for (SeedRow r : SEED_ROWS.values()) {
            actual.merge(r.doc() + " | " + r.table(), 1, Integer::sum);
        }
        assertEquals(expected, actual);
        assertEquals(99, SEED_ROWS.size());
    }

    // ------------------------------------------------------------------------------------------
    // 2. citations
    // ------------------------------------------------------------------------------------------

    @Test
    void everySeedRowIsCited() {
        Set<String> cited = RULES.stream().flatMap(r -> r.cites().stream()).map(Cite::key)
                .collect(Collectors.toSet());
        List<String> uncited = SEED_ROWS.keySet().stream().filter(k -> !cited.contains(k)).toList();
        assertTrue(uncited.isEmpty(), "seed rows cited by no rule: " + uncited);
    }

    @Test
    void everyCitationNamesAnExistingSeedRow() {
        List<String> dangling = new ArrayList<>();
        for (Rule r : RULES) {
            assertFalse(r.cites().isEmpty(), r.id() + " has no citation");
            for (Cite c : r.cites()) {
                if (!SEED_ROWS.containsKey(c.key())) {
                    dangling.add(r.id() + " -> " + c.key());
                }
            }
        }
        assertTrue(dangling.isEmpty(), "citations of rows that do not exist: " + dangling);
    }

    // ------------------------------------------------------------------------------------------
    // 3. what the cited rows say is covered by the rules citing them
    // ------------------------------------------------------------------------------------------

    @Test
    void citingRulesCoverEachSeedRowsPorts() {
        List<String> problems = new ArrayList<>();
        for (SeedRow row : SEED_ROWS.values()) {
            List<int[]> required = requiredPorts(row.port());
            if (required.isEmpty()) {
                problems.add(row.key() + ": no port parsed from '" + row.port() + "'");
                continue;
            }
            List<Rule> citing = citing(row);
            for (int[] range : required) {
                if (!covered(range, citing)) {
                    problems.add(row.key() + ": port(s) " + range[0] + "-" + range[1] + " from '"
                            + row.port() + "' not covered by " + ids(citing));
                }
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void citingRulesCoverEachSeedRowsTransports() {
        List<String> problems = new ArrayList<>();
        for (SeedRow row : SEED_ROWS.values()) {
            String text = row.protocol().toUpperCase();
            List<Rule> citing = citing(row);
            for (String t : List.of("TCP", "UDP")) {
                if (text.contains(t) && citing.stream().noneMatch(r -> r.transport().equalsIgnoreCase(t))) {
                    problems.add(row.key() + ": seed says " + t + " ('" + row.protocol() + "') but no citing "
                            + "rule has that transport: " + ids(citing));
                }
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void seedProtocolKeywordsAreReflectedInCitingRules() {
        // keyword in the seed's protocol text -> some citing rule must have one of these protocols
        Map<String, Set<String>> keywords = new LinkedHashMap<>();
        keywords.put("MTLS", Set.of("mtls"));
        keywords.put("DCOM", Set.of("dcerpc"));
        keywords.put("DHCP", Set.of("dhcp"));
        keywords.put("STUN", Set.of("stun"));
        keywords.put("PSOM", Set.of("psom"));
        List<String> problems = new ArrayList<>();
        for (SeedRow row : SEED_ROWS.values()) {
            String text = row.protocol().toUpperCase();
            List<Rule> citing = citing(row);
            keywords.forEach((kw, allowed) -> {
                if (text.contains(kw) && citing.stream().noneMatch(r -> allowed.contains(r.protocol()))) {
                    problems.add(row.key() + ": seed says " + kw + " but no citing rule is " + allowed);
                }
            });
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    /**
     * A row whose protocol column names the transport alone ("TCP", "UDP", "TCP - what it is for") is
     * checked by its transport alone, but where a reading chose the protocol every flow on that port
     * speaks: a wrong choice flags every such flow of a deployment (5066, the E9-1-1 gateway's, was read
     * as cleartext SIP, where TLS is as likely). The chosen ones, with why.
     */
    @Test
    void rowsNamingTheTransportAloneAreCheckedByTransportUnlessChosenForAReason() {
        Map<String, String> chosen = new LinkedHashMap<>();
        chosen.put("fe-sip-tcp-5060", "SIP's cleartext port (5061 is its TLS one)");
        chosen.put("dir-sip-tcp-5060", "SIP's cleartext port (5061 is its TLS one)");
        chosen.put("med-sip-tcp-5068", "cleartext beside 5067, which the seed says is TCP (TLS)");
        chosen.put("gw-sip-tcp-5081", "cleartext beside 5082, which the seed says is TCP (TLS)");
        chosen.put("fe-cms-smb-445", "445 is SMB's (the Master Replicator Agent's file transfer)");
        chosen.put("cms-push-smb-445", "445 is SMB's");
        chosen.put("dir-web-http-80", "the web services' cleartext port");
        chosen.put("fe-lb-http-8080", "the web services' cleartext port behind the balancer");
        chosen.put("all-sql-browser-1434", "SQL Browser speaks SSRP");
        for (String id : List.of("med-sip-mtls-5070", "med-lb-sip-mtls-5070", "fe-lb-mediation-sip-mtls-5070")) {
            chosen.put(id, "the Mediation Server's 5070, which server row 49 says is TCP (MTLS)");
        }
        for (String id : List.of("dir-sip-mtls-5061", "dir-sip-tls-5061-client", "dir-lb-sip-tls-5061-client", "dir-lb-sip-mtls-5061")) {
            chosen.put(id, "SIP's TLS port, MTLS between servers as server row 3 says of the Front End's");
        }
        for (String id : List.of("fe-app-sharing-media-tcp-49152-65535", "client-app-sharing-media-tcp-1024-65535")) {
            chosen.put(id, "application sharing is media (RTP over TCP, or the STUN/TURN that sets it up)");
        }
        List<String> problems = new ArrayList<>();
        for (SeedRow row : SEED_ROWS.values()) {
            String p = row.protocol().trim().toUpperCase();
            if (!p.matches("(TCP|UDP)( *[-–].*)?")) {
                continue;
            }
            for (Rule r : citing(row)) {
                if (!TRANSPORTS.contains(r.protocol()) && !chosen.containsKey(r.id())) {
                    problems.add(r.id() + " (" + r.protocol() + ") cites " + row.key() + ", which says " + row.protocol());
                }
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    /**
     * The role a row names is the role of the rules citing it: a Directors row cited only by a rule
     * to the Front End, or a Front End load balancer row by one to the Director's, had passed every
     * check above (ports, transports and protocols alone). The server and load balancer tables name
     * the listening role (the rows that say "outgoing" or "outbound" name the Front End or collocated
     * Mediation Server as the initiator instead); the Director table names both ends; the client table
     * names clients on one end or the other.
     */
    @Test
    void citingRulesHaveTheRolesTheRowNames() {
        Map<String, String> listener = new LinkedHashMap<>();
        listener.put("All Servers", "all-servers");
        listener.put("All internal servers", "all-internal-servers");
        listener.put("Front End Servers that also run a Collocated Mediation Server", "mediation");
        listener.put("Front End Servers where the Central Management store resides", "front-end");
        listener.put("Front End Servers", "front-end");
        listener.put("Office Web Apps Servers", "office-web-apps");
        listener.put("Directors", "director");
        listener.put("Mediation Servers", "mediation");
        listener.put("Persistent Chat Front End Server", "persistent-chat");
        listener.put("Front End Server load balancer", "fe-load-balancer");
        listener.put("Mediation Server load balancer", "mediation-load-balancer");
        listener.put("Director load balancer", "director-load-balancer");
        Map<String, String> ends = new LinkedHashMap<>();
        ends.put("Reverse proxy internal interface", "reverse-proxy");
        ends.put("Internal Clients", "client");
        ends.put("Edge Server internal interface", "edge-internal");
        ends.put("Any", "any");
        ends.put("Front End server or Front End pool", "front-end");
        ends.put("Director web services", "director");
        ends.put("Director", "director");
        List<String> problems = new ArrayList<>();
        for (SeedRow row : SEED_ROWS.values()) {
            List<Rule> citing = citing(row);
            if (row.table().equals(T_DIRECTOR)) {
                String src = ends.get(row.role());
                String dst = ends.get(row.service());
                if (src == null || dst == null || citing.stream().noneMatch(r -> expands(r.src()).contains(src) && expands(r.dst()).contains(dst))) {
                    problems.add(row.key() + ": '" + row.role() + "' -> '" + row.service() + "' but " + rolesOf(citing));
                }
                continue;
            }
            if (row.table().equals(T_CLIENT)) {
                if (citing.stream().noneMatch(r -> r.src().contains("client") || r.dst().contains("client"))) {
                    problems.add(row.key() + ": a client row, no citing rule has client on either end: " + rolesOf(citing));
                }
                continue;
            }
            String role = listener.entrySet().stream().filter(e -> row.role().startsWith(e.getKey())).map(Map.Entry::getValue)
                    .findFirst().orElse(null);
            if (role == null) {
                problems.add(row.key() + ": no role known for '" + row.role() + "'");
                continue;
            }
            String notes = row.service() + " " + SEED_NOTES.getOrDefault(row.key(), "");
            boolean outgoing = notes.contains("outgoing") || notes.contains("outbound");
            for (Rule r : citing) {
                List<String> end = outgoing ? expands(r.src()) : expands(r.dst());
                if (!end.containsAll(expands(List.of(role))) && !(row.port().equals("445") && expands(r.src()).contains(role))) {
                    problems.add(row.key() + ": '" + row.role() + "' (" + (outgoing ? "initiator" : "listener") + " " + role + ") but "
                            + r.id() + " is " + r.src() + " -> " + r.dst());
                }
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    /** A list of roles with its groups expanded. */
    private static List<String> expands(List<String> roles) {
        List<String> out = new ArrayList<>();
        for (String r : roles) {
            out.addAll(ROLE_GROUPS.getOrDefault(r, List.of(r)));
        }
        return out;
    }

    private static List<String> rolesOf(List<Rule> rules) {
        return rules.stream().map(r -> r.id() + " " + r.src() + " -> " + r.dst()).toList();
    }

    // ------------------------------------------------------------------------------------------
    // 4. catalog well-formedness
    // ------------------------------------------------------------------------------------------

    @Test
    void catalogHasVersionOneAndRules() {
        assertEquals(1, catalog.path("version").asInt(-1));
        assertFalse(RULES.isEmpty());
        assertTrue(ROLE_GROUPS.containsKey("all-servers"), "role group all-servers missing");
        assertTrue(ROLE_GROUPS.containsKey("all-internal-servers"), "role group all-internal-servers missing");
    }

    @Test
    void ruleIdsAreUniqueAndLowercase() {
        Set<String> seen = new HashSet<>();
        for (Rule r : RULES) {
            assertNotNull(r.id(), "rule without id");
            assertTrue(RULE_ID.matcher(r.id()).matches(), "bad rule id: " + r.id());
            assertTrue(seen.add(r.id()), "duplicate rule id: " + r.id());
        }
    }

    @Test
    void roleGroupsExpandToKnownRoleIds() {
        ROLE_GROUPS.forEach((name, members) -> {
            assertFalse(ROLE_IDS.contains(name) || "any".equals(name), "group name clashes with a role: " + name);
            assertFalse(members.isEmpty(), "empty role group " + name);
            for (String m : members) {
                assertTrue(ROLE_IDS.contains(m), "group " + name + " has unknown role " + m);
            }
        });
    }

    @Test
    void everySrcAndDstRoleIsKnownRoleGroupOrAny() {
        for (Rule r : RULES) {
            assertFalse(r.src().isEmpty(), r.id() + ": empty src");
            assertFalse(r.dst().isEmpty(), r.id() + ": empty dst");
            for (String role : concat(r.src(), r.dst())) {
                assertTrue(ROLE_IDS.contains(role) || ROLE_GROUPS.containsKey(role) || "any".equals(role),
                        r.id() + ": unknown role or group '" + role + "'");
            }
        }
    }

    @Test
    void transportsAndProtocolsAreFromTheAllowedLists() {
        for (Rule r : RULES) {
            assertTrue(TRANSPORTS.contains(r.transport()), r.id() + ": bad transport " + r.transport());
            assertTrue(PROTOCOLS.contains(r.protocol()), r.id() + ": bad protocol " + r.protocol());
        }
    }

    @Test
    void portsAreWithin1To65535WithMinNotAboveMax() {
        for (Rule r : RULES) {
            assertNotNull(r.lo(), r.id() + ": port is neither an integer nor a range string \"a-b\"");
            assertTrue(r.lo() >= 1 && r.hi() <= 65535 && r.lo() <= r.hi(),
                    r.id() + ": bad port range " + r.lo() + "-" + r.hi());
        }
    }

    @Test
    void everyRuleNamesItsServiceAndNote() {
        for (Rule r : RULES) {
            assertTrue(r.service() != null && !r.service().isBlank(), r.id() + ": no service");
            assertTrue(r.note() != null && !r.note().isBlank(), r.id() + ": no note");
        }
    }

    // ------------------------------------------------------------------------------------------
    // 5. spot checks against the seed text
    // ------------------------------------------------------------------------------------------

    @Test
    void frontEndWebConferencing8057IsPsomOrTlsToFrontEnd() {
        SeedRow row = onlyRow(T_SERVER, r -> r.port().equals("8057"));
        assertTrue(row.service().contains("Web Conferencing service"), row.service());
        assertTrue(citing(row).stream().anyMatch(r -> r.transport().equals("tcp") && r.covers(8057)
                        && Set.of("psom", "tls").contains(r.protocol()) && r.dst().contains("front-end")),
                "8057 row: " + ids(citing(row)));
        // "connections from client": the Edge does not connect to this port (the Front End connects to the Edge's 8057).
        for (Rule r : citing(row)) {
            assertEquals(List.of("client"), r.src(), r.id());
        }
    }

    @Test
    void bothSqlBrowserRowsAreEachCitedAsUdp1434Ssrp() {
        List<SeedRow> rows = rows(T_SERVER, r -> r.service().equals("SQL Browser"));
        // the duplicate SQL Browser rows are rows 1 and 38 of the server table (row 37 is 445, CMS)
        assertEquals(List.of(1, 38), rows.stream().map(SeedRow::row).toList());
        for (SeedRow row : rows) {
            assertEquals("1434", row.port());
            assertTrue(citing(row).stream().anyMatch(r -> r.transport().equals("udp") && r.covers(1434)
                            && r.protocol().equals("ssrp")),
                    row.key() + ": " + ids(citing(row)));
        }
    }

    @Test
    void directorTable5061FromEdgeIsMtlsFromEdgeInternalToDirector() {
        SeedRow row = onlyRow(T_DIRECTOR, r -> r.port().contains("5061"));
        assertTrue(row.role().contains("Edge Server internal interface"), row.role());
        assertTrue(citing(row).stream().anyMatch(r -> r.transport().equals("tcp") && r.covers(5061)
                        && r.protocol().equals("mtls") && r.src().contains("edge-internal")
                        && r.dst().contains("director")),
                "Director 5061 row: " + ids(citing(row)));
    }

    @Test
    void dhcpRowsAreCoveredByUdp67FromClients() {
        List<SeedRow> rows = rows(T_CLIENT, r -> r.port().equals("67/68"));
        assertEquals(2, rows.size());
        for (SeedRow row : rows) {
            assertTrue(citing(row).stream().anyMatch(r -> r.transport().equals("udp") && r.covers(67)
                            && r.protocol().equals("dhcp") && r.src().contains("client")),
                    row.key() + ": " + ids(citing(row)));
        }
    }

    @Test
    void collocatedMediationRowsTargetTheMediationRole() {
        List<SeedRow> rows = rows(T_SERVER,
                r -> r.role().startsWith("Front End Servers that also run a Collocated Mediation Server"));
        assertEquals(5, rows.size());
        for (SeedRow row : rows) {
            // incoming rows are answered by the (collocated) Mediation Server, outgoing ones by the gateway
            boolean outgoing = citing(row).stream().allMatch(r -> r.src().contains("mediation"));
            assertTrue(citing(row).stream().allMatch(r -> r.dst().contains(outgoing ? "pstn-gateway" : "mediation")),
                    row.key() + ": " + ids(citing(row)));
        }
    }

    @Test
    void centralManagementStore445IsSmbToFrontEnd() {
        SeedRow row = onlyRow(T_SERVER, r -> r.port().equals("445"));
        assertTrue(row.role().contains("Central Management store"), row.role());
        assertTrue(citing(row).stream().anyMatch(r -> r.transport().equals("tcp") && r.covers(445)
                && r.protocol().equals("smb") && r.dst().contains("front-end")), ids(citing(row)).toString());
    }

    @Test
    void clientMediaRangeRowsAreTheClientsOwnListeningRange() {
        List<SeedRow> rows = rows(T_CLIENT, r -> r.port().startsWith("1024-65535"));
        assertEquals(4, rows.size());
        for (SeedRow row : rows) {
            assertTrue(citing(row).stream().allMatch(r -> r.dst().equals(List.of("client"))),
                    row.key() + ": " + ids(citing(row)));
        }
    }

    @Test
    void directorTableCentralizedLoggingRowsAreMtlsFromAnyToEdgeInternal() {
        List<SeedRow> rows = rows(T_DIRECTOR, r -> r.port().startsWith("MTLS/TCP/5000"));
        assertEquals(3, rows.size());
        for (SeedRow row : rows) {
            int port = Integer.parseInt(row.port().replaceAll("\\D+", ""));
            assertTrue(citing(row).stream().anyMatch(r -> r.covers(port) && r.protocol().equals("mtls")
                    && r.src().contains("any") && r.dst().contains("edge-internal")), ids(citing(row)).toString());
        }
    }

    // ------------------------------------------------------------------------------------------
    // seed parsing
    // ------------------------------------------------------------------------------------------

    /**
     * A markdown pipe table under the bold title line {@code **title**}: the data rows are the lines
     * after the {@code |:---} separator up to the first line that is not a table line; rows whose
     * cells are all empty are skipped and not counted.
     */
    static List<SeedRow> parseMarkdownTable(String doc, String text, String title) {
        List<String> lines = text.lines().toList();
        int i = 0;
        while (i < lines.size() && !lines.get(i).trim().equals("**" + title + "**")) {
            i++;
        }
        assertTrue(i < lines.size(), "table title not found in " + doc + ": " + title);
        while (i < lines.size() && !lines.get(i).trim().startsWith("|")) {
            i++;
        }
        List<String> header = cells(lines.get(i));
        i++;
        assertTrue(lines.get(i).trim().startsWith("|:-"), "no separator under header of " + title);
        i++;
        int portCol = header.indexOf("Port");
        int protoCol = header.indexOf("Protocol");
        int serviceCol = header.indexOf("Service name");
        int notesCol = header.indexOf("Notes");
        assertTrue(portCol >= 0 && protoCol >= 0, "no Port/Protocol column in " + title + ": " + header);
        List<SeedRow> rows = new ArrayList<>();
        for (; i < lines.size() && lines.get(i).stripLeading().startsWith("|"); i++) {
            List<String> c = cells(lines.get(i));
            if (c.stream().allMatch(String::isEmpty)) {
                continue;
            }
            rows.add(new SeedRow(doc, title, rows.size() + 1, c.get(0),
                    serviceCol >= 0 ? c.get(serviceCol) : c.get(0), c.get(portCol), c.get(protoCol)));
            if (notesCol >= 0 && notesCol < c.size()) {
                SEED_NOTES.put(SeedRow.key(doc, title, rows.size()), c.get(notesCol));
            }
        }
        return rows;
    }

    private static List<String> cells(String line) {
        String t = line.trim();
        if (t.startsWith("|")) {
            t = t.substring(1);
        }
        if (t.endsWith("|")) {
            t = t.substring(0, t.length() - 1);
        }
        List<String> out = new ArrayList<>();
        for (String c : t.split("\\|", -1)) {
            out.add(clean(c));
        }
        return out;
    }

    private static String clean(String cell) {
        return cell.replace("<br/>", " ").replace("**", "").replace("\\*", "*")
                .replaceAll("<[^>]+>", " ").replaceAll("\\s+", " ").trim();
    }

    /**
     * The HTML table following the heading line ending in {@code title}: one row per {@code <tr>}
     * inside {@code <tbody>}. Its first column holds "Role/Protocol/TCP or UDP/Port", e.g.
     * "HTTPS/TCP 4443"; the second and third the source and destination.
     */
    static List<SeedRow> parseHtmlTable(String doc, String text, String title) {
        int at = -1;
        for (String heading : List.of("### " + title, "## " + title, "# " + title)) {
            at = text.indexOf(heading);
            if (at >= 0) {
                break;
            }
        }
        assertTrue(at >= 0, "table title not found in " + doc + ": " + title);
        int body = text.indexOf("<tbody>", at);
        int end = text.indexOf("</tbody>", body);
        assertTrue(body >= 0 && end > body, "no <tbody> after " + title);
        String tbody = text.substring(body, end);
        Matcher tr = Pattern.compile("<tr[^>]*>(.*?)</tr>", Pattern.DOTALL).matcher(tbody);
        Pattern td = Pattern.compile("<td[^>]*>(.*?)</td>", Pattern.DOTALL);
        List<SeedRow> rows = new ArrayList<>();
        while (tr.find()) {
            List<String> c = new ArrayList<>();
            Matcher m = td.matcher(tr.group(1));
            while (m.find()) {
                c.add(clean(m.group(1)));
            }
            if (c.isEmpty() || c.stream().allMatch(String::isEmpty)) {
                continue;
            }
            // role = source, service = destination; port and protocol both come from the first column
            rows.add(new SeedRow(doc, title, rows.size() + 1, c.get(1), c.get(2), c.get(0), c.get(0)));
        }
        return rows;
    }

    /**
     * The port(s) a seed cell requires: single ports and "a-b" ranges anywhere in the cell
     * ("5061", "57501-65535", "1024-65535 *", "HTTPS/TCP 4443", "MTLS/TCP/50001").
     * "67/68" is the DHCP server/client pair: the client talks to the server's port 67 and 68 is the
     * client's own side, so the flow's responder port is 67 and a rule covering 67 is accepted.
     */
    static List<int[]> requiredPorts(String cell) {
        String t = cell.replace("*", "").trim();
        Matcher pair = Pattern.compile("(\\d+)/(\\d+)").matcher(t);
        if (pair.matches()) {
            int server = Integer.parseInt(pair.group(1));
            return List.of(new int[] {server, server});
        }
        List<int[]> out = new ArrayList<>();
        Matcher m = Pattern.compile("(\\d+)\\s*-\\s*(\\d+)|(\\d+)").matcher(t);
        while (m.find()) {
            if (m.group(3) != null) {
                int p = Integer.parseInt(m.group(3));
                out.add(new int[] {p, p});
            } else {
                out.add(new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))});
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------
    // catalog reading and helpers
    // ------------------------------------------------------------------------------------------

    private static Rule toRule(JsonNode r) {
        Integer lo = null;
        Integer hi = null;
        JsonNode port = r.path("port");
        if (port.isInt()) {
            lo = port.asInt();
            hi = lo;
        } else if (port.isTextual()) {
            Matcher m = PORT_TEXT.matcher(port.asText().trim());
            if (m.matches()) {
                lo = Integer.parseInt(m.group(1));
                hi = m.group(2) == null ? lo : Integer.parseInt(m.group(2));
            }
        }
        List<Cite> cites = new ArrayList<>();
        for (JsonNode c : r.path("cite")) {
            cites.add(new Cite(c.path("doc").asText(null), c.path("table").asText(null), c.path("row").asInt(-1)));
        }
        return new Rule(r.path("id").asText(null), strings(r.path("src")), strings(r.path("dst")),
                r.path("transport").asText(null), lo, hi, r.path("protocol").asText(null),
                r.path("service").asText(null), r.path("note").asText(null), cites);
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        if (array.isArray()) {
            array.forEach(n -> out.add(n.asText()));
        }
        return out;
    }

    private static List<Rule> citing(SeedRow row) {
        return RULES.stream().filter(r -> r.cites().stream().anyMatch(c -> c.key().equals(row.key()))).toList();
    }

    /** Whether the union of the rules' port ranges covers the whole range [lo, hi]. */
    private static boolean covered(int[] range, List<Rule> rules) {
        List<Rule> sorted = rules.stream().filter(r -> r.lo() != null)
                .sorted(Comparator.comparingInt(Rule::lo)).toList();
        long next = range[0];
        for (Rule r : sorted) {
            if (r.lo() > next) {
                break;
            }
            next = Math.max(next, (long) r.hi() + 1);
            if (next > range[1]) {
                return true;
            }
        }
        return next > range[1];
    }

    private static List<SeedRow> rows(String table, Predicate<SeedRow> p) {
        return SEED_ROWS.values().stream().filter(r -> r.table().equals(table)).filter(p).toList();
    }

    private static SeedRow onlyRow(String table, Predicate<SeedRow> p) {
        List<SeedRow> found = rows(table, p);
        if (found.size() != 1) {
            fail("expected exactly one matching row in " + table + ", found " + found);
        }
        return found.get(0);
    }

    private static List<String> ids(List<Rule> rules) {
        return rules.stream().map(Rule::id).toList();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
