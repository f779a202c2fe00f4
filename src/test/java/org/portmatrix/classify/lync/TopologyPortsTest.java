package org.portmatrix.classify.lync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.classify.ConfigException;
import org.portmatrix.classify.Roles;
import org.portmatrix.classify.Topology;

/**
 * Ports a deployment configured differently from the catalog: {@code topology import} writes them to
 * the topology's {@code ports:} section and {@code analyze} uses them. dns-answers.pcap carries three
 * conversations of the Fabrikam deployment on such ports (see captures/topology/README.md).
 */
class TopologyPortsTest {
    static final String DNS = "captures/topology/dns-answers.pcap";

    @TempDir
    Path dir;

    private static JsonNode flow(List<JsonNode> records, String transport, int port) {
        return records.stream().filter(r -> r.get("transport").asText().equals(transport) && r.get("dst_port").asInt() == port)
                .findFirst().orElseThrow(() -> new AssertionError("no " + transport + "/" + port + " flow"));
    }

    @Test
    void topologyPortsOverrideTheCatalogAndTheReasonNamesBoth() throws Exception {
        Path topo = dir.resolve("fabrikam.yaml");
        Cli.Run imp = Cli.run("topology", "import", TopologyImportTest.FABRIKAM.toString(), "--resolve-from", DNS, "--output", topo.toString());
        assertEquals(0, imp.status(), imp.err());
        assertTrue(imp.err().contains("3 addresses"), imp.err());

        Cli.Run r = Cli.run("analyze", DNS, "--topology", topo.toString(), "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        List<JsonNode> records = r.records();

        // se01 (Mediation Server) -> gateway, SIP on TCP 5060: the gateway's configured port, not in the catalog.
        JsonNode sip = flow(records, "tcp", 5060);
        assertEquals("expected", sip.get("verdict").asText());
        String why = sip.get("reason").asText();
        assertTrue(why.contains("configured in this deployment's topology") && why.contains("pstn-gateway tcp 5060"), why);
        assertTrue(why.contains("the catalog has no rule for TCP 5060 on pstn-gateway"), why);

        // gateway -> se01 audio on UDP 40100: inside the moved audio range 40000-40999.
        JsonNode audio = flow(records, "udp", 40100);
        assertEquals("expected", audio.get("verdict").asText());
        why = audio.get("reason").asText();
        assertTrue(why.contains("udp 40000-40999") && why.contains("49152-57500"), why);

        // gateway -> se01 on UDP 50000: the catalog's audio range, which this deployment no longer uses.
        JsonNode old = flow(records, "udp", 50000);
        assertEquals("unexpected_port", old.get("verdict").asText());
        why = old.get("reason").asText();
        assertTrue(why.contains("internal-audio-media-udp-49152-57500") && why.contains("moved it") && why.contains("40000-40999"), why);

        // The same roles without the ports: the catalog alone decides, the other way round.
        Path rolesOnly = dir.resolve("roles-only.yaml");
        String yaml = Files.readString(topo);
        Files.writeString(rolesOnly, yaml.substring(0, yaml.indexOf("\nports:") + 1));
        List<JsonNode> plain = Cli.run("analyze", DNS, "--topology", rolesOnly.toString(), "--format", "jsonl").records();
        assertEquals("unexpected_port", flow(plain, "tcp", 5060).get("verdict").asText());
        assertEquals("unexpected_port", flow(plain, "udp", 40100).get("verdict").asText());
        assertEquals("expected", flow(plain, "udp", 50000).get("verdict").asText());
        assertEquals("internal-audio-media-udp-49152-57500", flow(plain, "udp", 50000).get("rule").asText());
    }

    private Topology load(String yaml) throws Exception {
        Path f = dir.resolve("t.yaml");
        Files.writeString(f, yaml);
        return Topology.load(f, new Roles());
    }

    @Test
    void portsEntriesAreReadWithTheirLines() throws Exception {
        Topology t = load("""
                roles:
                  pstn-gateway: [10.1.6.11]
                ports:
                  - role: pstn-gateway
                    transport: [tcp, udp]
                    port: "5067"
                    protocol: tls
                  - {role: front-end, transport: udp, port: 40000-40999, instead_of: [49152-57500]}
                """);
        assertEquals(3, t.ports().size());
        assertEquals(4, t.ports().get(0).line());
        assertEquals(17, t.ports().get(1).transport());
        assertEquals(40999, t.ports().get(2).portMax());
        assertEquals(49152, t.ports().get(2).insteadOf().get(0).min());
    }

    @Test
    void aBadPortsEntryNamesItsLine() {
        ConfigException e = assertThrows(ConfigException.class, () -> load("""
                roles:
                  front-end: [10.1.1.11]
                ports:
                  - {role: front-end, transport: sctp, port: 5061}
                """));
        assertTrue(e.getMessage().endsWith(":4: ports entry for 'front-end': transport 'sctp' is neither tcp nor udp"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> load("""
                roles:
                  front-end: [10.1.1.11]
                ports:
                  - {role: front-end, transport: tcp, port: 5061, colour: red}
                """));
        assertTrue(e.getMessage().contains(":4: unknown key 'colour' in a ports entry"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> load("""
                roles: {front-end: [10.1.1.11]}
                ports:
                  - {role: front-end, transport: tcp}
                """));
        assertTrue(e.getMessage().contains(":3: a ports entry without 'port'"), e.getMessage());
        assertFalse(e.getMessage().contains("Exception"));
    }

    @Test
    void aPortsEntrysFromNamesItsInitiatorsAndABadOneIsRefusedWithItsLine() throws Exception {
        Topology t = load("""
                roles:
                  pstn-gateway: [10.1.6.11]
                  mediation: [10.1.4.11]
                ports:
                  - role: pstn-gateway
                    transport: tcp
                    port: "5067"
                    from: [mediation, survivable-branch-appliance]
                  - {role: pstn-gateway, transport: tcp, port: "5068"}
                """);
        Roles roles = new Roles();
        assertEquals(List.of("mediation", "survivable-branch-appliance"), t.ports().get(0).from());
        assertEquals(1L << roles.bit("mediation") | 1L << roles.bit("survivable-branch-appliance"), t.ports().get(0).fromSet());
        assertTrue(t.ports().get(0).servesFrom(1L << roles.bit("mediation")) && !t.ports().get(0).servesFrom(1L << roles.bit("director")));
        assertEquals(List.of(), t.ports().get(1).from()); // no from: any initiator, as before
        assertTrue(t.ports().get(1).servesFrom(1L << roles.bit("director")));

        Path bad = Files.writeString(dir.resolve("bad.yaml"), """
                roles:
                  pstn-gateway: [127.1.6.11]
                ports:
                  - role: pstn-gateway
                    transport: tcp
                    port: "5067"
                    from: [mediaton]
                """);
        Cli.Run r = Cli.run("analyze", DNS, "--topology", bad.toString());
        assertEquals(2, r.status(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(bad + ":7: ports entry for 'pstn-gateway': from 'mediaton' is no role of the catalog or of 'roles'"), r.err());
        Files.writeString(bad, Files.readString(bad).replace("[mediaton]", "[]"));
        r = Cli.run("analyze", DNS, "--topology", bad.toString());
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains(bad + ":7: ports entry for 'pstn-gateway': 'from' is empty; leave it out for any initiator"), r.err());
        Files.writeString(bad, Files.readString(bad).replace("[]", "[Front End]"));
        r = Cli.run("analyze", DNS, "--topology", bad.toString());
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains(bad + ":7: ports entry for 'pstn-gateway': from 'Front End' is not a role id"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    /**
     * Several entries serve a port, each to initiators of its own: a flow from none of them names the initiators of every
     * entry (review: the first entry's alone were named, "for initiators of the roles director only", though mediation
     * was allowed too by the second).
     */
    @Test
    void aFlowFromNoEntrysInitiatorsNamesTheInitiatorsOfEveryEntry() throws Exception {
        Path topo = Files.writeString(dir.resolve("t.yaml"), """
                roles:
                  front-end: [127.1.1.11/32]
                  pstn-gateway: [127.1.6.11/32]
                ports:
                  - {role: pstn-gateway, transport: tcp, port: "9999", protocol: tls, from: [director]}
                  - {role: pstn-gateway, transport: tcp, port: "9999", protocol: tls, from: [mediation]}
                """);
        Path capture = new Wire().tcp("127.1.1.11", 50040, "127.1.6.11", 9999, Wire.clientHello("gw01.contoso.com"))
                .write(dir.resolve("two.pcap"));
        Cli.Run r = Cli.run("analyze", capture.toString(), "--topology", topo.toString(), "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        JsonNode f = r.records().get(0);
        assertEquals("unexpected_role_pair", f.get("verdict").asText(), f.toString());
        assertTrue(f.get("reason").asText().contains("for initiators of the roles director, mediation only, and the initiator is front-end."),
                f.toString());
    }

    /**
     * An entry adds initiators to a port the catalog serves on the role from others (a gateway's SIP 5081, which the
     * catalog serves to the Mediation Servers, Required Server Ports row 25, here given to a branch's appliance too).
     * A Director's flow there named the entry's initiators alone, "for initiators of the roles
     * survivable-branch-appliance only", though the Mediation Server's was expected; and the appliance's own flow,
     * expected by the entry, said "the catalog documents it too", though the catalog documents it from the Mediation
     * Servers only. Both reasons now say whom the catalog documents the port from.
     */
    @Test
    void anEntryAddingInitiatorsToACatalogPortSaysWhomTheCatalogServesItTo() throws Exception {
        Path topo = Files.writeString(dir.resolve("t.yaml"), """
                roles:
                  director: [127.1.2.11/32]
                  mediation: [127.1.4.11/32]
                  pstn-gateway: [127.1.6.11/32]
                  survivable-branch-appliance: [127.1.7.11/32]
                ports:
                  - {role: pstn-gateway, transport: tcp, port: "5081", from: [survivable-branch-appliance]}
                """);
        byte[] options = "OPTIONS sip:gw01.contoso.com SIP/2.0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Path capture = new Wire()
                .tcp("127.1.2.11", 50040, "127.1.6.11", 5081, options)  // Director -> gateway
                .tcp("127.1.4.11", 50041, "127.1.6.11", 5081, options)  // Mediation Server -> gateway: the catalog's
                .tcp("127.1.7.11", 50042, "127.1.6.11", 5081, options)  // branch appliance -> gateway: the entry's
                .write(dir.resolve("5081.pcap"));
        Cli.Run r = Cli.run("analyze", capture.toString(), "--topology", topo.toString(), "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        java.util.Map<Integer, JsonNode> bySrcPort = new java.util.HashMap<>();
        for (JsonNode f : r.records()) {
            bySrcPort.put(f.get("src_port").asInt(), f);
        }
        JsonNode director = bySrcPort.get(50040);
        assertEquals("unexpected_role_pair", director.get("verdict").asText(), director.toString());
        String why = director.get("reason").asText();
        assertTrue(why.startsWith("TCP 5081 on pstn-gateway is configured in this deployment's topology (" + topo + ":7: pstn-gateway tcp 5081"
                + " from survivable-branch-appliance) for initiators of the roles survivable-branch-appliance, and documented in the catalog"
                + " only from mediation (rule gw-sip-tcp-5081, Lync Server Mediation service; seed: Required Server Ports (by Server Role),"
                + " row 25); not from director."), why);
        assertFalse(why.contains(" only, "), why);
        assertEquals("expected", bySrcPort.get(50041).get("verdict").asText(), bySrcPort.get(50041).toString());
        JsonNode branch = bySrcPort.get(50042);
        assertEquals("expected", branch.get("verdict").asText(), branch.toString());
        why = branch.get("reason").asText();
        assertTrue(why.contains("; the catalog documents TCP 5081 on pstn-gateway only from mediation (rule gw-sip-tcp-5081, "), why);
        assertFalse(why.contains("documents it too"), why);
    }

    /**
     * A ports entry allowed its port from any initiator: from an imported topology a Director's or an Edge's TLS to the
     * gateway's SIP 5067, and the gateway's to the Edge's internal A/V authentication 5062, were expected. The import
     * now writes the initiators the Lync topology makes certain ({@code from:}): the gateway's SIP port is the Mediation
     * Servers' next hop (a Front End pool's collocated one too: its machines hold the mediation role), the Edge's
     * internal services are the Front Ends' and Directors'. Its External side stays open to any initiator.
     */
    @Test
    void anImportedEntryIsServedOnlyToTheInitiatorsTheTopologyMakesCertain() throws Exception {
        Path xml = Files.writeString(dir.resolve("contoso.xml"),
                Files.readString(TopologyImportTest.CONTOSO).replace("\"10.1.", "\"127.1.").replace("\"172.31.", "\"127.31."));
        Path hosts = Files.writeString(dir.resolve("hosts.csv"), """
                pool01.contoso.com,127.1.1.10
                fe01.contoso.com,127.1.1.11
                fe02.contoso.com,127.1.1.12
                fe03.contoso.com,127.1.1.13
                """);
        Path topo = importTo(dir.resolve("t.yaml"), xml.toString(), "--hosts", hosts.toString());
        String yaml = Files.readString(topo);
        assertTrue(yaml.contains("""
                  - role: pstn-gateway
                    transport: tcp
                    port: "5067"
                    protocol: tls
                    from: [mediation, survivable-branch-appliance]
                """), yaml);
        Topology t = Topology.load(topo, new Roles());
        assertTrue(t.ports().stream().filter(p -> p.role().equals("edge-internal"))
                .allMatch(p -> p.from().equals(List.of("front-end", "director", "survivable-branch-appliance"))), t.ports().toString());
        addRoles(topo, "  survivable-branch-appliance: [127.1.7.11/32]\n");
        assertTrue(t.ports().stream().filter(p -> p.role().equals("edge-external")).allMatch(p -> p.from().isEmpty()), t.ports().toString());
        String med = "127.1.4.11", dir01 = "127.1.2.11", edge = "127.1.3.11", gw = "127.1.6.11", fe = "127.1.1.11", ext = "127.31.0.11";
        Path capture = new Wire()
                .tcp(med, 50040, gw, 5067, Wire.clientHello("gw01.contoso.com"))      // Mediation Server -> gateway
                .tcp(fe, 50041, gw, 5067, Wire.clientHello("gw01.contoso.com"))       // pool01's collocated Mediation Server
                .tcp(dir01, 50042, gw, 5067, Wire.clientHello("gw01.contoso.com"))    // Director -> gateway
                .tcp(edge, 50043, gw, 5067, Wire.clientHello("gw01.contoso.com"))     // Edge -> gateway
                .tcp(gw, 50044, edge, 5062, Wire.clientHello("edgepool.contoso.com")) // gateway -> Edge internal
                .tcp(fe, 50045, edge, 5062, Wire.clientHello("edgepool.contoso.com")) // Front End -> Edge internal
                .tcp(fe, 50046, ext, 5061, Wire.clientHello("sip.contoso.com"))       // Front End -> Edge external: any initiator
                // A branch's appliance asks the Edge's A/V authentication for media relay credentials (review: it was refused)
                .tcp("127.1.7.11", 50047, edge, 5062, Wire.clientHello("edgepool.contoso.com"))
                .write(dir.resolve("from.pcap"));
        Cli.Run r = Cli.run("analyze", capture.toString(), "--topology", topo.toString(), "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        java.util.Map<Integer, JsonNode> bySrcPort = new java.util.HashMap<>();
        for (JsonNode f : r.records()) {
            bySrcPort.put(f.get("src_port").asInt(), f);
        }
        assertEquals(8, bySrcPort.size(), r.out());
        assertEquals("expected", bySrcPort.get(50040).get("verdict").asText(), bySrcPort.get(50040).toString());
        assertEquals("expected", bySrcPort.get(50041).get("verdict").asText(), bySrcPort.get(50041).toString());
        for (int port : new int[] {50042, 50043, 50044}) {
            JsonNode f = bySrcPort.get(port);
            assertEquals("unexpected_role_pair", f.get("verdict").asText(), f.toString());
            assertTrue(f.get("reason").asText().contains("is configured in this deployment's topology (" + topo + ":"), f.toString());
        }
        String why = bySrcPort.get(50042).get("reason").asText();
        assertTrue(why.contains("pstn-gateway tcp 5067 tls from mediation, survivable-branch-appliance (service PstnGateway")
                && why.contains("for initiators of the roles mediation, survivable-branch-appliance only, and the initiator is director."), why);
        why = bySrcPort.get(50044).get("reason").asText();
        assertTrue(why.contains("edge-internal tcp 5062 mtls from front-end, director, survivable-branch-appliance")
                && why.contains("the initiator is pstn-gateway."), why);
        // (MTLS: a ClientHello alone shows no client certificate)
        assertTrue(List.of("expected", "unverifiable").contains(bySrcPort.get(50045).get("verdict").asText()), bySrcPort.get(50045).toString());
        assertEquals("expected", bySrcPort.get(50046).get("verdict").asText(), bySrcPort.get(50046).toString());
        assertTrue(List.of("expected", "unverifiable").contains(bySrcPort.get(50047).get("verdict").asText()), bySrcPort.get(50047).toString());
    }

    /** SfBAutomatedLab's Contoso.tbxml (a real Topology Builder file, see captures/topology/README.md). */
    static final Path SFBAL = Path.of("captures/topology/sfbautomatedlab-contoso.tbxml");

    /**
     * SfBAutomatedLab's file with its addresses moved to loopback (the Edge's Internal 192.168.10.x to 127.0.40.x, its
     * External 10.0.0.x to 127.0.41.x), and a hosts file for its 0.0.0.0 machines and pool names.
     */
    private Path[] sfbal() throws Exception {
        String x = Files.readString(SFBAL);
        assertEquals(9, x.split("\"192\\.168\\.10\\.|\"10\\.0\\.0\\.", -1).length - 1, "the Edge servers' Internal, External and public (ConfiguredIPAddress) addresses");
        Path xml = Files.writeString(dir.resolve("contoso.tbxml"), x.replace("\"192.168.10.", "\"127.0.40.").replace("\"10.0.0.", "\"127.0.41."));
        Path hosts = Files.writeString(dir.resolve("hosts.csv"), """
                fqdn,address
                frontendpool.contoso.com,127.0.1.10
                xfrontend1.contoso.com,127.0.1.11
                xfrontend2.contoso.com,127.0.1.12
                xfrontend3.contoso.com,127.0.1.13
                xfrontend4.contoso.com,127.0.1.14
                """);
        return new Path[] {xml, hosts};
    }

    private static Path importTo(Path yaml, String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "topology";
        all[1] = "import";
        System.arraycopy(args, 0, all, 2, args.length);
        all[all.length - 2] = "--output";
        all[all.length - 1] = yaml.toString();
        Cli.Run r = Cli.run(all);
        assertEquals(0, r.status(), r.err());
        return yaml;
    }

    /**
     * The Edge pool's ManagementServices service (no role of its own in the port matrix) carries the CMS
     * replication port, Internal 4443 HTTPS, which the Front Ends' Master Replicator uses every minute. Its
     * ports were dropped with the service ("Services with no role in the port matrix: ManagementServices"), so
     * Front End -> Edge internal 4443 was unexpected_port; they are the Edge pool's role's now.
     */
    @Test
    void aServiceWithoutARoleOnAnEdgePoolGivesItsPortsToThePoolsRole() throws Exception {
        Path[] in = sfbal();
        // As Lync Server 2013 writes the Edge service: without Skype for Business Server 2015's SkypeSearchProxy, which
        // listens on Internal 4443 too (MTLS) and so would serve the port whatever became of ManagementServices.
        String x = Files.readString(in[0]);
        String proxy = x.lines().filter(l -> l.contains("urn:component:SkypeSearchProxy")).findFirst().orElseThrow() + "\n";
        Files.writeString(in[0], x.replace(proxy, ""));
        Path topo = importTo(dir.resolve("t.yaml"), in[0].toString(), "--hosts", in[1].toString());
        Path capture = new Wire().tcp("127.0.1.11", 50002, "127.0.40.100", 4443, Wire.clientHello("xedge1.contoso.com"))
                .write(dir.resolve("replication.pcap"));
        Cli.Run r = Cli.run("analyze", capture.toString(), "--topology", topo.toString(), "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        JsonNode rec = flow(r.records(), "tcp", 4443);
        assertEquals("front-end", rec.get("src_roles").get(0).asText(), rec.toString());
        assertEquals("expected", rec.get("verdict").asText(), rec.toString());
        assertTrue(rec.get("reason").asText().contains("configured in this deployment's topology"), rec.toString());
        String yaml = Files.readString(topo);
        assertTrue(yaml.contains("""
                  - role: edge-internal
                    transport: tcp
                    port: "4443"
                    protocol: https
                    from: [front-end, director, survivable-branch-appliance]
                    note: "service ManagementServices, ReplicationService Replication, on edgepool.contoso.com, Internal side"
                """), yaml);
        assertTrue(yaml.contains("their ports are\n#   that role's (in 'ports:' where the catalog does not document them): "
                + "ManagementServices (edge-internal on edgepool.contoso.com)."), yaml);
        assertFalse(yaml.contains("not used"), yaml);
    }

    /**
     * Skype for Business Server 2015 writes two services on an Edge's Internal 4443: SkypeSearchProxy (MTLS), then
     * ManagementServices' CMS replication (HTTPS). Only the first entry serving a port was checked: a Front End's
     * replication, TLS without a client certificate (tls-no-request.pcap moved to Front End -> Edge 4443), was
     * protocol_mismatch against the MTLS entry, and expected with the two entries the other way round. As of catalog
     * rules, the first entry whose protocol the wire shows allows the flow and is named.
     */
    @Test
    void ofSeveralEntriesOnAPortTheFirstTheWireSatisfiesAllowsTheFlow() throws Exception {
        Path[] in = sfbal();
        Path topo = importTo(dir.resolve("t.yaml"), in[0].toString(), "--hosts", in[1].toString());
        Topology t = Topology.load(topo, new Roles());
        List<org.portmatrix.classify.PortOverride> edge4443 = t.ports().stream()
                .filter(p -> p.role().equals("edge-internal") && p.portMin() == 4443).toList();
        assertEquals(List.of("mtls", "https"), edge4443.stream().map(org.portmatrix.classify.PortOverride::protocol).toList(), edge4443.toString());
        Path capture = dir.resolve("replication.pcap");
        run("tcprewrite", "--portmap=5061:4443",
                "--pnat=127.0.3.10/32:127.0.1.11/32,127.0.1.10/32:127.0.40.100/32", "--fixcsum",
                "--infile=captures/inspect/tls-no-request.pcap", "--outfile=" + capture);
        Cli.Run r = Cli.run("analyze", capture.toString(), "--topology", topo.toString(), "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        JsonNode rec = flow(r.records(), "tcp", 4443);
        assertEquals("front-end", rec.get("src_roles").get(0).asText(), rec.toString());
        assertEquals("[\"edge-internal\"]", rec.get("dst_roles").toString(), rec.toString());
        assertEquals("expected", rec.get("verdict").asText(), rec.toString());
        String why = rec.get("reason").asText();
        assertTrue(why.contains("configured in this deployment's topology (" + topo + ":" + edge4443.get(1).line()
                + ": edge-internal tcp 4443 https from front-end, director, survivable-branch-appliance (service ManagementServices"), why);
        assertFalse(why.contains("mtls") || why.contains("SkypeSearchProxy"), why);
        assertTrue(why.contains("On the wire: TLS 1.2"), why);
        // --extract decides as the report does (Inspection.verdictSoFar): an expected flow's packets are not kept.
        Path kept = dir.resolve("kept.pcap");
        Cli.Run x = Cli.run("analyze", capture.toString(), "--topology", topo.toString(), "--format", "jsonl", "--extract", kept.toString());
        assertEquals(0, x.status(), x.err());
        assertTrue(Files.size(kept) < 100, "no packet extracted: " + Files.size(kept));

        // With the HTTPS entry's protocol MTLS too, none is satisfied: the first entry's mismatch, as before.
        Files.writeString(topo, Files.readString(topo).replace("""
                    port: "4443"
                    protocol: https
                """, """
                    port: "4443"
                    protocol: mtls
                """));
        Cli.Run m = Cli.run("analyze", capture.toString(), "--topology", topo.toString(), "--format", "jsonl");
        assertEquals(0, m.status(), m.err());
        JsonNode mismatch = flow(m.records(), "tcp", 4443);
        assertEquals("protocol_mismatch", mismatch.get("verdict").asText(), mismatch.toString());
        why = mismatch.get("reason").asText();
        assertTrue(why.contains(topo + ":" + edge4443.get(0).line() + ": edge-internal tcp 4443 mtls"), why);
        assertFalse(why.contains(topo + ":" + edge4443.get(1).line() + ":"), why);
        x = Cli.run("analyze", capture.toString(), "--topology", topo.toString(), "--format", "jsonl", "--extract", kept.toString());
        assertEquals(0, x.status(), x.err());
        assertTrue(Files.size(kept) > Files.size(capture) / 2, "the flagged flow extracted: " + Files.size(kept));
    }

    /**
     * A trusted application added to a Front End pool (New-CsTrustedApplicationPool on the pool's FQDN, then
     * New-CsTrustedApplication -Port 6000: an ExternalServer service on the pool's cluster) listens on the Front
     * Ends; one on a pool of its own has no host with a role, and its port is not used.
     */
    @Test
    void aTrustedApplicationOnAFrontEndPoolListensOnTheFrontEnds() throws Exception {
        String contoso = Files.readString(TopologyImportTest.CONTOSO);
        String app = """
                    <Service RoleVersion="1" ServiceVersion="6" Type="Microsoft.Rtc.Management.Deploy.Internal.ServiceRoles.ExternalServerService">
                      <ServiceId SiteId="1" RoleName="ExternalServer" Instance="%d" />
                      <InstalledOn><ClusterId SiteId="1" Number="%d" /></InstalledOn>
                      <Ports xmlns="urn:schema:Microsoft.Rtc.Management.Deploy.ServiceRoles.2008">
                        <Port Owner="urn:application:%s" Usage="SipServer" InterfaceSide="Primary" InterfaceNumber="1" Port="%d" Protocol="Mtls" UrlPath="/" AuthorizesRequests="true" GruuType="%s" />
                      </Ports>
                    </Service>
                """;
        String apps = app.formatted(1, 1, "tapp2", 6000, "tapp2") + app.formatted(2, 6, "ucma1", 6001, "ucma1");
        String pool = "    <Cluster RequiresReplication=\"true\" RequiresSetup=\"true\" Fqdn=\"tapool.contoso.com\">\n"
                + "      <ClusterId SiteId=\"1\" Number=\"6\" />\n"
                + "      <Machine OrdinalInCluster=\"1\" Fqdn=\"tapool.contoso.com\"><NetInterface InterfaceSide=\"Primary\" InterfaceNumber=\"1\" IPAddress=\"10.1.7.11\" /></Machine>\n"
                + "    </Cluster>\n  </Clusters>";
        assertTrue(contoso.contains("  </Clusters>") && contoso.contains("  </Services>"));
        Path xml = Files.writeString(dir.resolve("trusted.xml"), contoso.replace("  </Clusters>", pool).replace("  </Services>", apps + "  </Services>"));
        Path topo = importTo(dir.resolve("t.yaml"), xml.toString(), "--hosts", TopologyImportTest.CONTOSO_HOSTS.toString());
        String yaml = Files.readString(topo);
        Topology t = Topology.load(topo, new Roles());
        List<org.portmatrix.classify.PortOverride> fe = t.ports().stream().filter(p -> p.role().equals("front-end") && p.portMin() == 6000).toList();
        assertEquals(1, fe.size(), yaml);
        assertEquals("mtls", fe.get(0).protocol());
        assertEquals(List.of("front-end", "director"), fe.get(0).from(), yaml);
        assertTrue(fe.get(0).note().startsWith("service ExternalServer, tapp2 SipServer, on pool01.contoso.com"), fe.get(0).note());
        assertTrue(t.ports().stream().noneMatch(p -> p.portMin() == 6001), yaml);
        assertTrue(yaml.contains("ExternalServer (front-end on pool01.contoso.com)."), yaml);
        assertTrue(yaml.contains("(their ports are not used): ExternalServer (on tapool.contoso.com)."), yaml);
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
    }

    /** Adds roles the topology does not know (a reverse proxy, clients) at the top of an imported file's roles. */
    private static void addRoles(Path yaml, String lines) throws Exception {
        String y = Files.readString(yaml);
        assertTrue(y.contains("\nroles:\n"), y);
        Files.writeString(yaml, y.replace("\nroles:\n", "\nroles:\n" + lines));
    }

    /**
     * Ports moved on a load-balanced pool's machines move on its virtual address too: the load balancer forwards
     * them. The contoso sample (addresses moved to loopback) with pool01's external web site moved from 8080/4443
     * to 8081/4444 (Topology Builder's "Override FQDN and ports" of the web services) and medpool's Mediation
     * Server SIP from 5070 to 5071. The entries were written for front-end and mediation only, so the reverse
     * proxy to pool01's VIP on 4444 and a Front End to medpool's VIP on 5071 were unexpected_port, and the old
     * 4443 and 5070 still accepted at the VIPs.
     */
    @Test
    void aPortMovedOnAPoolMovesOnItsLoadBalancer() throws Exception {
        String x = Files.readString(TopologyImportTest.CONTOSO);
        String web = "InterfaceSide=\"External\" InterfaceNumber=\"1\" Port=\"4443\" Protocol=\"Https\"";
        String http = "InterfaceSide=\"External\" InterfaceNumber=\"1\" Port=\"8080\" Protocol=\"Http\"";
        String sip = "<Port Owner=\"urn:component:MediationServer\" Usage=\"SipServer\" InterfaceSide=\"Primary\" InterfaceNumber=\"1\" Port=\"5070\"";
        // The first of each is pool01's (WebServices instance 1) and medpool's is the second MediationServer's.
        int w = x.indexOf(web), h = x.indexOf(http), m = x.indexOf(sip, x.indexOf(sip) + 1);
        assertTrue(w > 0 && h > 0 && m > 0 && x.indexOf("RoleName=\"MediationServer\" Instance=\"2\"") < m);
        StringBuilder b = new StringBuilder(x);
        b.replace(m, m + sip.length(), sip.replace("5070", "5071"));
        b.replace(w, w + web.length(), web.replace("4443", "4444"));
        b.replace(h, h + http.length(), http.replace("8080", "8081"));
        Path xml = Files.writeString(dir.resolve("moved.xml"), b.toString().replace("\"10.1.", "\"127.1."));
        Path hosts = Files.writeString(dir.resolve("hosts.csv"), """
                pool01.contoso.com,127.1.1.10
                fe01.contoso.com,127.1.1.11
                fe02.contoso.com,127.1.1.12
                fe03.contoso.com,127.1.1.13
                medpool.contoso.com,127.1.4.10
                """);
        Path topo = importTo(dir.resolve("t.yaml"), xml.toString(), "--hosts", hosts.toString());
        addRoles(topo, "  reverse-proxy: [127.9.9.9]\n");
        Path capture = new Wire()
                .tcp("127.9.9.9", 50010, "127.1.1.10", 4444, Wire.clientHello("webext.contoso.com"))   // reverse proxy -> pool01 VIP, moved
                .tcp("127.9.9.9", 50011, "127.1.1.10", 4443, Wire.clientHello("webext.contoso.com"))   // the old port at the VIP
                .tcp("127.9.9.9", 50012, "127.1.1.11", 4444, Wire.clientHello("webext.contoso.com"))   // the machine itself
                .tcp("127.1.1.11", 50013, "127.1.4.10", 5071, Wire.clientHello("medpool.contoso.com")) // Front End -> medpool VIP, moved
                .tcp("127.1.1.11", 50014, "127.1.4.10", 5070, Wire.clientHello("medpool.contoso.com")) // the old port at the VIP
                .write(dir.resolve("moved.pcap"));
        Cli.Run r = Cli.run("analyze", capture.toString(), "--topology", topo.toString(), "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        List<JsonNode> records = r.records();
        JsonNode vip = records.stream().filter(f -> f.get("dst_ip").asText().equals("127.1.1.10") && f.get("dst_port").asInt() == 4444)
                .findFirst().orElseThrow();
        assertEquals("expected", vip.get("verdict").asText(), vip.toString());
        assertTrue(vip.get("reason").asText().contains("fe-load-balancer tcp 4444 https"), vip.toString());
        JsonNode machine = records.stream().filter(f -> f.get("dst_ip").asText().equals("127.1.1.11")).findFirst().orElseThrow();
        assertEquals("expected", machine.get("verdict").asText(), machine.toString());
        JsonNode old = flow(records, "tcp", 4443);
        assertEquals("unexpected_port", old.get("verdict").asText(), old.toString());
        assertTrue(old.get("reason").asText().contains("fe-lb-https-4443") && old.get("reason").asText().contains("moved it"), old.toString());
        JsonNode med = flow(records, "tcp", 5071);
        assertEquals("[\"mediation-load-balancer\"]", med.get("dst_roles").toString(), med.toString());
        assertTrue(med.get("reason").asText().contains("configured in this deployment's topology")
                && med.get("reason").asText().contains("mediation-load-balancer tcp 5071 mtls"), med.toString());
        assertTrue(List.of("expected", "unverifiable").contains(med.get("verdict").asText()), med.toString()); // (MTLS: no client certificate seen)
        JsonNode oldSip = flow(records, "tcp", 5070);
        assertEquals("unexpected_port", oldSip.get("verdict").asText(), oldSip.toString());
        assertTrue(oldSip.get("reason").asText().contains("med-lb-sip-mtls-5070"), oldSip.toString());
        Topology t = Topology.load(topo, new Roles());
        assertTrue(t.ports().stream().anyMatch(p -> p.role().equals("fe-load-balancer") && p.portMin() == 4444
                && p.insteadOf().equals(List.of(new org.portmatrix.classify.PortOverride.PortRange(4443, 4443)))), t.ports().toString());
        assertTrue(t.ports().stream().anyMatch(p -> p.role().equals("fe-load-balancer") && p.portMin() == 8081), t.ports().toString());
        assertTrue(t.ports().stream().anyMatch(p -> p.role().equals("mediation-load-balancer") && p.portMin() == 5071
                && p.note().contains("on medpool.contoso.com (its load balancer)")), t.ports().toString());
        // Media ranges and ports the balancer never carried get no balancer entry.
        assertTrue(t.ports().stream().filter(p -> p.role().endsWith("load-balancer")).allMatch(p -> !p.insteadOf().isEmpty()), t.ports().toString());

    }

    /**
     * A hardware-load-balanced Edge pool: its External ports name the pool's external FQDN
     * ({@code ConfiguredFqdn="ExternalEdge.contoso.com"} in SfBAutomatedLab's file), whose address is the external
     * VIP. The import never read the attribute: a hosts row for the name was "not a machine or pool of the topology
     * that needs an address; not used", and an external user's traffic to the VIP was unknown_host.
     */
    @Test
    void anEdgePoolsExternalNameFromTheHostsFileIsItsExternalAddress() throws Exception {
        Path[] in = sfbal();
        Files.writeString(in[1], Files.readString(in[1]) + "externaledge.contoso.com,127.0.42.50\n");
        Path topo = dir.resolve("t.yaml");
        Cli.Run imp = Cli.run("topology", "import", in[0].toString(), "--hosts", in[1].toString(), "--output", topo.toString());
        assertEquals(0, imp.status(), imp.err());
        addRoles(topo, "  client: [127.0.50.0/24]\n");
        Path capture = new Wire()
                .tcp("127.0.50.7", 50020, "127.0.42.50", 5061, Wire.clientHello("externaledge.contoso.com")) // remote user's SIP
                .udp("127.0.50.7", 50021, "127.0.42.50", 3478, Wire.stunAllocate())                          // A/V: TURN over UDP
                .write(dir.resolve("external.pcap"));
        Cli.Run r = Cli.run("analyze", capture.toString(), "--topology", topo.toString(), "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        for (JsonNode f : r.records()) {
            assertEquals("[\"edge-external\"]", f.get("dst_roles").toString(), f.toString());
            assertEquals("expected", f.get("verdict").asText(), f.toString());
        }
        assertEquals(2, r.records().size(), r.out());
        assertFalse(imp.err().contains("not used"), imp.err());
        assertFalse(imp.err().contains("  externaledge.contoso.com ("), imp.err());
        assertTrue(Files.readString(topo).lines().anyMatch(l -> l.contains("127.0.42.50/32") && l.contains("externaledge.contoso.com, pool edgepool.contoso.com")
                && l.contains("ConfiguredFqdn") && l.contains("hosts.csv")), Files.readString(topo));

        // Without the row, the name is listed as unresolved.
        Files.writeString(in[1], Files.readString(in[1]).replace("externaledge.contoso.com,127.0.42.50\n", ""));
        Cli.Run without = Cli.run("topology", "import", in[0].toString(), "--hosts", in[1].toString());
        assertEquals(0, without.status(), without.err());
        assertTrue(without.err().contains("  externaledge.contoso.com (ConfiguredFqdn of External ports of the Edge pool edgepool.contoso.com)"),
                without.err());
        assertFalse(without.out().contains("127.0.42.50"), without.out());

        // Resolved to an address that holds another role (split-brain DNS inside: the name answers with the Front End
        // pool's address): not the Edge's. It took edge-external, and every External port of the Edge with it.
        Files.writeString(in[1], Files.readString(in[1]) + "externaledge.contoso.com,127.0.1.10\n");
        Cli.Run split = Cli.run("topology", "import", in[0].toString(), "--hosts", in[1].toString(), "--output", topo.toString());
        assertEquals(0, split.status(), split.err());
        assertTrue(split.err().contains("  externaledge.contoso.com (ConfiguredFqdn of External ports of the Edge pool edgepool.contoso.com;"
                + " resolved to 127.0.1.10, an address of fe-load-balancer here (an internal DNS answer?): not taken as the Edge's)"), split.err());
        String yaml = Files.readString(topo);
        assertTrue(yaml.lines().anyMatch(l -> l.contains("127.0.1.10/32") && l.contains("frontendpool.contoso.com")), yaml);
        assertFalse(yaml.lines().anyMatch(l -> l.contains("127.0.1.10/32") && l.contains("ConfiguredFqdn")), yaml);
        Path internal = new Wire().tcp("127.0.1.11", 50020, "127.0.1.10", 50000, Wire.clientHello("frontendpool.contoso.com"))
                .write(dir.resolve("internal.pcap"));
        Cli.Run toVip = Cli.run("analyze", internal.toString(), "--topology", topo.toString(), "--format", "jsonl");
        assertEquals("[\"fe-load-balancer\"]", toVip.records().get(0).get("dst_roles").toString(), toVip.out());
        assertEquals("unexpected_port", toVip.records().get(0).get("verdict").asText(), toVip.out());
    }

    /**
     * An Edge server with three external addresses (Access Edge, Web Conferencing, A/V: edge01 of the Northwind
     * sample, External interfaces 1, 2 and 3 behind NAT; edge02 has interface 1 only), its External Port elements
     * naming their interface by InterfaceNumber. Every External element applied to every external address: an
     * external client's MS-TURN over TCP to the A/V address on 443 met the Access Edge's "443 tls" entry first and
     * was protocol_mismatch, and media to the Access Edge address was expected.
     */
    @Test
    void edgeExternalPortsApplyToTheInterfaceTheyName() throws Exception {
        String x = Files.readString(TopologyImportTest.NORTHWIND);
        Path xml = Files.writeString(dir.resolve("northwind.xml"),
                x.replace("\"172.16.0.", "\"127.16.0.").replace("\"198.51.100.", "\"127.51.100.").replace("\"10.", "\"127."));
        Path topo = importTo(dir.resolve("t.yaml"), xml.toString());
        addRoles(topo, "  client: [127.50.0.0/16]\n");
        String access = "127.51.100.11", webconf = "127.51.100.21", av = "127.51.100.31", edge02 = "127.51.100.12";
        Path capture = new Wire()
                .tcp("127.50.0.7", 50030, av, 443, Wire.msTurnTcp(Wire.stunAllocate()))          // A/V: TURN over TCP
                .udp("127.50.0.7", 50031, av, 50010, new byte[] {(byte) 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1})
                .tcp("127.50.0.7", 50032, access, 443, Wire.clientHello("sip.northwind.test"))    // Access Edge: SIP over TLS
                .udp("127.50.0.7", 50033, access, 50010, new byte[] {(byte) 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1})
                .tcp("127.50.0.7", 50034, webconf, 443, Wire.clientHello("webconf.northwind.test"))
                .udp("127.50.0.7", 50035, edge02, 50010, new byte[] {(byte) 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1})
                .write(dir.resolve("edge.pcap"));
        Cli.Run r = Cli.run("analyze", capture.toString(), "--topology", topo.toString(), "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        java.util.Map<Integer, JsonNode> bySrcPort = new java.util.HashMap<>();
        for (JsonNode f : r.records()) {
            bySrcPort.put(f.get("src_port").asInt(), f);
        }
        assertEquals(6, bySrcPort.size(), r.out());
        JsonNode turn = bySrcPort.get(50030);
        assertEquals("expected", turn.get("verdict").asText(), turn.toString());
        assertTrue(turn.get("reason").asText().contains("edge-external tcp 443 on 127.16.0.12, 127.16.0.31, 127.51.100.12, 127.51.100.31"), turn.toString());
        assertEquals("expected", bySrcPort.get(50031).get("verdict").asText(), bySrcPort.get(50031).toString());
        assertEquals("expected", bySrcPort.get(50032).get("verdict").asText(), bySrcPort.get(50032).toString());
        JsonNode mediaAtAccess = bySrcPort.get(50033);
        assertEquals("unexpected_port", mediaAtAccess.get("verdict").asText(), mediaAtAccess.toString());
        assertEquals("expected", bySrcPort.get(50034).get("verdict").asText(), bySrcPort.get(50034).toString());
        // edge02 has no interface 3: the A/V elements apply to its one external address.
        assertEquals("expected", bySrcPort.get(50035).get("verdict").asText(), bySrcPort.get(50035).toString());

        // A single-address Edge (every External element on interface 1, as in SfBAutomatedLab's file): no hosts.
        Path[] in = sfbal();
        Topology single = Topology.load(importTo(dir.resolve("single.yaml"), in[0].toString(), "--hosts", in[1].toString()), new Roles());
        assertTrue(single.ports().stream().filter(p -> p.role().equals("edge-external")).allMatch(p -> p.hosts().isEmpty()), single.ports().toString());
        assertTrue(single.ports().stream().anyMatch(p -> p.role().equals("edge-external") && p.portMin() == 50000));
    }
}
