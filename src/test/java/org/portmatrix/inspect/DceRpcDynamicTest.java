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
