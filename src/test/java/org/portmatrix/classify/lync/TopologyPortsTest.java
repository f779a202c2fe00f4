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
}
