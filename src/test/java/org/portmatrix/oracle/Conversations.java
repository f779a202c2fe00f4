package org.portmatrix.oracle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.io.StringWriter;
import org.portmatrix.capture.CaptureFormatException;
import org.portmatrix.capture.Captures;
import org.portmatrix.capture.PacketRef;
import org.portmatrix.capture.PacketSource;
import org.portmatrix.classify.Classifier;
import org.portmatrix.cli.Analyzer;
import org.portmatrix.cli.Main;
import org.portmatrix.decode.Decoded;
import org.portmatrix.decode.PacketDecoder;
import org.portmatrix.flow.FlowConfig;
import org.portmatrix.report.JsonLinesReport;

/**
 * TCP and UDP conversations with per-direction frame counts, as tshark's conversation tables give
 * them and as {@code portmatrix analyze --format jsonl} gives them, in one comparable form.
 *
 * <p>tshark ({@code -q -z conv,tcp -z conv,udp}) prints one row per conversation: endpoint A, endpoint
 * B, then frames and bytes in the "<-" direction (B to A), in the "->" direction (A to B), and in
 * total. Bytes are abbreviated ("10 kB"), so frames are compared. A conversation is held here with its
 * endpoints in a canonical order (the smaller address:port text first) so that which end each tool
 * calls A does not matter; the frame counts stay attached to their direction.
 */
final class Conversations {
    private Conversations() {}

    /** One conversation; endpoint 1 is the canonically smaller one. */
    record Conv(String transport, String ip1, int port1, String ip2, int port2, long frames1to2, long frames2to1) {
        String endpoints() {
            return transport + " " + endpoint(ip1, port1) + " <-> " + endpoint(ip2, port2);
        }

        long frames() {
            return frames1to2 + frames2to1;
        }

        @Override
        public String toString() {
            return endpoints() + " frames " + frames1to2 + " -> / " + frames2to1 + " <-";
        }

        static Conv of(String transport, String ipA, int portA, String ipB, int portB, long aToB, long bToA) {
            String a = canonical(ipA);
            String b = canonical(ipB);
            String ka = sortKey(a, portA);
            String kb = sortKey(b, portB);
            if (ka.compareTo(kb) <= 0) {
                return new Conv(transport, a, portA, b, portB, aToB, bToA);
            }
            return new Conv(transport, b, portB, a, portA, bToA, aToB);
        }
    }

    static String endpoint(String ip, int port) {
        return ip.indexOf(':') >= 0 ? "[" + ip + "]:" + port : ip + ":" + port;
    }

    private static String sortKey(String ip, int port) {
        return ip + "/" + port;
    }

    /** One spelling per address: both tools print numeric literals, parsed here without DNS. */
    static String canonical(String ip) {
        try {
            return InetAddress.getByName(ip).getHostAddress();
        } catch (IOException e) {
            throw new IllegalArgumentException("not an address literal: " + ip, e);
        }
    }

    /**
     * Fields tshark prints for each frame that completed an IP reassembly: the datagram's addresses
     * and ports, and how many fragments (frames) it was made of.
     */
    static final String[] FRAGMENT_FIELDS = {"ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "tcp.srcport", "udp.srcport",
        "tcp.dstport", "udp.dstport", "ip.fragment.count", "ipv6.fragment.count"};

    /**
     * Runs tshark on the capture and returns its conversations with frames counted as on the wire.
     *
     * <p>tshark reassembles IP fragments and counts a fragmented datagram once, in the frame that
     * completed it; portmatrix counts every fragment frame in the flow of its first fragment. The
     * same tshark run therefore also prints, for each reassembling frame, its endpoints and fragment
     * count, and the other fragments ({@code count - 1}) are added to that conversation's direction.
     * Extra arguments (such as {@code -o} preferences) go before the rest.
     */
    static List<Conv> tshark(Path capture, String... extra) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("tshark", "-n", "-r", capture.toString()));
        cmd.addAll(List.of(extra));
        cmd.addAll(List.of("-Y", "ip.fragment.count || ipv6.fragment.count", "-T", "fields"));
        for (String f : FRAGMENT_FIELDS) {
            cmd.addAll(List.of("-e", f));
        }
        cmd.addAll(List.of("-z", "conv,tcp", "-z", "conv,udp"));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("tshark did not finish on " + capture);
        }
        int tables = out.startsWith("====") ? 0 : out.indexOf("\n====");
        List<Conv> convs = parseTshark(tables < 0 ? "" : out.substring(tables));
        return addFragments(convs, tables < 0 ? out : out.substring(0, tables));
    }

    /** The last of a field's comma-separated values (the innermost layer's), or "". */
    private static String last(String v) {
        int c = v.lastIndexOf(',');
        return c < 0 ? v : v.substring(c + 1);
    }

    private static List<Conv> addFragments(List<Conv> convs, String fieldLines) {
        List<Conv> result = new ArrayList<>(convs);
        for (String line : fieldLines.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            String src = last(f[0].isEmpty() ? f[1] : f[0]);
            String dst = last(f[2].isEmpty() ? f[3] : f[2]);
            boolean tcp = !f[4].isEmpty();
            boolean udp = !f[5].isEmpty();
            if (!tcp && !udp) {
                continue; // a fragmented datagram of another protocol: not in the conversation tables
            }
            int sport = Integer.parseInt(last(tcp ? f[4] : f[5]));
            int dport = Integer.parseInt(last(tcp ? f[6] : f[7]));
            long count = Long.parseLong(last(f[8].isEmpty() ? f[9] : f[8]));
            Conv frag = Conv.of(tcp ? "tcp" : "udp", src, sport, dst, dport, count - 1, 0);
            boolean found = false;
            for (int i = 0; i < result.size(); i++) {
                Conv c = result.get(i);
                if (c.endpoints().equals(frag.endpoints())) {
                    result.set(i, new Conv(c.transport(), c.ip1(), c.port1(), c.ip2(), c.port2(), c.frames1to2() + frag.frames1to2(),
                            c.frames2to1() + frag.frames2to1()));
                    found = true;
                    break;
                }
            }
            if (!found) {
                throw new IllegalStateException("reassembled datagram outside every conversation: " + line);
            }
        }
        return result;
    }

    /** Parses tshark's conversation tables (TShark 4.0 layout). */
    static List<Conv> parseTshark(String text) {
        List<Conv> convs = new ArrayList<>();
        String transport = null;
        for (String line : text.split("\n")) {
            if (line.startsWith("TCP Conversations")) {
                transport = "tcp";
                continue;
            }
            if (line.startsWith("UDP Conversations")) {
                transport = "udp";
                continue;
            }
            if (transport == null || !line.contains(" <-> ")) {
                continue;
            }
            String[] t = line.trim().split("\\s+");
            // A <-> B  framesBA bytes unit  framesAB bytes unit  total bytes unit  start duration
            if (t.length < 12 || !t[1].equals("<->")) {
                throw new IllegalArgumentException("unexpected tshark conversation row: " + line);
            }
            int ca = t[0].lastIndexOf(':');
            int cb = t[2].lastIndexOf(':');
            long ba = Long.parseLong(t[3]);
            long ab = Long.parseLong(t[6]);
            convs.add(Conv.of(transport, t[0].substring(0, ca), Integer.parseInt(t[0].substring(ca + 1)),
                    t[2].substring(0, cb), Integer.parseInt(t[2].substring(cb + 1)), ab, ba));
        }
        return convs;
    }

    /** What one analysis gave: its TCP/UDP flows, exit status and standard error. */
    record Ours(List<Conv> convs, List<JsonNode> records, int status, String stderr) {}

    /** Runs {@code portmatrix analyze CAPTURE --format jsonl [args]} in-process. */
    static Ours ours(List<String> args) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of("analyze"));
        all.addAll(args);
        all.addAll(List.of("--format", "jsonl"));
        int status = new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))
                .run(all.toArray(String[]::new));
        return parseOurs(out.toString(StandardCharsets.UTF_8), status, err.toString(StandardCharsets.UTF_8));
    }

    /**
     * The same pipeline and the same JSON-lines writer as {@code portmatrix analyze --format jsonl},
     * driven directly with a classifier built once: for running hundreds of captures in one test.
     * Status is 0, or 3 when the capture was damaged.
     */
    static Ours pipeline(Path capture, Classifier classifier, FlowConfig config) throws IOException {
        StringWriter out = new StringWriter();
        Analyzer analyzer = new Analyzer(classifier, config, false, new JsonLinesReport(out));
        try (PacketSource source = Captures.open(capture)) {
            analyzer.read(source);
        }
        analyzer.finish("built-in", "none");
        return parseOurs(out.toString(), analyzer.damaged() ? 3 : 0, "");
    }

    static Ours parseOurs(String jsonLines, int status, String stderr) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Conv> convs = new ArrayList<>();
        List<JsonNode> records = new ArrayList<>();
        for (String line : jsonLines.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode r = json.readTree(line);
            records.add(r);
            String transport = r.get("transport").asText();
            if (transport.equals("tcp") || transport.equals("udp")) {
                convs.add(Conv.of(transport, r.get("src_ip").asText(), r.get("src_port").asInt(), r.get("dst_ip").asText(),
                        r.get("dst_port").asInt(), r.get("packets_fwd").asLong(), r.get("packets_rev").asLong()));
            }
        }
        return new Ours(convs, records, status, stderr);
    }

    /** UDP ports of the tunnels portmatrix opens: VXLAN and Geneve. */
    static final Set<Integer> UDP_TUNNEL_PORTS = Set.of(4789, 6081);

    /**
     * tshark's conversations without the outer UDP conversations of VXLAN and Geneve tunnels: tshark
     * lists the carrier besides the inner conversations; portmatrix keeps only the inner flow (the
     * traffic of the mirrored hosts). A row is taken out only when it is on a tunnel port and
     * portmatrix has no flow with its endpoints; together such rows must hold exactly
     * {@code tunneledFrames}, the frames portmatrix decoded through a tunnel, else a problem is added.
     */
    static List<Conv> withoutTunnelCarriers(List<Conv> tshark, List<Conv> ours, long tunneledFrames, List<String> problems) {
        List<Conv> kept = new ArrayList<>();
        long carried = 0;
        for (Conv c : tshark) {
            boolean tunnelPort = c.transport().equals("udp") && (UDP_TUNNEL_PORTS.contains(c.port1()) || UDP_TUNNEL_PORTS.contains(c.port2()));
            if (tunnelPort && ours.stream().noneMatch(o -> o.endpoints().equals(c.endpoints()))) {
                carried += c.frames();
            } else {
                kept.add(c);
            }
        }
        if (carried > 0 && carried != tunneledFrames) {
            problems.add("tshark's outer UDP tunnel conversations hold " + carried + " frames, portmatrix decoded "
                    + tunneledFrames + " frames through a tunnel");
        }
        return kept;
    }

    /** Link types of every packet, and the frames decoded through a tunnel; null if refused. */
    record Scan(Set<Integer> linkTypes, long tunneled) {}

    static Scan scan(Path f) throws IOException {
        Set<Integer> types = new TreeSet<>();
        long tunneled = 0;
        PacketDecoder decoder = new PacketDecoder();
        Decoded d = new Decoded();
        try (PacketSource s = Captures.open(f)) {
            PacketRef r = new PacketRef();
            while (s.next(r)) {
                types.add(r.linkType);
                decoder.decode(r.buf, r.offset, r.caplen, r.linkType, d);
                if (d.tunnelDepth > 0 && d.fragment != 2) {
                    // Decoded or not (ARP inside VXLAN): the outer packet was a tunnel's. A carrier in fragments once:
                    // tshark lists the datagram it reassembled, in the frame that completed it, as one frame of the carrier.
                    tunneled++;
                }
            }
        } catch (CaptureFormatException e) {
            return null;
        }
        return new Scan(types, tunneled);
    }

    /**
     * Differences between two sets of conversations, as lines: each conversation (endpoints and
     * per-direction frames) must appear the same number of times in both.
     */
    static List<String> differences(List<Conv> tshark, List<Conv> ours) {
        Map<String, List<Conv>> a = byEndpoints(tshark);
        Map<String, List<Conv>> b = byEndpoints(ours);
        List<String> diff = new ArrayList<>();
        TreeMap<String, Boolean> keys = new TreeMap<>();
        a.keySet().forEach(k -> keys.put(k, true));
        b.keySet().forEach(k -> keys.put(k, true));
        for (String k : keys.keySet()) {
            List<String> x = counts(a.get(k));
            List<String> y = counts(b.get(k));
            if (!x.equals(y)) {
                diff.add(k + ": tshark " + (x.isEmpty() ? "none" : x) + ", portmatrix " + (y.isEmpty() ? "none" : y));
            }
        }
        return diff;
    }

    private static Map<String, List<Conv>> byEndpoints(List<Conv> convs) {
        Map<String, List<Conv>> m = new TreeMap<>();
        for (Conv c : convs) {
            m.computeIfAbsent(c.endpoints(), k -> new ArrayList<>()).add(c);
        }
        return m;
    }

    private static List<String> counts(List<Conv> convs) {
        List<String> l = new ArrayList<>();
        if (convs != null) {
            for (Conv c : convs) {
                l.add(c.frames1to2() + "->/" + c.frames2to1() + "<-");
            }
        }
        l.sort(null);
        return l;
    }
}
