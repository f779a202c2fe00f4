package org.portmatrix.classify.lync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.classify.Cidr;
import org.portmatrix.classify.Roles;
import org.portmatrix.classify.Topology;

/**
 * {@code analyze} without a topology infers roles from the traffic. Oracles: the sample capture's own
 * topology (captures/sample-topology.yaml) and the reference workload's truth file, never the tool's output.
 */
class RoleInferenceTest {
    static final Path WORKLOAD_SCRIPT = Path.of("..", "shared", "bench", "make_lync_mix.py");
    static final Path WORK = Path.of("target", "topology-inference");

    @TempDir
    Path dir;

    private static Set<String> rolesOf(Topology t, Roles roles, String address) {
        Cidr c = Cidr.parse(address);
        return Set.copyOf(roles.names(t.rolesOf(c.hi(), c.lo())));
    }

    @Test
    void sampleCapture() throws Exception {
        Path written = dir.resolve("inferred.yaml");
        Cli.Run r = Cli.run("analyze", "captures/sample.pcap", "--format", "jsonl", "--write-topology", written.toString());
        assertEquals(0, r.status(), r.err());
        Roles roles = new Roles();
        Topology inferred = Topology.load(written, roles);
        Roles sampleRoles = new Roles();
        Topology truth = Topology.load(Path.of("captures/sample-topology.yaml"), sampleRoles);
        // Front End (serves SIP 5061 and the Focus port 444), Edge (STUN 3478), clients (only start client flows):
        for (String a : List.of("127.0.1.10", "127.0.3.10", "127.0.10.21", "127.0.10.22", "127.0.10.23")) {
            assertEquals(rolesOf(truth, sampleRoles, a), rolesOf(inferred, roles, a), a);
        }
        // The Director and the Mediation Server only start flows that several server roles start: not
        // inferred, and said so on standard error and in the written file.
        for (String a : List.of("127.0.2.10", "127.0.4.10")) {
            assertEquals(Set.of(), rolesOf(inferred, roles, a), a);
            assertTrue(r.err().contains("  " + a + ": could be "), r.err());
            assertTrue(Files.readString(written).contains("#   " + a + ": could be"), a);
        }
        // The host outside the sample's topology starts a client's flow: inference can only call it a client.
        assertEquals(Set.of(), rolesOf(truth, sampleRoles, "127.0.99.1"));
        assertEquals(Set.of("client"), rolesOf(inferred, roles, "127.0.99.1"));
        List<JsonNode> records = r.records();
        assertEquals(10, records.size());
        for (JsonNode f : records) {
            String reason = f.get("reason").asText();
            assertTrue(reason.contains("Roles inferred from traffic"), f.toString());
            if (f.get("verdict").asText().equals("unknown_host")) {
                // No topology was given: the reason says the inference gave no role, not that a topology left the host out.
                assertTrue(reason.contains("no role inferred from the traffic") && !reason.contains("outside the topology"), reason);
            }
        }
        assertTrue(records.stream().anyMatch(f -> f.get("verdict").asText().equals("unknown_host")), "the Mediation Server's flow");
        // The RDP flow stays outside the matrix with the inferred roles.
        JsonNode rdp = records.stream().filter(f -> f.get("dst_port").asInt() == 3389).findFirst().orElseThrow();
        assertEquals("unexpected_port", rdp.get("verdict").asText());
        assertEquals("client", rdp.get("src_roles").get(0).asText());
        assertEquals("front-end", rdp.get("dst_roles").get(0).asText());
    }

    /**
     * A host that answered its peers' UDP with ICMP port unreachable (or whose flows a filter refused)
     * served nothing: the inference said it "serves only ports no catalog rule documents: udp/50002,
     * udp/50006", the very ports it refused (the errors were ICMP flows of their own in the first pass).
     */
    @Test
    void portsRefusedWithIcmpErrorsAreNotServed() throws Exception {
        Path written = dir.resolve("inferred.yaml");
        Cli.Run r = Cli.run("analyze", "captures/icmp/icmp-errors.pcap", "--format", "jsonl", "--write-topology", written.toString());
        assertEquals(0, r.status(), r.err());
        for (String a : List.of("127.0.1.10", "fd00:44::10")) {
            assertTrue(r.err().contains("  " + a + ": served no port: the flows to it were refused (ICMP errors) or never answered"), r.err());
            assertTrue(Files.readString(written).contains("#   " + a + ": served no port"), Files.readString(written));
        }
        assertFalse(r.err().contains("serves only ports"), r.err());
    }

    @Test
    void noInferLeavesEveryHostUnknown() throws Exception {
        Cli.Run r = Cli.run("analyze", "captures/sample.pcap", "--format", "jsonl", "--no-infer");
        assertEquals(0, r.status(), r.err());
        for (JsonNode f : r.records()) {
            assertEquals("unknown_host", f.get("verdict").asText());
        }
        Cli.Run bad = Cli.run("analyze", "captures/sample.pcap", "--topology", "captures/sample-topology.yaml", "--write-topology", "x.yaml");
        assertEquals(2, bad.status());
        assertTrue(bad.err().startsWith("portmatrix: analyze: --write-topology"), bad.err());
    }

    @Test
    void writeTopologyFromAPipeIsAUsageErrorNotANote() throws Exception {
        // Roles are inferred in a first pass, which a pipe cannot give: the file was not written, yet the exit status was 0.
        Path dir = Files.createTempDirectory("pm-infer");
        Path fifo = dir.resolve("in.pcap");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        Path written = dir.resolve("roles.yaml");
        Cli.Run r = Cli.run("analyze", fifo.toString(), "--write-topology", written.toString());
        assertEquals(2, r.status(), r.err());
        assertEquals("portmatrix: " + written + ": not written: roles are inferred from a first pass over the captures, and " + fifo
                + " can be read only once (give capture files)", r.err().strip());
        assertFalse(Files.exists(written));
    }

    /** The truth file's role of every address (as Cidr text, so that IPv6 spellings compare). */
    private static Map<String, String> truthRoles(Path truth) throws Exception {
        ObjectMapper m = new ObjectMapper();
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : Files.readAllLines(truth)) {
            JsonNode j = m.readTree(line);
            out.put(Cidr.parse(j.get("src").asText()).toString(), j.get("src_role").asText());
            out.put(Cidr.parse(j.get("dst").asText()).toString(), j.get("dst_role").asText());
        }
        return out;
    }

    @Test
    void referenceWorkloadServerRoles() throws Exception {
        Files.createDirectories(WORK);
        Path pcap = WORK.resolve("lync-mix-200k.pcap");
        Path topology = WORK.resolve("lync-mix-200k.yaml");
        Path truth = WORK.resolve("lync-mix-200k.truth.jsonl");
        Process p = new ProcessBuilder("python3", WORKLOAD_SCRIPT.toString(), "--packets", "200000", "-o", pcap.toString(),
                "--topology", topology.toString(), "--truth", truth.toString()).redirectErrorStream(true)
                .redirectOutput(WORK.resolve("make_lync_mix.log").toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "make_lync_mix.py took too long");
        assertEquals(0, p.exitValue(), Files.readString(WORK.resolve("make_lync_mix.log")));

        Path written = WORK.resolve("inferred.yaml");
        Cli.Run r = Cli.run("analyze", pcap.toString(), "--format", "jsonl", "--output", WORK.resolve("flows.jsonl").toString(),
                "--write-topology", written.toString());
        assertEquals(0, r.status(), r.err());
        Roles roles = new Roles();
        Topology inferred = Topology.load(written, roles);
        Roles truthVocabulary = new Roles();
        Topology workload = Topology.load(topology, truthVocabulary);

        Map<String, String> truthRole = truthRoles(truth);
        List<String> servers = new ArrayList<>();
        List<String> missed = new ArrayList<>();
        int clients = 0;
        int clientsRight = 0;
        for (Map.Entry<String, String> e : truthRole.entrySet()) {
            String a = e.getKey().substring(0, e.getKey().indexOf('/'));
            // the truth file and the workload's topology agree on every address
            assertEquals(Set.of(e.getValue()), rolesOf(workload, truthVocabulary, a), a);
            Set<String> got = rolesOf(inferred, roles, a);
            if (e.getValue().equals("client")) {
                clients++;
                clientsRight += got.equals(Set.of("client")) ? 1 : 0;
                continue;
            }
            servers.add(a);
            if (!got.equals(Set.of(e.getValue()))) {
                missed.add(a + " is " + e.getValue() + ", inferred " + (got.isEmpty() ? "nothing" : got));
            }
        }
        double share = 1.0 - (double) missed.size() / servers.size();
        System.out.printf("role inference on the reference workload (200,000 packets): %d of %d server hosts right (%.1f%%), "
                + "%d of %d clients; not right: %s%n", servers.size() - missed.size(), servers.size(), share * 100, clientsRight, clients,
                missed.isEmpty() ? "none" : missed);
        assertTrue(servers.size() >= 30, "the workload has server hosts: " + servers.size());
        assertTrue(share >= 0.95, "server hosts inferred right: " + share + "; not right: " + missed);
        assertTrue(clientsRight >= 0.95 * clients, clientsRight + " of " + clients + " clients");
        // every verdict says its roles were inferred
        for (String line : Files.readAllLines(WORK.resolve("flows.jsonl"))) {
            assertTrue(line.contains("Roles inferred from traffic"), line);
        }
        // The hosts counted as every count is ("1,694 of 1,695 hosts"), on standard error and in the text report's header,
        // which said "topology: inferred from traffic (1694 of 1695 hosts; no --topology)" under "3,000 flows".
        String hosts = String.format(java.util.Locale.ROOT, "%,d", truthRole.size());
        assertTrue(truthRole.size() >= 1000, "the workload's hosts: " + truthRole.size());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("roles inferred from the traffic \\(a first pass over the captures\\) for"
                + " (\\d{1,3}(?:,\\d{3})*) of " + java.util.regex.Pattern.quote(hosts) + " hosts \\((\\d+) servers, (\\d{1,3}(?:,\\d{3})+) clients\\)")
                .matcher(r.err());
        assertTrue(m.find(), r.err());
        Cli.Run text = Cli.run("analyze", pcap.toString());
        assertEquals(0, text.status(), text.err());
        assertTrue(text.out().contains("; topology: inferred from traffic (" + m.group(1) + " of " + hosts + " hosts; no --topology)\n"),
                text.out().lines().limit(4).toList().toString());
    }
}
