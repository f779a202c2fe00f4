package org.portmatrix.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.portmatrix.cli.Runs;
import org.portmatrix.hostile.Frames;
import org.portmatrix.hostile.Frames.Bytes;
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
        return analyze(w, TOPOLOGY);
    }

    /** The flow records of the capture {@code w} on the topology {@code topologyText}. */
    static List<JsonNode> analyze(PcapBytes w, String topologyText) throws Exception {
        Path dir = Files.createTempDirectory("pm-classify");
        Path capture = w.write(dir.resolve("c.pcap"));
        Path topology = Files.writeString(dir.resolve("topology.yaml"), topologyText);
        Runs.Ran r = Runs.main("analyze", capture.toString(), "--topology", topology.toString(), "--format", "jsonl");
        assertTrue(r.status() == 0 || r.status() == 1, "exit status " + r.status() + ": " + r.err());
        return r.jsonLines();
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
        connection(w, CLIENT, 41001, EDGE, 445, HTTP_GET);
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

        // Each role once: TCP 445 is documented for the Front End by two rules, and for four more roles by the second.
        String smb = one(flows, CLIENT, 445).get("reason").asText();
        assertTrue(smb.startsWith("No catalog rule serves TCP 445 on edge-internal. The port is documented for front-end (rule fe-cms-smb-445, "),
                smb);
        assertTrue(smb.contains("; also rule cms-push-smb-445); and director, mediation, persistent-chat, survivable-branch-appliance"
                + " (rule cms-push-smb-445, "), smb);
    }

    /** A TCP segment with its sequence and acknowledgement numbers. */
    static byte[] segment(String src, int sport, String dst, int dport, long seq, long ack, int flags, byte[] payload) {
        byte[] l4 = new Bytes().u16(sport).u16(dport).u32(seq).u32(ack).u8(5 << 4).u8(flags).u16(65535).u16(0).u16(0).raw(payload)
                .toArray();
        return Frames.ethernet(Frames.ETHERTYPE_IPV4, Frames.ipv4(src, dst, Frames.PROTO_TCP, l4));
    }

    /** A STUN Binding Request (RFC 5389), or its success response with an XOR-MAPPED-ADDRESS, framed as RFC 4571 frames it over TCP. */
    static byte[] framedStun(boolean response, int id) {
        Bytes m = new Bytes().u16(response ? 0x0101 : 0x0001).u16(response ? 12 : 0).u32(0x2112A442L).u32(id).u32(id).u32(id);
        if (response) {
            m.u16(0x0020).u16(8).u8(0).u8(1).u16(0x1234 ^ 0x2112).u32(0x2112A442L ^ 0x0a010301L);
        }
        byte[] msg = m.toArray();
        return new Bytes().u16(msg.length).raw(msg).toArray();
    }

    /**
     * The rest of a TCP connection from {@code a} to {@code b}, caught after its handshake: {@code exchanges} STUN
     * requests from {@code a} each answered by {@code b} (with ACKs), then FIN both ways. Returns the packets from
     * {@code a} and from {@code b}.
     */
    static int[] midConnection(PcapBytes w, String a, int aPort, String b, int bPort, byte[][] fromA, byte[][] fromB) {
        long seqA = 1001;
        long seqB = 5001;
        int packetsA = 0;
        int packetsB = 0;
        for (int i = 0; i < fromA.length; i++) {
            w.packet(segment(a, aPort, b, bPort, seqA, seqB, Frames.PSH | Frames.ACK, fromA[i]));
            seqA += fromA[i].length;
            w.packet(segment(b, bPort, a, aPort, seqB, seqA, Frames.PSH | Frames.ACK, fromB[i]));
            seqB += fromB[i].length;
            w.packet(segment(a, aPort, b, bPort, seqA, seqB, Frames.ACK, new byte[0]));
            packetsA += 2;
            packetsB++;
        }
        w.packet(segment(a, aPort, b, bPort, seqA, seqB, Frames.FIN | Frames.ACK, new byte[0]));
        w.packet(segment(b, bPort, a, aPort, seqB, seqA + 1, Frames.FIN | Frames.ACK, new byte[0]));
        w.packet(segment(a, aPort, b, bPort, seqA + 1, seqB + 1, Frames.ACK, new byte[0]));
        return new int[] {packetsA + 2, packetsB + 1};
    }

    static final String TURNED = " The capture missed the connection's start (no SYN), so which end initiated was inferred: read the"
            + " other way round, as the ports first suggested, the catalog does not allow it.";

    /**
     * TCP connections caught without their SYN: which end initiated is inferred from the ports, and no port of a
     * media range counts as a service's. The Edge relaying video from its port 49500 to a Front End's 57600
     * (Required Server Ports row 10) was read from the Front End's higher port to the Edge's lower one:
     * unexpected_port, "No catalog rule serves TCP 49500 on edge-internal", where the same connection with its SYN
     * is expected. From the Edge's 50001 (its Centralized Logging port) to a Front End's 50500 it was read as MTLS to
     * the Edge's 50001, protocol_mismatch. Read the other way round, the catalog allows both and the wire shows their
     * STUN: expected, with the record's ends, ports and per-direction counters turned too. Cleartext HTTP between
     * a client's 40000 and a Front End's 6000, allowed neither way, stays as inferred.
     */
    @Test
    void aConnectionCaughtMidStreamIsReadTheWayTheCatalogAllowsIt() throws Exception {
        PcapBytes w = new PcapBytes();
        byte[][] requests = {framedStun(false, 1), framedStun(false, 2), framedStun(false, 3)};
        byte[][] responses = {framedStun(true, 1), framedStun(true, 2), framedStun(true, 3)};
        int[] video = midConnection(w, EDGE, 49500, FRONT_END, 57600, requests, responses);
        int[] sharing = midConnection(w, EDGE, 50001, FRONT_END, 50500, requests, responses);
        midConnection(w, CLIENT, 40000, FRONT_END, 6000, new byte[][] {HTTP_GET},
                new byte[][] {Frames.ascii("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")});
        // Encrypted bytes in the middle of a connection to an undocumented port: read the other way round, the Front End's
        // port to the client's media range would say nothing against it (unverifiable), yet nothing says it is media.
        byte[][] opaque = {opaque(1), opaque(2), opaque(3)};
        midConnection(w, CLIENT, 51000, FRONT_END, 8000, opaque, opaque);
        List<JsonNode> flows = analyze(w);
        assertEquals(4, flows.size(), flows.toString());

        JsonNode v = one(flows, EDGE, 57600);
        assertEquals("expected", v.get("verdict").asText(), v.toString());
        assertEquals("fe-video-media-tcp-57501-65535", v.get("rule").asText(), v.toString());
        assertEquals("stun", v.get("app_protocol").asText(), v.toString());
        assertTrue(v.get("direction_inferred").asBoolean(), v.toString());
        assertEquals(49500, v.get("src_port").asInt(), v.toString());
        assertEquals(FRONT_END, v.get("dst_ip").asText(), v.toString());
        assertEquals("[\"edge-internal\"]", v.get("src_roles").toString(), v.toString());
        assertEquals(video[0], v.get("packets_fwd").asInt(), "from the Edge: " + v);
        assertEquals(video[1], v.get("packets_rev").asInt(), "from the Front End: " + v);
        assertTrue(v.get("bytes_fwd").asLong() > v.get("bytes_rev").asLong(), "the Edge sent more packets: " + v);
        String reason = v.get("reason").asText();
        assertTrue(reason.startsWith("TCP 57600 from edge-internal to front-end is documented as MEDIA (rule fe-video-media-tcp-57501-65535"),
                reason);
        assertTrue(reason.endsWith(TURNED), reason);

        JsonNode s = one(flows, EDGE, 50500);
        assertEquals("expected", s.get("verdict").asText(), s.toString());
        assertEquals("fe-app-sharing-media-tcp-49152-65535", s.get("rule").asText(), s.toString());
        assertEquals(50001, s.get("src_port").asInt(), s.toString());
        assertEquals(sharing[0], s.get("packets_fwd").asInt(), s.toString());
        assertEquals(sharing[1], s.get("packets_rev").asInt(), s.toString());
        assertTrue(s.get("reason").asText().endsWith(TURNED), s.toString());

        JsonNode tls = one(flows, CLIENT, 8000);
        assertEquals("unexpected_port", tls.get("verdict").asText(), tls.toString());
        assertEquals(51000, tls.get("src_port").asInt(), tls.toString());
        assertFalse(tls.get("reason").asText().contains("which end initiated"), tls.toString());

        JsonNode http = one(flows, CLIENT, 6000);
        assertEquals("unexpected_port", http.get("verdict").asText(), http.toString());
        assertTrue(http.get("direction_inferred").asBoolean(), http.toString());
        assertFalse(http.get("reason").asText().contains("which end initiated"), http.toString());
    }

    /**
     * Flows caught without their start that only read the other way round would allow, but with nothing on the wire for
     * that way (review): an SMB session to a client's 445 and a client's cleartext HTTP to an Edge's 443 (a client's
     * peer-to-peer range takes any TCP: read from 445 or 443 to the client's high port, they were expected), ACK and
     * FIN probes that carried no payload, and empty UDP sent from port 53 to a client's high port with an ICMP port
     * unreachable back. Each stays flagged as inferred: a flow is turned only on a protocol inspection recognised, from
     * a port of neither a service nor below 1024, to a rule that names the protocol.
     */
    @Test
    void aFlowIsTurnedOnlyOnEvidenceForTheOtherWay() throws Exception {
        String client2 = "10.2.0.22";
        PcapBytes w = new PcapBytes();
        // The NetBIOS session length, then an SMB2 header (0xFE 'SMB', 64 bytes; command 0, NEGOTIATE).
        byte[] smb = new Bytes().u32(64).u8(0xfe).raw(Frames.ascii("SMB")).u16(64).raw(new byte[58]).toArray();
        midConnection(w, CLIENT, 50010, client2, 445, new byte[][] {smb}, new byte[][] {smb});
        midConnection(w, CLIENT, 50011, EDGE, 443, new byte[][] {HTTP_GET}, new byte[][] {Frames.ascii("HTTP/1.1 200 OK\r\n\r\n")});
        for (int port : new int[] {22, 135}) { // an ACK scan: ACK, RST back
            w.packet(segment(CLIENT, 41000, client2, port, 1, 1, Frames.ACK, new byte[0]));
            w.packet(segment(client2, port, CLIENT, 41000, 1, 0, 0x04, new byte[0])); // RST
        }
        w.packet(Frames.udp(FRONT_END, 53, CLIENT, 40000, new byte[0])); // nmap -g 53
        List<JsonNode> flows = analyze(w);
        assertEquals(5, flows.size(), flows.toString());
        for (JsonNode f : flows) {
            assertTrue(f.get("verdict").asText().startsWith("unexpected") || f.get("verdict").asText().equals("protocol_mismatch"), f.toString());
            assertFalse(f.get("reason").asText().contains("which end initiated"), f.toString());
        }
        assertEquals(445, one(flows, CLIENT, 445).get("dst_port").asInt());
        assertEquals("protocol_mismatch", one(flows, CLIENT, 443).get("verdict").asText());
    }

    /**
     * Past eight groups of roles, the rest are counted as roles, not as groups: a catalog of ten rules for TCP 9000, each
     * for two roles of its own, names eight groups (sixteen roles) and "and 4 more roles" (it said 2, the groups).
     */
    @Test
    void anUndocumentedPortCountsTheRolesItLeavesOut() throws Exception {
        Path dir = Files.createTempDirectory("pm-classify");
        StringBuilder catalog = new StringBuilder("roles: [");
        for (int i = 0; i < 20; i++) {
            catalog.append(i == 0 ? "" : ", ").append("r").append(i);
        }
        catalog.append("]\nrules:\n");
        for (int i = 0; i < 10; i++) {
            catalog.append("  - {id: rule-").append(i).append(", src: [client], dst: [r").append(2 * i).append(", r").append(2 * i + 1)
                    .append("], transport: tcp, port: 9000, protocol: tcp}\n");
        }
        Path cat = Files.writeString(dir.resolve("catalog.yaml"), catalog.toString());
        Path topo = Files.writeString(dir.resolve("topology.yaml"), "roles:\n  front-end: [10.1.1.11/32]\n  client: [10.2.0.0/16]\n");
        PcapBytes w = new PcapBytes();
        connection(w, CLIENT, 40000, FRONT_END, 9000, HTTP_GET);
        Path capture = w.write(dir.resolve("c.pcap"));
        Runs.Ran r = Runs.main("analyze", capture.toString(), "--topology", topo.toString(), "--catalog", cat.toString(), "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        JsonNode f = r.jsonLines().get(0);
        String reason = f.get("reason").asText();
        assertEquals("unexpected_port", f.get("verdict").asText(), f.toString());
        assertTrue(reason.contains("r14, r15 (rule rule-7); and 4 more roles."), reason);
    }

    /**
     * The evidence may be a topology ports entry's protocol as well as a catalog rule's (review): a Director's TLS to a
     * Front End's port 60000 that the topology configures ("front-end tcp 60000 tls"), caught without its SYN, was read
     * from the higher port 60000 to the Director's 50123 (unexpected_port) and stayed so, though the entry allows it
     * the other way round and the wire shows its TLS.
     */
    @Test
    void aFlowIsTurnedOntoATopologyEntryThatNamesItsProtocol() throws Exception {
        String topology = TOPOLOGY + "ports:\n  - {role: front-end, transport: tcp, port: \"60000\", protocol: tls}\n";
        byte[][] records = new byte[3][];
        for (int i = 0; i < 3; i++) {
            byte[] r = new byte[5 + 48];
            new java.util.Random(i).nextBytes(r);
            r[0] = 0x17; // TLS application data, TLS 1.2, 48 bytes
            r[1] = 0x03;
            r[2] = 0x03;
            r[3] = 0x00;
            r[4] = 48;
            records[i] = r;
        }
        PcapBytes w = new PcapBytes();
        midConnection(w, "10.1.2.11", 50123, FRONT_END, 60000, records, records);
        List<JsonNode> flows = analyze(w, topology);
        assertEquals(1, flows.size(), flows.toString());
        JsonNode f = flows.get(0);
        assertEquals("expected", f.get("verdict").asText(), f.toString());
        assertEquals("10.1.2.11", f.get("src_ip").asText(), f.toString());
        assertEquals(60000, f.get("dst_port").asInt(), f.toString());
        assertTrue(f.get("reason").asText().endsWith(TURNED), f.toString());
    }

    /** 200 bytes that no inspector recognises (a TLS connection's records seen from their middle, say). */
    static byte[] opaque(int seed) {
        byte[] b = new byte[200];
        new java.util.Random(seed).nextBytes(b);
        b[0] = (byte) 0x5a; // no TLS record type, no RTP version 2, no STUN
        return b;
    }

    /** {@code n} RTP packets (PCMU, 20 ms) of one SSRC from {@code src} to {@code dst}. */
    static void rtp(PcapBytes w, String src, int sport, String dst, int dport, int n, int ssrc) {
        for (int i = 0; i < n; i++) {
            Bytes b = new Bytes().u8(0x80).u8(0).u16(100 + i).u32(1000 + 160L * i).u32(ssrc);
            for (int k = 0; k < 160; k++) {
                b.u8(0xff);
            }
            w.packet(Frames.udp(src, sport, dst, dport, b.toArray()));
        }
    }

    /**
     * One RTP stream between an Edge's internal interface and a Front End's audio port, seen first from either end,
     * has one verdict. Edge -> FE:50080 is documented (Required Server Ports row 39); FE:50081 -> Edge:50071 was
     * unexpected_port, "No catalog rule serves UDP 50071 on edge-internal": the audio rule was not read the other
     * way round because the Edge has a UDP port of its own (STUN 3478), though not this one. The guard is now the
     * destination's port: its own service port (3478) or one below 1024 (53) is not a media end's, and a role whose
     * media ranges the catalog documents (a Front End's: M4 of media.pcap, RTP to its 6000) keeps them.
     */
    @Test
    void mediaSeenFirstFromEitherEndHasOneVerdict() throws Exception {
        PcapBytes w = new PcapBytes();
        rtp(w, EDGE, 50070, FRONT_END, 50080, 10, 0x1234);
        rtp(w, FRONT_END, 50081, EDGE, 50071, 10, 0x2345);
        rtp(w, FRONT_END, 50082, EDGE, 53, 10, 0x3456);
        rtp(w, FRONT_END, 50083, EDGE, 3478, 10, 0x4567);
        rtp(w, CLIENT, 50084, FRONT_END, 6000, 10, 0x5678);
        List<JsonNode> flows = analyze(w);
        assertEquals(5, flows.size(), flows.toString());

        JsonNode edgeFirst = one(flows, EDGE, 50080);
        assertEquals("expected", edgeFirst.get("verdict").asText(), edgeFirst.toString());
        assertEquals("internal-audio-media-udp-49152-57500", edgeFirst.get("rule").asText(), edgeFirst.toString());
        JsonNode feFirst = one(flows, FRONT_END, 50071);
        assertEquals("expected", feFirst.get("verdict").asText(), feFirst.toString());
        assertEquals("rtp", feFirst.get("app_protocol").asText(), feFirst.toString());
        assertEquals("internal-audio-media-udp-49152-57500", feFirst.get("rule").asText(), feFirst.toString());
        String reason = feFirst.get("reason").asText();
        assertTrue(reason.startsWith("UDP 50081 from edge-internal to front-end is documented as MEDIA (rule internal-audio-media-udp-49152-57500")
                && reason.endsWith("The first packet came from front-end's end: media flows both ways."), reason);

        JsonNode wellKnown = one(flows, FRONT_END, 53);
        assertEquals("unexpected_port", wellKnown.get("verdict").asText(), wellKnown.toString());
        assertTrue(wellKnown.get("reason").asText().startsWith("No catalog rule serves UDP 53 on edge-internal."), wellKnown.toString());
        JsonNode stunPort = one(flows, FRONT_END, 3478);
        assertEquals("unexpected_role_pair", stunPort.get("verdict").asText(), stunPort.toString());
        JsonNode frontEnd = one(flows, CLIENT, 6000);
        assertEquals("unexpected_port", frontEnd.get("verdict").asText(), frontEnd.toString());
    }

    /**
     * A media range the topology's {@code ports:} gives a role (a Mediation Server's audio moved to 40000-40999 with
     * Set-CsConferencingServer, as {@code topology import} writes it) is read the other way round as the catalog's are:
     * RTP from the Mediation Server's 40500 to a gateway's 20000 was unexpected_port, "No catalog rule serves UDP 20000
     * on pstn-gateway", while the same call seen gateway-first was expected. Only media counts (datagrams that are no
     * RTP keep their verdict, with inspection and without it), and the catalog's range moved away (50000) stays
     * unexpected_port.
     */
    @Test
    void mediaFromARangeTheTopologyConfiguresIsReadTheOtherWayRound() throws Exception {
        PcapBytes w = new PcapBytes();
        String gateway = "10.1.6.11";
        rtp(w, MEDIATION, 40500, gateway, 20000, 10, 0x1234);
        rtp(w, gateway, 20002, MEDIATION, 40502, 10, 0x2345);
        rtp(w, MEDIATION, 50000, gateway, 20004, 10, 0x3456);
        for (int i = 0; i < 5; i++) {
            w.packet(Frames.udp(MEDIATION, 40510, gateway, 20010, new byte[40])); // no RTP
        }
        String topology = TOPOLOGY + """
                ports:
                  - {role: mediation, transport: [tcp, udp], port: "40000-40999", instead_of: ["49152-57500"]}
                """;
        List<JsonNode> flows = analyze(w, topology);
        assertEquals(4, flows.size(), flows.toString());

        JsonNode mediationFirst = one(flows, MEDIATION, 20000);
        assertEquals("expected", mediationFirst.get("verdict").asText(), mediationFirst.toString());
        assertEquals("rtp", mediationFirst.get("app_protocol").asText(), mediationFirst.toString());
        String reason = mediationFirst.get("reason").asText();
        assertTrue(reason.startsWith("UDP 40500 from pstn-gateway to mediation is configured in this deployment's topology (")
                && reason.contains(":12: mediation udp 40000-40999); the catalog documents UDP 49152-57500 (rule internal-audio-media-udp-49152-57500")
                && reason.contains("for mediation instead. The first packet came from mediation's end: media flows both ways. On the wire: RTP"), reason);
        assertEquals("expected", one(flows, gateway, 40502).get("verdict").asText());
        JsonNode moved = one(flows, MEDIATION, 20004);
        assertEquals("unexpected_port", moved.get("verdict").asText(), moved.toString());
        JsonNode noMedia = one(flows, MEDIATION, 20010);
        assertEquals("unexpected_port", noMedia.get("verdict").asText(), noMedia.toString());
        assertEquals("No catalog rule serves UDP 20010 on pstn-gateway.", noMedia.get("reason").asText());
    }

    /**
     * A role listed with no address ({@code director: []}, as {@code topology import} writes a role whose machines it could
     * not resolve) is no host's: its documented ports are no candidates to close, and its rules do not apply to the
     * topology. They were: every Director port was listed under CANDIDATES TO CLOSE, and "62 apply" counted its rules.
     */
    @Test
    void aRoleWithNoAddressHasNoPortsToClose() throws Exception {
        PcapBytes w = new PcapBytes();
        connection(w, CLIENT, 41000, FRONT_END, 5061, new byte[0]);
        String roles = """
                roles:
                  front-end: [10.1.1.11/32]
                  client: [10.2.0.0/16]
                """;
        String withEmpty = coverage(w, roles + "  director: []\n  persistent-chat:\n");
        assertTrue(withEmpty.contains("fe-dcerpc-135"), "DCOM 135 on the Front End is a candidate: " + withEmpty);
        for (String line : withEmpty.split("\n")) {
            String[] cells = line.trim().split("\\s+");
            if (cells.length > 1 && cells[0].matches("(tcp|udp)/.*")) { // TRANSPORT/PORT, ON, RULES
                List<String> on = List.of(cells[1].split("\\+"));
                assertFalse(on.contains("director") || on.contains("persistent-chat"), line);
            }
        }
        assertEquals(coverage(w, roles), withEmpty);
    }

    /** A STUN Binding Request (RFC 5389): type 0x0001, length 0, the magic cookie, a transaction id of zeros. */
    private static byte[] bindingRequest() {
        byte[] b = new byte[20];
        b[1] = 1;
        System.arraycopy(new byte[] {0x21, 0x12, (byte) 0xa4, 0x42}, 0, b, 4, 4);
        return b;
    }

    /**
     * IPv6 packets between IPv4-mapped addresses (::ffff:a.b.c.d) of a client and an Edge: no topology host's (a
     * firewall rule for the IPv4 address does not match them, and RFC 4291 keeps them off the wire), unknown_host with
     * the reason saying so. Held as the IPv4 addresses are, they took the IPv4 hosts' roles: STUN to the Edge's 3478,
     * expected. The same datagram over IPv4 stays expected.
     */
    @Test
    void ipv4MappedIpv6AddressesAreNoTopologyHosts() throws Exception {
        byte[] bindingRequest = bindingRequest();
        bindingRequest[19] = 7;
        PcapBytes w = new PcapBytes();
        w.packet(Frames.udp6("::ffff:" + CLIENT, 41000, "::ffff:" + EDGE, 3478, bindingRequest));
        w.packet(Frames.udp(CLIENT, 41001, EDGE, 3478, bindingRequest));
        List<JsonNode> flows = analyze(w);
        assertEquals(2, flows.size(), flows.toString());
        JsonNode mapped = one(flows, "::ffff:" + CLIENT, 3478);
        assertEquals("unknown_host", mapped.get("verdict").asText(), mapped.toString());
        assertEquals("The initiator ::ffff:10.2.0.21 and the responder ::ffff:10.1.3.11 are outside the topology (UDP 3478); an"
                + " IPv4-mapped IPv6 address (::ffff:0:0/96) does not belong in a packet on the wire (RFC 4291 2.5.5.2, RFC 6890): the"
                + " topology's IPv4 hosts are not IPv6 ones, and a firewall rule for the IPv4 address does not match it. Find out which"
                + " host sends it. On the wire: STUN Binding Request.", mapped.get("reason").asText());
        JsonNode v4 = one(flows, CLIENT, 3478);
        assertEquals("expected", v4.get("verdict").asText(), v4.toString());
    }

    /**
     * Both ends outside the topology: the reason asks to add the hosts, not "the host", and does not say that "it talks to
     * this deployment", of which neither end is.
     */
    @Test
    void bothEndsOutsideTheTopologyAreSaidAsTwoHosts() throws Exception {
        byte[] bindingRequest = bindingRequest();
        PcapBytes w = new PcapBytes();
        w.packet(Frames.udp("192.0.2.1", 41000, "192.0.2.2", 3478, bindingRequest));
        JsonNode flow = one(analyze(w), "192.0.2.1", 3478);
        assertEquals("The initiator 192.0.2.1 and the responder 192.0.2.2 are outside the topology (UDP 3478); add the hosts to the"
                + " topology or find out why they are in the capture. On the wire: STUN Binding Request.", flow.get("reason").asText());
    }

    /**
     * TCP to a port the responder's role serves over UDP only (a client's TCP 3478 to an Edge, whose STUN is UDP): the
     * unexpected_port reason says so, where it said only that no rule serves TCP 3478.
     */
    @Test
    void anUnexpectedPortServedOverTheOtherTransportSaysSo() throws Exception {
        PcapBytes w = new PcapBytes();
        connection(w, CLIENT, 41000, EDGE, 3478, new byte[0]);
        JsonNode f = one(analyze(w), CLIENT, 3478);
        assertEquals("unexpected_port", f.get("verdict").asText(), f.toString());
        String reason = f.get("reason").asText();
        assertTrue(reason.startsWith("No catalog rule serves TCP 3478 on edge-internal. The catalog documents UDP 3478 on"
                + " edge-internal (rule client-stun-udp-3478"), reason);
        // Not when the topology moved the other transport's port away (review: it pointed at the Edge's UDP 3478, moved to 3480).
        JsonNode moved = one(analyze(w, TOPOLOGY + """
                ports:
                  - {role: edge-internal, transport: udp, port: "3480", instead_of: ["3478"]}
                """), CLIENT, 3478);
        assertEquals("unexpected_port", moved.get("verdict").asText(), moved.toString());
        assertFalse(moved.get("reason").asText().contains("UDP 3478"), moved.toString());
        // Moved on one host only: the other host still serves it there, and its reason says so (second review).
        PcapBytes two = new PcapBytes();
        connection(two, CLIENT, 41001, EDGE, 3478, new byte[0]);
        connection(two, CLIENT, 41002, "10.1.3.12", 3478, new byte[0]);
        List<JsonNode> flows = analyze(two, TOPOLOGY.replace("edge-internal: [10.1.3.11/32]", "edge-internal: [10.1.3.11/32, 10.1.3.12/32]") + """
                ports:
                  - {role: edge-internal, transport: udp, port: "3480", instead_of: ["3478"], hosts: [10.1.3.11]}
                """);
        assertFalse(one(flows, CLIENT, 3478, EDGE).get("reason").asText().contains("UDP 3478"), flows.toString());
        assertTrue(one(flows, CLIENT, 3478, "10.1.3.12").get("reason").asText().contains("The catalog documents UDP 3478 on edge-internal"),
                flows.toString());
    }

    static JsonNode one(List<JsonNode> flows, String src, int dstPort, String dst) {
        List<JsonNode> l = flows.stream().filter(f -> f.get("src_ip").asText().equals(src) && f.get("dst_port").asInt() == dstPort
                && f.get("dst_ip").asText().equals(dst)).toList();
        assertEquals(1, l.size(), "flows from " + src + " to " + dst + ":" + dstPort + ": " + flows);
        return l.get(0);
    }

    /**
     * STUN from a client to the Edge's UDP 3478, which the topology moved to 3480: unexpected_port. It was expected, read
     * the other way round as the Edge's media to the client's port (review): the responder's own service port in the
     * catalog is no media port of the other end's, moved or not.
     */
    @Test
    void stunToAServicePortTheTopologyMovedIsNotReadAsMedia() throws Exception {
        byte[] bindingRequest = bindingRequest();
        PcapBytes w = new PcapBytes();
        w.packet(Frames.udp(CLIENT, 50002, EDGE, 3478, bindingRequest));
        JsonNode f = one(analyze(w, TOPOLOGY + """
                ports:
                  - {role: edge-internal, transport: udp, port: "3480", instead_of: ["3478"]}
                """), CLIENT, 3478);
        assertEquals("unexpected_port", f.get("verdict").asText(), f.toString());
    }

    /** The text report's CATALOG COVERAGE and CANDIDATES TO CLOSE sections of the capture {@code w} on the topology {@code topologyText}. */
    static String coverage(PcapBytes w, String topologyText) throws Exception {
        Path dir = Files.createTempDirectory("pm-classify");
        Path capture = w.write(dir.resolve("c.pcap"));
        Path topology = Files.writeString(dir.resolve("topology.yaml"), topologyText);
        Runs.Ran r = Runs.main("analyze", capture.toString(), "--topology", topology.toString());
        assertEquals(0, r.status(), r.err());
        String text = r.out();
        return text.substring(text.indexOf("CATALOG COVERAGE"), text.indexOf("COUNTERS"));
    }
}
