package org.portmatrix.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.portmatrix.cli.Main;

/**
 * Every rule of the built-in catalog, one case each, met by real traffic of its documented protocol: a recorded
 * conversation of that protocol from captures/inspect (tls.pcap's MTLS with a client certificate and TLS without one,
 * sip.pcap's cleartext SIP, media.pcap's RTP and STUN, others.pcap's HTTP, DCE/RPC, SMB and SSRP; tcpdump's DHCP
 * capture) is cut out with tcpdump and moved with tcprewrite onto the rule's port (its lowest) and onto an address of
 * each of its initiator roles and each of its responder roles (the topology below), and the whole of it must be
 * {@code expected} citing the rule or one that allows it alike (same roles, transport, port and protocol check), and
 * counted for the rule in the coverage. Where inspection checks the rule's protocol, a recorded conversation of a
 * protocol the rule does not document (cleartext on a TLS or MTLS port, TLS without a client certificate where MTLS
 * is documented, TLS or HTTP on a cleartext protocol's port) moved the same way must be {@code protocol_mismatch}
 * with a reason that says what the wire showed. Rules of protocol {@code tcp} (the seed names no protocol) take the
 * cleartext SIP. The captures are written at test time in a temporary directory.
 */
class RuleByRuleTest {
    /** One host per role (initiators at .20, responders at .10); "any" is a host outside the topology. */
    static final Map<String, Integer> ROLE_NET = new LinkedHashMap<>();
    static {
        String[] roles = {"front-end", "director", "edge-internal", "mediation", "persistent-chat", "pstn-gateway",
            "survivable-branch-appliance", "reverse-proxy", "office-web-apps", "client", "fe-load-balancer",
            "director-load-balancer", "mediation-load-balancer"};
        for (int i = 0; i < roles.length; i++) {
            ROLE_NET.put(roles[i], i + 1);
        }
        ROLE_NET.put("any", 99);
    }

    /** A recorded conversation: its capture, the initiator's address and port, the responder's address and port. */
    record Source(String capture, String what, String protocol, String srcIp, int srcPort, String dstIp, int dstPort,
            String transport, String[] moreAddresses) {
        Source(String capture, String what, String protocol, String srcIp, int srcPort, String dstIp, int dstPort, String transport) {
            this(capture, what, protocol, srcIp, srcPort, dstIp, dstPort, transport, new String[0]);
        }
    }

    static final String TLS = "captures/inspect/tls.pcap";
    static final String SIP = "captures/inspect/sip.pcap";
    static final String MEDIA = "captures/inspect/media.pcap";
    static final String OTHERS = "captures/inspect/others.pcap";
    static final String DHCP_CAPTURE = "../shared/corpus/tcpdump-tests/dhcp-rfc3004.pcap";

    static final Source MTLS_CERT = new Source(TLS, "MTLS with a client certificate", "mtls", "127.5.3.10", 44519, "127.5.1.10",
            5061, "tcp");
    static final Source MTLS_NO_CERT = new Source(TLS, "TLS 1.2, certificate requested, none sent", "tls", "127.5.4.10", 43681,
            "127.5.1.10", 5061, "tcp");
    static final Source TLS_CLIENT = new Source(TLS, "HTTPS (TLS, no client certificate)", "tls", "127.5.10.22", 43811, "127.5.1.10",
            443, "tcp");
    static final Source HTTP = new Source(OTHERS, "cleartext HTTP", "http", "127.5.10.21", 59730, "127.5.1.10", 80, "tcp");
    static final Source SIP_TCP = new Source(SIP, "cleartext SIP over TCP", "sip", "127.5.4.10", 35060, "127.5.1.10", 5060, "tcp");
    static final Source STUN_TCP = new Source(MEDIA, "STUN over TCP (TURN allocation)", "stun", "127.5.10.22", 34519, "127.5.3.10",
            443, "tcp");
    static final Source MS_TURN = new Source("captures/inspect/ms-turn-pseudo-tls.pcap", "MS-TURN after a pseudo-TLS handshake",
            "stun", "127.5.10.24", 46855, "127.5.3.10", 443, "tcp");
    static final Source STUN_UDP = new Source(MEDIA, "STUN over UDP", "stun", "127.5.10.21", 48203, "127.5.3.10", 3478, "udp");
    static final Source RTP = new Source(MEDIA, "RTP over UDP", "media", "127.5.10.23", 50020, "127.5.1.10", 50000, "udp");
    static final Source DCERPC = new Source(OTHERS, "DCE/RPC", "dcerpc", "127.5.2.10", 50513, "127.5.1.10", 135, "tcp");
    static final Source SMB = new Source(OTHERS, "SMB", "smb", "127.5.1.11", 49295, "127.5.1.10", 445, "tcp");
    static final Source SSRP = new Source(OTHERS, "SSRP", "ssrp", "127.5.2.10", 42399, "127.5.1.10", 1434, "udp");
    static final Source DHCP = new Source(DHCP_CAPTURE, "DHCP", "dhcp", "0.0.0.0", 68, "255.255.255.255", 67, "udp",
            new String[] {"192.168.1.1/32:127.9.99.11/32", "192.168.1.4/32:127.9.99.12/32"});

    /** The recorded traffic that should meet a rule of this protocol and transport. */
    static List<Source> good(String protocol, String transport) {
        return switch (protocol) {
            case "mtls" -> List.of(MTLS_CERT);
            case "tls", "https", "psom" -> List.of(TLS_CLIENT);
            case "http" -> List.of(HTTP);
            case "sip", "tcp" -> List.of(SIP_TCP);
            case "stun", "media" -> transport.equals("udp") ? (protocol.equals("stun") ? List.of(STUN_UDP) : List.of(RTP, STUN_UDP))
                    : List.of(STUN_TCP, MS_TURN);
            case "dcerpc" -> List.of(DCERPC);
            case "smb" -> List.of(SMB);
            case "ssrp" -> List.of(SSRP);
            case "dhcp" -> List.of(DHCP);
            default -> throw new AssertionError("no recording for " + protocol + "/" + transport);
        };
    }

    /** Recorded traffic the rule does not document there, and what its reason must say; none where nothing is checked. */
    record Wrong(Source source, String says) { }

    static List<Wrong> wrong(String protocol, String transport) {
        return switch (protocol) {
            case "mtls" -> List.of(new Wrong(MTLS_NO_CERT, "without a client certificate"),
                    new Wrong(SIP_TCP, "not encrypted"));
            case "tls", "https", "psom" -> List.of(new Wrong(HTTP, "not encrypted"));
            case "http", "sip", "dcerpc", "smb" -> List.of(new Wrong(TLS_CLIENT, "but the wire shows TLS"));
            case "stun", "media" -> transport.equals("udp") ? List.of(new Wrong(SSRP, "but the wire shows a payload that is none"))
                    : List.of(new Wrong(HTTP, "HTTP GET request"));
            case "ssrp", "dhcp" -> List.of(new Wrong(RTP, "but the wire shows RTP"));
            default -> List.of();
        };
    }

    static Path dir;
    static Path topology;
    static JsonNode catalog;
    static final Map<Source, Path> cut = new HashMap<>();

    @BeforeAll
    static void setUp() throws Exception {
        dir = Files.createTempDirectory("pm-rule-by-rule");
        StringBuilder t = new StringBuilder("roles:\n");
        for (Map.Entry<String, Integer> e : ROLE_NET.entrySet()) {
            if (!e.getKey().equals("any")) {
                t.append("  ").append(e.getKey()).append(": [127.9.").append(e.getValue()).append(".0/24]\n");
            }
        }
        topology = dir.resolve("topology.yaml");
        Files.writeString(topology, t.toString());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, main(out, "catalog", "--format", "json"));
        catalog = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
    }

    static int main(ByteArrayOutputStream out, String... args) {
        return new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8)).run(args);
    }

    static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
    }

    /** The source's conversation alone (tcpdump, by the initiator's port). */
    static synchronized Path cutOut(Source s) throws Exception {
        Path c = cut.get(s);
        if (c == null) {
            c = dir.resolve("cut-" + cut.size() + ".pcap");
            run("tcpdump", "-n", "-r", s.capture(), "-w", c.toString(), s.transport() + " port " + s.srcPort());
            cut.put(s, c);
        }
        return c;
    }

    static String host(String role, boolean initiator) {
        Integer net = ROLE_NET.get(role);
        assertTrue(net != null, "no address for role " + role);
        return "127.9." + net + "." + (initiator ? 20 : 10);
    }

    /** The source's conversation moved onto {@code src} and {@code dst}, its responder's port onto {@code port}. */
    static Path moved(Source s, String src, String dst, int port, String name) throws Exception {
        Path out = dir.resolve(name + ".pcap");
        StringBuilder pnat = new StringBuilder(s.srcIp() + "/32:" + src + "/32," + s.dstIp() + "/32:" + dst + "/32");
        for (String more : s.moreAddresses()) {
            pnat.append(',').append(more);
        }
        List<String> cmd = new ArrayList<>(List.of("tcprewrite", "--infile=" + cutOut(s), "--outfile=" + out, "--pnat=" + pnat,
                "--fixcsum"));
        if (port != s.dstPort()) {
            cmd.add("--portmap=" + s.dstPort() + ":" + port);
        }
        run(cmd.toArray(new String[0]));
        return out;
    }

    record Result(List<JsonNode> flows, String summary) { }

    static Result analyze(List<Path> captures) throws Exception {
        Path reports = Files.createTempDirectory(dir, "r");
        List<String> args = new ArrayList<>(List.of("analyze"));
        captures.forEach(c -> args.add(c.toString()));
        args.addAll(List.of("--topology", topology.toString(), "--report-dir", reports.toString(), "--all-flows"));
        int status = main(new ByteArrayOutputStream(), args.toArray(new String[0]));
        assertTrue(status == 0 || status == 1, "exit status " + status);
        List<JsonNode> flows = new ArrayList<>();
        ObjectMapper m = new ObjectMapper();
        for (String line : Files.readAllLines(reports.resolve("flows.jsonl"))) {
            if (!line.isBlank()) {
                flows.add(m.readTree(line));
            }
        }
        return new Result(flows, Files.readString(reports.resolve("summary.txt")));
    }

    static List<String> strings(JsonNode a) {
        List<String> l = new ArrayList<>();
        a.forEach(x -> l.add(x.asText()));
        return l;
    }

    static String checkedAs(String protocol) {
        return switch (protocol) {
            case "tls", "https", "psom" -> "tls";
            default -> protocol;
        };
    }

    /** Whether {@code other} allows what {@code rule} allows from {@code srcRole} to {@code dstRole} alike. */
    static boolean alike(JsonNode rule, JsonNode other, String srcRole, String dstRole, int port) {
        return other.get("transport").asText().equals(rule.get("transport").asText())
                && other.get("port_min").asInt() <= port && port <= other.get("port_max").asInt()
                && checkedAs(other.get("protocol").asText()).equals(checkedAs(rule.get("protocol").asText()))
                && roles(other.get("src_roles")).contains(srcRole) && roles(other.get("dst_roles")).contains(dstRole);
    }

    static JsonNode rule(String id) {
        for (JsonNode r : catalog.get("rules")) {
            if (r.get("id").asText().equals(id)) {
                return r;
            }
        }
        return null;
    }

    static JsonNode flowFrom(Result r, String src, String dst, int port, String transport) {
        for (JsonNode f : r.flows()) {
            if (f.get("src_ip").asText().equals(src) && f.get("dst_ip").asText().equals(dst) && f.get("dst_port").asInt() == port
                    && f.get("transport").asText().equals(transport)) {
                return f;
            }
        }
        return null;
    }

    @TestFactory
    Stream<DynamicTest> everyRuleIsMetByItsDocumentedTraffic() {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode rule : catalog.get("rules")) {
            String id = rule.get("id").asText();
            tests.add(DynamicTest.dynamicTest(id, () -> audit(rule)));
        }
        return tests.stream();
    }

    /** A rule's roles, "any" as two roles of the topology (any host of the topology, as the catalog reads it). */
    static List<String> roles(JsonNode a) {
        List<String> l = new ArrayList<>();
        for (String r : strings(a)) {
            if (r.equals("any")) {
                l.addAll(List.of("front-end", "client"));
            } else {
                l.add(r);
            }
        }
        return l;
    }

    /** A rule other than {@code rule} documenting {@code protocol} (or any protocol) from srcRole to dstRole on the port. */
    static JsonNode documentedElsewhere(JsonNode rule, String protocol, String srcRole, String dstRole, int port) {
        for (JsonNode other : catalog.get("rules")) {
            String p = checkedAs(other.get("protocol").asText());
            if (other != rule && (p.equals(protocol) || p.equals("tcp") || p.equals("udp"))
                    && other.get("transport").asText().equals(rule.get("transport").asText())
                    && other.get("port_min").asInt() <= port && port <= other.get("port_max").asInt()
                    && roles(other.get("src_roles")).contains(srcRole) && roles(other.get("dst_roles")).contains(dstRole)) {
                return other;
            }
        }
        return null;
    }

    static void audit(JsonNode rule) throws Exception {
        String id = rule.get("id").asText();
        String protocol = rule.get("protocol").asText();
        String transport = rule.get("transport").asText();
        int port = rule.get("port_min").asInt();
        List<String> srcRoles = roles(rule.get("src_roles"));
        List<String> dstRoles = roles(rule.get("dst_roles"));
        // Every initiator role to the first responder role, and the first initiator role to every responder role.
        List<String[]> rolePairs = new ArrayList<>();
        for (String s : srcRoles) {
            rolePairs.add(new String[] {s, dstRoles.get(0)});
        }
        for (String d : dstRoles.subList(1, dstRoles.size())) {
            rolePairs.add(new String[] {srcRoles.get(0), d});
        }
        List<Path> captures = new ArrayList<>();
        record Case(Source source, String srcRole, String dstRole, String src, String dst, int port) { }
        List<Case> cases = new ArrayList<>();
        int n = 0;
        for (Source good : good(protocol, transport)) {
            assertEquals(transport, good.transport(), id);
            for (String[] rp : rolePairs) {
                // Each case from an initiator address of its own in the initiator role's network; a range at both ends.
                for (int p : new java.util.TreeSet<>(List.of(port, rule.get("port_max").asInt()))) {
                    String src = "127.9." + ROLE_NET.get(rp[0]) + "." + (20 + n++);
                    String dst = host(rp[1], false);
                    captures.add(moved(good, src, dst, p, id + "-" + n));
                    cases.add(new Case(good, rp[0], rp[1], src, dst, p));
                }
            }
        }
        List<Wrong> wrongs = wrong(protocol, transport);
        List<String> wrongSrc = new ArrayList<>();
        for (int i = 0; i < wrongs.size(); i++) {
            String src = "127.9." + ROLE_NET.get(srcRoles.get(0)) + "." + (200 + i);
            wrongSrc.add(src);
            captures.add(moved(wrongs.get(i).source(), src, host(dstRoles.get(0), false), port, id + "-wrong-" + i));
        }
        Result r = analyze(captures);
        List<String> failures = new ArrayList<>();
        for (Case c : cases) {
            JsonNode f = flowFrom(r, c.src(), c.dst(), c.port(), transport);
            String what = id + " (" + c.source().what() + ", " + c.srcRole() + " -> " + c.dstRole() + " " + transport + "/" + c.port() + ")";
            if (f == null) {
                failures.add(what + ": no flow in " + r.flows());
                continue;
            }
            JsonNode cited = f.get("rule").isNull() ? null : rule(f.get("rule").asText());
            if (!f.get("verdict").asText().equals("expected") || cited == null || !alike(rule, cited, c.srcRole(), c.dstRole(), c.port())) {
                failures.add(what + ": " + f.get("verdict").asText() + " citing " + f.get("rule").asText() + ": " + f.get("reason").asText());
            }
        }
        Matcher row = Pattern.compile("\n  " + Pattern.quote(id) + " +\\S+ +\\S+ +([0-9,]+) ").matcher(r.summary());
        if (!row.find()) {
            failures.add(id + ": no coverage row");
        } else if (Integer.parseInt(row.group(1).replace(",", "")) < cases.size()) {
            failures.add(id + ": coverage counts " + row.group(1) + " flows of the " + cases.size() + " that meet it");
        }
        for (int i = 0; i < wrongs.size(); i++) {
            Wrong w = wrongs.get(i);
            JsonNode f = flowFrom(r, wrongSrc.get(i), host(dstRoles.get(0), false), port, transport);
            String what = id + " (" + w.source().what() + " where " + protocol + " is documented, " + srcRoles.get(0) + " -> "
                    + dstRoles.get(0) + " " + transport + "/" + port + ")";
            JsonNode elsewhere = documentedElsewhere(rule, w.source().protocol(), srcRoles.get(0), dstRoles.get(0), port);
            if (f == null) {
                failures.add(what + ": no flow");
            } else if (elsewhere != null) {
                // Another rule documents this traffic there (pchat-wcf-tls-881 beside pchat-wcf-mtls-881, the clients'
                // peer-to-peer TCP beside their TCP media): it is expected, citing that rule.
                if (!f.get("verdict").asText().equals("expected") || !f.get("rule").asText().equals(elsewhere.get("id").asText())) {
                    failures.add(what + ": " + f.get("verdict").asText() + " citing " + f.get("rule").asText() + " where "
                            + elsewhere.get("id").asText() + " documents it: " + f.get("reason").asText());
                }
            } else if (!f.get("verdict").asText().equals("protocol_mismatch") || !f.get("reason").asText().contains(w.says())) {
                failures.add(what + ": " + f.get("verdict").asText() + " citing " + f.get("rule").asText() + ", reason not saying '"
                        + w.says() + "': " + f.get("reason").asText());
            }
        }
        if (!failures.isEmpty()) {
            fail(String.join("\n", failures));
        }
    }
}
