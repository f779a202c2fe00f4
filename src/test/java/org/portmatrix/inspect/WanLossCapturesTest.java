package org.portmatrix.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * wan-loss.pcap and wan-mirror.pcap (record-wan-loss.sh): HTTPS, MTLS, SIP and HTTP through a router that lost one client
 * segment of each connection (the first with data; on 5061 one of the client certificate's), sent again by the client's
 * TCP after the segments that followed it. At the server's end (wan-loss.pcap) a ClientHello's, an INVITE's, an HTTP
 * request's second segment came first, read as the middle of a message: the three flows were protocol_mismatch ("a
 * payload that is none of the protocols portmatrix recognises"), and the MTLS one unverifiable ("packets of the
 * handshake are missing"), where a clean recording of the same exchange is expected. A segment ahead of its place is held
 * until the gap before it is filled; the verdicts are the clean recording's.
 */
class WanLossCapturesTest {
    static final String TOPOLOGY = "captures/inspect/wan-topology.yaml";
    static final String LOSS = "captures/inspect/wan-loss.pcap";
    static final String MIRROR = "captures/inspect/wan-mirror.pcap";
    static final String GAPS = "captures/inspect/wan-gaps.pcap";
    /** tshark's display filter for the segments that came after later ones: each connection's lost one, sent again. */
    static final String LATE = "tcp.analysis.retransmission || tcp.analysis.out_of_order";

    @Test
    void segmentsSentAgainAfterLaterOnesAreReadInSequence() throws Exception {
        // The capture shows what the test is about: each connection's late segment, after the segments that followed it.
        List<String> late = tshark(LOSS, LATE, "tcp.dstport");
        assertEquals(List.of("443", "5061", "5060", "80"), late);
        Map<Integer, JsonNode> flows = byPort(InspectCapturesTest.analyzeEdited(TOPOLOGY, LOSS));
        assertEquals(4, flows.size(), flows.toString());
        assertWire(flows, 443, "tls", "fe-web-https-443");
        assertWire(flows, 5061, "tls", "fe-sip-mtls-5061");
        assertWire(flows, 5060, "sip", "fe-sip-tcp-5060");
        assertWire(flows, 80, "http", "fe-web-http-80");
        JsonNode mtls = flows.get(5061).get("tls");
        assertEquals("present", mtls.get("client_certificate").asText(), mtls.toString());
        assertEquals("CN=med01.contoso.test,O=Contoso Test", mtls.get("client_certificates").get(0).get("subject").asText());
        assertTrue(flows.get(5060).get("reason").asText().contains("SIP INVITE request"), flows.get(5060).toString());
        assertTrue(flows.get(80).get("reason").asText().contains("HTTP GET request"), flows.get(80).toString());
        assertCountsAsTshark(LOSS, flows);
    }

    /**
     * A mirror port copying the router's ingress and egress (tcpdump -i any): every packet twice, the lost one once (seen
     * on the way in), its retransmission twice. One flow per connection, each packet counted as tshark counts it.
     */
    @Test
    void aMirrorPortsCopiesOfEachPacketMakeOneFlowEach() throws Exception {
        Map<Integer, JsonNode> flows = byPort(InspectCapturesTest.analyzeEdited(TOPOLOGY, MIRROR));
        assertEquals(6, flows.size(), flows.toString());
        assertWire(flows, 443, "tls", "fe-web-https-443");
        assertWire(flows, 5061, "tls", "fe-sip-mtls-5061");
        assertWire(flows, 5060, "sip", "fe-sip-tcp-5060");
        assertWire(flows, 80, "http", "fe-web-http-80");
        assertWire(flows, 3478, "stun", "client-stun-udp-3478");
        assertWire(flows, 50000, "rtp", "internal-audio-media-udp-49152-57500");
        assertEquals("present", flows.get(5061).get("tls").get("client_certificate").asText());
        assertCountsAsTshark(MIRROR, flows);
    }

    /**
     * The late segments not in the capture (lost by it as well): no flow is a mismatch. The server's answer tells the
     * protocol; the MTLS flow's client certificate is not seen, and it says why. With the client's direction alone, the
     * HTTPS and HTTP flows' first bytes seen are from the middle of a message: unverifiable, and why.
     */
    @Test
    void segmentsTheCaptureNeverShowsLeaveTheFlowUnverifiableNotAMismatch() throws Exception {
        Path dir = Files.createTempDirectory("pm-wan-loss");
        Path lost = filtered(dir, "lost.pcap", "!(" + LATE + ")");
        Map<Integer, JsonNode> flows = byPort(InspectCapturesTest.analyzeEdited(TOPOLOGY, lost.toString()));
        assertWire(flows, 443, "tls", "fe-web-https-443");
        assertWire(flows, 5060, "sip", "fe-sip-tcp-5060");
        assertWire(flows, 80, "http", "fe-web-http-80");
        JsonNode mtls = flows.get(5061);
        assertEquals("unverifiable", mtls.get("verdict").asText(), mtls.toString());
        assertTrue(mtls.get("reason").asText().endsWith("packets of the handshake are missing from the capture, or came out of order."),
                mtls.toString());

        Path oneWay = filtered(dir, "one-way.pcap", "ip.src == 192.0.2.0/24 && !(" + LATE + ")");
        flows = byPort(InspectCapturesTest.analyzeEdited(TOPOLOGY, oneWay.toString()));
        for (int port : new int[] {443, 80}) {
            JsonNode f = flows.get(port);
            assertEquals("unverifiable", f.get("verdict").asText(), f.toString());
            assertTrue(f.get("reason").asText().endsWith("the first bytes of the connection's data are missing from the capture (lost,"
                    + " and not seen sent again), and what came after them was not recognised."), f.toString());
        }
        for (JsonNode f : flows.values()) {
            assertNotEquals("protocol_mismatch", f.get("verdict").asText(), f.toString());
        }
    }

    /**
     * Without the clients' SYNs (a mirror port that missed them, or has them after the first data, as dumpcap's batches
     * of two interfaces may): the SYN-ACK's acknowledgment number says where the client's data starts, and its second
     * segment, seen first, waits for its first. The flows had been read from the middle (HTTPS and HTTP unverifiable, "the
     * capture starts in the middle of the connection", MTLS "packets missing").
     */
    @Test
    void withoutTheSynTheSynAckTellsWhereTheClientsDataStarts() throws Exception {
        Path dir = Files.createTempDirectory("pm-wan-nosyn");
        Path noSyn = filtered(dir, "no-syn.pcap", "!(tcp.flags.syn == 1 && tcp.flags.ack == 0)");
        Map<Integer, JsonNode> flows = byPort(InspectCapturesTest.analyzeEdited(TOPOLOGY, noSyn.toString()));
        assertEquals(4, flows.size(), flows.toString());
        assertWire(flows, 443, "tls", "fe-web-https-443");
        assertWire(flows, 5061, "tls", "fe-sip-mtls-5061");
        assertWire(flows, 5060, "sip", "fe-sip-tcp-5060");
        assertWire(flows, 80, "http", "fe-web-http-80");
        assertEquals("present", flows.get(5061).get("tls").get("client_certificate").asText());
    }

    /**
     * The HTTP connection's SYN after its last packet (a mirror port's copy written late: dumpcap writes each interface's
     * packets in batches): it had made a second flow of one packet, the first read from the middle (unverifiable), where
     * tshark counts one conversation. It is the connection's own SYN, which its SYN-ACK acknowledged: one flow, expected.
     */
    @Test
    void aSynSeenAfterItsConnectionsFinsIsThatConnectionsSyn() throws Exception {
        List<String> frames = tshark(LOSS, "tcp.port == 80", "frame.number");
        String syn = frames.get(0);
        assertEquals(List.of(syn), tshark(LOSS, "tcp.port == 80 && tcp.flags.syn == 1 && tcp.flags.ack == 0", "frame.number"));
        Path dir = Files.createTempDirectory("pm-wan-syn-late");
        Path rest = dir.resolve("rest.pcap");
        Path first = dir.resolve("syn.pcap");
        Path moved = dir.resolve("syn-late.pcap");
        run("editcap", "-r", LOSS, rest.toString(), (Integer.parseInt(syn) + 1) + "-" + frames.get(frames.size() - 1));
        run("editcap", "-r", LOSS, first.toString(), syn);
        run("mergecap", "-a", "-F", "pcap", "-w", moved.toString(), rest.toString(), first.toString());
        List<JsonNode> flows = InspectCapturesTest.analyzeEdited(TOPOLOGY, moved.toString());
        assertEquals(1, flows.size(), flows.toString());
        Map<Integer, JsonNode> by = byPort(flows);
        assertWire(by, 80, "http", "fe-web-http-80");
        assertCountsAsTshark(moved.toString(), by);
        // Closed by its FINs, as in the capture in order: the late copy does not open the connection again (it had been
        // reported established, its FINs forgotten, and timed as an open connection).
        JsonNode inOrder = byPort(InspectCapturesTest.analyzeEdited(TOPOLOGY, LOSS)).get(80);
        assertEquals("closed_fin", inOrder.get("tcp_state").asText(), inOrder.toString());
        assertEquals(inOrder.get("tcp_state").asText(), by.get(80).get("tcp_state").asText(), by.get(80).toString());
        assertEquals(inOrder.get("end").asText(), by.get(80).get("end").asText(), by.get(80).toString());
    }

    /**
     * tcp-fast-open.pcap (record-tcp-fast-open.sh): each client's first bytes (an HTTP request's, a ClientHello's) in its
     * SYN, whose own sequence number is the SYN's: the data starts one past it. Read from the SYN's sequence number, the
     * segment after the SYN's data was a byte ahead of its place, held until the flow ended and then read as after a gap:
     * the MTLS flow was unverifiable ("packets of the handshake are missing"), its client certificate not seen.
     */
    @Test
    void dataInTheSynStartsOnePastItsSequenceNumber() throws Exception {
        String tfo = "captures/inspect/tcp-fast-open.pcap";
        // The capture shows Fast Open: each SYN carries data, which its SYN-ACK acknowledges.
        assertEquals(List.of("80\t80", "443\t80", "5061\t80"), tshark(tfo, "tcp.flags.syn == 1 && tcp.flags.ack == 0",
                "tcp.dstport", "tcp.len"));
        for (String ack : tshark(tfo, "tcp.flags.syn == 1 && tcp.flags.ack == 1", "tcp.ack")) {
            assertEquals("81", ack, "the SYN's data acknowledged");
        }
        Map<Integer, JsonNode> flows = byPort(InspectCapturesTest.analyzeEdited(TOPOLOGY, tfo));
        assertEquals(3, flows.size(), flows.toString());
        assertWire(flows, 80, "http", "fe-web-http-80");
        assertWire(flows, 443, "tls", "fe-web-https-443");
        assertWire(flows, 5061, "tls", "fe-sip-mtls-5061");
        JsonNode mtls = flows.get(5061).get("tls");
        assertEquals("present", mtls.get("client_certificate").asText(), mtls.toString());
        assertEquals("CN=med01.contoso.test,O=Contoso Test", mtls.get("client_certificates").get(0).get("subject").asText());
        assertCountsAsTshark(tfo, flows);
    }

    /**
     * wan-gaps.pcap (record-wan-gaps.sh): an HTTP request of four segments whose first and third were lost, sent again
     * after the second and fourth (SACK). The second was held, the fourth could not join it and let it go as it came: the
     * flow was unverifiable, saying the first bytes were missing and not seen sent again, where both are in the capture.
     * The runs held with a gap between them are looked at as each gap is filled.
     */
    @Test
    void twoSegmentsLostApartInOneMessageAreReadInSequence() throws Exception {
        assertEquals(List.of("80\t1", "80\t217"), tshark(GAPS, "(" + LATE + ") && tcp.port == 80", "tcp.dstport", "tcp.seq"));
        Map<Integer, JsonNode> flows = byPort(InspectCapturesTest.analyzeEdited(TOPOLOGY, GAPS));
        assertWire(flows, 80, "http", "fe-web-http-80");
        assertTrue(flows.get(80).get("reason").asText().contains("HTTP GET request"), flows.get(80).toString());
        assertWire(flows, 443, "tls", "fe-web-https-443");
        assertEquals("unexpected_role_pair", flows.get(8080).get("verdict").asText(), flows.get(8080).toString());
        assertCountsAsTshark(GAPS, flows);
    }

    /**
     * wan-gaps.pcap without the ClientHello's first segment sent again (lost by the capture too: a mirror port's drop),
     * its connection open while 120,000 bytes go from a Mediation Server to
     * the Front End's 8080 (unexpected_role_pair). The server's answer acknowledges the bytes the
     * capture lacks: they will not come, and what was held is looked at then, not when the connection ends. Held until
     * the end, the flow stayed undecided for --extract, and every packet of the flagged transfer waited in its queue
     * behind it (a queue peak of 148,938 bytes; on a long capture, past its limit, the extract became a second pass).
     */
    @Test
    void bytesTheOtherEndAcknowledgedAreNotWaitedFor() throws Exception {
        Path dir = Files.createTempDirectory("pm-wan-gaps");
        Path lost = filtered(GAPS, dir, "lost.pcap", "!((" + LATE + ") && tcp.port == 443)");
        assertEquals(List.of(), tshark(lost.toString(), "(" + LATE + ") && tcp.port == 443", "frame.number"));
        Map<Integer, JsonNode> flows = new HashMap<>();
        long peak = extractQueuePeak(lost, dir, flows);
        assertEquals(3, flows.size(), flows.toString());
        assertWire(flows, 443, "tls", "fe-web-https-443");
        long transfer = flows.get(8080).get("bytes_fwd").asLong();
        assertTrue(transfer > 120_000, flows.get(8080).toString());
        assertTrue(peak < 16_384, "the queue held the transfer behind the held bytes: a peak of " + peak + " bytes");
    }

    /**
     * wan-held-done.pcap (record-wan-held-done.sh): a ClientHello's first segment lost until its server, a program that
     * writes cleartext as soon as it accepts (not the TLS server 443 documents), has streamed 40,000 bytes, its
     * acknowledgments below the gap; meanwhile 120,000 bytes from a Mediation Server to the Front End's 8080
     * (unexpected_role_pair). The server's bytes end the flow's inspection (none of the protocols) while the ClientHello's
     * second segment is held. Nothing held is looked at after that, but the buffer was kept until the flow ended: the flow
     * held bytes, stayed undecided for --extract, and every packet of the flagged transfer waited in the queue behind it
     * (a queue peak of 196,159 bytes). The verdicts and the extract are as before.
     */
    @Test
    void heldBytesAreLetGoWhenTheOtherDirectionEndsInspection() throws Exception {
        String capture = "captures/inspect/wan-held-done.pcap";
        // The capture shows it: the ClientHello's second segment before the stream, its first sent again after the transfer.
        List<String> frames443 = tshark(capture, "tcp.port == 443 && tcp.len > 0", "tcp.dstport", "tcp.seq");
        assertEquals("443\t289", frames443.get(0), frames443.toString());
        assertEquals("443\t1", frames443.get(frames443.size() - 1), frames443.toString());
        assertTrue(frames443.size() > 2 * org.portmatrix.inspect.Inspection.BUDGET + 2, frames443.toString());
        List<String> late = tshark(capture, LATE, "frame.number", "tcp.dstport");
        assertEquals(1, late.size(), late.toString());
        assertTrue(late.get(0).endsWith("\t443"), late.toString());
        List<String> transfer = tshark(capture, "tcp.dstport == 8080 && tcp.len > 0", "frame.number");
        assertTrue(Integer.parseInt(transfer.get(transfer.size() - 1)) < Integer.parseInt(late.get(0).split("\t")[0]), late.toString());

        Path dir = Files.createTempDirectory("pm-wan-held-done");
        Map<Integer, JsonNode> flows = new HashMap<>();
        long peak = extractQueuePeak(Path.of(capture), dir, flows);
        assertEquals(2, flows.size(), flows.toString());
        JsonNode https = flows.get(443);
        assertEquals("protocol_mismatch", https.get("verdict").asText(), https.toString());
        assertEquals("fe-web-https-443", https.get("rule").asText(), https.toString());
        assertTrue(https.get("reason").asText().contains("none of the protocols portmatrix recognises"), https.toString());
        assertEquals("unexpected_role_pair", flows.get(8080).get("verdict").asText(), flows.get(8080).toString());
        assertTrue(flows.get(8080).get("bytes_fwd").asLong() > 120_000, flows.get(8080).toString());
        assertTrue(peak < 16_384, "the queue held the transfer behind the held bytes: a peak of " + peak + " bytes");
        // Both flows flagged: the extract is the whole capture, packet for packet.
        assertEquals(tshark(capture, "frame", "frame.len"), tshark(dir.resolve("extract.pcap").toString(), "frame", "frame.len"));
    }

    /**
     * wan-held-done.pcap without the server's stream, the ClientHello's second segment copied 64 times after itself (a
     * flood of one segment's copies, as a mirror port's loop makes): inspection gives the flow up at its count of repeats
     * while the segment is held. The held buffer was kept until the flow ended, and the flagged transfer waited in the
     * --extract queue behind the flow (a queue peak of 167,689 bytes); only the flow's own copies wait now, while it is
     * undecided.
     */
    @Test
    void heldBytesAreLetGoWhenTheirCopiesEndInspection() throws Exception {
        String capture = "captures/inspect/wan-held-done.pcap";
        List<String> frames443 = tshark(capture, "tcp.port == 443", "frame.number", "tcp.seq", "tcp.len");
        assertEquals("4\t289\t229", frames443.get(3), "the ClientHello's second segment, after a gap");
        List<String> transfer = tshark(capture, "tcp.port == 8080", "frame.number");
        String from = transfer.get(0);
        assertEquals(List.of(), tshark(capture, "tcp.port == 443 && frame.number >= " + from + " && frame.number < 521", "frame.number"));
        Path dir = Files.createTempDirectory("pm-wan-held-copies");
        Path start = dir.resolve("start.pcap");
        Path held = dir.resolve("held.pcap");
        Path rest = dir.resolve("rest.pcap");
        Path copies = dir.resolve("copies.pcap");
        run("editcap", "-r", capture, start.toString(), "1-5");
        run("editcap", "-r", capture, held.toString(), "4");
        run("editcap", "-r", capture, rest.toString(), from + "-" + tshark(capture, "frame", "frame.number").size());
        List<String> merge = new java.util.ArrayList<>(List.of("mergecap", "-a", "-F", "pcap", "-w", copies.toString(), start.toString()));
        for (int i = 0; i < Inspection.REPEATS * Inspection.BUDGET; i++) {
            merge.add(held.toString());
        }
        merge.add(rest.toString());
        run(merge.toArray(new String[0]));
        Map<Integer, JsonNode> flows = new HashMap<>();
        long peak = extractQueuePeak(copies, dir, flows);
        assertEquals(2, flows.size(), flows.toString());
        assertEquals("unexpected_role_pair", flows.get(8080).get("verdict").asText(), flows.get(8080).toString());
        long transferred = flows.get(8080).get("bytes_fwd").asLong() + flows.get(8080).get("bytes_rev").asLong();
        assertTrue(transferred > 120_000, flows.get(8080).toString());
        long copied = flows.get(443).get("bytes_fwd").asLong();
        assertTrue(peak < copied + 2_048, "the queue held the transfer behind the held bytes: a peak of " + peak + " bytes");
        // Its only payloads were held and let go unseen: the protocol cannot be checked. It had been expected, "No payload
        // was seen", its 65 copies of a 229-byte segment among its packets.
        JsonNode https = flows.get(443);
        assertTrue(https.get("packets_fwd").asLong() > Inspection.REPEATS * Inspection.BUDGET, https.toString());
        assertEquals("unverifiable", https.get("verdict").asText(), https.toString());
        assertTrue(https.get("reason").asText().contains("its payload came after bytes the capture lacks"), https.toString());
        assertFalse(https.get("reason").asText().contains("No payload was seen"), https.toString());
    }

    /**
     * Runs analyze with --extract into {@code dir} (extract.pcap) and the timing output on, puts each flow of the jsonl
     * report in {@code flows} by its responder's port, and returns the extract queue's peak in bytes.
     */
    private static long extractQueuePeak(Path capture, Path dir, Map<Integer, JsonNode> flows) throws Exception {
        Path json = dir.resolve("flows.jsonl");
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        System.setProperty("portmatrix.timing", "true");
        int status;
        try {
            status = new org.portmatrix.cli.Main(new java.io.PrintStream(new java.io.ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                    new java.io.PrintStream(err, true, StandardCharsets.UTF_8)).run(new String[] {"analyze", capture.toString(), "--topology",
                    TOPOLOGY, "--format", "jsonl", "--output", json.toString(), "--extract", dir.resolve("extract.pcap").toString()});
        } finally {
            System.clearProperty("portmatrix.timing");
        }
        String said = err.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, said);
        for (String line : Files.readAllLines(json, StandardCharsets.UTF_8)) {
            JsonNode f = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
            assertEquals(null, flows.put(f.get("dst_port").asInt(), f), "two flows to port " + f.get("dst_port"));
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("extract written in the first pass \\(queue peak (\\d+) bytes\\)")
                .matcher(said);
        assertTrue(m.find(), said);
        return Long.parseLong(m.group(1));
    }

    private static void run(String... command) throws Exception {
        assertEquals(0, new ProcessBuilder(command).inheritIO().start().waitFor(), String.join(" ", command));
    }

    private static void assertWire(Map<Integer, JsonNode> flows, int port, String protocol, String rule) {
        JsonNode f = flows.get(port);
        assertEquals("expected", f.get("verdict").asText(), String.valueOf(f));
        assertEquals(protocol, f.get("app_protocol").asText(), f.toString());
        assertEquals(rule, f.get("rule").asText(), f.toString());
    }

    /** The flows by their responder's port (one each in these captures). */
    private static Map<Integer, JsonNode> byPort(List<JsonNode> flows) {
        Map<Integer, JsonNode> by = new HashMap<>();
        for (JsonNode f : flows) {
            assertEquals(null, by.put(f.get("dst_port").asInt(), f), "two flows to port " + f.get("dst_port") + ": " + flows);
        }
        return by;
    }

    /** Each flow's packets, as tshark counts its conversation's frames (by the client's port, one per flow here). */
    private static void assertCountsAsTshark(String capture, Map<Integer, JsonNode> flows) throws Exception {
        Map<String, Integer> frames = new HashMap<>();
        for (String port : tshark(capture, "tcp || udp", "tcp.srcport", "udp.srcport", "tcp.dstport", "udp.dstport")) {
            String[] p = port.split("\t", -1);
            String src = p[0].isEmpty() ? p[1] : p[0];
            String dst = p[2].isEmpty() ? p[3] : p[2];
            frames.merge(Integer.parseInt(src) < Integer.parseInt(dst) ? src + "-" + dst : dst + "-" + src, 1, Integer::sum);
        }
        assertEquals(flows.size(), frames.size(), frames.toString());
        for (JsonNode f : flows.values()) {
            int a = f.get("src_port").asInt();
            int b = f.get("dst_port").asInt();
            String key = Math.min(a, b) + "-" + Math.max(a, b);
            assertEquals(frames.get(key), f.get("packets_fwd").asInt() + f.get("packets_rev").asInt(), f.toString());
        }
    }

    /** tshark's fields (tab-separated) of the frames the display filter keeps, one line per frame. */
    private static List<String> tshark(String capture, String filter, String... fields) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("tshark", "-n", "-r", capture, "-Y", filter, "-T", "fields"));
        for (String f : fields) {
            command.add("-e");
            command.add(f);
        }
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        assertEquals(0, p.waitFor(), command.toString());
        return lines;
    }

    /** wan-loss.pcap with only the frames tshark's display filter keeps. */
    private static Path filtered(Path dir, String name, String filter) throws Exception {
        return filtered(LOSS, dir, name, filter);
    }

    /** The capture with only the frames tshark's display filter keeps. */
    private static Path filtered(String capture, Path dir, String name, String filter) throws Exception {
        Path out = dir.resolve(name);
        Process p = new ProcessBuilder("tshark", "-n", "-r", capture, "-Y", filter, "-F", "pcap", "-w", out.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertEquals(0, p.waitFor(), filter);
        return out;
    }
}
