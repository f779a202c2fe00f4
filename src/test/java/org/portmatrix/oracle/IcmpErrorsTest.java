package org.portmatrix.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.portmatrix.oracle.Tshark.tsharkCount;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.cli.Main;

/**
 * ICMP errors counted on the flow whose packet they quote, on captures/icmp/icmp-errors.pcap
 * (record-icmp.sh: the kernel's port unreachables for UDP to closed ports, IPv4 and IPv6, and an
 * iptables REJECT's "administratively prohibited" for TCP 5061), with tshark as the oracle for which
 * error quotes which flow.
 */
class IcmpErrorsTest {
    static final Path CAPTURE = Path.of("captures/icmp/icmp-errors.pcap");
    static final String TOPOLOGY = "captures/sample-topology.yaml";

    /** The errors tshark finds quoting the flow's packets (either direction), by the quoted header's ports. */
    static int tsharkErrorsAbout(Path capture, JsonNode r) throws Exception {
        String t = r.get("transport").asText();
        int a = r.get("src_port").asInt();
        int b = r.get("dst_port").asInt();
        return tsharkCount(capture, "(icmp || icmpv6) && ((" + t + ".srcport == " + a + " && " + t + ".dstport == " + b + ") || ("
                + t + ".srcport == " + b + " && " + t + ".dstport == " + a + "))");
    }

    static JsonNode only(List<JsonNode> records, String transport, String dstIp, int dstPort) {
        List<JsonNode> l = records.stream().filter(r -> r.get("transport").asText().equals(transport)
                && r.get("dst_ip").asText().equals(dstIp) && r.get("dst_port").asInt(-1) == dstPort).toList();
        assertEquals(1, l.size(), transport + " to " + dstIp + ":" + dstPort + ": " + l);
        return l.get(0);
    }

    @Test
    void errorsCountOnTheFlowTheyQuoteNotAsFlowsOfTheirOwn() throws Exception {
        Conversations.Ours o = Conversations.ours(List.of(CAPTURE.toString(), "--topology", TOPOLOGY));
        assertEquals(0, o.status(), o.stderr());
        // tshark's TCP and UDP conversations leave the errors out, as portmatrix now does.
        CapturesOracleTest.sameAsTshark(CAPTURE, o);
        List<JsonNode> records = o.records();
        assertEquals(6, records.size(), records.toString());
        for (JsonNode r : records) {
            if (!r.get("transport").asText().equals("icmp")) {
                assertEquals(tsharkErrorsAbout(CAPTURE, r), r.get("icmp_errors").asInt(), "tshark's errors quoting " + r);
            }
        }

        JsonNode udp = only(records, "udp", "127.0.1.10", 50002);
        assertEquals(3, udp.get("icmp_errors").asInt());
        assertEquals(3, udp.get("packets_fwd").asInt());
        assertEquals(0, udp.get("packets_rev").asInt(), "the errors are not the responder's packets");
        assertTrue(udp.get("reason").asText().endsWith(
                " 127.0.1.10 answered with ICMP port unreachable (3 times): nothing listened on UDP 50002 there."), udp.toString());

        JsonNode v6 = only(records, "udp", "fd00:44::10", 50002);
        assertEquals(2, v6.get("icmp_errors").asInt());
        assertTrue(v6.get("reason").asText().endsWith(
                " fd00:44::10 answered with ICMPv6 port unreachable (2 times): nothing listened on UDP 50002 there."), v6.toString());
        // The quote holds a destination options header before UDP: followed (it was not).
        JsonNode options = only(records, "udp", "fd00:44::10", 50008);
        assertEquals(1, options.get("icmp_errors").asInt(), options.toString());

        // Two kinds of error about one flow, each said for what it is (the first one's words were given to both).
        JsonNode twoKinds = only(records, "udp", "127.0.1.10", 50006);
        assertEquals(2, twoKinds.get("icmp_errors").asInt());
        assertTrue(twoKinds.get("reason").asText().endsWith(" 127.0.1.10 answered with ICMP port unreachable: nothing listened on UDP"
                + " 50006 there; ICMP host administratively prohibited came back from 127.0.1.10: a filter on the way refused the flow's"
                + " packets."), twoKinds.toString());

        JsonNode tcp = only(records, "tcp", "127.0.1.10", 5061);
        assertEquals(1, tcp.get("icmp_errors").asInt());
        assertEquals(1, tsharkCount(CAPTURE, "icmp.type == 3 && icmp.code == 13"));
        assertTrue(tcp.get("reason").asText().endsWith(" ICMP communication administratively prohibited came back from 127.0.1.10:"
                + " a filter on the way refused the flow's packets."), tcp.toString());

        // The ICMP flow between the client and the Front End: its pings, refused (errors about it, not among its packets),
        // and the port unreachables for UDP 50004, whose datagrams the recording left out (among its packets, and said
        // apart). It starts with such an error: the error's receiver initiated, as for the flow it quotes.
        JsonNode icmp = only(records, "icmp", "127.0.1.10", -1);
        assertEquals("127.0.10.21", icmp.get("src_ip").asText(), icmp.toString());
        assertTrue(icmp.get("direction_inferred").asBoolean(), icmp.toString());
        int pings = tsharkCount(CAPTURE, "icmp.type == 8 && !(icmp.type == 3)"); // (the errors quote an echo request: type 8 inside)
        int quotingMissing = tsharkCount(CAPTURE, "icmp && udp.dstport == 50004");
        assertEquals(2, pings);
        assertEquals(2, quotingMissing);
        assertEquals(pings, icmp.get("packets_fwd").asInt(), icmp.toString());
        assertEquals(quotingMissing, icmp.get("packets_rev").asInt(), icmp.toString());
        assertEquals(tsharkCount(CAPTURE, "icmp.code == 10 && ip.dst == 127.0.10.21"), icmp.get("icmp_errors").asInt(), icmp.toString());
        String reason = icmp.get("reason").asText();
        assertTrue(reason.contains(" ICMP host administratively prohibited came back from 127.0.1.10 (2 times): a filter on the way"
                + " refused the flow's packets. It carried 2 ICMP errors about packets whose flow is not open here (not in the"
                + " capture, or ended before); the first: ICMP port unreachable from 127.0.1.10 about UDP 127.0.10.21:"), reason);
        assertTrue(reason.endsWith(" -> 127.0.1.10:50004."), reason);

        // Every packet is somewhere: in a flow, or counted on the flow its error quotes.
        long inFlows = records.stream().mapToLong(r -> r.get("packets_fwd").asLong() + r.get("packets_rev").asLong()).sum();
        long onFlows = records.stream().mapToLong(r -> r.get("icmp_errors").asLong()).sum();
        assertEquals(tsharkCount(CAPTURE, "frame"), inFlows + onFlows);
    }

    /**
     * An error that comes after its flow's timeout (editcap moves the first error 200 s later, past UDP's 120 s) does
     * not join the flow, which the packet would have ended: it is an ICMP packet, whose flow says what it was about.
     */
    @Test
    void anErrorAfterItsFlowsTimeoutDoesNotJoinIt(@TempDir Path dir) throws Exception {
        Path datagram = dir.resolve("datagram.pcap");
        Path late = dir.resolve("late-error.pcap");
        Path both = dir.resolve("both.pcap");
        run("editcap", "-r", CAPTURE.toString(), datagram.toString(), "1");
        run("editcap", "-r", "-t", "200", CAPTURE.toString(), late.toString(), "2");
        run("mergecap", "-a", "-w", both.toString(), datagram.toString(), late.toString());
        Conversations.Ours o = Conversations.ours(List.of(both.toString(), "--topology", TOPOLOGY));
        assertEquals(0, o.status(), o.stderr());
        assertEquals(2, o.records().size(), o.records().toString());
        JsonNode udp = only(o.records(), "udp", "127.0.1.10", 50002);
        assertEquals(0, udp.get("icmp_errors").asInt(), udp.toString());
        assertEquals("idle", udp.get("end").asText(), udp.toString());
        JsonNode icmp = only(o.records(), "icmp", "127.0.1.10", -1);
        assertTrue(icmp.get("reason").asText().contains("It carried an ICMP error about packets whose flow is not open here"), icmp.toString());
        // Without the gap, the same two packets are one flow and its error.
        Path together = dir.resolve("together.pcap");
        run("editcap", "-r", CAPTURE.toString(), together.toString(), "1-2");
        Conversations.Ours t = Conversations.ours(List.of(together.toString(), "--topology", TOPOLOGY));
        assertEquals(1, t.records().size(), t.records().toString());
        assertEquals(1, t.records().get(0).get("icmp_errors").asInt());
    }

    /**
     * An error count in a reason is written as the reports write every count: the --all-flows line of a flow said
     * "icmp errors 1,536" and its reason "(1536 times)". Frames 1-6 of the capture (three datagrams to 127.0.1.10:50002,
     * each answered by the kernel's port unreachable) doubled nine times, each copy after the last (editcap -t, mergecap):
     * 512 copies on one flow, 1,536 errors, as tshark counts them.
     */
    @Test
    void anErrorCountInAReasonHasItsThousandsSeparators(@TempDir Path dir) throws Exception {
        Path copies = dir.resolve("copies-0.pcap");
        run("editcap", "-r", CAPTURE.toString(), copies.toString(), "1-6");
        for (int i = 0; i < 9; i++) {
            Path later = dir.resolve("later-" + i + ".pcap");
            run("editcap", "-t", String.valueOf(0.2 * (1 << i)), copies.toString(), later.toString());
            Path both = dir.resolve("copies-" + (i + 1) + ".pcap");
            run("mergecap", "-F", "pcap", "-w", both.toString(), copies.toString(), later.toString());
            copies = both;
        }
        Conversations.Ours o = Conversations.ours(List.of(copies.toString(), "--topology", TOPOLOGY));
        assertEquals(0, o.status(), o.stderr());
        assertEquals(1, o.records().size(), o.records().toString());
        JsonNode udp = only(o.records(), "udp", "127.0.1.10", 50002);
        assertEquals(1536, udp.get("icmp_errors").asInt(), udp.toString());
        assertEquals(tsharkErrorsAbout(copies, udp), udp.get("icmp_errors").asInt(), "tshark's errors quoting " + udp);
        assertTrue(udp.get("reason").asText().endsWith(
                " 127.0.1.10 answered with ICMP port unreachable (1,536 times): nothing listened on UDP 50002 there."), udp.toString());
    }

    static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
    }

    @Test
    void theTextSummarySaysWhereTheErrorsWent() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8)).run(new String[] {"analyze", CAPTURE.toString(), "--topology", TOPOLOGY, "--format", "text"});
        assertEquals(0, status);
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("    of those decoded, ICMP errors counted on the flow they quote (icmp_errors) 11\n"), text);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        assertEquals(0, new Main(new PrintStream(all, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8)).run(new String[] {"analyze", CAPTURE.toString(), "--topology", TOPOLOGY, "--all-flows"}));
        List<String> udp = all.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("  protocol_mismatch ") && l.contains("127.0.1.10:50002")).toList();
        assertEquals(1, udp.size(), all.toString(StandardCharsets.UTF_8));
        assertTrue(udp.get(0).endsWith("  icmp errors 3"), udp.get(0));
        // The HTML page's counters: the breakdown row indented by its class (leading spaces, as before, HTML collapses).
        ByteArrayOutputStream html = new ByteArrayOutputStream();
        assertEquals(0, new Main(new PrintStream(html, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8)).run(new String[] {"analyze", CAPTURE.toString(), "--topology", TOPOLOGY, "--format", "html"}));
        assertTrue(html.toString(StandardCharsets.UTF_8).contains("<tr><td class=\"indent\">of those, ICMP errors counted on the flow they"
                + " quote</td><td class=\"num\">11</td></tr>"), "the counters of the HTML page");
    }

    /**
     * captures/icmp/media-refused.pcap (record-media-refused.sh): GStreamer's RTP from a client's UDP 3478 to the Edge's
     * 50000, where nothing listens, each datagram refused by the Edge's kernel with a port unreachable. Sent from STUN's
     * port, the first datagram had been read as an answer: the Edge the initiator, its media to a client's port, and
     * the flow expected under client-audio-media-udp-1024-65535, with a reason saying the Edge, its sender, had nothing
     * listening on 50000. Its own port unreachables refute that: the flow is read the way its datagrams went, the
     * client's to the Edge's 50000, which no rule serves on edge-internal; and the extract keeps it with its errors.
     */
    @Test
    void aPortUnreachableFromTheInferredInitiatorTurnsTheFlow(@TempDir Path dir) throws Exception {
        Path capture = Path.of("captures/icmp/media-refused.pcap");
        Path extract = dir.resolve("flagged.pcap");
        Conversations.Ours o = Conversations.ours(List.of(capture.toString(), "--topology", TOPOLOGY, "--extract", extract.toString()));
        assertEquals(0, o.status(), o.stderr());
        assertEquals(1, o.records().size(), o.records().toString());
        JsonNode r = only(o.records(), "udp", "127.0.3.10", 50000);
        assertEquals("127.0.10.22", r.get("src_ip").asText(), r.toString());
        assertEquals(3478, r.get("src_port").asInt(), r.toString());
        assertEquals("unexpected_port", r.get("verdict").asText(), r.toString());
        assertEquals(tsharkCount(capture, "udp && !icmp"), r.get("packets_fwd").asInt(), r.toString());
        assertEquals(0, r.get("packets_rev").asInt(), r.toString());
        assertEquals(tsharkErrorsAbout(capture, r), r.get("icmp_errors").asInt(), r.toString());
        assertTrue(r.get("direction_inferred").asBoolean(), r.toString());
        assertEquals("rtp", r.get("app_protocol").asText(), r.toString());
        String reason = r.get("reason").asText();
        assertTrue(reason.startsWith("No catalog rule serves UDP 50000 on edge-internal."), reason);
        assertTrue(reason.contains("127.0.3.10 answered with ICMP port unreachable (10 times): nothing listened on UDP 50000 there. So the"
                + " flow is read the way its datagrams went"), reason);
        assertEquals(tsharkCount(capture, ""), tsharkCount(extract, ""), "the extract: the datagrams and their errors");
    }

    /**
     * The same capture without --topology: the roles are inferred from the flows read as their reports read them. The
     * client's RTP from its 3478 to a host that refused it had made the client an Edge (it "served" 3478, its datagrams
     * taken for answers), and the flow, turned, that Edge's media to a client's port 50000: expected, though nothing
     * listened there (before the flow was turned: protocol_mismatch, RTP to an Edge's STUN port). The refusing host
     * served nothing, and has no role: unknown_host.
     */
    @Test
    void aRefusedFlowIsReadTurnedWhenTheRolesAreInferred() throws Exception {
        Conversations.Ours o = Conversations.ours(List.of("captures/icmp/media-refused.pcap"));
        assertEquals(0, o.status(), o.stderr());
        assertEquals(1, o.records().size(), o.records().toString());
        JsonNode r = only(o.records(), "udp", "127.0.3.10", 50000);
        assertEquals("127.0.10.22", r.get("src_ip").asText(), r.toString());
        assertEquals("[\"client\"]", r.get("src_roles").toString(), r.toString());
        assertEquals("unknown_host", r.get("verdict").asText(), r.toString());
        assertFalse(o.stderr().contains("edge-internal"), o.stderr());
        assertTrue(o.stderr().contains("127.0.3.10: served no port: the flows to it were refused"), o.stderr());
    }

    /** The extract keeps a flagged flow's errors with its packets: what the firewall team is handed shows the refusals. */
    @Test
    void theExtractKeepsTheErrorsWithTheirFlow(@TempDir Path dir) throws Exception {
        Path extract = dir.resolve("flagged.pcap");
        Conversations.Ours o = Conversations.ours(List.of(CAPTURE.toString(), "--topology", TOPOLOGY, "--extract", extract.toString()));
        assertEquals(0, o.status(), o.stderr());
        List<String> flagged = new ArrayList<>();
        o.records().stream().filter(r -> !r.get("verdict").asText().equals("expected")).forEach(r -> flagged.add(r.get("transport")
                + " " + r.get("dst_ip").asText()));
        assertTrue(flagged.contains("\"udp\" 127.0.1.10") && flagged.contains("\"udp\" fd00:44::10"), flagged.toString());
        assertTrue(Files.size(extract) > 0);
        // The UDP flow to 127.0.1.10 (protocol_mismatch): its 3 datagrams and the 3 errors that quote them.
        assertEquals(6, tsharkCount(extract, "udp.dstport == 50002 && ip"));
        assertEquals(3, tsharkCount(extract, "icmp && udp.dstport == 50002"));
        // The expected TCP flow and its error are not in it.
        assertEquals(0, tsharkCount(extract, "tcp.port == 5061"));
    }

    /**
     * A snap length that cuts the quoted packet (editcap -s 50: Ethernet, IP and ICMP headers, 8
     * bytes of the quote) leaves nothing to relate: each error is an ICMP packet of the flow between
     * the two hosts, as before, and no flow counts one.
     */
    @Test
    void aCutQuoteIsAnIcmpPacketOfItsOwn(@TempDir Path dir) throws Exception {
        Path cut = dir.resolve("cut.pcap");
        run("editcap", "-s", "50", CAPTURE.toString(), cut.toString());
        Conversations.Ours o = Conversations.ours(List.of(cut.toString(), "--topology", TOPOLOGY));
        assertEquals(0, o.status(), o.stderr());
        long icmpPackets = 0;
        for (JsonNode r : o.records()) {
            assertEquals(0, r.get("icmp_errors").asInt(), r.toString());
            if (r.get("transport").asText().startsWith("icmp")) {
                icmpPackets += r.get("packets_fwd").asLong() + r.get("packets_rev").asLong();
                assertFalse(r.get("reason").asText().contains("ICMP error"), r.toString());
            }
        }
        assertEquals(tsharkCount(cut, "icmp || icmpv6"), icmpPackets);
    }
}
