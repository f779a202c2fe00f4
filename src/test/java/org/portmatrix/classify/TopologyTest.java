package org.portmatrix.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TopologyTest {
    @TempDir
    Path dir;

    private Topology load(String yaml, Roles roles) throws IOException, ConfigException {
        Path f = dir.resolve("topology.yaml");
        Files.writeString(f, yaml);
        return Topology.load(f, roles);
    }

    private static long v4(String dotted) {
        return Cidr.V4_MAPPED | Cidr.parseIpv4(dotted);
    }

    @Test
    void mostSpecificPrefixDecides() throws Exception {
        Roles roles = new Roles();
        Topology t = load("""
                roles:
                  client: [10.0.0.0/8]
                  front-end: [10.1.1.0/24]
                  mediation: [10.1.1.20/32]
                """, roles);
        assertEquals(List.of("client"), roles.names(t.rolesOf(0, v4("10.9.9.9"))));
        assertEquals(List.of("front-end"), roles.names(t.rolesOf(0, v4("10.1.1.7"))));
        assertEquals(List.of("mediation"), roles.names(t.rolesOf(0, v4("10.1.1.20"))));
        assertEquals(0, t.rolesOf(0, v4("192.0.2.1")));
    }

    @Test
    void entriesOfEqualLengthAddUp() throws Exception {
        Roles roles = new Roles();
        Topology t = load("""
                roles:
                  front-end: [10.1.1.10]
                  mediation: [10.1.1.10/32]
                """, roles);
        assertEquals(List.of("front-end", "mediation"), roles.names(t.rolesOf(0, v4("10.1.1.10"))));
    }

    @Test
    void ipv6PrefixesAndIpv4StayApart() throws Exception {
        Roles roles = new Roles();
        Topology t = load("""
                {"roles": {"front-end": ["fd00:10:1:1::/64"], "client": ["10.2.0.0/16"]}}
                """, roles);
        Cidr host = Cidr.parse("fd00:10:1:1::abcd");
        assertEquals(List.of("front-end"), roles.names(t.rolesOf(host.hi(), host.lo())));
        Cidr other = Cidr.parse("fd00:10:1:2::1");
        assertEquals(0, t.rolesOf(other.hi(), other.lo()));
        assertEquals(List.of("client"), roles.names(t.rolesOf(0, v4("10.2.3.4"))));
    }

    @Test
    void aRoleThatLooksLikeACatalogRoleMisspeltAndAPortsEntryForNoHostAreWarnedAbout() throws Exception {
        Roles roles = new Roles();
        Catalog.builtIn(roles);
        Topology t = load("""
                roles:
                  frontend: [10.1.1.0/24]
                  edge_internal: [10.1.3.0/24]
                  sql-backend: [10.1.9.0/24]
                  client: [10.2.0.0/16]
                ports:
                  - {role: nosuch, transport: tcp, port: 5067}
                  - {role: client, transport: udp, port: 50000-50019}
                """, roles);
        List<String> w = t.warnings();
        assertEquals(3, w.size(), w.toString());
        assertTrue(w.get(0).matches(".*: line 2: role 'frontend' is not a catalog role; 'front-end' is .*"), w.get(0));
        assertTrue(w.get(1).matches(".*: line 3: role 'edge_internal' is not a catalog role; 'edge-internal' is .*"), w.get(1));
        assertTrue(w.get(2).matches(".*: line 7: ports entry for role 'nosuch': no address in 'roles' holds that role.*"), w.get(2));
        // A role of one's own that resembles none (sql-backend) and a correct file: nothing to say.
        assertEquals(List.of(), load("roles:\n  front-end: [10.1.1.0/24]\n  sql-backend: [10.1.9.0/24]\n", roles).warnings());
        // Two roles of one's own alike are not taken for catalog roles; ports entries for a role listed without addresses are
        // said once, with their lines.
        List<String> w2 = load("""
                roles:
                  my-pool: [10.1.20.0/24]
                  mypool: [10.1.21.0/24]
                  front-end:
                ports:
                  - {role: front-end, transport: tcp, port: 5067}
                  - {role: front-end, transport: udp, port: 5068}
                """, roles).warnings();
        assertEquals(1, w2.size(), w2.toString());
        assertTrue(w2.get(0).matches(".*: lines 6, 7: ports entries for role 'front-end': no address in 'roles' holds that role, so they apply to no host"),
                w2.get(0));
    }

    /**
     * A catalog role with one letter wrong, missing, added or two swapped ("directr", "mediaton", "cleint"): the
     * same warning as for "frontend". It had said nothing: the Director's flows were all flagged, and the run
     * gave no hint why. The roles the import writes that the catalog has not (edge-external, sql-backend,
     * file-store) are two or more letters from any catalog role, and stay unremarked.
     */
    @Test
    void aCatalogRoleWithOneTypingSlipIsWarnedAbout() throws Exception {
        Roles roles = new Roles();
        Catalog.builtIn(roles);
        List<String> w = load("""
                roles:
                  directr: [10.1.2.11]
                  mediaton: [10.1.4.11]
                  cleint: [10.2.0.0/16]
                  edge-internl: [10.1.3.11]
                  edge-external: [172.31.0.11]
                  sql-backend: [10.1.9.0/24]
                  file-store: [10.1.9.20]
                """, roles).warnings();
        assertEquals(4, w.size(), w.toString());
        assertTrue(w.get(0).matches(".*: line 2: role 'directr' is not a catalog role; 'director' is .*"), w.get(0));
        assertTrue(w.get(1).matches(".*: line 3: role 'mediaton' is not a catalog role; 'mediation' is .*"), w.get(1));
        assertTrue(w.get(2).matches(".*: line 4: role 'cleint' is not a catalog role; 'client' is .*"), w.get(2));
        assertTrue(w.get(3).matches(".*: line 5: role 'edge-internl' is not a catalog role; 'edge-internal' is .*"), w.get(3));
    }

    /**
     * A ports entry's role or 'from' spelt like a catalog role but not as one (frontend, clients): the warning and the
     * refusal name the role meant, where they said only that no address holds it, or that it is no role.
     */
    @Test
    void aMisspeltRoleOfAPortsEntrySaysWhichRoleIsMeant() throws Exception {
        Roles roles = new Roles();
        Catalog.builtIn(roles);
        List<String> w = load("""
                roles:
                  front-end: [10.1.1.0/24]
                ports:
                  - {role: frontend, transport: tcp, port: 5067}
                """, roles).warnings();
        assertEquals(1, w.size(), w.toString());
        assertTrue(w.get(0).endsWith(": line 4: ports entry for role 'frontend': no address in 'roles' holds that role, so the entry"
                + " applies to no host (did you mean 'front-end'?)"), w.get(0));
        ConfigException e = assertThrows(ConfigException.class, () -> load("""
                roles:
                  front-end: [10.1.1.0/24]
                ports:
                  - {role: front-end, transport: tcp, port: 5067, from: [clients]}
                """, new Roles()));
        assertTrue(e.getMessage().endsWith("ports entry for 'front-end': from 'clients' is no role of the catalog or of 'roles'"
                + " (did you mean 'client'?)"), e.getMessage());
        // A host of an entry that does not hold its role (a mistyped address): said once for the entry's two transports.
        List<String> h = load("""
                roles:
                  mediation: [10.1.4.11, 10.1.4.12]
                ports:
                  - {role: mediation, transport: [tcp, udp], port: "40000-40999", hosts: [10.1.4.11, 10.1.4.21]}
                """, roles).warnings();
        assertEquals(List.of(), h.stream().filter(x -> x.contains("10.1.4.11")).toList(), h.toString());
        assertEquals(1, h.size(), h.toString());
        assertTrue(h.get(0).endsWith(": line 4: ports entry for role 'mediation': host 10.1.4.21 does not hold that role in 'roles',"
                + " so the entry does not apply there"), h.get(0));
        // A prefix of hosts that holds some of the role's addresses is no mistake (review: its network address alone was looked up).
        assertEquals(List.of(), load("""
                roles:
                  front-end: [127.0.1.10/32, 127.0.1.11/32]
                ports:
                  - {role: front-end, transport: tcp, port: 5099, hosts: [127.0.1.0/24]}
                """, roles).warnings());
        // A host inside the role's prefix but in a longer prefix of another role does not hold it (second review).
        List<String> shadowed = load("""
                roles:
                  edge-internal: [10.0.0.0/16]
                  front-end: [10.0.5.0/24]
                ports:
                  - {role: edge-internal, transport: udp, port: "3480", instead_of: ["3478"], hosts: [10.0.5.7]}
                """, roles).warnings();
        assertEquals(1, shadowed.size(), shadowed.toString());
        assertTrue(shadowed.get(0).contains("host 10.0.5.7 does not hold that role"), shadowed.toString());
    }

    @Test
    void userRolesJoinTheVocabularyAndMatchNoRule() throws Exception {
        Roles roles = new Roles();
        Catalog catalog = Catalog.builtIn(roles);
        Topology t = load("roles:\n  sql-backend: [10.1.9.0/24]\n", roles);
        long set = t.rolesOf(0, v4("10.1.9.5"));
        assertEquals(List.of("sql-backend"), roles.names(set));
        CompiledCatalog compiled = new CompiledCatalog(catalog);
        for (int port = 1; port < 65536; port++) {
            assertEquals(CompiledCatalog.NO_RULE, compiled.served(6, port, set));
        }
    }

    @Test
    void rejectsBadCidrWithItsLine() {
        ConfigException e = assertThrows(ConfigException.class, () -> load("""
                roles:
                  front-end:
                    - 10.1.1.0/24
                    - 10.1.300.0/24
                """, new Roles()));
        assertTrue(e.getMessage().contains("topology.yaml:4"), e.getMessage());
        assertTrue(e.getMessage().contains("10.1.300.0/24"), e.getMessage());
    }

    /**
     * An IPv4 address with a leading zero in a part (as some IPAM exports pad them): octal to inet_aton (ping
     * 010.001.001.011 goes to 8.1.1.9), decimal to others. It was read as 10.1.1.11 without a word; refused, with
     * the plain form to write if that is meant.
     */
    @Test
    void refusesLeadingZerosAndSaysWhatToWrite() {
        ConfigException e = assertThrows(ConfigException.class, () -> load("roles:\n  front-end: [010.001.001.011]\n", new Roles()));
        assertTrue(e.getMessage().endsWith("topology.yaml:2: role 'front-end': '010.001.001.011' is not an address or CIDR (like 10.1.1.0/24 or"
                + " fd00::/64); a part with a leading zero is octal to some tools (010 is 8 to inet_aton) and decimal to others: write"
                + " 10.1.1.11 if that is meant"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> load("roles:\n  client: [10.2.0.0/16, 10.02.0.0/16]\n", new Roles()));
        assertTrue(e.getMessage().endsWith(": write 10.2.0.0/16 if that is meant"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> load("roles:\n  client: [10.300.0.0/16]\n", new Roles()));
        assertFalse(e.getMessage().contains("leading zero"), e.getMessage());
    }

    /**
     * A prefix length past the address's bits: the refusal says so. It had said that a part with a leading zero is
     * octal to some tools, and to write the very text refused ("write 10.1.1.0/33 if that is meant"), for an address
     * with no leading zero at all.
     */
    @Test
    void aPrefixLengthTooLongIsSaidAsSuch() {
        ConfigException e = assertThrows(ConfigException.class, () -> load("roles:\n  front-end: [10.1.1.0/33]\n", new Roles()));
        assertTrue(e.getMessage().endsWith("topology.yaml:2: role 'front-end': '10.1.1.0/33' is not an address or CIDR (like 10.1.1.0/24 or"
                + " fd00::/64); an IPv4 prefix length is at most 32"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> load("roles:\n  front-end: ['fd00::/129']\n", new Roles()));
        assertTrue(e.getMessage().endsWith("; an IPv6 prefix length is at most 128"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> load("roles:\n  front-end: [10.1.1.0/24]\nports:\n"
                + "  - {role: front-end, transport: tcp, port: 5067, hosts: [10.1.1.1/40]}\n", new Roles()));
        assertFalse(e.getMessage().contains("leading zero"), e.getMessage());
        // With a leading zero too, the prefix length is what is said first: it had said to write 10.1.1.0/33, refused again.
        e = assertThrows(ConfigException.class, () -> load("roles:\n  front-end: [010.1.1.0/33]\n", new Roles()));
        assertTrue(e.getMessage().endsWith("'010.1.1.0/33' is not an address or CIDR (like 10.1.1.0/24 or fd00::/64); an IPv4 prefix"
                + " length is at most 32"), e.getMessage());
        // Not an address at all: its prefix length is not what is wrong with it.
        e = assertThrows(ConfigException.class, () -> load("roles:\n  front-end: [pool01.contoso.com/33]\n", new Roles()));
        assertFalse(e.getMessage().contains("prefix length"), e.getMessage());
    }

    /** An IPv6 literal starting with ':' unquoted: YAML reads its ':' as a mapping's; the refusal says to quote it, and quoted it is read. */
    @Test
    void anUnquotedIpv6AddressStartingWithAColonIsToldToBeQuoted() throws Exception {
        ConfigException e = assertThrows(ConfigException.class, () -> load("roles:\n  client: [::/0]\n", new Roles()));
        assertTrue(e.getMessage().endsWith("topology.yaml:2: malformed YAML: expected the node content, but found ':'; an IPv6 address"
                + " that starts with ':' (::1, ::/0) must be quoted: '::/0'"), e.getMessage());
        Topology t = load("roles:\n  client: ['::/0']\n", new Roles());
        assertTrue(t.rolesOf(0x20010db8_00000000L, 1) != 0, "any IPv6 host is a client");
    }

    @Test
    void rejectsPrefixLongerThanTheAddress() {
        ConfigException e = assertThrows(ConfigException.class, () -> load("roles:\n  client: [10.0.0.0/33]\n", new Roles()));
        assertTrue(e.getMessage().contains(":2"), e.getMessage());
    }

    @Test
    void rejectsHostNamesInsteadOfLookingThemUp() {
        ConfigException e = assertThrows(ConfigException.class, () -> load("roles:\n  client: [pool01.contoso.com]\n", new Roles()));
        assertTrue(e.getMessage().contains("not an address or CIDR"), e.getMessage());
    }

    @Test
    void rejectsMalformedYamlWithItsLine() {
        ConfigException e = assertThrows(ConfigException.class, () -> load("roles:\n  client: [10.0.0.0/8\n  x: 1\n", new Roles()));
        assertTrue(e.getMessage().startsWith(dir.resolve("topology.yaml") + ":"), e.getMessage());
        assertTrue(e.getMessage().contains("malformed YAML"), e.getMessage());
    }

    @Test
    void readsUtf16WithItsByteOrderMarkAsYamlAllows() throws Exception {
        // What Windows PowerShell 5.1's Out-File writes; it was refused ("special characters are not allowed").
        String yaml = "roles:\n  front-end: [10.1.1.0/24]\n  client: [\"fd00:10:2::/48\"]\n";
        for (java.nio.charset.Charset cs : List.of(java.nio.charset.StandardCharsets.UTF_16LE, java.nio.charset.StandardCharsets.UTF_16BE,
                java.nio.charset.StandardCharsets.UTF_8)) {
            Path f = dir.resolve("topology.yaml");
            Files.writeString(f, "\uFEFF" + yaml, cs);
            Topology t = Topology.load(f, new Roles());
            assertEquals(load(yaml, new Roles()).roles(), t.roles(), cs.name());
        }
    }

    @Test
    void aPrefixWithHostBitsSetIsReadAsItsNetworkAndSaid() throws Exception {
        Topology t = load("roles:\n  front-end: [10.1.1.5/24, 10.1.2.0/24]\n  client: [\"fd00:10:2::7/48\"]\n", new Roles());
        assertEquals(List.of(Cidr.parse("10.1.1.0/24"), Cidr.parse("10.1.2.0/24")), t.roles().get("front-end"));
        Path f = dir.resolve("topology.yaml");
        assertEquals(List.of(f + ": line 2: role 'front-end': '10.1.1.5/24' has host bits set: read as the network 10.1.1.0/24"
                + " (one host is 10.1.1.5 alone)", f + ": line 3: role 'client': 'fd00:10:2::7/48' has host bits set: read as the network"
                + " fd00:10:2::/48 (one host is fd00:10:2::7 alone)"), t.warnings());
    }

    @Test
    void rejectsTopologyWithoutRoles() {
        ConfigException e = assertThrows(ConfigException.class, () -> load("hosts: {}\n", new Roles()));
        assertTrue(e.getMessage().contains("unknown key 'hosts'"), e.getMessage());
    }
}
