package org.portmatrix.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.portmatrix.inspect.InspectCapturesTest.analyzeUnder;
import static org.portmatrix.inspect.LookalikesCaptureTest.run;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * DCOM and RPC, documented on TCP 135 between Lync servers (fe-dcerpc-135), ask the server's endpoint mapper on 135
 * for an interface's endpoint and then connect to the dynamic port it names. captures/inspect/dcerpc-dynamic.pcap
 * (record-dcerpc-dynamic.sh: Samba's samba-dcerpcd on the Front End, Impacket's clients) has a Director's ept_map for
 * SAMR on 135, its bind and SamrConnect on the port the answer names, and, as the control, the Mediation Server binding
 * to that port without asking the mapper. The Director's second connection had been flagged `unexpected_role_pair` on
 * the Front End's application sharing range (a Director moving users was outside the matrix at every move).
 */
class DceRpcDynamicTest {
    static final String CAPTURE = "captures/inspect/dcerpc-dynamic.pcap";
    static final String TOPOLOGY = "captures/inspect/inspect-topology.yaml";
    static final String DIRECTOR = "127.5.2.10";
    static final String MEDIATION = "127.5.4.10";

    /** The port the endpoint mapper handed out, as tshark decodes its Map response (Samba's choice varies by run). */
    static int handedOut(String capture) throws Exception {
        String out = run("tshark", "-n", "-r", capture, "-Y", "epm && ip.src == 127.5.1.10", "-T", "fields", "-e",
                "epm.proto.tcp_port", "-e", "epm.proto.ip").strip();
        String[] f = out.split("\t");
        assertEquals(2, f.length, out);
        assertEquals("127.5.1.10", f[1], out);
        int port = Integer.parseInt(f[0]);
        assertTrue(port >= 49152, out);
        return port;
    }

    @Test
    void rpcOnTheEndpointTheMapperHandedOutIsTheDocumentedRpc() throws Exception {
        int port = handedOut(CAPTURE);
        InspectCapturesTest.Analysis a = analyzeUnder(TOPOLOGY, "dcerpc-dynamic.pcap", "jsonl");
        JsonNode mapper = a.one(DIRECTOR, "tcp", 135);
        InspectCapturesTest.assertFlow(mapper, "expected", "dcerpc", "fe-dcerpc-135");
        JsonNode rpc = a.one(DIRECTOR, "tcp", port);
        InspectCapturesTest.assertFlow(rpc, "expected", "dcerpc", "fe-dcerpc-135");
        assertEquals("TCP " + port + " from director to front-end is RPC on a dynamic endpoint: the endpoint mapper on TCP 135 of"
                + " 127.5.1.10 handed this port to 127.5.2.10 (flow " + mapper.get("flow_id").asLong() + "), and the catalog"
                + " documents DCOM and RPC on TCP 135 (rule fe-dcerpc-135, Lync Server Front-End service; seed: Required Server"
                + " Ports (by Server Role), row 5). On the wire: DCE/RPC v5 bind.", rpc.get("reason").asText());
        // The control: a host that did not ask the mapper is judged by the port alone, as before
        JsonNode other = a.one(MEDIATION, "tcp", port);
        assertEquals("protocol_mismatch", other.get("verdict").asText(), other.toString());
        assertEquals("dcerpc", other.get("app_protocol").asText(), other.toString());
    }

    /**
     * The catalog coverage, which firewall teams read for the ports to open, names the dynamic port beside the rule for
     * 135 that allowed the flow there: counted under tcp/135 alone, the port a firewall must also pass was in the flow
     * records only. The text report and the HTML page's coverage table say it alike; a rule whose flows all went to its
     * own port says nothing more.
     */
    @Test
    void theCoverageNamesTheEndpointsTheMapperHandedOut() throws Exception {
        int port = handedOut(CAPTURE);
        String said = "1 flow of these to another port, tcp/" + port + " (RPC on an endpoint the endpoint mapper on TCP 135"
                + " handed out: a firewall between these hosts must pass it too)";
        String text = analyzeUnder(TOPOLOGY, "dcerpc-dynamic.pcap", "text").text();
        assertTrue(java.util.regex.Pattern.compile("\\n  fe-dcerpc-135 +tcp/135 +front-end +2 +26 +2,400\\n      "
                + java.util.regex.Pattern.quote(said) + "\\n").matcher(text).find(), text);
        assertEquals(1, text.split(" of these to ", -1).length - 1, text);
        String html = analyzeUnder(TOPOLOGY, "dcerpc-dynamic.pcap", "html").text();
        int row = html.indexOf("<tr class=\"seen\" data-rule=\"fe-dcerpc-135\"");
        assertTrue(row >= 0, html);
        String cells = html.substring(row, html.indexOf("</tr>", row));
        assertTrue(cells.contains("<small class=\"other-ports\">" + said + "</small>"), cells);
        assertEquals(1, html.split("class=\"other-ports\"", -1).length - 1, "one rule's row says it");
    }

    /** The tower's IPv4 floor as a pattern (lhs 0x09, rhs of 4 bytes) followed by the address. */
    static byte[] ipFloor(int a, int b, int c, int d) {
        return new byte[] {1, 0, 9, 4, 0, (byte) a, (byte) b, (byte) c, (byte) d};
    }

    /** {@code capture}'s bytes with the Map response's IPv4 floor naming {@code to} instead of 127.5.1.10 (once). */
    static byte[] towerNaming(byte[] capture, byte[] to) {
        byte[] from = ipFloor(127, 5, 1, 10);
        byte[] out = capture.clone();
        int found = -1;
        for (int i = 0; i + from.length <= out.length; i++) {
            if (java.util.Arrays.equals(out, i, i + from.length, from, 0, from.length)) {
                assertEquals(-1, found, "one IPv4 floor");
                found = i;
            }
        }
        assertTrue(found >= 0, "the Map response's IPv4 floor");
        System.arraycopy(to, 0, out, found, to.length);
        return out;
    }

    /**
     * The tower's IPv4 address is the server's own view of itself (a server behind NAT, or one with several addresses,
     * names one the client does not use); the RPC runtime takes the port from it and connects to the address it asked:
     * the Director's RPC to 127.5.1.10 is the RPC the mapper of 127.5.1.10 handed out, whatever address its tower names.
     */
    @Test
    void theTowersAddressIsNotWhereTheClientConnects() throws Exception {
        int port = handedOut(CAPTURE);
        Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "pm-dcerpc");
        try {
            Path nat = dir.resolve("dcerpc-dynamic.pcap");
            Files.write(nat, towerNaming(Files.readAllBytes(Path.of(CAPTURE)), ipFloor(10, 1, 1, 10)));
            assertEquals(port + "\t10.1.1.10", run("tshark", "-n", "-r", nat.toString(), "-Y", "epm && ip.src == 127.5.1.10", "-T", "fields",
                    "-e", "epm.proto.tcp_port", "-e", "epm.proto.ip").strip());
            InspectCapturesTest.Analysis a = analyzeUnder(TOPOLOGY, "../../" + nat, "jsonl");
            JsonNode mapper = a.one(DIRECTOR, "tcp", 135);
            JsonNode rpc = a.one(DIRECTOR, "tcp", port);
            InspectCapturesTest.assertFlow(rpc, "expected", "dcerpc", "fe-dcerpc-135");
            assertTrue(rpc.get("reason").asText().contains("the endpoint mapper on TCP 135 of 127.5.1.10 handed this port to 127.5.2.10 (flow "
                    + mapper.get("flow_id").asLong() + ")"), rpc.toString());
        } finally {
            delete(dir);
        }
    }

    /**
     * The mapper of 127.5.1.10 naming another Front End, 127.5.1.11, in its tower, and the Director connecting to that
     * port on 127.5.1.11: 127.5.1.11's own mapper was never asked, and the flow is judged by its port (it had been
     * `expected`, "the endpoint mapper on TCP 135 of 127.5.1.11 handed this port", which no mapper of 127.5.1.11 did).
     */
    @Test
    void aPortOnAnotherHostIsJudgedByThePort() throws Exception {
        int port = handedOut(CAPTURE);
        Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "pm-dcerpc");
        try {
            Path mapper = dir.resolve("mapper.pcap");
            Path rpc = dir.resolve("rpc.pcap");
            Path moved = dir.resolve("moved.pcap");
            Path merged = dir.resolve("dcerpc-dynamic.pcap");
            run("tshark", "-n", "-r", CAPTURE, "-Y", "tcp.port == 135", "-w", mapper.toString());
            Files.write(mapper, towerNaming(Files.readAllBytes(mapper), ipFloor(127, 5, 1, 11)));
            run("tshark", "-n", "-r", CAPTURE, "-Y", "ip.addr == " + DIRECTOR + " && tcp.port == " + port, "-w", rpc.toString());
            run("tcprewrite", "--pnat=127.5.1.10/32:127.5.1.11/32", "--fixcsum", "-i", rpc.toString(), "-o", moved.toString());
            run("mergecap", "-F", "pcap", "-w", merged.toString(), mapper.toString(), moved.toString());
            assertEquals(port + "\t127.5.1.11", run("tshark", "-n", "-r", merged.toString(), "-Y", "epm && ip.src == 127.5.1.10", "-T", "fields",
                    "-e", "epm.proto.tcp_port", "-e", "epm.proto.ip").strip());
            assertEquals("127.5.1.11", run("tshark", "-n", "-r", merged.toString(), "-Y", "tcp.flags == 0x002 && tcp.dstport == " + port,
                    "-T", "fields", "-e", "ip.dst").strip());
            InspectCapturesTest.Analysis a = analyzeUnder(TOPOLOGY, "../../" + merged, "jsonl");
            InspectCapturesTest.assertFlow(a.one(DIRECTOR, "tcp", 135), "expected", "dcerpc", "fe-dcerpc-135");
            JsonNode other = a.one(DIRECTOR, "tcp", port);
            assertEquals("127.5.1.11", other.get("dst_ip").asText(), other.toString());
            assertEquals("unexpected_role_pair", other.get("verdict").asText(), other.toString());
            assertEquals("dcerpc", other.get("app_protocol").asText(), other.toString());
        } finally {
            delete(dir);
        }
    }

    /**
     * A Director that asks the same Front End's mapper again and again (a move of users every few minutes, for days)
     * while the mappers hand out more than {@link Inspection#RPC_ENDPOINTS} other endpoints: the endpoint it asked for
     * last is among the last remembered. (It had kept its place from the first time it was handed out and was forgotten
     * first: the RPC after the latest answer was unexpected_role_pair.) Made of the capture's own packets: its mapper
     * connection, then 2,048 more of them, each from a port of its own and answered with a port of its own, the first
     * again, 2,048 more, and the Director's RPC.
     */
    @Test
    void anEndpointHandedOutAgainIsRememberedAsNew() throws Exception {
        int port = handedOut(CAPTURE);
        byte[] in = Files.readAllBytes(Path.of(CAPTURE));
        java.util.List<byte[]> records = new java.util.ArrayList<>();
        for (int at = 24; at < in.length; ) {
            int caplen = java.nio.ByteBuffer.wrap(in, at + 8, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
            records.add(java.util.Arrays.copyOfRange(in, at, at + 16 + caplen));
            at += 16 + caplen;
        }
        assertEquals(36, records.size());
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(in, 0, 24);
        int[] time = {0};
        java.util.function.BiConsumer<Integer, Integer> mapper = (clientPort, handed) -> {
            for (byte[] r : records.subList(0, 13)) { // frames 1-13: the Director's connection to 135
                byte[] c = r.clone();
                int src = (c[16 + 34] & 0xff) << 8 | c[16 + 35] & 0xff;
                int at = src == 135 ? 16 + 36 : 16 + 34; // the client's port in the TCP header
                c[at] = (byte) (clientPort >> 8);
                c[at + 1] = (byte) (int) clientPort;
                replaceTowerPort(c, port, handed);
                stamp(c, time[0]++);
                out.writeBytes(c);
            }
        };
        mapper.accept(30000, port);
        for (int k = 0; k < 2048; k++) {
            mapper.accept(32768 + k, 1024 + k);
        }
        mapper.accept(31000, port); // asked again
        for (int k = 2048; k < 4096; k++) {
            mapper.accept(32768 + k, 1024 + k);
        }
        for (byte[] r : records.subList(13, 26)) { // frames 14-26: the Director's RPC on the port handed out
            byte[] c = r.clone();
            stamp(c, time[0]++);
            out.writeBytes(c);
        }
        Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "pm-dcerpc");
        try {
            Path many = dir.resolve("dcerpc-dynamic.pcap");
            Files.write(many, out.toByteArray());
            // (-d: a client port such as 34980 is another protocol's to tshark, and its 135 connection is read as that)
            java.util.List<String> answers = run("tshark", "-n", "-r", many.toString(), "-d", "tcp.port==135,dcerpc", "-Y",
                    "epm && ip.src == 127.5.1.10", "-T", "fields",
                    "-e", "epm.proto.tcp_port").strip().lines().toList();
            assertEquals(4098, answers.size()); // 4,097 ports handed out, the Director's twice
            assertEquals(4097, answers.stream().distinct().count());
            assertEquals(String.valueOf(port), answers.get(2049));
            InspectCapturesTest.Analysis a = analyzeUnder(TOPOLOGY, "../../" + many, "jsonl");
            JsonNode again = a.flows().stream().filter(f -> f.get("src_port").asInt() == 31000).findFirst().orElseThrow();
            JsonNode rpc = a.one(DIRECTOR, "tcp", port);
            InspectCapturesTest.assertFlow(rpc, "expected", "dcerpc", "fe-dcerpc-135");
            assertTrue(rpc.get("reason").asText().contains("handed this port to 127.5.2.10 (flow " + again.get("flow_id").asLong() + ")"),
                    rpc.toString());
        } finally {
            delete(dir);
        }
    }

    /** The tower's TCP floor naming {@code to} instead of {@code from}, in the record {@code r} (if it has one). */
    static void replaceTowerPort(byte[] r, int from, int to) {
        for (int i = 16; i + 7 <= r.length; i++) {
            if (r[i] == 1 && r[i + 1] == 0 && r[i + 2] == 7 && r[i + 3] == 2 && r[i + 4] == 0
                    && ((r[i + 5] & 0xff) << 8 | r[i + 6] & 0xff) == from) {
                r[i + 5] = (byte) (to >> 8);
                r[i + 6] = (byte) to;
            }
        }
    }

    /** The record's timestamp set to {@code ms} milliseconds after 2026-01-01. */
    static void stamp(byte[] r, int ms) {
        java.nio.ByteBuffer h = java.nio.ByteBuffer.wrap(r, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        h.putInt(0, 1767225600 + ms / 1000);
        h.putInt(4, ms % 1000 * 1000);
    }

    static void delete(Path dir) throws java.io.IOException {
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    /** Without the mapper's answer in the capture (its connection cut out), the Director's RPC is judged by its port. */
    @Test
    void withoutTheMappersAnswerThePortAloneJudges() throws Exception {
        int port = handedOut(CAPTURE);
        Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "pm-dcerpc");
        try {
            Path cut = dir.resolve("dcerpc-dynamic.pcap");
            run("tshark", "-n", "-r", CAPTURE, "-Y", "!(tcp.port == 135)", "-w", cut.toString());
            InspectCapturesTest.Analysis a = analyzeUnder(TOPOLOGY, "../../" + cut, "jsonl");
            assertTrue(a.all(DIRECTOR, "tcp", 135).isEmpty(), a.flows().toString());
            JsonNode rpc = a.one(DIRECTOR, "tcp", port);
            assertEquals("unexpected_role_pair", rpc.get("verdict").asText(), rpc.toString());
            assertEquals("dcerpc", rpc.get("app_protocol").asText(), rpc.toString());
        } finally {
            delete(dir);
        }
    }
}
