package org.portmatrix.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.portmatrix.oracle.Tshark.tsharkCount;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.cli.Runs;

/**
 * A dual-stack deployment on captures/ipv6/dual-stack.pcap (record-dual-stack.sh: openssl TLS and MTLS, SIPp, curl and
 * socat, coturn, GStreamer, pings, the kernel's port unreachables and a REJECT rule's, each scenario over IPv6 ULA
 * addresses and most of them over IPv4 too, in a network namespace), with captures/ipv6/dual-stack-topology.yaml: a host of each family per role,
 * a /64 and a /24 of clients.
 */
class DualStackTest {
    static final Path CAPTURE = Path.of("captures/ipv6/dual-stack.pcap");
    static final Path TOPOLOGY = Path.of("captures/ipv6/dual-stack-topology.yaml");

    static List<JsonNode> flows(Path topology) throws Exception {
        Runs.Ran r = Runs.main("analyze", CAPTURE.toString(), "--topology", topology.toString(), "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        return r.jsonLines();
    }

    static JsonNode only(List<JsonNode> flows, String srcIp, String dstIp, int dstPort) {
        List<JsonNode> l = flows.stream().filter(f -> f.get("src_ip").asText().equals(srcIp) && f.get("dst_ip").asText().equals(dstIp)
                && f.get("dst_port").asInt() == dstPort).toList();
        assertEquals(1, l.size(), srcIp + " -> " + dstIp + ":" + dstPort + ": " + l);
        return l.get(0);
    }

    /** A flow's reason with its addresses (and an RTP stream's random SSRC) left out: an IPv4 flow's and its IPv6 twin's are then the same text. */
    static String reasonWithoutAddresses(JsonNode f) {
        return f.get("reason").asText().replace(f.get("src_ip").asText(), "SRC").replace(f.get("dst_ip").asText(), "DST")
                .replaceAll("SSRC 0x[0-9a-f]+", "SSRC X");
    }

    /** Each scenario recorded over both families: its IPv6 flow and its IPv4 flow get the same verdict, rule, roles and reason. */
    @Test
    void anIpv6FlowIsJudgedAsItsIpv4Twin() throws Exception {
        List<JsonNode> flows = flows(TOPOLOGY);
        assertEquals(28, flows.size());
        String[][] twins = { // initiator and responder over IPv6, over IPv4, and the port
            {"fd00:6:10::21", "fd00:6:1::10", "127.6.10.21", "127.6.1.10", "5061"},
            {"fd00:6:1::10", "fd00:6:4::10", "127.6.1.10", "127.6.4.10", "5070"}, // MTLS, and TLS without a client certificate
            {"fd00:6:10::22", "fd00:6:1::10", "127.6.10.22", "127.6.1.10", "443"},
            {"fd00:6:10:0:a:b:c:23", "fd00:6:1::10", "127.6.10.21", "127.6.1.10", "4443"},
            {"fd00:6:10::21", "fd00:6:1::10", "127.6.10.21", "127.6.1.10", "80"},
            {"fd00:6:6::10", "fd00:6:4::10", "127.6.6.10", "127.6.4.10", "5068"},
            {"fd00:6:10::21", "fd00:6:4::10", "127.6.10.21", "127.6.4.10", "49200"},
            {"fd00:6:10::22", "fd00:6:1::10", "127.6.10.22", "127.6.1.10", "50002"},
            {"fd00:6:10:0:a:b:c:23", "fd00:6:1::10", "127.6.10.22", "127.6.1.10", "0"}, // the pings (no port)
        };
        for (String[] t : twins) {
            int port = Integer.parseInt(t[4]);
            Map<String, JsonNode> v6 = byVerdict(flows, t[0], t[1], port);
            Map<String, JsonNode> v4 = byVerdict(flows, t[2], t[3], port);
            assertEquals(v4.keySet(), v6.keySet(), "verdicts of port " + port);
            for (String verdict : v4.keySet()) {
                JsonNode a = v6.get(verdict);
                JsonNode b = v4.get(verdict);
                for (String field : List.of("rule", "src_roles", "dst_roles", "app_protocol", "icmp_errors")) {
                    assertEquals(b.get(field), a.get(field), field + " of " + a);
                }
                assertEquals(reasonWithoutAddresses(b).replace("ICMP", "ICMPv6"), reasonWithoutAddresses(a));
            }
        }
        // The IPv6 flows of each verdict, as the recording planned them.
        assertEquals("protocol_mismatch", only(flows, "fd00:6:10::22", "fd00:6:1::10", 5061).get("verdict").asText(), "cleartext SIP on 5061");
        assertEquals("unknown_host", only(flows, "fd00:6:99::5", "fd00:6:1::10", 5061).get("verdict").asText());
        assertEquals("expected", only(flows, "fd00:6:2::10", "fd00:6:1::11", 5061).get("verdict").asText(), "MTLS from the Director");
        assertEquals("expected", only(flows, "fd00:6:10::21", "fd00:6:3::10", 3478).get("verdict").asText(), "STUN to the Edge");
        assertEquals("expected", only(flows, "fd00:6:6::10", "fd00:6:1::10", 5060).get("verdict").asText(), "SIP from the gateway");
        // The transport named as RFC 4443 names it (the reason had said "ICMP6", the records' "icmp6" in capitals).
        JsonNode ping = only(flows, "fd00:6:10:0:a:b:c:23", "fd00:6:1::10", 0);
        assertEquals("icmp6", ping.get("transport").asText());
        assertEquals("The catalog documents only TCP and UDP; ICMPv6 from client to front-end is outside the matrix.", ping.get("reason").asText());
        // TCP refused by a REJECT rule, each family's "administratively prohibited" said alike (Linux retried the SYN
        // once over IPv6: two errors there, one over IPv4).
        JsonNode refused6 = only(flows, "fd00:6:10:0:a:b:c:23", "fd00:6:1::11", 5061);
        JsonNode refused4 = only(flows, "127.6.10.22", "127.6.1.10", 5061);
        for (JsonNode f : List.of(refused6, refused4)) {
            assertEquals("expected", f.get("verdict").asText(), f.toString());
            assertEquals("fe-sip-tls-5061-client", f.get("rule").asText(), f.toString());
            assertEquals(f.get("packets_fwd").asInt(), f.get("icmp_errors").asInt(), "each SYN refused: " + f);
        }
        assertTrue(refused6.get("reason").asText().endsWith(" ICMPv6 communication administratively prohibited came back from fd00:6:1::11"
                + " (2 times): a filter on the way refused the flow's packets."), refused6.toString());
        assertTrue(refused4.get("reason").asText().endsWith(" ICMP communication administratively prohibited came back from 127.6.1.10:"
                + " a filter on the way refused the flow's packets."), refused4.toString());
    }

    static Map<String, JsonNode> byVerdict(List<JsonNode> flows, String src, String dst, int port) {
        Map<String, JsonNode> out = new TreeMap<>();
        for (JsonNode f : flows) {
            if (f.get("src_ip").asText().equals(src) && f.get("dst_ip").asText().equals(dst) && f.get("dst_port").asInt() == port) {
                out.put(f.get("verdict").asText(), f);
            }
        }
        assertTrue(!out.isEmpty(), src + " -> " + dst + ":" + port);
        return out;
    }

    /**
     * "::/0" is IPv6's default route: the IPv6 hosts outside the other prefixes, not the IPv4 ones. IPv4 addresses are
     * held IPv4-mapped (::ffff:a.b.c.d), inside ::/0, and the lookup had fallen back to the IPv6 prefixes for them: a
     * topology giving the IPv6 internet the client role made every IPv4 host outside it a client (the gateway 127.6.6.10,
     * left out of this topology, was a client whose SIP to the Mediation Server's 5068 was unexpected_role_pair, not a host
     * outside the topology).
     */
    @Test
    void theIpv6DefaultRouteGivesNoIpv4HostItsRole(@TempDir Path dir) throws Exception {
        Path topology = dir.resolve("v6-internet.yaml");
        Files.writeString(topology, String.join("\n", "roles:",
                "  front-end: [127.6.1.10/32, fd00:6:1::10/128]",
                "  mediation: [127.6.4.10/32, fd00:6:4::10/128]",
                "  pstn-gateway: [fd00:6:6::10/128]",
                "  client: [127.6.10.0/24, '::/0']",
                "ports:",
                "  - role: front-end", // an entry scoped to every IPv6 host does not apply to an IPv4 one either
                "    transport: udp",
                "    port: 50002",
                "    protocol: udp",
                "    instead_of: ['49152-57500']",
                "    hosts: ['::/0']",
                ""), StandardCharsets.UTF_8);
        List<JsonNode> flows = flows(topology);
        JsonNode gateway = only(flows, "127.6.6.10", "127.6.4.10", 5068);
        assertEquals("unknown_host", gateway.get("verdict").asText(), gateway.toString());
        assertEquals("[]", gateway.get("src_roles").toString());
        assertTrue(gateway.get("reason").asText().startsWith("The initiator 127.6.6.10 is outside the topology (TCP 5068)"), gateway.toString());
        // Its IPv6 twin keeps its role, and an IPv6 host in no other prefix is a client.
        assertEquals("expected", only(flows, "fd00:6:6::10", "fd00:6:4::10", 5068).get("verdict").asText());
        assertEquals("[\"client\"]", only(flows, "fd00:6:99::5", "fd00:6:1::10", 5061).get("src_roles").toString());
        assertEquals("[\"client\"]", only(flows, "fd00:6:10::21", "fd00:6:4::10", 49200).get("src_roles").toString());
        JsonNode entry = only(flows, "fd00:6:10::22", "fd00:6:1::10", 50002);
        assertEquals("expected", entry.get("verdict").asText(), "the ports: entry applies to the IPv6 Front End: " + entry);
        JsonNode catalog = only(flows, "127.6.10.22", "127.6.1.10", 50002);
        assertEquals("protocol_mismatch", catalog.get("verdict").asText(), "the catalog's media rule, not the entry: " + catalog);
        assertEquals("internal-audio-media-udp-49152-57500", catalog.get("rule").asText());
        // 127.6.10.21 is a client by its /24 still.
        assertEquals("[\"client\"]", only(flows, "127.6.10.21", "127.6.4.10", 49200).get("src_roles").toString());
    }

    /**
     * A topology's IPv6 addresses as an IPAM export or Windows writes them (upper case, leading zeros, a zero group left
     * long) are read as the same hosts, and a warning about one writes it as the reports do (RFC 5952: lower case,
     * compressed); the host bits warning had echoed the text as typed for the host it suggests.
     */
    @Test
    void ipv6AddressesWrittenLongAreTheSameHostsAndWarnedAboutInTheReportsForm(@TempDir Path dir) throws Exception {
        Path topology = dir.resolve("long-form.yaml");
        Files.writeString(topology, String.join("\n", "roles:",
                "  front-end: [127.6.1.10/32, FD00:0006:0001:0000:0000:0000:0000:0010, 'fd00:6:1:0::11/128']",
                "  director: [FD00:6:2::10/128]",
                "  client: [127.6.10.0/24, 'FD00:0006:0010:0000:0000:0000:0000:0021/64']",
                ""), StandardCharsets.UTF_8);
        Runs.Ran r = Runs.main("analyze", CAPTURE.toString(), "--topology", topology.toString(), "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains(": line 4: role 'client': 'FD00:0006:0010:0000:0000:0000:0000:0021/64' has host bits set: read as"
                + " the network fd00:6:10::/64 (one host is fd00:6:10::21 alone)"), r.err());
        List<JsonNode> flows = r.jsonLines();
        assertEquals("expected", only(flows, "fd00:6:10::21", "fd00:6:1::10", 5061).get("verdict").asText());
        assertEquals("expected", only(flows, "fd00:6:2::10", "fd00:6:1::11", 5061).get("verdict").asText());
        assertEquals("[\"client\"]", only(flows, "fd00:6:10:0:a:b:c:23", "fd00:6:1::10", 4443).get("src_roles").toString());
    }

    /**
     * A mistyped IPv6 address in the topology is refused in one line naming the file and line, exit status 2. A group of
     * five digits with a leading zero ("fd00:6:1::00010", a digit too many) had been taken by InetAddress as fd00:6:1::10,
     * where inet_pton, tshark and Windows refuse it. An address with a zone index, in brackets or with a port is told
     * what to write.
     */
    @Test
    void aMistypedIpv6AddressIsRefusedWithItsLine(@TempDir Path dir) throws Exception {
        // (a sign before the prefix length: fd00:6:1::10/-0 had been ::/0, the Front End's role for every IPv6 host)
        for (String typo : List.of("fd00:6:1::00010", "fd00:6:1::10::1", "fd00:6:1:10/64x", "fd00:6:1::1g", "fd00:6:1::10/-0",
                "127.6.1.10/-0", "fd00:6:1::10/+128")) {
            Path topology = dir.resolve("typo.yaml");
            Files.writeString(topology, String.join("\n", "roles:", "  client: [127.6.10.0/24, fd00:6:10::/64]", "  front-end:",
                    "    - 127.6.1.10/32", "    - " + typo, ""), StandardCharsets.UTF_8);
            Runs.Ran r = Runs.main("analyze", CAPTURE.toString(), "--topology", topology.toString(), "--format", "jsonl");
            assertEquals(2, r.status(), typo + ": " + r.err());
            assertEquals("", r.out());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().startsWith("portmatrix: " + topology + ":5: role 'front-end': '" + typo + "' is not an address or CIDR"), r.err());
        }
        Path topology = dir.resolve("typo.yaml");
        Files.writeString(topology, "roles:\n  front-end: [fd00:6:1::00010]\n", StandardCharsets.UTF_8);
        assertTrue(Runs.main("analyze", CAPTURE.toString(), "--topology", topology.toString()).err().endsWith(
                ":2: role 'front-end': 'fd00:6:1::00010' is not an address or CIDR (like 10.1.1.0/24 or fd00::/64); a group of an IPv6"
                + " address is 1 to 4 hex digits, not 5 ('00010')\n"));
        // Addresses copied as other tools and the reports write them: said what to write instead (they had been refused
        // with the generic "is not an address or CIDR" alone).
        Map<String, String> hints = Map.of(
                "fe80::1%12", "; a zone index ('%12', the interface a link-local address is reached on, as ipconfig shows it) is not part of"
                        + " the address: write fe80::1",
                "[fd00:6:1::10]:5061", "; an address is written without brackets and without a port (the report's [address]:port): write fd00:6:1::10",
                "[fd00:6:10::]/64", "; an address is written without brackets: write fd00:6:10::/64",
                "127.6.1.10:5061", "; an address is written without a port (the report's address:port): write 127.6.1.10");
        for (Map.Entry<String, String> h : hints.entrySet()) {
            Files.writeString(topology, "roles:\n  front-end: ['" + h.getKey() + "']\n", StandardCharsets.UTF_8);
            Runs.Ran r = Runs.main("analyze", CAPTURE.toString(), "--topology", topology.toString());
            assertEquals(2, r.status(), r.err());
            assertEquals("portmatrix: " + topology + ":2: role 'front-end': '" + h.getKey() + "' is not an address or CIDR (like 10.1.1.0/24"
                    + " or fd00::/64)" + h.getValue() + "\n", r.err());
        }
    }

    /**
     * An IPv4 address written IPv4-mapped (::ffff:127.6.6.10, ::ffff:0:0/96 for every IPv4 host) is that IPv4 host, as
     * written on purpose; its dotted part is held to a plain IPv4 address's rules. With a leading zero (::ffff:127.6.6.010)
     * InetAddress had read it as decimal without a word, the gateway taking its role, where 127.6.6.010 is refused here
     * (octal to inet_aton) and inet_pton refuses the IPv6 text; refused alike, in the topology and the hosts CSV.
     */
    @Test
    void anIpv4AddressWrittenIpv4MappedIsHeldToAPlainOnesRules(@TempDir Path dir) throws Exception {
        Path topology = dir.resolve("mapped.yaml");
        Files.writeString(topology, String.join("\n", "roles:",
                "  front-end: ['::ffff:127.6.1.10', fd00:6:1::10/128]",
                "  mediation: [127.6.4.10/32, fd00:6:4::10/128]",
                "  pstn-gateway: ['::ffff:127.6.6.10', fd00:6:6::10/128]",
                "  client: ['::ffff:0:0/96', fd00:6:10::/64]",
                ""), StandardCharsets.UTF_8);
        List<JsonNode> flows = flows(topology);
        assertEquals("expected", only(flows, "127.6.6.10", "127.6.4.10", 5068).get("verdict").asText());
        assertEquals("[\"client\"]", only(flows, "127.6.10.22", "127.6.1.10", 443).get("src_roles").toString());
        for (String typo : List.of("::ffff:127.6.6.010", "::FFFF:127.006.006.10", "64:ff9b::127.6.6.010")) {
            String plain = typo.replace("010", "10").replace("006", "6");
            Files.writeString(topology, "roles:\n  client: [127.6.10.0/24]\n  pstn-gateway: ['" + typo + "']\n", StandardCharsets.UTF_8);
            Runs.Ran r = Runs.main("analyze", CAPTURE.toString(), "--topology", topology.toString(), "--format", "jsonl");
            assertEquals(2, r.status(), typo + ": " + r.err());
            assertEquals("", r.out());
            assertEquals("portmatrix: " + topology + ":3: role 'pstn-gateway': '" + typo + "' is not an address or CIDR (like 10.1.1.0/24 or"
                    + " fd00::/64); a part with a leading zero is octal to some tools (010 is 8 to inet_aton) and decimal to others: write "
                    + plain + " if that is meant\n", r.err());
            Path hosts = dir.resolve("hosts.csv");
            Files.writeString(hosts, "fqdn,address\nse01.contoso.com," + typo + "\n", StandardCharsets.UTF_8);
            r = Runs.main("topology", "import", "../shared/samples/contoso-topology.xml", "--hosts", hosts.toString());
            assertEquals(2, r.status(), typo + ": " + r.err());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().contains(hosts + ":2: '" + typo + "' is not an IPv4 or IPv6 address (for se01.contoso.com); a part with a"
                    + " leading zero is octal to some tools"), r.err());
        }
    }

    /**
     * A transport the catalog does not document is named in the reason as RFC 4443 and IANA name it: the pings above say
     * "ICMPv6", and another IP protocol "IP protocol 46" (RSVP, the shared corpus's rsvp.pcap), as the unknown_host
     * reason already did; it had read "46 from client to front-end".
     */
    @Test
    void anotherIpProtocolIsNamedAsSuch(@TempDir Path dir) throws Exception {
        Path topology = Files.writeString(dir.resolve("rsvp.yaml"), "roles:\n  client: [10.1.12.1]\n  front-end: [10.1.12.2]\n");
        Runs.Ran r = Runs.main("analyze", "../shared/corpus/community-id/rsvp.pcap", "--topology", topology.toString(), "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        JsonNode f = only(r.jsonLines(), "10.1.12.1", "10.1.12.2", 0);
        assertEquals("46", f.get("transport").asText());
        assertEquals("The catalog documents only TCP and UDP; IP protocol 46 from client to front-end is outside the matrix.",
                f.get("reason").asText());
    }

    /** The extract holds every packet of the flagged IPv6 flows and their ICMPv6 errors, as tshark reads it. */
    @Test
    void theExtractHoldsTheIpv6FlowsPackets(@TempDir Path dir) throws Exception {
        Path extract = dir.resolve("flagged.pcap");
        Runs.Ran r = Runs.main("analyze", CAPTURE.toString(), "--topology", TOPOLOGY.toString(), "--format", "jsonl",
                "--extract", extract.toString());
        assertEquals(0, r.status(), r.err());
        int v6Packets = 0;
        for (JsonNode f : r.jsonLines()) {
            if (!f.get("verdict").asText().equals("expected") && f.get("src_ip").asText().contains(":")) {
                v6Packets += f.get("packets_fwd").asInt() + f.get("packets_rev").asInt() + f.get("icmp_errors").asInt();
            }
        }
        assertTrue(v6Packets > 50, "flagged IPv6 packets: " + v6Packets);
        assertEquals(v6Packets, tsharkCount(extract, "ipv6"));
        assertEquals(2, tsharkCount(extract, "icmpv6.type == 1 && icmpv6.code == 4"), "the port unreachables");
        assertEquals(1, tsharkCount(extract, "ipv6.src == fd00:6:99::5 && tcp.flags.syn == 1 && tcp.flags.ack == 0"));
    }
}
