package org.portmatrix.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/**
 * captures/inspect/start-seen.pcap (record-start-seen.sh): the same exchanges of text that is none of Lync's protocols,
 * each twice, on the Edge's STUN port 3478 and on a Front End's MTLS port 5061. Which end spoke first, or a capture that
 * lacks only a connection's SYN, had made the same payloads `unverifiable`, "the capture starts in the middle of the
 * connection", where their twin was `protocol_mismatch`.
 */
class StartSeenTest {
    private static final String TOPOLOGY = "captures/sample-topology.yaml";
    private static final String NONE = "a payload that is none of the protocols portmatrix recognises";
    private static final String MIDDLE = "the capture starts in the middle of the connection";

    private static JsonNode flow(InspectCapturesTest.Analysis a, String src, int srcPort) {
        for (JsonNode f : a.flows()) {
            if (f.get("src_ip").asText().equals(src) && f.get("src_port").asInt() == srcPort) {
                return f;
            }
        }
        throw new AssertionError("no flow from " + src + ":" + srcPort + ": " + a.flows());
    }

    /**
     * A UDP datagram is a whole message whichever end sent the first one: the Edge's port speaking first (the client
     * then inferred the initiator) is no capture begun in the middle of anything.
     */
    @Test
    void aUdpFlowWhoseResponderSpokeFirstIsJudgedAsItsTwin() throws Exception {
        InspectCapturesTest.Analysis a = InspectCapturesTest.analyzeUnder(TOPOLOGY, "start-seen.pcap", "jsonl");
        JsonNode clientFirst = flow(a, "127.0.10.31", 50060);
        JsonNode edgeFirst = flow(a, "127.0.10.32", 50062);
        assertFalse(clientFirst.get("direction_inferred").asBoolean(), clientFirst.toString());
        assertTrue(edgeFirst.get("direction_inferred").asBoolean(), edgeFirst.toString());
        for (JsonNode f : new JsonNode[] {clientFirst, edgeFirst}) {
            assertEquals(3478, f.get("dst_port").asInt(), f.toString());
            InspectCapturesTest.assertFlow(f, "protocol_mismatch", null, "client-stun-udp-3478");
            assertTrue(f.get("reason").asText().contains("but the wire shows " + NONE), f.toString());
            assertFalse(f.get("reason").asText().contains(MIDDLE), f.toString());
        }
    }

    /**
     * A TCP connection whose SYN-ACK is in the capture, its SYN not: each direction's first payload is the first of its
     * stream (the SYN-ACK's sequence numbers say where both begin), and an SMTP greeting there is not the middle of a SIP
     * message. The record had said "direction_inferred": false and, in its reason, that the capture began mid-connection.
     */
    @Test
    void aTcpConnectionCaughtFromItsSynAckIsJudgedAsOneCaughtFromItsSyn() throws Exception {
        InspectCapturesTest.Analysis a = InspectCapturesTest.analyzeUnder(TOPOLOGY, "start-seen.pcap", "jsonl");
        JsonNode whole = flow(a, "127.0.4.10", 45061);
        JsonNode fromSynAck = flow(a, "127.0.4.10", 45062);
        for (JsonNode f : new JsonNode[] {whole, fromSynAck}) {
            assertFalse(f.get("direction_inferred").asBoolean(), f.toString());
            assertEquals(5061, f.get("dst_port").asInt(), f.toString());
            InspectCapturesTest.assertFlow(f, "protocol_mismatch", null, "fe-sip-mtls-5061");
            assertTrue(f.get("reason").asText().contains("but the wire shows " + NONE), f.toString());
            assertFalse(f.get("reason").asText().contains(MIDDLE), f.toString());
        }
    }

    /**
     * captures/inspect/start-missed.pcap (record-start-missed.sh): two HTTP downloads from a Front End's 80 as a mirror of
     * the server's direction alone shows them, each answer's first data segment lost: the SYN-ACK says where the answer
     * begins, and what the capture has of it starts later, in the middle of its body. The first connection's segments are
     * up to 64 KiB (a capture with TSO/LSO), too long to be held for the gap before them; it had been inspected as the
     * answer's start, "none of the protocols portmatrix recognises", protocol_mismatch, where its twin of Ethernet-sized
     * segments (held, the gap never filled) was unverifiable. Both are unverifiable, their first bytes missing.
     */
    @Test
    void anAnswerWhoseFirstSegmentIsMissingIsUnverifiableHeldOrNot() throws Exception {
        InspectCapturesTest.Analysis a = InspectCapturesTest.analyzeUnder(TOPOLOGY, "start-missed.pcap", "jsonl");
        assertEquals(2, a.flows().size(), a.flows().toString());
        for (JsonNode f : new JsonNode[] {flow(a, "127.0.10.41", 50071), flow(a, "127.0.10.42", 50072)}) {
            assertFalse(f.get("direction_inferred").asBoolean(), f.toString());
            InspectCapturesTest.assertFlow(f, "unverifiable", null, "fe-web-http-80");
            assertTrue(f.get("reason").asText().contains(ProtocolCheck.START_MISSED), f.toString());
        }
    }
}
