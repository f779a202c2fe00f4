package org.portmatrix.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;
import org.portmatrix.capture.CaptureDamage;
import org.portmatrix.capture.CaptureFormatException;
import org.portmatrix.capture.Captures;
import org.portmatrix.capture.LinkType;
import org.portmatrix.capture.PacketRef;
import org.portmatrix.capture.PacketSource;
import org.portmatrix.classify.Catalog;
import org.portmatrix.classify.Classifier;
import org.portmatrix.classify.CompiledCatalog;
import org.portmatrix.classify.ConfigException;
import org.portmatrix.classify.Roles;
import org.portmatrix.classify.Topology;
import org.portmatrix.cli.Analyzer;
import org.portmatrix.decode.DecodeStats;
import org.portmatrix.decode.Decoded;
import org.portmatrix.decode.PacketDecoder;
import org.portmatrix.flow.FlowConfig;
import org.portmatrix.hostile.Frames;
import org.portmatrix.report.JsonLinesReport;

/**
 * Fuzzes every inspector the way the tool runs them: one synthetic flow (a client in the topology
 * talking to a Front End) whose payloads come from the fuzzer goes through the whole
 * {@link Analyzer} (decode, flow, classification, inspection, JSON-lines record). Driving the
 * pipeline rather than the inspectors' classes keeps this target independent of how the inspect
 * stage is organised; the server port picks which inspector the port suggests first, and the
 * payload decides.
 *
 * <p>Input: {@code [transport: bit 0 = UDP][server port, 2 bytes]} then segments
 * {@code [bit 7 = from the server, bits 0-6 length high][length low][payload]}. A TCP flow gets its
 * handshake first and consistent sequence numbers. The flow must come out as exactly one valid
 * JSON record whose packet counts match what was sent, whatever the payloads.
 */
class InspectionFuzzTest {
    static final String CLIENT = "10.2.0.5";
    static final String SERVER = "10.1.1.10";
    static final int CLIENT_PORT = 50123;
    private static final int MAX_SEGMENTS = 24;
    private static final int MAX_SEED = 24 << 10;
    private static final Set<String> VERDICTS = Set.of("expected", "unexpected_port", "unexpected_role_pair",
            "protocol_mismatch", "unverifiable", "unknown_host");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Classifier CLASSIFIER = classifier();

    private static Classifier classifier() {
        try {
            Path topology = Files.createTempFile("fuzz-topology", ".yaml");
            Files.writeString(topology, "roles:\n  front-end: [10.1.1.0/24]\n  client: [10.2.0.0/16]\n");
            Roles roles = new Roles();
            Catalog catalog = Catalog.builtIn(roles);
            Classifier c = new Classifier(new CompiledCatalog(catalog), Topology.load(topology, roles));
            Files.delete(topology);
            return c;
        } catch (IOException | ConfigException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One flow per seed, from the seed captures: its server port and its payloads in order. */
    static Stream<byte[]> seeds() {
        List<byte[]> out = new ArrayList<>();
        for (Path p : Seeds.captureFiles()) {
            Map<String, ByteArrayOutputStream> flows = new LinkedHashMap<>();
            Map<String, Integer> segments = new LinkedHashMap<>();
            try (PacketSource s = Captures.open(p)) {
                PacketRef ref = new PacketRef();
                PacketDecoder dec = new PacketDecoder();
                Decoded d = new Decoded();
                while (s.next(ref)) {
                    if (dec.decode(ref.buf, ref.offset, ref.caplen, ref.linkType, d) != DecodeStats.OK || !d.hasPorts
                            || (d.protocol != 6 && d.protocol != 17) || d.payloadLength == 0) {
                        continue;
                    }
                    String fwd = d.protocol + " " + d.srcLo + ":" + d.srcPort + " " + d.dstLo + ":" + d.dstPort;
                    String rev = d.protocol + " " + d.dstLo + ":" + d.dstPort + " " + d.srcLo + ":" + d.srcPort;
                    boolean fromServer = flows.containsKey(rev);
                    String key = fromServer ? rev : fwd;
                    ByteArrayOutputStream seed = flows.computeIfAbsent(key, k -> {
                        ByteArrayOutputStream b = new ByteArrayOutputStream();
                        b.write(d.protocol == 17 ? 1 : 0);
                        b.write(d.dstPort >>> 8);
                        b.write(d.dstPort);
                        return b;
                    });
                    int n = segments.merge(key, 1, Integer::sum);
                    int len = Math.min(d.payloadLength, 0x7fff);
                    if (n > MAX_SEGMENTS || seed.size() + len > MAX_SEED) {
                        continue;
                    }
                    seed.write((fromServer ? 0x80 : 0) | (len >>> 8));
                    seed.write(len);
                    seed.write(ref.buf, d.payloadOffset, len);
                }
            } catch (CaptureFormatException e) {
                continue; // a format the readers refuse
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            flows.values().forEach(b -> out.add(b.toByteArray()));
        }
        return out.stream();
    }

    @MethodSource("seeds")
    // Protocol tokens for the mutator. No CR, LF or tab: Jazzer writes them unescaped into libFuzzer's dictionary file.
    @DictionaryEntries({"SIP/2.0 ", "INVITE sip:", "REGISTER sip:", "OPTIONS sip:", "Via: SIP/2.0/TLS ", "Content-Length: ",
        "User-Agent: ", "HTTP/1.1 200 OK", "GET / HTTP/1.1", "SSH-2.0-", "\u0016\u0003\u0001", "\u0016\u0003\u0003",
        "\u0014\u0003\u0003", "\u0017\u0003\u0003", "\u0003\u0000\u0000", "\u0005\u0000\u000b\u0003", "\u0000\u0001\u0000\u0000"})
    @FuzzTest(maxDuration = "20s")
    void inspectsAnyPayloadsIntoOneValidRecord(byte[] input) throws IOException {
        if (input.length < 3) {
            return;
        }
        boolean udp = (input[0] & 1) != 0;
        int serverPort = ((input[1] & 0xff) << 8) | (input[2] & 0xff);
        // (UDP to 4789 and 6081 is decoded as VXLAN and Geneve, whose inner packet, not the datagram, is the flow:
        // a payload that is no tunnel header is counted undecodable, as the decoder's tests check)
        if (serverPort == 0 || serverPort == CLIENT_PORT || (udp && (serverPort == 4789 || serverPort == 6081))) {
            serverPort = 5061;
        }
        List<byte[]> frames = new ArrayList<>();
        long[] seq = {1000, 5000};
        if (!udp) {
            frames.add(tcp(false, serverPort, Frames.SYN, 999, 0, new byte[0]));
            frames.add(tcp(true, serverPort, Frames.SYN | Frames.ACK, 4999, 1000, new byte[0]));
            frames.add(tcp(false, serverPort, Frames.ACK, 1000, 5000, new byte[0]));
        }
        int p = 3;
        for (int n = 0; n < MAX_SEGMENTS && input.length - p >= 2; n++) {
            boolean fromServer = (input[p] & 0x80) != 0;
            int len = Math.min(((input[p] & 0x7f) << 8) | (input[p + 1] & 0xff), input.length - p - 2);
            byte[] payload = java.util.Arrays.copyOfRange(input, p + 2, p + 2 + len);
            p += 2 + len;
            if (udp) {
                frames.add(fromServer ? Frames.udp(SERVER, serverPort, CLIENT, CLIENT_PORT, payload)
                        : Frames.udp(CLIENT, CLIENT_PORT, SERVER, serverPort, payload));
            } else {
                int dir = fromServer ? 1 : 0;
                frames.add(tcp(fromServer, serverPort, Frames.PSH | Frames.ACK, seq[dir], seq[1 - dir], payload));
                seq[dir] += len;
            }
        }
        if (frames.isEmpty()) {
            return;
        }
        StringWriter out = new StringWriter();
        Analyzer analyzer = new Analyzer(CLASSIFIER, FlowConfig.defaults().withCapacity(16), false, new JsonLinesReport(out));
        analyzer.read(new FrameSource(frames));
        analyzer.finish("built-in catalog", "fuzz topology");
        assertFalse(analyzer.damaged());

        List<JsonNode> records = new ArrayList<>();
        for (String line : out.toString().split("\n")) {
            if (!line.isEmpty()) {
                records.add(JSON.readTree(line));
            }
        }
        assertEquals(1, records.size(), "one flow, one record: " + out);
        JsonNode r = records.get(0);
        assertEquals(frames.size(), r.get("packets_fwd").asLong() + r.get("packets_rev").asLong(), r.toString());
        assertTrue(VERDICTS.contains(r.get("verdict").asText()), r.toString());
        // TCP: the SYN's sender initiates; UDP: the first packet's sender, unless the responder was inferred.
        String initiator = udp && (input[3] & 0x80) != 0 ? SERVER : CLIENT;
        if (!r.get("direction_inferred").asBoolean()) {
            assertEquals(initiator, r.get("src_ip").asText(), r.toString());
        } else {
            assertTrue(udp && Set.of(CLIENT, SERVER).contains(r.get("src_ip").asText()), r.toString());
        }
        assertFalse(r.get("reason").asText().isBlank(), r.toString());
    }

    private static byte[] tcp(boolean fromServer, int serverPort, int flags, long seq, long ack, byte[] payload) {
        byte[] f = fromServer ? Frames.tcp(SERVER, serverPort, CLIENT, CLIENT_PORT, flags, payload)
                : Frames.tcp(CLIENT, CLIENT_PORT, SERVER, serverPort, flags, payload);
        int tcp = Frames.OFF_L4;
        for (int i = 0; i < 4; i++) {
            f[tcp + 4 + i] = (byte) (seq >>> (24 - 8 * i));
            f[tcp + 8 + i] = (byte) (ack >>> (24 - 8 * i));
        }
        return f;
    }

    /** Frames from memory, 10 ms apart, as a capture source. */
    static final class FrameSource implements PacketSource {
        private final List<byte[]> frames;
        private int next;

        FrameSource(List<byte[]> frames) {
            this.frames = frames;
        }

        @Override
        public boolean next(PacketRef ref) {
            if (next == frames.size()) {
                return false;
            }
            byte[] f = frames.get(next);
            ref.set(f, 0, f.length, f.length, 1_700_000_000_000_000_000L + next * 10_000_000L, LinkType.ETHERNET);
            ref.recordOffset = next;
            next++;
            return true;
        }

        @Override
        public String name() {
            return "fuzz flow";
        }

        @Override
        public CaptureDamage damage() {
            return null;
        }

        @Override
        public long position() {
            return next;
        }

        @Override
        public void close() {}
    }
}
