package org.portmatrix.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.portmatrix.cli.Main;
import org.portmatrix.hostile.Frames;
import org.portmatrix.hostile.PcapBytes;

/**
 * Verdicts and reasons of the classify stage on small captures written here, frame by frame, on a
 * topology of every server role (10.1.x.11 servers, .100 load balancers, 10.2/16 clients): run through
 * {@code analyze --format jsonl} as a user would.
 */
class ClassifierReasonsTest {
    static final String TOPOLOGY = """
            roles:
              front-end: [10.1.1.11/32]
              fe-load-balancer: [10.1.1.100/32]
              director: [10.1.2.11/32]
              director-load-balancer: [10.1.2.100/32]
              edge-internal: [10.1.3.11/32]
              mediation: [10.1.4.11/32]
              reverse-proxy: [10.1.5.11/32]
              pstn-gateway: [10.1.6.11/32]
              client: [10.2.0.0/16]
            """;
    static final String FRONT_END = "10.1.1.11";
    static final String DIRECTOR_LB = "10.1.2.100";
    static final String EDGE = "10.1.3.11";
    static final String MEDIATION = "10.1.4.11";
    static final String REVERSE_PROXY = "10.1.5.11";
    static final String CLIENT = "10.2.0.21";
    static final byte[] HTTP_GET = Frames.ascii("GET / HTTP/1.1\r\nHost: x\r\n\r\n");

    /** The flow records of the capture {@code w} on {@link #TOPOLOGY}. */
    static List<JsonNode> analyze(PcapBytes w) throws Exception {
        Path dir = Files.createTempDirectory("pm-classify");
        Path capture = w.write(dir.resolve("c.pcap"));
        Path topology = Files.writeString(dir.resolve("topology.yaml"), TOPOLOGY);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))
                .run(new String[] {"analyze", capture.toString(), "--topology", topology.toString(), "--format", "jsonl"});
        assertTrue(status == 0 || status == 1, "exit status " + status + ": " + err);
        List<JsonNode> flows = new ArrayList<>();
        ObjectMapper m = new ObjectMapper();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                flows.add(m.readTree(line));
            }
        }
        return flows;
    }

    /** A TCP connection from its SYN, with one request payload. */
    static void connection(PcapBytes w, String src, int sport, String dst, int dport, byte[] request) {
        w.packet(Frames.tcp(src, sport, dst, dport, Frames.SYN, new byte[0]));
        w.packet(Frames.tcp(dst, dport, src, sport, Frames.SYN | Frames.ACK, new byte[0]));
        w.packet(Frames.tcp(src, sport, dst, dport, Frames.ACK, new byte[0]));
        w.packet(Frames.tcp(src, sport, dst, dport, Frames.PSH | Frames.ACK, request));
    }

    static JsonNode one(List<JsonNode> flows, String src, int dstPort) {
        List<JsonNode> l = flows.stream().filter(f -> f.get("src_ip").asText().equals(src) && f.get("dst_port").asInt() == dstPort)
                .toList();
        assertEquals(1, l.size(), "flows from " + src + " to port " + dstPort + ": " + flows);
        return l.get(0);
    }

    /**
     * An unexpected_port reason names every role the port is documented for: TCP 8080 on the Director's
     * load balancer is documented for the Front End (Required Server Ports row 13), its load balancer
     * (Hardware Load Balancer row 5) and the Director (Single Director row 1). It said "documented for
     * front-end" alone, sending the firewall team to one role of three.
     */
    @Test
    void anUndocumentedPortNamesEveryRoleItIsDocumentedFor() throws Exception {
        PcapBytes w = new PcapBytes();
        connection(w, REVERSE_PROXY, 41016, DIRECTOR_LB, 8080, HTTP_GET);
        connection(w, CLIENT, 41000, MEDIATION, 443, HTTP_GET);
        List<JsonNode> flows = analyze(w);

        JsonNode http = one(flows, REVERSE_PROXY, 8080);
        assertEquals("unexpected_port", http.get("verdict").asText(), http.toString());
        String reason = http.get("reason").asText();
        assertTrue(reason.startsWith("No catalog rule serves TCP 8080 on director-load-balancer. The port is documented for front-end"
                + " (rule fe-web-http-8080, Lync Server Web Compatibility service; seed: Required Server Ports (by Server Role), row 13);"
                + " fe-load-balancer (rule fe-lb-http-8080, "), reason);
        assertTrue(reason.contains("; and director (rule dir-web-http-8080-rp, Director; seed: Single Director Ports and Protocols for"
                + " Firewall Definitions, row 1). On the wire: HTTP GET request."), reason);

        // TCP 443 is documented for seven roles: each is named, the first three with their rule's citation, two rules of
        // one role as one group ("also rule"), and none left out as "more".
        String https = one(flows, CLIENT, 443).get("reason").asText();
        for (String role : List.of("front-end (rule fe-web-https-443, ", "; also rule fe-mobility-https-443)", "; office-web-apps (rule ",
                "; director (rule dir-web-https-443, ", "; persistent-chat (rule pchat-file-transfer-tls-443)",
                "; fe-load-balancer (rule fe-lb-https-443)", "; director-load-balancer (rule dir-lb-https-443)",
                "; and edge-internal (rules ")) {
            assertTrue(https.contains(role), role + " in " + https);
        }
        assertFalse(https.contains("more role"), https);
    }
}
