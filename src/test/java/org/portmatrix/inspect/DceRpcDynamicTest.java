package org.portmatrix.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.portmatrix.inspect.InspectCapturesTest.analyzeUnder;
import static org.portmatrix.inspect.LookalikesCaptureTest.run;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * DCOM and RPC, documented on TCP 135 between Lync servers (fe-dcerpc-135), ask the server's endpoint mapper on 135
 * for an interface's endpoint and then connect to the dynamic port it names. captures/inspect/dcerpc-dynamic.pcap
 * (record-dcerpc-dynamic.sh: Samba's samba-dcerpcd on the Front End, Impacket's clients) has a Director's ept_map for
 * SAMR on 135, its bind and SamrConnect on the port the answer names, and, as the control, the Mediation Server binding
 * to that port without asking the mapper. The Director's second connection had been flagged `unexpected_role_pair` on
 * the Front End's application sharing range (a Director moving users was outside the matrix at every move).
 */
class DceRpcDynamicTest {
    static final String CAPTURE = "captures/inspect/dcerpc-dynamic.pcap";
    static final String TOPOLOGY = "captures/inspect/inspect-topology.yaml";
    static final String DIRECTOR = "127.5.2.10";
    static final String MEDIATION = "127.5.4.10";

    /** The port the endpoint mapper handed out, as tshark decodes its Map response (Samba's choice varies by run). */
    static int handedOut(String capture) throws Exception {
        String out = run("tshark", "-n", "-r", capture, "-Y", "epm && ip.src == 127.5.1.10", "-T", "fields", "-e",
                "epm.proto.tcp_port", "-e", "epm.proto.ip").strip();
        String[] f = out.split("\t");
        assertEquals(2, f.length, out);
        assertEquals("127.5.1.10", f[1], out);
        int port = Integer.parseInt(f[0]);
        assertTrue(port >= 49152, out);
        return port;
    }

    @Test
    void rpcOnTheEndpointTheMapperHandedOutIsTheDocumentedRpc() throws Exception {
        int port = handedOut(CAPTURE);
        InspectCapturesTest.Analysis a = analyzeUnder(TOPOLOGY, "dcerpc-dynamic.pcap", "jsonl");
        JsonNode mapper = a.one(DIRECTOR, "tcp", 135);
        InspectCapturesTest.assertFlow(mapper, "expected", "dcerpc", "fe-dcerpc-135");
        JsonNode rpc = a.one(DIRECTOR, "tcp", port);
        InspectCapturesTest.assertFlow(rpc, "expected", "dcerpc", "fe-dcerpc-135");
        assertEquals("TCP " + port + " from director to front-end is RPC on a dynamic endpoint: the endpoint mapper on TCP 135 of"
                + " 127.5.1.10 handed this port to 127.5.2.10 (flow " + mapper.get("flow_id").asLong() + "), and the catalog"
                + " documents DCOM and RPC on TCP 135 (rule fe-dcerpc-135, Lync Server Front-End service; seed: Required Server"
                + " Ports (by Server Role), row 5). On the wire: DCE/RPC v5 bind.", rpc.get("reason").asText());
        // The control: a host that did not ask the mapper is judged by the port alone, as before
        JsonNode other = a.one(MEDIATION, "tcp", port);
        assertEquals("protocol_mismatch", other.get("verdict").asText(), other.toString());
        assertEquals("dcerpc", other.get("app_protocol").asText(), other.toString());
    }

    /** The tower's IPv4 floor as a pattern (lhs 0x09, rhs of 4 bytes) followed by the address. */
    static byte[] ipFloor(int a, int b, int c, int d) {
        return new byte[] {1, 0, 9, 4, 0, (byte) a, (byte) b, (byte) c, (byte) d};
    }

    /** {@code capture}'s bytes with the Map response's IPv4 floor naming {@code to} instead of 127.5.1.10 (once). */
    static byte[] towerNaming(byte[] capture, byte[] to) {
        byte[] from = ipFloor(127, 5, 1, 10);
        byte[] out = capture.clone();
        int found = -1;
        for (int i = 0; i + from.length <= out.length; i++) {
            if (java.util.Arrays.equals(out, i, i + from.length, from, 0, from.length)) {
                assertEquals(-1, found, "one IPv4 floor");
                found = i;
            }
        }
        assertTrue(found >= 0, "the Map response's IPv4 floor");
        System.arraycopy(to, 0, out, found, to.length);
        return out;
    }

    /**
     * The tower's IPv4 address is the server's own view of itself (a server behind NAT, or one with several addresses,
     * names one the client does not use); the RPC runtime takes the port from it and connects to the address it asked:
     * the Director's RPC to 127.5.1.10 is the RPC the mapper of 127.5.1.10 handed out, whatever address its tower names.
     */
    @Test
    void theTowersAddressIsNotWhereTheClientConnects() throws Exception {
        int port = handedOut(CAPTURE);
        Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "pm-dcerpc");
        try {
            Path nat = dir.resolve("dcerpc-dynamic.pcap");
            Files.write(nat, towerNaming(Files.readAllBytes(Path.of(CAPTURE)), ipFloor(10, 1, 1, 10)));
            assertEquals(port + "\t10.1.1.10", run("tshark", "-n", "-r", nat.toString(), "-Y", "epm && ip.src == 127.5.1.10", "-T", "fields",
                    "-e", "epm.proto.tcp_port", "-e", "epm.proto.ip").strip());
            InspectCapturesTest.Analysis a = analyzeUnder(TOPOLOGY, "../../" + nat, "jsonl");
            JsonNode mapper = a.one(DIRECTOR, "tcp", 135);
            JsonNode rpc = a.one(DIRECTOR, "tcp", port);
            InspectCapturesTest.assertFlow(rpc, "expected", "dcerpc", "fe-dcerpc-135");
            assertTrue(rpc.get("reason").asText().contains("the endpoint mapper on TCP 135 of 127.5.1.10 handed this port to 127.5.2.10 (flow "
                    + mapper.get("flow_id").asLong() + ")"), rpc.toString());
        } finally {
            delete(dir);
        }
    }

    /**
     * The mapper of 127.5.1.10 naming another Front End, 127.5.1.11, in its tower, and the Director connecting to that
     * port on 127.5.1.11: 127.5.1.11's own mapper was never asked, and the flow is judged by its port (it had been
     * `expected`, "the endpoint mapper on TCP 135 of 127.5.1.11 handed this port", which no mapper of 127.5.1.11 did).
     */
    @Test
    void aPortOnAnotherHostIsJudgedByThePort() throws Exception {
        int port = handedOut(CAPTURE);
        Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "pm-dcerpc");
        try {
            Path mapper = dir.resolve("mapper.pcap");
            Path rpc = dir.resolve("rpc.pcap");
            Path moved = dir.resolve("moved.pcap");
            Path merged = dir.resolve("dcerpc-dynamic.pcap");
            run("tshark", "-n", "-r", CAPTURE, "-Y", "tcp.port == 135", "-w", mapper.toString());
            Files.write(mapper, towerNaming(Files.readAllBytes(mapper), ipFloor(127, 5, 1, 11)));
            run("tshark", "-n", "-r", CAPTURE, "-Y", "ip.addr == " + DIRECTOR + " && tcp.port == " + port, "-w", rpc.toString());
            run("tcprewrite", "--pnat=127.5.1.10/32:127.5.1.11/32", "--fixcsum", "-i", rpc.toString(), "-o", moved.toString());
            run("mergecap", "-F", "pcap", "-w", merged.toString(), mapper.toString(), moved.toString());
            assertEquals(port + "\t127.5.1.11", run("tshark", "-n", "-r", merged.toString(), "-Y", "epm && ip.src == 127.5.1.10", "-T", "fields",
                    "-e", "epm.proto.tcp_port", "-e", "epm.proto.ip").strip());
            assertEquals("127.5.1.11", run("tshark", "-n", "-r", merged.toString(), "-Y", "tcp.flags == 0x002 && tcp.dstport == " + port,
                    "-T", "fields", "-e", "ip.dst").strip());
            InspectCapturesTest.Analysis a = analyzeUnder(TOPOLOGY, "../../" + merged, "jsonl");
            InspectCapturesTest.assertFlow(a.one(DIRECTOR, "tcp", 135), "expected", "dcerpc", "fe-dcerpc-135");
            JsonNode other = a.one(DIRECTOR, "tcp", port);
            assertEquals("127.5.1.11", other.get("dst_ip").asText(), other.toString());
            assertEquals("unexpected_role_pair", other.get("verdict").asText(), other.toString());
            assertEquals("dcerpc", other.get("app_protocol").asText(), other.toString());
        } finally {
            delete(dir);
        }
    }

    static void delete(Path dir) throws java.io.IOException {
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    /** Without the mapper's answer in the capture (its connection cut out), the Director's RPC is judged by its port. */
    @Test
    void withoutTheMappersAnswerThePortAloneJudges() throws Exception {
        int port = handedOut(CAPTURE);
        Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "pm-dcerpc");
        try {
            Path cut = dir.resolve("dcerpc-dynamic.pcap");
            run("tshark", "-n", "-r", CAPTURE, "-Y", "!(tcp.port == 135)", "-w", cut.toString());
            InspectCapturesTest.Analysis a = analyzeUnder(TOPOLOGY, "../../" + cut, "jsonl");
            assertTrue(a.all(DIRECTOR, "tcp", 135).isEmpty(), a.flows().toString());
            JsonNode rpc = a.one(DIRECTOR, "tcp", port);
            assertEquals("unexpected_role_pair", rpc.get("verdict").asText(), rpc.toString());
            assertEquals("dcerpc", rpc.get("app_protocol").asText(), rpc.toString());
        } finally {
            try (var s = Files.list(dir)) {
                for (Path p : s.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }
}
