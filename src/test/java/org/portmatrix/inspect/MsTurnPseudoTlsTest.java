package org.portmatrix.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.portmatrix.inspect.InspectCapturesTest.analyzeUnder;
import static org.portmatrix.inspect.LookalikesCaptureTest.run;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * MS-TURN's pseudo-TLS ([MS-TURN] 2.1.1): the A/V Edge's TURN over TCP 443 opens with a ClientHello, answered by a
 * ServerHello and a ServerHelloDone in one record and no certificate, then carries TURN messages in MS-TURN's TCP
 * framing (2.1.4). captures/inspect/ms-turn-pseudo-tls.pcap (record-ms-turn-pseudo-tls.sh) has such a session (T1, both
 * ends written from the specification over the kernel's TCP) and, as the control, real TLS 1.2 whose server flight is the
 * same two messages (T2: openssl with a pre-shared key and no certificate). Read as TLS, T1 matched the port's TLS rule
 * (the Access Edge's SIP, client-sip-tls-443-external) and left the A/V Edge's STUN/MS-TURN rule of the same port unused:
 * a change board reading the coverage would see TCP 443's TURN as a candidate to close.
 */
class MsTurnPseudoTlsTest {
    static final String CAPTURE = "captures/inspect/ms-turn-pseudo-tls.pcap";
    static final String TOPOLOGY = "captures/inspect/lookalikes-topology.yaml";
    static final String MS_TURN_CLIENT = "127.5.10.24";
    static final String PSK_CLIENT = "127.5.10.25";

    /** tshark, the decoding oracle: both server flights are a ServerHello and a ServerHelloDone; what follows differs. */
    @Test
    void tsharkSeesTheSameServerFlightAndDifferentClientsAfterIt() throws Exception {
        List<String> flights = new ArrayList<>();
        for (String line : run("tshark", "-n", "-r", CAPTURE, "-d", "tcp.port==443,tls", "-Y", "tls", "-T", "fields",
                "-e", "ip.src", "-e", "tls.handshake.type", "-e", "tls.record.content_type").split("\n")) {
            if (!line.isBlank()) {
                flights.add(line);
            }
        }
        // T1: the pseudo-TLS flight in one record, as [MS-TURN] 2.1.1 has it; T2: openssl's, one record per message
        assertTrue(flights.contains("127.5.3.10\t2,14\t22"), flights.toString());
        assertTrue(flights.contains("127.5.3.10\t2,14\t22,22"), flights.toString());
        assertTrue(flights.stream().anyMatch(l -> l.startsWith(PSK_CLIENT + "\t16\t")), flights.toString()); // ClientKeyExchange
        // T1's client goes on with bytes tshark reads as no record at all (MS-TURN's control frame, type 0x02)
        assertTrue(flights.contains(MS_TURN_CLIENT + "\t\t"), flights.toString());
    }

    @Test
    void turnOverPseudoTlsIsMsTurnOnTheStunRule() throws Exception {
        InspectCapturesTest.Analysis a = analyzeUnder(TOPOLOGY, "ms-turn-pseudo-tls.pcap", "jsonl");
        JsonNode turn = a.one(MS_TURN_CLIENT, "tcp", 443);
        InspectCapturesTest.assertFlow(turn, "expected", "ms-turn", "client-stun-tcp-443");
        assertTrue(turn.get("reason").asText().contains("the wire shows MS-TURN Allocate Request (no magic cookie, MAGIC-COOKIE"
                + " attribute), MS-TURN TCP framing, after MS-TURN's pseudo-TLS handshake."), turn.toString());
        assertTrue(turn.get("tls").isNull(), turn.toString());
        // The control: a real handshake with the same server flight stays TLS, its client certificate absent (a PSK)
        JsonNode tls = a.one(PSK_CLIENT, "tcp", 443);
        InspectCapturesTest.assertFlow(tls, "expected", "tls", "client-sip-tls-443-external");
        assertEquals("TLS 1.2", tls.get("tls").get("version").asText(), tls.toString());
        assertEquals("absent", tls.get("tls").get("client_certificate").asText(), tls.toString());
    }

    /** Without the frame after it (the capture ends at the server's flight), the session is not called MS-TURN. */
    @Test
    void theFlightAloneIsNotEnough() throws Exception {
        Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "pm-pseudo-tls");
        try {
            Path cut = dir.resolve("ms-turn-pseudo-tls.pcap");
            run("editcap", "-r", CAPTURE, cut.toString(), "1-7"); // T1's handshake, the client's ACK of the server's flight
            assertEquals("6\t2,14", run("tshark", "-n", "-r", cut.toString(), "-d", "tcp.port==443,tls", "-Y",
                    "tls.handshake.type == 14", "-T", "fields", "-e", "frame.number", "-e", "tls.handshake.type").strip());
            InspectCapturesTest.Analysis a = analyzeUnder(TOPOLOGY, "../../" + cut, "jsonl");
            JsonNode f = a.one(MS_TURN_CLIENT, "tcp", 443);
            assertEquals("tls", f.get("app_protocol").asText(), f.toString());
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
