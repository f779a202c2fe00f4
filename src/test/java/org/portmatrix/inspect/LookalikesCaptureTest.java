package org.portmatrix.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.portmatrix.inspect.InspectCapturesTest.analyzeUnder;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.portmatrix.inspect.lookalike.Lookalikes;

/**
 * The protocols that are not Lync's, named where none of Lync's is on the wire (inspect.lookalike), on real captures:
 * captures/inspect/lookalikes.pcap (record-lookalikes.sh: openssl's DTLS, ngtcp2's QUIC, wireguard-go, chrony's NTP,
 * net-snmp's SNMP, GStreamer's DTLS-SRTP) and captures/inspect/dtls-tunnel.pcap (record-dtls-tunnel.sh: openssl's DTLS
 * without use_srtp) against tshark, the project's decoding oracle; and every UDP datagram of the
 * other captures (Lync's RTP, SRTP, RTCP, STUN, MS-TURN, DTLS-SRTP's keying, DNS, DHCP, SSRP, SIP) named by none of the
 * tests.
 */
class LookalikesCaptureTest {
    static final String LOOKALIKES = "captures/inspect/lookalikes.pcap";
    static final String DTLS_TUNNEL = "captures/inspect/dtls-tunnel.pcap";

    /**
     * Each flow of lookalikes.pcap is named as tshark decodes it: QUIC, WireGuard (tshark's wg), NTP and SNMP; RTP (the
     * DTLS-SRTP call) stays rtp, and DTLS whose handshake keys SRTP (its ServerHello carries use_srtp, RFC 5764) stays
     * unnamed whether or not application data follows (WebRTC's data channel shares the call's association). tshark
     * decodes NTP and SNMP on their own ports (123, 161) only, having no heuristic for them: it is told the ports the
     * recorder used (the NTP client's acquisition port 50076, the SNMP agent's 50074), and decodes their fields (mode,
     * version). nDPI (ndpiReader -v 2) agrees on QUIC and WireGuard; it calls the NTP flow STUN and the SNMP ones
     * Skype_Teams, by their ports. All but the RTP flow had app_protocol null.
     */
    @Test
    void eachLookalikeFlowIsNamedAsTsharkDecodesIt() throws Exception {
        assertEquals(6, namedAsTsharkDecodes(LOOKALIKES, 10));
    }

    /**
     * DTLS carrying data is named only where its handshake does not key SRTP. lookalikes.pcap's two openssl sessions
     * negotiate use_srtp (-use_srtp on both ends) and carry a line: the association of a DTLS-SRTP call, whose data may be
     * WebRTC's data channel (SCTP over DTLS, RFC 8261) beside its SRTP; they had been named "DTLS 1.2 application data
     * after its handshake (a DTLS session carrying data, not DTLS-SRTP's keying of SRTP)", and the RTP inspector had ruled
     * RTP out at the data, so that the call's SRTP after it could not make it media. Now unnamed, the one on the media port
     * unverifiable as the keying without data is. dtls-tunnel.pcap (record-dtls-tunnel.sh) has DTLS 1.2 sessions that do
     * not key SRTP: neither end offering use_srtp, and the client offering it and the server declining (its ServerHello
     * without it): both named dtls, as tshark decodes them.
     */
    @Test
    void dtlsIsNamedOnlyWhereItsHandshakeDoesNotKeySrtp() throws Exception {
        InspectCapturesTest.Analysis a = analyzeUnder("captures/inspect/lookalikes-topology.yaml", "lookalikes.pcap", "jsonl");
        JsonNode media = a.one("127.5.10.22", "udp", 50046);
        assertTrue(media.get("app_protocol").isNull(), media.toString());
        assertEquals("unverifiable", media.get("verdict").asText(), media.toString());
        assertTrue(media.get("reason").asText().contains("a DTLS handshake was seen (DTLS-SRTP's keying, RFC 5764)"), media.toString());
        JsonNode stun = a.one("127.5.10.23", "udp", 3478);
        assertTrue(stun.get("app_protocol").isNull(), stun.toString());
        assertEquals("protocol_mismatch", stun.get("verdict").asText(), stun.toString());
        for (JsonNode f : a.flows()) {
            assertTrue(!f.get("reason").asText().contains("not DTLS-SRTP"), f.toString());
        }
        assertEquals(2, namedAsTsharkDecodes(DTLS_TUNNEL, 2));
        InspectCapturesTest.Analysis t = analyzeUnder("captures/inspect/lookalikes-topology.yaml", "dtls-tunnel.pcap", "jsonl");
        for (String[] flow : new String[][] {{"127.5.10.22", "50082"}, {"127.5.10.23", "50086"}}) {
            JsonNode f = t.one(flow[0], "udp", Integer.parseInt(flow[1]));
            assertEquals("protocol_mismatch", f.get("verdict").asText(), f.toString());
            assertTrue(f.get("reason").asText().endsWith("but the wire shows DTLS 1.2 application data after its handshake (a DTLS"
                    + " session carrying data, not DTLS-SRTP's keying of SRTP). Find out which program sends it."), f.toString());
        }
    }

    /**
     * A capture that starts in the middle of a DTLS-SRTP call (lookalikes.pcap's L1 from its first SRTP packet on, the
     * handshake before it left out) with a record of application data amid its SRTP, as WebRTC's data channel sends on
     * the call's 5-tuple (RFC 8261): L2's application data datagram, moved onto L1's addresses and ports (tcprewrite) and
     * in time between the client's first two SRTP packets (editcap -t, mergecap). tshark decodes the moved datagram as
     * DTLS application data and the others as RTP. The RTP inspector ruled RTP out at the record, and the call was
     * protocol_mismatch, named "DTLS 1.2 application data (a DTLS session carrying data, not SRTP)"; amid RTP the record
     * is passed over, and the call is media.
     */
    @Test
    void aDataChannelRecordAmidSrtpLeavesTheCallMedia() throws Exception {
        Path dir = Files.createTempDirectory("pm-data-channel");
        try {
            String call = dir.resolve("call.pcap").toString();
            String data = dir.resolve("data.pcap").toString();
            String moved = dir.resolve("moved.pcap").toString();
            String timed = dir.resolve("timed.pcap").toString();
            String merged = dir.resolve("merged.pcap").toString();
            run("editcap", "-r", LOOKALIKES, call, "18-60");
            run("editcap", "-r", LOOKALIKES, data, "130");
            run("tcprewrite", "--infile=" + data, "--outfile=" + moved, "--srcipmap=127.5.10.22/32:127.5.10.21/32",
                    "--portmap=50044:50040,50046:50042", "--fixcsum");
            // from 11:45:25.746893 (L2's record) to 11:45:24.370000, between the call's frames 18 and 22
            run("editcap", "-t", "-1.376893", moved, timed);
            run("mergecap", "-F", "pcap", "-w", merged, call, timed);
            List<String> kinds = new ArrayList<>();
            for (String line : run("tshark", "-n", "-r", merged, "--enable-heuristic", "rtp_udp", "-Y", "udp.srcport == 50040", "-T",
                    "fields", "-e", "frame.protocols", "-e", "dtls.record.content_type").split("\n")) {
                if (!line.isBlank()) {
                    String[] f = (line + "\t").split("\t", -1);
                    kinds.add(f[0].endsWith(":dtls") ? "dtls " + f[1] : f[0].endsWith(":rtp") ? "rtp" : f[0]);
                }
            }
            assertEquals(List.of("rtp", "dtls 23", "rtp", "rtp"), kinds.subList(0, 4), kinds.toString());
            List<JsonNode> flows = analyze(merged, "captures/inspect/lookalikes-topology.yaml");
            assertEquals(1, flows.size(), flows.toString());
            JsonNode f = flows.get(0);
            assertEquals("expected", f.get("verdict").asText(), f.toString());
            assertEquals("rtp", f.get("app_protocol").asText(), f.toString());
        } finally {
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }

    /** Asserts that each flow of the capture has the name tshark's decoding gives it; returns how many are named (not rtp). */
    private static int namedAsTsharkDecodes(String capture, int flows) throws Exception {
        Map<String, String> oracle = tsharkNames(capture);
        assertEquals(flows, oracle.size(), oracle.toString());
        InspectCapturesTest.Analysis a = analyzeUnder("captures/inspect/lookalikes-topology.yaml", Path.of(capture).getFileName().toString(),
                "jsonl");
        assertEquals(flows, a.flows().size(), a.flows().toString());
        int named = 0;
        for (JsonNode f : a.flows()) {
            String key = f.get("src_ip").asText() + ":" + f.get("src_port").asInt() + " " + f.get("dst_ip").asText() + ":"
                    + f.get("dst_port").asInt();
            assertTrue(oracle.containsKey(key), key + " is not among tshark's conversations " + oracle.keySet());
            String app = f.get("app_protocol").isNull() ? null : f.get("app_protocol").asText();
            assertEquals(oracle.get(key), app, f.toString());
            if (app != null && !app.equals("rtp")) {
                named++;
                // the verdict is unchanged: the rule documents another protocol
                assertEquals("protocol_mismatch", f.get("verdict").asText(), f.toString());
            }
        }
        return named;
    }

    /**
     * The reasons say what was seen in the sentence of every mismatch, "but the wire shows X. Find out which program sends
     * it.", where they had said "a payload that is none of the protocols portmatrix recognises".
     */
    @Test
    void theReasonSaysWhatTheWireShows() throws Exception {
        InspectCapturesTest.Analysis a = analyzeUnder("captures/inspect/lookalikes-topology.yaml", "lookalikes.pcap", "jsonl");
        String media = "UDP 50050 from client to mediation is documented as MEDIA (rule internal-audio-media-udp-49152-57500, Various;"
                + " seed: Required Server Ports (by Server Role), row 39), but the wire shows ";
        assertEquals(media + "QUIC (version 1 Initial packet). Find out which program sends it.",
                a.one("127.0.0.1", "udp", 50050).get("reason").asText());
        String stun = "UDP 3478 from client to edge-internal is documented as STUN (rule client-stun-udp-3478, Clients; seed:"
                + " Required Client Ports, row 5), but the wire shows ";
        assertEquals(stun + "WireGuard (handshake initiation). Find out which program sends it.",
                a.one("127.0.0.1", "udp", 3478).get("reason").asText());
        assertEquals(stun + "NTP (version 4, client mode). Find out which program sends it.",
                a.one("127.5.10.21", "udp", 3478).get("reason").asText());
        for (JsonNode f : a.all("127.5.10.22", "udp", 50074)) {
            assertTrue(f.get("reason").asText().endsWith("but the wire shows SNMP (version 2c GetRequest). Find out which program"
                    + " sends it."), f.toString());
            assertTrue(!f.get("reason").asText().contains("public"), "the community is a password: " + f);
        }
        for (JsonNode f : a.flows()) {
            assertTrue(!f.get("reason").asText().contains("none of the protocols portmatrix recognises"), f.toString());
        }
    }

    /**
     * No UDP datagram of the project's other captures (Lync's RTP, SRTP and SRTCP, STUN and MS-TURN, DTLS-SRTP's
     * handshake, SIP, DNS, DHCP, SSRP, DCE/RPC; loopback, tunnels, VLANs, Windows' pktmon and npcap) is taken for QUIC,
     * DTLS data, WireGuard, NTP or SNMP by any test, though the tests are asked only where no inspector named a flow: each
     * is tight enough on its own. tshark lists the datagrams (udp.payload) of the captures merged into one (mergecap):
     * 424, 322 of them RTP.
     */
    @Test
    void noDatagramOfTheOtherCapturesIsNamed() throws Exception {
        List<Path> captures;
        try (Stream<Path> s = Files.walk(Path.of("captures"))) {
            captures = s.filter(p -> p.toString().endsWith(".pcap") || p.toString().endsWith(".pcapng"))
                    .filter(p -> !p.toString().equals(LOOKALIKES) && !p.toString().equals(DTLS_TUNNEL)).sorted().toList();
        }
        assertTrue(captures.size() >= 20, captures.toString());
        Path all = Files.createTempFile("pm-captures", ".pcapng");
        try {
            List<String> merge = new ArrayList<>(List.of("mergecap", "-F", "pcapng", "-w", all.toString()));
            captures.forEach(c -> merge.add(c.toString()));
            run(merge.toArray(new String[0]));
            Map<String, Integer> seen = new TreeMap<>();
            int datagrams = 0;
            // (tshark's RTP heuristics on, so that the media on ports of no protocol is counted as RTP, not data)
            for (String line : run("tshark", "-n", "-r", all.toString(), "--enable-heuristic", "rtp_udp", "--enable-heuristic", "rtcp_udp",
                    "-Y", "udp && !icmp && !icmpv6 && udp.length > 8", "-T", "fields", "-E", "separator=/t", "-e", "frame.protocols",
                    "-e", "udp.payload").split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                String[] f = line.split("\t");
                for (String payload : f[1].split(",")) { // (a tunnel's outer datagram and the inner one: each is tested)
                    byte[] b = HexFormat.of().parseHex(payload);
                    FlowInspection fi = new FlowInspection(false, 0, 0);
                    assertTrue(!Lookalikes.name(fi, b, 0, b.length), "a " + f[0] + " datagram named " + fi.app + " (" + fi.detail + ")");
                }
                String top = f[0].substring(f[0].lastIndexOf(":udp:") + 5);
                seen.merge(top.contains(":") ? top.substring(0, top.indexOf(':')) : top, 1, Integer::sum);
                datagrams++;
            }
            assertTrue(datagrams >= 400, datagrams + " datagrams: " + seen);
            for (String p : List.of("rtp", "stun", "dns", "sip")) {
                assertTrue(seen.getOrDefault(p, 0) > 0, "no " + p + " datagram among " + seen);
            }
        } finally {
            Files.deleteIfExists(all);
        }
    }

    /**
     * tcpdump's regression corpus (../shared/corpus/tcpdump-tests), others' recordings: each UDP flow of its NTP and QUIC
     * captures is named as tshark decodes the flow's first datagram: ntp in modes 1-5 (ntp-control.pcap's mode 6 and
     * ntp-mode7.pcap's mode 7 have other layouts and are not named), quic for an Initial of version 1 (quic_handshake,
     * quic_retry) or of a reserved version forcing Version Negotiation (quic_vn: 0x1a2a3a4a), none for a first datagram
     * the snap length cut (quic_handshake_truncated: 256 of 1,252 bytes) or Google QUIC (gquic: tshark's gquic).
     */
    @Test
    void tcpdumpsNtpAndQuicCapturesAreNamedAsTsharkDecodesThem() throws Exception {
        Map<String, Integer> named = new TreeMap<>();
        for (String name : List.of("ntp.pcap", "ntp-time.pcap", "ntp-time-ef.pcap", "ntp-control.pcap", "ntp-mode7.pcap",
                "quic_handshake.pcap", "quic_retry.pcap", "quic_vn.pcap", "quic_handshake_truncated.pcap", "gquic.pcap")) {
            String capture = CORPUS.resolve(name).toString();
            Map<String, String> oracle = new HashMap<>(); // "srcport dstport" of a flow's first datagram → tshark's name
            for (String line : run("tshark", "-n", "-r", capture, "-Y", "udp", "-T", "fields", "-E", "separator=/t", "-e", "udp.srcport",
                    "-e", "udp.dstport", "-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.protocols", "-e", "ntp.flags.mode",
                    "-e", "quic.long.packet_type").split("\n")) {
                String[] f = (line + "\t\t\t").split("\t", -1);
                if (oracle.containsKey(f[0] + " " + f[1]) || oracle.containsKey(f[1] + " " + f[0])) {
                    continue;
                }
                List<String> layers = List.of(f[4].split(":"));
                boolean whole = f[2].equals(f[3]);
                String mode = f[5];
                String app = !whole ? null : layers.contains("quic") && f[6].equals("0") ? "quic"
                        : layers.contains("ntp") && !mode.isEmpty() && Integer.parseInt(mode) >= 1 && Integer.parseInt(mode) <= 5 ? "ntp" : null;
                oracle.put(f[0] + " " + f[1], app);
            }
            List<JsonNode> flows = analyzeCorpus(capture);
            assertEquals(oracle.size(), flows.size(), name + ": " + flows);
            for (JsonNode f : flows) {
                String key = f.get("src_port").asInt() + " " + f.get("dst_port").asInt();
                assertTrue(oracle.containsKey(key), name + ": " + key + " not in " + oracle);
                String app = f.get("app_protocol").isNull() ? null : f.get("app_protocol").asText();
                assertEquals(oracle.get(key), app, name + ": " + f);
                named.merge(String.valueOf(app), 1, Integer::sum);
            }
        }
        assertEquals(Map.of("ntp", 6, "quic", 3, "null", 4), named);
    }

    static final Path CORPUS = Path.of("../shared/corpus/tcpdump-tests");

    private static List<JsonNode> analyzeCorpus(String capture) throws Exception {
        return analyze(capture, null);
    }

    /** The JSON lines of a capture, under a topology (or none, without inference of the initiator). */
    private static List<JsonNode> analyze(String capture, String topology) throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int status = new org.portmatrix.cli.Main(new java.io.PrintStream(out, true, StandardCharsets.UTF_8),
                new java.io.PrintStream(new java.io.ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
                .run(topology == null ? new String[] {"analyze", capture, "--no-infer", "--format", "jsonl"}
                        : new String[] {"analyze", capture, "--topology", topology, "--format", "jsonl"});
        assertTrue(status == 0 || status == 1, "status " + status);
        List<JsonNode> flows = new ArrayList<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                flows.add(new com.fasterxml.jackson.databind.ObjectMapper().readTree(line));
            }
        }
        return flows;
    }

    /** Initiator "ip:port responder-ip:port" → what tshark's decoding of the flow's packets names, or null. */
    private static Map<String, String> tsharkNames(String capture) throws Exception {
        String out = run("tshark", "-n", "-r", capture, "-d", "udp.port==50076,ntp", "-d", "udp.port==50074,snmp", "-T", "fields",
                "-E", "separator=/t", "-e", "ip.src", "-e", "udp.srcport", "-e", "ip.dst", "-e", "udp.dstport", "-e", "frame.protocols",
                "-e", "dtls.record.content_type", "-e", "ntp.flags.mode", "-e", "snmp.version", "-e", "dtls.handshake.type",
                "-e", "dtls.handshake.extension.type");
        Map<String, String> first = new HashMap<>(); // a packet's two ends → the flow's key (its first packet's direction)
        Map<String, List<String[]>> packets = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] f = (line + "\t\t\t\t\t\t").split("\t", -1);
            String ab = f[0] + ":" + f[1] + " " + f[2] + ":" + f[3];
            String ba = f[2] + ":" + f[3] + " " + f[0] + ":" + f[1];
            String key = first.containsKey(ba) ? first.get(ba) : first.computeIfAbsent(ab, k -> k);
            packets.computeIfAbsent(key, k -> new ArrayList<>()).add(f);
        }
        Map<String, String> names = new TreeMap<>();
        for (Map.Entry<String, List<String[]>> e : packets.entrySet()) {
            String name = null;
            boolean rtp = false;
            boolean dtlsData = false;
            boolean keysSrtp = false; // a ServerHello with use_srtp (14): DTLS-SRTP's association
            for (String[] f : e.getValue()) {
                List<String> layers = List.of(f[4].split(":"));
                rtp |= layers.contains("rtp");
                dtlsData |= layers.contains("dtls") && List.of(f[5].split(",")).contains("23");
                keysSrtp |= List.of(f[8].split(",")).contains("2") && List.of(f[9].split(",")).contains("14");
                if (layers.contains("quic")) {
                    name = "quic";
                } else if (layers.contains("wg")) {
                    name = "wireguard";
                } else if (layers.contains("ntp") && !f[6].isEmpty()) {
                    name = "ntp";
                } else if (layers.contains("snmp") && !f[7].isEmpty()) {
                    name = "snmp";
                }
            }
            names.put(e.getKey(), rtp ? "rtp" : dtlsData && !keysSrtp ? "dtls" : dtlsData ? null : name);
        }
        return names;
    }

    static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", command));
        assertEquals(0, p.exitValue(), String.join(" ", command));
        return out;
    }
}
