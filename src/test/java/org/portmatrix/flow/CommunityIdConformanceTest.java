package org.portmatrix.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.portmatrix.capture.Captures;
import org.portmatrix.capture.PacketRef;
import org.portmatrix.capture.PacketSource;
import org.portmatrix.decode.DecodeStats;
import org.portmatrix.decode.Decoded;
import org.portmatrix.decode.IpProtocol;
import org.portmatrix.decode.PacketDecoder;

/**
 * Community ID v1 conformance: every IP packet of the spec's combined.pcap.gz, decoded by our own
 * reader and decoder, gets the Community ID its baseline file lists for that packet's tuple
 * (corelight/community-id-spec, baseline/: seed 0, seed 1, and seed 0 without base64).
 *
 * <p>The baseline lists each distinct packet tuple once, ICMP with its port equivalents (type and
 * counterpart type, or type and code). A packet is matched to its baseline entry by protocol,
 * addresses and source port (the ICMP type), plus the destination port for TCP, UDP and SCTP; the
 * match must be unique, and every baseline entry must be matched by some packet.
 */
class CommunityIdConformanceTest {
    static final Path CORPUS = Path.of("../shared/corpus/community-id");
    /** 68 frames: 6 ARP, 62 IP. */
    static final int IP_PACKETS = 62;

    record Entry(int proto, byte[] saddr, byte[] daddr, int sport, int dport, String id) {}

    static List<Entry> baseline(String file) throws Exception {
        JsonNode root = new ObjectMapper().readTree(CORPUS.resolve(file).toFile());
        List<Entry> entries = new ArrayList<>();
        for (JsonNode n : root) {
            entries.add(new Entry(n.get("proto").asInt(), literal(n.get("saddr").asText()), literal(n.get("daddr").asText()),
                    n.get("sport").isNull() ? -1 : n.get("sport").asInt(), n.get("dport").isNull() ? -1 : n.get("dport").asInt(),
                    n.get("communityid").asText()));
        }
        return entries;
    }

    /** A numeric address literal to its bytes (no name resolution: the text is always a literal). */
    static byte[] literal(String s) throws Exception {
        return InetAddress.getByName(s).getAddress();
    }

    static byte[] bytes(int ipVersion, long hi, long lo) {
        if (ipVersion == 4) {
            int a = (int) lo;
            return new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a};
        }
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[8 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        return b;
    }

    void conforms(String file, CommunityId cid) throws Exception {
        List<Entry> entries = baseline(file);
        Set<Entry> matched = new HashSet<>();
        PacketDecoder decoder = new PacketDecoder();
        Decoded d = new Decoded();
        PacketRef ref = new PacketRef();
        int ipPackets = 0;
        try (PacketSource src = Captures.open(CORPUS.resolve("combined.pcap.gz"))) {
            int frame = 0;
            while (src.next(ref)) {
                frame++;
                int r = decoder.decode(ref.buf, ref.offset, ref.caplen, ref.linkType, d);
                if (r == DecodeStats.NOT_IP) {
                    continue;
                }
                // Neighbour discovery and MLD are set aside as the link's control, no flow of the tool's; the decoder has read
                // their addresses, type and code all the same, and the function is checked on them too.
                if (r != DecodeStats.LINK_CONTROL) {
                    assertEquals(DecodeStats.OK, r, "frame " + frame + ": " + DecodeStats.describe(r));
                }
                ipPackets++;
                byte[] s = bytes(d.ipVersion, d.srcHi, d.srcLo);
                byte[] t = bytes(d.ipVersion, d.dstHi, d.dstLo);
                boolean ported = d.protocol == IpProtocol.TCP || d.protocol == IpProtocol.UDP || d.protocol == IpProtocol.SCTP;
                boolean icmp = d.protocol == IpProtocol.ICMP || d.protocol == IpProtocol.ICMPV6;
                List<Entry> candidates = new ArrayList<>();
                for (Entry e : entries) {
                    if (e.proto() == d.protocol && java.util.Arrays.equals(e.saddr(), s) && java.util.Arrays.equals(e.daddr(), t)
                            && (!(ported || icmp) || e.sport() == d.srcPort) && (!ported || e.dport() == d.dstPort)) {
                        candidates.add(e);
                    }
                }
                assertEquals(1, candidates.size(), "frame " + frame + ": baseline entries for its tuple");
                Entry e = candidates.get(0);
                matched.add(e);
                String got = cid.compute(d.ipVersion, d.srcHi, d.srcLo, d.dstHi, d.dstLo, d.protocol, d.srcPort, d.dstPort, ported);
                assertEquals(e.id(), got, "frame " + frame + " (protocol " + d.protocol + ")");
            }
            assertEquals(null, src.damage());
        }
        assertEquals(IP_PACKETS, ipPackets);
        assertEquals(entries.size(), matched.size(), "every baseline entry is some packet's");
    }

    @Test
    void matchesTheDefaultBaseline() throws Exception {
        conforms("baseline_deflt.json", new CommunityId(0));
    }

    @Test
    void matchesTheSeedOneBaseline() throws Exception {
        conforms("baseline_seed1.json", new CommunityId(1));
    }

    @Test
    void matchesTheHexBaseline() throws Exception {
        conforms("baseline_nob64.json", new CommunityId(0, false));
    }

    @Test
    void oneWayIcmpKeepsItsDirection() throws Exception {
        // Destination unreachable (type 3, code 1) from 10.0.0.2 to 10.0.0.1: one-way, so the
        // tuple is hashed as sent, larger address first (pycommunityid: is_one_way short-cuts
        // is_ordered()). The expected digest is computed here from the spec's byte layout.
        CommunityId cid = new CommunityId(0);
        long a = org.portmatrix.decode.Decoded.V4_MAPPED | 0x0a000001L;
        long b = org.portmatrix.decode.Decoded.V4_MAPPED | 0x0a000002L;
        byte[] layout = {0, 0, /* saddr */ 10, 0, 0, 2, /* daddr */ 10, 0, 0, 1, /* proto */ 1, 0, /* sport = type */ 0, 3,
            /* dport = code */ 0, 1};
        String expected = "1:" + java.util.Base64.getEncoder().encodeToString(
                java.security.MessageDigest.getInstance("SHA-1").digest(layout));
        assertEquals(expected, cid.compute(4, 0, b, 0, a, IpProtocol.ICMP, 3, 1, false));
        // Echo request and reply pair up whichever end sends.
        assertEquals(cid.compute(4, 0, a, 0, b, IpProtocol.ICMP, 8, 0, false), cid.compute(4, 0, b, 0, a, IpProtocol.ICMP, 0, 0, false));
    }
}
