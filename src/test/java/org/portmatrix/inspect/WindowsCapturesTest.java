package org.portmatrix.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.portmatrix.cli.Runs;

/**
 * The captures of captures/windows/ (make-windows.py): the sample's TLS and SIP payloads written again in the shapes
 * Windows capture tools give them on a Lync server, each flow asserted as a UC engineer reads it in Wireshark.
 */
class WindowsCapturesTest {
    static final String TOPOLOGY = "captures/windows/windows-topology.yaml";

    static List<JsonNode> flows(String capture) throws Exception {
        Runs.Ran r = Runs.main("analyze", "captures/windows/" + capture, "--topology", TOPOLOGY, "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        return r.jsonLines();
    }

    static JsonNode one(List<JsonNode> flows, String transport, int dstPort) {
        List<JsonNode> l = flows.stream()
                .filter(f -> f.get("transport").asText().equals(transport) && f.get("dst_port").asInt() == dstPort).toList();
        assertEquals(1, l.size(), transport + "/" + dstPort + ": " + flows);
        return l.get(0);
    }

    /**
     * pktmon writes a packet once per network stack component it passed (five here: TCPIP, the QoS Packet Scheduler, two
     * WFP filters, the virtual NIC), each copy on the interface of its component. The copies are counted as tshark
     * counts them, but inspected once: the five copies of each packet had spent a direction's 8 payloads on two
     * packets, so that the Front End's MTLS connection to the Mediation Server, whose certificate flight came in seven
     * segments, was unverifiable ("the handshake ran past the 8 payloads inspected per direction"), and six RTP packets
     * in sequence each way were "too few packets ... to tell the protocol".
     */
    @Test
    void aPacketPktmonWroteOncePerComponentIsInspectedOnce() throws Exception {
        List<JsonNode> flows = flows("pktmon.pcapng");
        assertEquals(2, flows.size(), flows.toString());
        JsonNode mtls = one(flows, "tcp", 5070);
        assertEquals("expected", mtls.get("verdict").asText(), mtls.toString());
        assertEquals("med-sip-mtls-5070", mtls.get("rule").asText(), mtls.toString());
        assertEquals("present", mtls.get("tls").get("client_certificate").asText(), mtls.toString());
        assertEquals(12 * 5, mtls.get("packets_fwd").asInt()); // every copy counted, as tshark -z conv,tcp does
        assertEquals(11 * 5, mtls.get("packets_rev").asInt());
        JsonNode rtp = one(flows, "udp", 20000);
        assertEquals("expected", rtp.get("verdict").asText(), rtp.toString());
        assertEquals("rtp", rtp.get("app_protocol").asText(), rtp.toString());
        assertEquals(6 * 5, rtp.get("packets_fwd").asInt());
    }

    /**
     * Npcap on a Front End catches what it sends before Large Send Offload: one TCP segment per send, far above the
     * MTU, with IPv4 total length 0 (Wireshark: "reported as 0, presumed to be because of TCP segmentation offload")
     * or IPv6 payload length 0, and checksums the NIC fills in later. The 9 KB server flight of an MTLS handshake and
     * a 20 KB SIP NOTIFY are read whole.
     */
    @Test
    void segmentsCaughtBeforeLargeSendOffloadAreReadWhole() throws Exception {
        List<JsonNode> flows = flows("npcap-lso.pcapng");
        assertEquals(3, flows.size(), flows.toString());
        JsonNode mtls = one(flows, "tcp", 5061);
        assertEquals("expected", mtls.get("verdict").asText(), mtls.toString());
        assertEquals("present", mtls.get("tls").get("client_certificate").asText(), mtls.toString());
        assertEquals(10, mtls.get("packets_rev").asInt());
        JsonNode sip = one(flows, "tcp", 5060);
        assertEquals("expected", sip.get("verdict").asText(), sip.toString());
        assertEquals("sip", sip.get("app_protocol").asText(), sip.toString());
        JsonNode https = one(flows, "tcp", 443);
        assertEquals("expected", https.get("verdict").asText(), https.toString());
        assertEquals("fd00:10:2::21", https.get("src_ip").asText(), https.toString());
    }
}
