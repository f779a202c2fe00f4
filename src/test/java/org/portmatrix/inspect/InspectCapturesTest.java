package org.portmatrix.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.portmatrix.cli.Main;

/**
 * The inspect stage on the captures that captures/inspect/record-inspect.sh recorded from real
 * programs (see captures/README.md). Each flow is looked up by initiator, responder port and
 * transport, and its verdict, application protocol, rule and TLS summary are asserted as the
 * scenario that produced it intends: the script's comments name the programs and options.
 */
class InspectCapturesTest {
    static final String TOPOLOGY = "captures/inspect/inspect-topology.yaml";
    static final String FRONT_END = "127.5.1.10";
    static final String FRONT_END_2 = "127.5.1.11";
    static final String DIRECTOR = "127.5.2.10";
    static final String EDGE = "127.5.3.10";
    static final String MEDIATION = "127.5.4.10";

    record Analysis(int status, List<JsonNode> flows, String text) {
        /** The one flow from {@code src} to {@code dstPort} over {@code transport}; all of them if several. */
        List<JsonNode> all(String src, String transport, int dstPort) {
            List<JsonNode> out = new ArrayList<>();
            for (JsonNode f : flows) {
                if (f.get("src_ip").asText().equals(src) && f.get("transport").asText().equals(transport)
                        && f.get("dst_port").asInt() == dstPort) {
                    out.add(f);
                }
            }
            return out;
        }

        JsonNode one(String src, String transport, int dstPort) {
            List<JsonNode> l = all(src, transport, dstPort);
            assertEquals(1, l.size(), "flows from " + src + " to " + transport + "/" + dstPort + ": " + flows);
            return l.get(0);
        }
    }

    static Analysis analyze(String capture, String format, String... more) throws Exception {
        return analyzeUnder(TOPOLOGY, capture, format, more);
    }

    static Analysis analyzeUnder(String topology, String capture, String format, String... more) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> args = new ArrayList<>(List.of("analyze", "captures/inspect/" + capture, "--topology", topology, "--format", format));
        args.addAll(List.of(more));
        int status = new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))
                .run(args.toArray(new String[0]));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(status == 0 || status == 1, "exit status " + status + ": " + err);
        List<JsonNode> flows = new ArrayList<>();
        if (format.equals("jsonl")) {
            ObjectMapper m = new ObjectMapper();
            for (String line : text.split("\n")) {
                if (!line.isBlank()) {
                    flows.add(m.readTree(line));
                }
            }
        }
        return new Analysis(status, flows, text);
    }

    static void assertFlow(JsonNode f, String verdict, String app, String rule) {
        assertEquals(verdict, f.get("verdict").asText(), f.toString());
        assertEquals(app, f.get("app_protocol").isNull() ? null : f.get("app_protocol").asText(), f.toString());
        assertEquals(rule, f.get("rule").isNull() ? null : f.get("rule").asText(), f.toString());
        assertFalse(f.get("reason").asText().isBlank(), f.toString());
    }

    /** {@code certificateRequest} null: not visible (JSON null). */
    static void assertTls(JsonNode f, String version, String clientCertificate, Boolean certificateRequest) {
        JsonNode tls = f.get("tls");
        assertNotNull(tls, f.toString());
        assertFalse(tls.isNull(), f.toString());
        assertEquals(version, tls.get("version").asText(), tls.toString());
        assertEquals(clientCertificate, tls.get("client_certificate").asText(), tls.toString());
        JsonNode request = tls.get("certificate_request");
        assertEquals(certificateRequest, request.isNull() ? null : request.asBoolean(), tls.toString());
    }

    static List<String> subjects(JsonNode certs) {
        List<String> l = new ArrayList<>();
        certs.forEach(c -> l.add(c.get("subject").asText()));
        return l;
    }

    /**
     * captures/inspect/tls-refused.pcap (record-tls-alerts.sh): the Edge presents a client certificate from a CA
     * the Front End does not trust, and s_server ends the handshake with a fatal unknown_ca alert. MTLS on 5061
     * with a certificate is what the matrix documents (expected), and the reason says no session was made: it
     * said nothing of the refusal.
     */
    /** The flow records of a capture of the sample's addresses (record-tls-alerts.sh), as JSON lines. */
    static List<JsonNode> onSampleTopology(String capture, String... more) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<String> args = new ArrayList<>(List.of("analyze", "captures/inspect/" + capture, "--topology", "captures/sample-topology.yaml"));
        args.addAll(List.of(more));
        int status = new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8)).run(args.toArray(String[]::new));
        assertTrue(status == 0 || status == 1, "exit status " + status);
        List<JsonNode> flows = new ArrayList<>();
        for (String line : out.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList()) {
            flows.add(new ObjectMapper().readTree(line));
        }
        return flows;
    }

    @Test
    void anMtlsHandshakeWhoseCertificateWasRefusedSaysSo() throws Exception {
        List<JsonNode> flows = onSampleTopology("tls-refused.pcap", "--format", "jsonl");
        assertEquals(1, flows.size(), flows.toString());
        JsonNode f = flows.get(0);
        assertFlow(f, "expected", "tls", "fe-sip-mtls-5061");
        assertTls(f, "TLS 1.2", "present", true);
        assertEquals("unknown_ca 48 from the server", f.get("tls").get("alert").asText(), f.toString());
        assertTrue(f.get("reason").asText().endsWith("and the wire shows TLS 1.2 with a client certificate (CN=edge01.contoso.test,"
                + "O=Contoso Test), SNI pool01.contoso.test. The handshake ended with a fatal alert, unknown_ca 48 from the server:"
                + " no TLS session was made."), f.toString());
    }

    /**
     * captures/inspect/tls-no-request.pcap (record-tls-no-request.sh): s_server without -verify on the Front End's
     * MTLS port 5061, and the Edge's s_client with a certificate it is never asked for. No CertificateRequest is on the
     * wire: the end not doing mutual TLS is the server, the responder. The reason told the firewall team to check the
     * initiator's (the Edge's) certificate configuration. (tls.pcap's T3, where the server asked and the client sent
     * none, keeps the initiator's advice.)
     */
    @Test
    void anMtlsPortWhoseServerAskedForNoCertificateSaysToCheckTheServer() throws Exception {
        List<JsonNode> flows = onSampleTopology("tls-no-request.pcap", "--format", "jsonl");
        assertEquals(1, flows.size(), flows.toString());
        JsonNode f = flows.get(0);
        assertFlow(f, "protocol_mismatch", "tls", "fe-sip-mtls-5061");
        assertTls(f, "TLS 1.2", "absent", false);
        String reason = f.get("reason").asText();
        assertTrue(reason.startsWith("TLS 1.2 on the MTLS port 5061 without a client certificate (edge-internal → front-end; rule"
                + " fe-sip-mtls-5061"), reason);
        assertTrue(reason.endsWith("the server did not ask for a client certificate and none was sent. On this port both ends must"
                + " present a certificate (mutual TLS), and the server (the responder, front-end) asked for none: check that it"
                + " requires client certificates on this port, or find out which program listens there."), reason);
        assertFalse(reason.contains("initiator's certificate configuration"), reason);
    }

    /**
     * captures/inspect/tls-alerts.pcap (record-tls-alerts.sh), three flows from the Edge to the Front End. 5061: the
     * server warns unrecognized_name, then ends with a fatal handshake_failure (it kept the warning, the first alert,
     * and said nothing). 5062: a TLS 1.1 fallback refused with inappropriate_fallback (86, a name the list lacked: "alert
     * 86 86"). 5070: the end of a ChaCha20 session caught mid-stream, whose encrypted close_notify begins with 0x02
     * (was read as a fatal alert in the clear: "alert 97 97 from the server").
     */
    @Test
    void alertsAreReadOnlyInTheClearAndTheFatalOneIsNamed() throws Exception {
        List<JsonNode> flows = onSampleTopology("tls-alerts.pcap", "--format", "jsonl");
        assertEquals(3, flows.size(), flows.toString());
        java.util.Map<Integer, JsonNode> byPort = new java.util.HashMap<>();
        flows.forEach(f -> byPort.put(f.get("dst_port").asInt(), f));
        JsonNode sni = byPort.get(5061);
        assertEquals("handshake_failure 40 from the server", sni.get("tls").get("alert").asText(), sni.toString());
        assertTrue(sni.get("reason").asText().endsWith(" The handshake ended with a fatal alert, handshake_failure 40 from the server:"
                + " no TLS session was made."), sni.toString());
        JsonNode fallback = byPort.get(5062);
        assertEquals("inappropriate_fallback 86 from the server", fallback.get("tls").get("alert").asText(), fallback.toString());
        JsonNode mid = byPort.get(5070);
        assertTrue(mid.get("direction_inferred").asBoolean(), mid.toString());
        assertTrue(mid.get("tls").get("alert").isNull(), "an encrypted alert is not read: " + mid);
        assertFalse(mid.get("reason").asText().contains("alert"), mid.toString());
        // The text report's TLS line says it too (the reason of an expected flow is not in the text report).
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8)).run(new String[] {"analyze", "captures/inspect/tls-refused.pcap", "--topology",
                    "captures/sample-topology.yaml", "--all-flows"}));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains(", ended by a fatal alert, unknown_ca 48 from the server"), out.toString());
    }

    /**
     * tls-alerts.pcap's 5070 flow is the end of a TLS 1.2 session whose handshake went through before the capture began
     * (tshark cut it to its encrypted close_notify alerts and FINs). Its reason said "On the wire: TLS (handshake not
     * complete)" and the text report's TLS line "tls: handshake not complete", as of the 5062 fallback the server refused:
     * a firewall team read a session that was made as one that failed. Under a topology where that flow is a Front End's
     * to a Mediation Server's MTLS 5070, the unverifiable reason began "TLS (handshake not complete) on the MTLS port 5070",
     * then said the handshake is not in the capture.
     */
    @Test
    void aSessionCaughtInItsMiddleSaysItsHandshakeIsNotInTheCaptureNotThatItDidNotComplete() throws Exception {
        java.util.Map<Integer, JsonNode> byPort = new java.util.HashMap<>();
        onSampleTopology("tls-alerts.pcap", "--format", "jsonl").forEach(f -> byPort.put(f.get("dst_port").asInt(), f));
        String mid = byPort.get(5070).get("reason").asText();
        assertTrue(mid.endsWith(" On the wire: TLS (handshake not in the capture)."), mid);
        assertFalse(mid.contains("not complete"), mid);
        String refused = byPort.get(5062).get("reason").asText(); // a handshake that did not complete still says so
        assertTrue(refused.contains(" On the wire: TLS (handshake not complete). The handshake ended with a fatal alert,"
                + " inappropriate_fallback 86 from the server"), refused);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8)).run(new String[] {"analyze", "captures/inspect/tls-alerts.pcap", "--topology",
                    "captures/sample-topology.yaml", "--all-flows"});
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        int at = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains("127.0.1.10:5070 ")) {
                at = i;
            }
        }
        assertTrue(at >= 0, String.join("\n", lines));
        assertEquals("      tls: handshake not in the capture, client certificate not visible", lines.get(at + 2), String.join("\n", lines));

        Path topology = Files.createTempDirectory("pm-midstream-mtls").resolve("topology.yaml");
        Files.writeString(topology, "roles:\n  front-end: [127.0.3.10/32]\n  mediation: [127.0.1.10/32]\n");
        out.reset();
        new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8)).run(new String[] {"analyze", "captures/inspect/tls-alerts.pcap", "--topology",
                    topology.toString(), "--format", "jsonl"});
        JsonNode mtls = null;
        for (String line : out.toString(StandardCharsets.UTF_8).lines().toList()) {
            JsonNode f = new ObjectMapper().readTree(line);
            if (f.get("dst_port").asInt() == 5070) {
                mtls = f;
            }
        }
        assertNotNull(mtls, out.toString(StandardCharsets.UTF_8));
        assertFlow(mtls, "unverifiable", "tls", "med-sip-mtls-5070");
        assertTrue(mtls.get("reason").asText().startsWith("TLS (handshake not in the capture) on the MTLS port 5070 (front-end →"
                + " mediation; rule med-sip-mtls-5070"), mtls.toString());
        assertTrue(mtls.get("reason").asText().endsWith("): the capture starts after the handshake, in which the client certificate"
                + " is sent, so it cannot be checked."), mtls.toString());
    }

    /**
     * sip.pcap's SIP over UDP from a client to the Front End's 5060, under a topology where that Front End runs a collocated
     * Mediation Server (its address under both roles, as topology import writes a Standard Edition server): no rule serves
     * UDP 5060 there, and the reason said "The catalog documents TCP 5060 on front-end+mediation (rule fe-sip-tcp-5060, ...)",
     * the Mediation Server too, for which the catalog documents no TCP 5060. It names the roles the rule serves.
     */
    @Test
    void theOtherTransportsPortIsSaidOfTheRolesTheCatalogDocumentsItFor() throws Exception {
        Analysis a = analyzeWith("sip.pcap", "mediation: [127.5.4.10/32]", "mediation: [127.5.4.10/32, 127.5.1.10/32]");
        JsonNode f = a.one("127.5.10.24", "udp", 5060);
        assertEquals("unexpected_port", f.get("verdict").asText(), f.toString());
        assertEquals("No catalog rule serves UDP 5060 on front-end+mediation. The catalog documents TCP 5060 on front-end (rule"
                + " fe-sip-tcp-5060, Lync Server Front-End service; seed: Required Server Ports (by Server Role), row 2). On the wire:"
                + " SIP INVITE request over UDP, Via SIP/2.0/UDP.", f.get("reason").asText());
    }

    @Test
    void tlsCaptureGivesEachHandshakeItsVerdict() throws Exception {
        Analysis a = analyze("tls.pcap", "jsonl");
        assertEquals(9, a.flows().size(), a.flows().toString());

        // T1: s_server -Verify 1, s_client with edge01's certificate, TLS 1.2: mutual TLS as documented.
        JsonNode t1 = a.one(EDGE, "tcp", 5061);
        assertFlow(t1, "expected", "tls", "fe-sip-mtls-5061");
        assertTls(t1, "TLS 1.2", "present", true);
        assertTrue(t1.get("tls").get("alert").isNull(), "a handshake that went through ended with no alert: " + t1);
        assertEquals("pool01.contoso.test", t1.get("tls").get("sni").asText());
        assertEquals(List.of("CN=edge01.contoso.test,O=Contoso Test", "CN=Contoso Test Root CA,O=Contoso Test"),
                subjects(t1.get("tls").get("client_certificates")));
        assertEquals("CN=pool01.contoso.test,O=Contoso Test", subjects(t1.get("tls").get("server_certificates")).get(0));
        assertTrue(t1.get("reason").asText().contains("client certificate"), t1.toString());

        // T2: -verify 1 (optional), no client certificate: an empty Certificate message on an MTLS port.
        JsonNode t2 = a.one(MEDIATION, "tcp", 5061);
        assertFlow(t2, "protocol_mismatch", "tls", "fe-sip-mtls-5061");
        assertTls(t2, "TLS 1.2", "empty", true);
        assertTrue(t2.get("reason").asText().startsWith("TLS 1.2 on the MTLS port 5061 without a client certificate"),
                t2.toString());
        assertTrue(t2.get("reason").asText().contains("row 3"), t2.toString());

        // T3 (Director, TLS 1.2, certificate required, none sent: the server aborts) and
        // T4 (Director with dir01's certificate, TLS 1.3: the certificates are encrypted).
        List<JsonNode> director = a.all(DIRECTOR, "tcp", 5061);
        assertEquals(2, director.size(), director.toString());
        JsonNode t3 = director.get(0).get("tls").get("version").asText().equals("TLS 1.2") ? director.get(0) : director.get(1);
        JsonNode t4 = t3 == director.get(0) ? director.get(1) : director.get(0);
        assertFlow(t3, "protocol_mismatch", "tls", "fe-sip-mtls-5061");
        assertTls(t3, "TLS 1.2", "empty", true);
        // (True of a client on an MTLS port as of a server: it said "a server-to-server connection".)
        assertTrue(t3.get("reason").asText().endsWith("On this port both ends must present a certificate (mutual TLS); check the"
                + " initiator's certificate configuration, or find out which program connects. The handshake ended with a fatal alert,"
                + " handshake_failure 40 from the server: no TLS session was made."), t3.toString());
        assertEquals("handshake_failure 40 from the server", t3.get("tls").get("alert").asText(), t3.toString());
        assertFlow(t4, "unverifiable", "tls", "fe-sip-mtls-5061");
        assertTls(t4, "TLS 1.3", "not visible", null); // the request is encrypted too: not "false"
        assertTrue(t4.get("reason").asText().contains("TLS 1.3 encrypts the certificates"), t4.toString());
        assertEquals(0, t4.get("tls").get("server_certificates").size(), "TLS 1.3 certificates are encrypted");

        // T5: a client without a certificate on 5061: the client rule documents TLS, not MTLS.
        JsonNode t5 = a.one("127.5.10.21", "tcp", 5061);
        assertFlow(t5, "expected", "tls", "fe-sip-tls-5061-client");
        assertTls(t5, "TLS 1.2", "empty", true);

        // T6: HTTPS with TLS 1.3 (s_server -www).
        JsonNode t6 = a.one("127.5.10.22", "tcp", 443);
        assertFlow(t6, "expected", "tls", "fe-web-https-443");
        assertTls(t6, "TLS 1.3", "not visible", null);
        assertEquals("TLS_AES_256_GCM_SHA384", t6.get("tls").get("cipher").asText());

        // T7: HTTPS with TLS 1.2 and the legacy RSA-1024 certificate signed with SHA-1.
        JsonNode t7 = a.one(DIRECTOR, "tcp", 444);
        assertFlow(t7, "expected", "tls", "fe-https-444");
        assertTls(t7, "TLS 1.2", "absent", false);
        JsonNode legacy = t7.get("tls").get("server_certificates").get(0);
        assertEquals("CN=legacy01.contoso.test,O=Contoso Test", legacy.get("subject").asText());
        assertEquals("RSA", legacy.get("key_type").asText());
        assertEquals(1024, legacy.get("key_bits").asInt());
        assertTrue(legacy.get("weaknesses").toString().contains("SHA-1 signature"), legacy.toString());
        assertTrue(legacy.get("weaknesses").toString().contains("RSA key below 2048 bits"), legacy.toString());

        // T8: curl sends cleartext HTTP to the HTTPS port.
        JsonNode t8 = a.one("127.5.10.23", "tcp", 443);
        assertFlow(t8, "protocol_mismatch", "http", "fe-web-https-443");
        assertTrue(t8.get("tls").isNull(), t8.toString());
        assertTrue(t8.get("reason").asText().contains("not encrypted"), t8.toString());

        // T9: the Front End with pool01's certificate to the Mediation Server's MTLS port 5070.
        JsonNode t9 = a.one(FRONT_END, "tcp", 5070);
        assertFlow(t9, "expected", "tls", "med-sip-mtls-5070");
        assertTls(t9, "TLS 1.2", "present", true);
        assertTrue(t9.get("tls").get("server_certificates").get(0).get("sans").toString().contains("IP:127.5.4.10"),
                t9.toString());
    }

    @Test
    void textReportListsTheCertificateInventory() throws Exception {
        Analysis a = analyze("tls.pcap", "text");
        String text = a.text();
        int at = text.indexOf("CERTIFICATES: 5 seen in TLS handshakes");
        assertTrue(at >= 0, text);
        String inventory = text.substring(at);
        // the five distinct certificates: CA, pool01, edge01, dir01 is never visible (TLS 1.3), med01, legacy01
        for (String cn : List.of("CN=Contoso Test Root CA", "CN=pool01.contoso.test", "CN=edge01.contoso.test",
                "CN=med01.contoso.test", "CN=legacy01.contoso.test")) {
            assertTrue(inventory.contains(cn), cn + " in " + inventory);
        }
        assertFalse(inventory.contains("CN=dir01.contoso.test"), "dir01 was only sent inside TLS 1.3");
        // legacy01 comes first: it expires soonest (7 days), and its findings are listed
        int legacy = inventory.indexOf("CN=legacy01.contoso.test");
        int pool = inventory.indexOf("CN=pool01.contoso.test,O=Contoso Test  (");
        assertTrue(legacy >= 0 && legacy < pool, inventory);
        String legacyBlock = inventory.substring(legacy, inventory.indexOf("sha256", legacy));
        assertTrue(legacyBlock.contains("SHA-1 signature"), legacyBlock);
        assertTrue(legacyBlock.contains("RSA key below 2048 bits (1024)"), legacyBlock);
        assertTrue(legacyBlock.contains("expires within 30 days"), legacyBlock);
        assertTrue(legacyBlock.contains("presented by " + FRONT_END + ":444 (front-end)"), legacyBlock);
        // edge01 was a client certificate
        int edge = inventory.indexOf("CN=edge01.contoso.test,O=Contoso Test  (client)");
        assertTrue(edge >= 0, inventory);
    }

    @Test
    void textReportShowsTheTlsSummaryOfEachTlsFlow() throws Exception {
        String text = analyze("tls.pcap", "text", "--all-flows").text();
        long tlsLines = text.lines().filter(l -> l.startsWith("      tls: ")).count();
        assertEquals(8, tlsLines, "one per TLS flow (the ninth flow is cleartext HTTP): " + text);
        assertTrue(text.contains("tls: TLS 1.2, SNI pool01.contoso.test, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, certificate requested,"
                + " client certificate present (CN=edge01.contoso.test,O=Contoso Test)"), text);
        assertTrue(text.contains("tls: TLS 1.3, SNI pool01.contoso.test, TLS_AES_256_GCM_SHA384, client certificate not visible"), text);
    }

    @Test
    void sipCaptureTellsCleartextSipFromTls() throws Exception {
        Analysis a = analyze("sip.pcap", "jsonl");
        assertEquals(4, a.flows().size(), a.flows().toString());
        // S1: SIPp call over TCP to 5060, cleartext SIP as documented.
        JsonNode s1 = a.one(MEDIATION, "tcp", 5060);
        assertFlow(s1, "expected", "sip", "fe-sip-tcp-5060");
        assertTrue(s1.get("reason").asText().contains("SIP INVITE request over TCP, Via SIP/2.0/TCP"), s1.toString());
        // S2: SIPp call over UDP: SIP is recognised; no rule documents UDP 5060.
        JsonNode s2 = a.one("127.5.10.24", "udp", 5060);
        assertFlow(s2, "unexpected_port", "sip", null);
        assertTrue(s2.get("reason").asText().contains("Via SIP/2.0/UDP"), s2.toString());
        // S3: cleartext OPTIONS with a Via naming TLS, sent to the TLS port 5061.
        JsonNode s3 = a.one(MEDIATION, "tcp", 5061);
        assertFlow(s3, "protocol_mismatch", "sip", "fe-sip-mtls-5061");
        assertTrue(s3.get("reason").asText().contains("cleartext SIP OPTIONS request"), s3.toString());
        assertTrue(s3.get("reason").asText().contains("Via SIP/2.0/TLS"), s3.toString());
        // S4: SIPp cleartext call to the Mediation Server's MTLS port 5070.
        assertFlow(a.one(FRONT_END, "tcp", 5070), "protocol_mismatch", "sip", "med-sip-mtls-5070");
    }

    /**
     * captures/inspect/sip-midstream.pcap (record-sip-midstream.sh): SIPp over one TCP connection, Mediation Server to a
     * Front End's 5060, on a loopback of MTU 400, the capture kept from the first INVITE's second segment on, as a
     * mirror port started in the middle of a message sees it. A first payload in the middle of a message had ruled SIP
     * out for the whole flow: unverifiable ("the payload was not recognised"), the Front End's whole responses
     * never looked at.
     */
    @Test
    void aSipConnectionSeenFromTheMiddleOfAMessageIsSip() throws Exception {
        Analysis a = analyze("sip-midstream.pcap", "jsonl");
        assertEquals(1, a.flows().size(), a.flows().toString());
        JsonNode f = a.one(MEDIATION, "tcp", 5060);
        assertTrue(f.get("direction_inferred").asBoolean(), f.toString());
        assertFlow(f, "expected", "sip", "fe-sip-tcp-5060");
        assertTrue(f.get("reason").asText().contains("Via SIP/2.0/TCP"), f.toString());
        // Its first payload is the rest of the INVITE (text that begins no message), not a message of its own.
        String first = new String(java.nio.file.Files.readAllBytes(Path.of("captures/inspect/sip-midstream.pcap")),
                StandardCharsets.ISO_8859_1);
        int payload = first.indexOf("\r\n");
        assertTrue(payload > 0, "text in the capture");
        String lineStart = first.substring(first.lastIndexOf('\0', payload) + 1, payload);
        assertFalse(lineStart.startsWith("INVITE ") || lineStart.startsWith("SIP/2.0 ") || lineStart.startsWith("ACK ")
                || lineStart.startsWith("BYE "), "the first line seen: " + lineStart);
    }

    /** The capture under a topology of the test's own (the inspect topology with {@code replace} applied). */
    static Analysis analyzeWith(String capture, String from, String to) throws Exception {
        Path dir = Files.createTempDirectory("pm-topology");
        Path topology = dir.resolve("topology.yaml");
        String text = Files.readString(Path.of(TOPOLOGY));
        assertTrue(text.contains(from), from);
        Files.writeString(topology, text.replace(from, to));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))
                .run(new String[] {"analyze", "captures/inspect/" + capture, "--topology", topology.toString(), "--format", "jsonl"});
        assertTrue(status == 0 || status == 1, "exit status " + status + ": " + err);
        List<JsonNode> flows = new ArrayList<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            flows.add(new ObjectMapper().readTree(line));
        }
        return new Analysis(status, flows, out.toString(StandardCharsets.UTF_8));
    }

    /**
     * A topology {@code ports:} entry's protocol is checked on the wire as a catalog rule's is. S2
     * (SIPp's cleartext SIP over UDP 5060 from a client to the Front End, a port no rule documents)
     * under an entry configuring that port: as TLS, the cleartext is a mismatch (it was {@code expected},
     * the protocol never looked at); as SIP, it is expected; as plain UDP, anything is.
     */
    @Test
    void aTopologyPortsProtocolIsCheckedOnTheWire() throws Exception {
        String client = "client: [127.5.10.0/24]";
        Analysis tls = analyzeWith("sip.pcap", client, client + "\nports:\n  - {role: front-end, transport: udp, port: \"5060\", protocol: tls}");
        JsonNode s2 = tls.one("127.5.10.24", "udp", 5060);
        assertEquals("protocol_mismatch", s2.get("verdict").asText(), s2.toString());
        assertEquals("sip", s2.get("app_protocol").asText(), s2.toString());
        assertTrue(s2.get("rule").isNull(), s2.toString());
        String reason = s2.get("reason").asText();
        assertTrue(reason.startsWith("UDP 5060 from client to front-end is configured in this deployment's topology as TLS ("), reason);
        int entryLine = Files.readAllLines(Path.of(TOPOLOGY)).indexOf("  " + client) + 3; // the line after "ports:", counted from 1
        assertTrue(reason.contains("topology.yaml:" + entryLine + ": front-end udp 5060 tls), but the wire shows cleartext SIP INVITE request"),
                reason);
        assertTrue(reason.endsWith("The connection is not encrypted: check the initiator's transport settings."), reason);

        Analysis sip = analyzeWith("sip.pcap", client, client + "\nports:\n  - {role: front-end, transport: udp, port: \"5060\", protocol: sip}");
        JsonNode ok = sip.one("127.5.10.24", "udp", 5060);
        assertEquals("expected", ok.get("verdict").asText(), ok.toString());
        assertTrue(ok.get("reason").asText().contains("is configured in this deployment's topology (")
                && ok.get("reason").asText().contains("On the wire: SIP INVITE request"), ok.toString());

        Analysis any = analyzeWith("sip.pcap", client, client + "\nports:\n  - {role: front-end, transport: udp, port: \"5060\"}");
        assertEquals("expected", any.one("127.5.10.24", "udp", 5060).get("verdict").asText());
    }

    /**
     * O4 (Impacket's SMB client on the second Front End to the first one's 445, the Central Management
     * store's replication) with that client's address given the Edge's internal role: SMB from the
     * perimeter network to an internal Front End is no pair the seeds document (the push rule left the
     * Edge out; the listener's rule let it in).
     */
    @Test
    void smbFromTheEdgeToTheCmsFrontEndIsNotAllowed() throws Exception {
        String roles = "front-end: [127.5.1.10/32, 127.5.1.11/32]\n  director: [127.5.2.10/32]\n  edge-internal: [127.5.3.10/32]";
        Analysis a = analyzeWith("others.pcap", roles, roles.replace(", 127.5.1.11/32", "").replace("127.5.3.10/32", "127.5.3.10/32, 127.5.1.11/32"));
        JsonNode smb = a.one(FRONT_END_2, "tcp", 445);
        assertEquals("unexpected_role_pair", smb.get("verdict").asText(), smb.toString());
        assertEquals("smb", smb.get("app_protocol").asText(), smb.toString());
        assertTrue(smb.get("reason").asText().contains("not from edge-internal"), smb.toString());
    }

    /**
     * layers.pcap (record-inspect.sh, GStreamer): RTP streams of several SSRCs taking turns on one 5-tuple, as the layers
     * of Lync's H.264 UC video do (one SSRC per layer, within the range of 100 the SDP's a=x-ssrc-range declares): L1 two
     * SSRCs, L2 three, the first seen in the middle of the range, are RTP; L3's two SSRCs of no one range are not. L1 and
     * L2 were protocol_mismatch ("none of the protocols portmatrix recognises"): RTP was ruled out at the second SSRC.
     */
    @Test
    void rtpOfSeveralSsrcsOfOneRangeIsRtp() throws Exception {
        Analysis a = analyze("layers.pcap", "jsonl");
        assertEquals(3, a.flows().size(), a.flows().toString());
        JsonNode l1 = a.one("127.5.10.23", "udp", 58000);
        assertEquals("expected", l1.get("verdict").asText(), l1.toString());
        assertEquals("rtp", l1.get("app_protocol").asText(), l1.toString());
        assertTrue(l1.get("reason").asText().contains("SSRCs 0x2c5a1e00 and 0x2c5a1e01 (one SSRC range)"), l1.toString());
        JsonNode l2 = a.one("127.5.10.23", "udp", 58002);
        assertEquals("expected", l2.get("verdict").asText(), l2.toString());
        assertTrue(l2.get("reason").asText().contains("SSRCs 0x2c5a1e40, 0x2c5a1e00 and 0x2c5a1e63 (one SSRC range)"), l2.toString());
        JsonNode l3 = a.one("127.5.10.23", "udp", 58004);
        assertEquals("protocol_mismatch", l3.get("verdict").asText(), l3.toString());
        assertTrue(l3.get("reason").asText().contains("none of the protocols portmatrix recognises"), l3.toString());
    }

    /**
     * A media rule is read the other way round for media only. S2 (SIPp's UDP call from a client's port
     * 35062 to the Front End's 5060) with the Front End's address given a PSTN gateway's role, whose UDP
     * ports the catalog does not document: the client's port is in its documented media range, but the
     * wire shows SIP, so the flow stays unexpected_port (it was "documented as MEDIA", then a mismatch).
     * In media.pcap, M7's reversal counts for the Mediation Server's audio range in the coverage.
     */
    @Test
    void aMediaRuleIsReadTheOtherWayRoundForMediaOnly() throws Exception {
        String text = Files.readString(Path.of(TOPOLOGY));
        String fe = "front-end: [127.5.1.10/32, 127.5.1.11/32]";
        String gw = "pstn-gateway: [127.5.6.10/32]";
        assertTrue(text.contains(fe) && text.contains(gw), text);
        int from = text.indexOf(fe);
        int to = text.indexOf(gw) + gw.length();
        String block = text.substring(from, to);
        Analysis a = analyzeWith("sip.pcap", block, block.replace(fe, "front-end: [127.5.1.11/32]").replace(gw,
                "pstn-gateway: [127.5.6.10/32, 127.5.1.10/32]"));
        JsonNode s2 = a.one("127.5.10.24", "udp", 5060);
        assertEquals("unexpected_port", s2.get("verdict").asText(), s2.toString());
        assertTrue(s2.get("reason").asText().startsWith("No catalog rule serves UDP 5060 on pstn-gateway."), s2.toString());

        String coverage = analyze("media.pcap", "text").text();
        assertTrue(coverage.contains("\n  udp/49152-57500  director  "), "mediation's audio range carried M7: " + coverage);
        // Without inspection no media is seen: M7 keeps the verdict of its own orientation.
        JsonNode m7 = analyze("media.pcap", "jsonl", "--no-inspect").one(MEDIATION, "udp", 24596);
        assertEquals("unexpected_port", m7.get("verdict").asText(), m7.toString());
        assertTrue(m7.get("reason").asText().startsWith("No catalog rule serves UDP 24596 on pstn-gateway."), m7.toString());
    }

    /** The text report of {@code capture} under the topology file {@code topology}. */
    static String textReport(String capture, Path topology) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8)).run(new String[] {"analyze", capture, "--topology", topology.toString()});
        assertTrue(status == 0 || status == 1, "exit status " + status);
        return out.toString(StandardCharsets.UTF_8);
    }

    /**
     * The coverage says how many flows it counts under more than one rule, so that its flows column, which adds up to more
     * than the flows, is not read as more traffic (a newcomer's audit: fe-https-444 and fe-https-444-from-director each
     * showed tls.pcap's one flow to 444, and nothing said why): the rules' flows less those counted twice are the flows the
     * catalog allowed. The HTML page's coverage summary says it alike; a capture whose flows each count once says nothing.
     */
    @Test
    void theCoverageSaysHowManyFlowsCountUnderSeveralRules() throws Exception {
        String report = textReport("captures/inspect/tls.pcap", Path.of(TOPOLOGY));
        java.util.regex.Matcher m = several(report);
        assertTrue(m.find(), report);
        long twice = Long.parseLong(m.group(2));
        String table = report.substring(report.indexOf("CATALOG COVERAGE: "), report.indexOf("CANDIDATES TO CLOSE"));
        long counted = 0;
        java.util.regex.Matcher row = java.util.regex.Pattern.compile("\n  [a-z0-9-]+ +(?:tcp|udp)/\\S+ +\\S+ +(\\d+) ").matcher(table);
        while (row.find()) {
            counted += Long.parseLong(row.group(1));
        }
        Analysis a = analyzeUnder(TOPOLOGY, "tls.pcap", "jsonl");
        long allowed = a.flows().stream().filter(f -> !f.get("rule").isNull()).count();
        assertTrue(twice > 0 && allowed > 0, report);
        assertEquals(allowed, counted - twice, report);
        assertTrue(analyzeUnder(TOPOLOGY, "tls.pcap", "html").text().contains(" " + m.group(1) + " flows count under more than one rule, so the"
                + " rules count " + twice + " flows more than there are"));
        assertFalse(textReport("captures/inspect/sip.pcap", Path.of(TOPOLOGY)).contains("under more than one rule"));
    }

    /**
     * A flow the catalog cites three times counts twice more: lo.pcap's TCP flow to 5999 between two clients is allowed by
     * client-audio-, client-video- and client-app-sharing-media-tcp-1024-65535. The note had said how many flows count under
     * more than one rule ("3", as if each counted twice: the rules' 10 flows less 3 are not the 6 allowed) and that the
     * catalog cites them "twice"; it says how many flows more than there are the rules count.
     */
    @Test
    void aFlowUnderThreeRulesCountsTwiceMore() throws Exception {
        Path topology = Files.writeString(Files.createTempDirectory("pm-clients").resolve("clients.yaml"), "roles:\n  client: [127.0.0.0/8]\n");
        String report = textReport("captures/decode/lo.pcap", topology);
        java.util.regex.Matcher m = several(report);
        assertTrue(m.find(), report);
        String table = report.substring(report.indexOf("CATALOG COVERAGE: "), report.indexOf("CANDIDATES TO CLOSE"));
        for (String rule : List.of("client-audio-media-tcp-1024-65535", "client-video-media-tcp-1024-65535", "client-app-sharing-media-tcp-1024-65535")) {
            assertTrue(java.util.regex.Pattern.compile("\n  " + rule + " +tcp/1024-65535 +client +1 ").matcher(table).find(), report);
        }
        long counted = 0;
        java.util.regex.Matcher row = java.util.regex.Pattern.compile("\n  [a-z0-9-]+ +(?:tcp|udp)/\\S+ +\\S+ +(\\d+) ").matcher(table);
        while (row.find()) {
            counted += Long.parseLong(row.group(1));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
                .run(new String[] {"analyze", "captures/decode/lo.pcap", "--topology", topology.toString(), "--format", "jsonl"});
        long allowed = out.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.contains("\"rule\":null")).count();
        long more = Long.parseLong(m.group(2));
        assertTrue(more > Long.parseLong(m.group(1)), report); // one flow counted three times
        assertEquals(allowed, counted - more, report);
    }

    /**
     * One flow under two rules counts one flow more, said in the singular: ms-turn-pseudo-tls.pcap's client connection to
     * the Edge's 443 that the pseudo-TLS tunnel carries is allowed by client-sip-tls-443-external and
     * client-psom-443-external alike. The note had said "the rules count 1 flows more than there are", in the text report
     * and on the HTML page.
     */
    @Test
    void oneFlowMoreIsSaidInTheSingular() throws Exception {
        String topology = "captures/inspect/lookalikes-topology.yaml";
        String report = textReport("captures/inspect/ms-turn-pseudo-tls.pcap", Path.of(topology));
        java.util.regex.Matcher m = several(report);
        assertTrue(m.find(), report);
        assertEquals("1", m.group(1), report);
        assertEquals("1", m.group(2), report);
        assertTrue(report.contains("\n  1 flow counts under more than one rule, so the rules count 1 flow more than there are: "), report);
        assertFalse(java.util.regex.Pattern.compile("\\b1 flows\\b").matcher(report).find(), report);
        String html = analyzeUnder(topology, "ms-turn-pseudo-tls.pcap", "html").text();
        assertTrue(html.contains("1 flow counts under more than one rule, so the rules count 1 flow more than there are: "), html);
        assertFalse(java.util.regex.Pattern.compile("\\b1 flows\\b").matcher(html).find(), html);
    }

    /** The coverage's note on flows under several rules: group 1 the flows, group 2 the counts beyond their first rule. */
    private static java.util.regex.Matcher several(String report) {
        return java.util.regex.Pattern.compile("\n  (\\d+) flows? counts? under more than one rule, so the rules count (\\d+) flows?"
                + " more than there are: where the catalog cites the same traffic more than once \\(the same roles, transport, port and protocol\\),"
                + " each of those rules counts it\n").matcher(report);
    }

    /**
     * A flow counts in the coverage for every rule that allows it alike (its roles, transport, port, and a protocol
     * checked the same way), not for the record's rule alone: the catalog cites some traffic twice, and the second
     * rule showed 0 flows though the traffic was there. T1 of tls.pcap (the Edge's MTLS with a client certificate)
     * to the Front End's address given the Director's role: dir-sip-mtls-5061 (Required Server Ports row 45) and
     * dir-sip-mtls-5061-from-edge (Single Director row 6). tcpdump's DHCP capture with every host a client:
     * client-dhcp-67 and device-dhcp-67. The record's rule is still the first.
     */
    @Test
    void aFlowCountsForEveryRuleThatAllowsItAlike() throws Exception {
        Path dir = Files.createTempDirectory("pm-coverage");
        Path director = dir.resolve("director.yaml");
        String text = Files.readString(Path.of(TOPOLOGY));
        String fe = "front-end: [127.5.1.10/32, 127.5.1.11/32]";
        String dr = "director: [127.5.2.10/32]";
        assertTrue(text.contains(fe) && text.contains(dr), text);
        Files.writeString(director, text.replace(fe, "front-end: [127.5.1.11/32]").replace(dr, "director: [127.5.2.10/32, 127.5.1.10/32]"));
        String report = textReport("captures/inspect/tls.pcap", director);
        int coverage = report.indexOf("CATALOG COVERAGE: ");
        assertTrue(coverage > 0, report);
        assertTrue(java.util.regex.Pattern.compile("\n  dir-sip-mtls-5061-from-edge +tcp/5061 +director +1 ").matcher(report).find(coverage),
                report);
        Analysis a = analyzeWith("tls.pcap", fe + "\n  " + dr, "front-end: [127.5.1.11/32]\n  director: [127.5.2.10/32, 127.5.1.10/32]");
        assertFlow(a.one(EDGE, "tcp", 5061), "expected", "tls", "dir-sip-mtls-5061");

        Path clients = dir.resolve("every-host-a-client.yaml");
        Files.writeString(clients, "roles:\n  client: [0.0.0.0/0]\n");
        String dhcp = textReport("../shared/corpus/tcpdump-tests/dhcp-rfc3004.pcap", clients);
        for (String rule : List.of("client-dhcp-67", "device-dhcp-67")) {
            assertTrue(java.util.regex.Pattern.compile("\n  " + rule + " +udp/67 +any +2 ").matcher(dhcp).find(), rule + " in " + dhcp);
        }
    }

    @Test
    void aRolePairReasonNamesTheInitiatorsOfEveryRuleServingThePort() throws Exception {
        // T7 (the Director's HTTPS to the Front End's 444) with the Director's address given Persistent Chat's
        // role: three rules serve 444 on a Front End, from front-end and director (two) and from Survivable
        // Branch Appliances. The reason named the first rule's initiators only.
        Analysis a = analyzeWith("tls.pcap", "director: [127.5.2.10/32]", "persistent-chat: [127.5.2.10/32]");
        JsonNode t7 = a.one(DIRECTOR, "tcp", 444);
        assertEquals("unexpected_role_pair", t7.get("verdict").asText(), t7.toString());
        String reason = t7.get("reason").asText();
        assertTrue(reason.startsWith("TCP 444 on front-end is documented only from front-end, director, survivable-branch-appliance,"
                + " not from persistent-chat (rule fe-https-444, "), reason);
        assertTrue(reason.contains("; also rules fe-tcp-444-sba, fe-https-444-from-director)"), reason);
    }

    @Test
    void sshOnAPortDocumentedAsTlsIsNotCalledUnencrypted() throws Exception {
        // O2 (OpenSSH to the Front End's 22) under a catalog documenting TLS there: the wrong protocol, and
        // an encrypted one; the reason said "The connection is not encrypted".
        Path dir = Files.createTempDirectory("pm-catalog");
        Path catalog = dir.resolve("catalog.yaml");
        try (java.io.InputStream in = Main.class.getResourceAsStream("/org/portmatrix/classify/catalog.yaml")) {
            Files.writeString(catalog, new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    + "\n  - {id: test-tls-22, src: [client], dst: [front-end], transport: tcp, port: 22, protocol: tls}\n");
        }
        Analysis a = analyze("others.pcap", "jsonl", "--catalog", catalog.toString());
        JsonNode ssh = a.one("127.5.10.25", "tcp", 22);
        assertFlow(ssh, "protocol_mismatch", "ssh", "test-tls-22");
        String reason = ssh.get("reason").asText();
        assertTrue(reason.contains("the wire shows SSH identification SSH-2.0-OpenSSH"), reason);
        assertFalse(reason.contains("not encrypted") || reason.contains("cleartext"), reason);
    }

    /**
     * tls-ca-list.pcap (record-tls-ca-list.sh): a server asking for the client certificate with a CertificateRequest
     * that names 250 CAs (45 KB, as Windows' Schannel names every root it trusts), its first flight in 32 segments:
     * the handshake is followed to the client's certificate, expected, the request seen. Past the 8 payloads a
     * protocol is told by, the client's Certificate was never reached: unverifiable, "the handshake ran past the 8
     * payloads", for every MTLS flow of such a server; and a CertificateRequest longer than what the inspector
     * keeps was not counted as one (certificate_request null).
     */
    @Test
    void anMtlsServerNamingEveryCaItTrustsIsChecked() throws Exception {
        List<JsonNode> flows = onSampleTopology("tls-ca-list.pcap", "--format", "jsonl");
        assertEquals(1, flows.size(), flows.toString());
        JsonNode f = flows.get(0);
        assertEquals("expected", f.get("verdict").asText(), f.toString());
        assertTrue(f.get("tls").get("certificate_request").asBoolean(), f.toString());
        assertEquals("present", f.get("tls").get("client_certificate").asText());
        assertTrue(f.get("reason").asText().contains("with a client certificate (CN=edge01.contoso.test"), f.toString());
    }

    /**
     * media-then-other.pcap (record-media-then-other.sh): a STUN Binding Request answered by coturn on the Edge's 3478, then
     * an SSH banner's text on the same 5-tuple; four RTP packets to a Front End's audio port, then an HTTP request line's
     * text from the same port. Both had been expected on their first STUN message or RTP packets, whatever followed them
     * (the inspector had decided, and looked at nothing more). Datagrams whose first byte is none of the protocols that
     * share a media 5-tuple (RFC 7983) make them protocol_mismatch; RTP alone to the next port stays expected.
     */
    @Test
    void stunOrRtpFollowedByAnotherProtocolIsAMismatch() throws Exception {
        java.util.Map<Integer, JsonNode> by = new java.util.HashMap<>();
        for (JsonNode f : onSampleTopology("media-then-other.pcap", "--format", "jsonl")) {
            by.put(f.get("dst_port").asInt(), f);
        }
        assertEquals(java.util.Set.of(3478, 50010, 50012), by.keySet());
        JsonNode stun = by.get(3478);
        assertEquals("protocol_mismatch", stun.get("verdict").asText(), stun.toString());
        assertEquals("stun", stun.get("app_protocol").asText(), stun.toString());
        assertEquals("UDP 3478 from client to edge-internal is documented as STUN (rule client-stun-udp-3478, Clients; seed: Required"
                + " Client Ports, row 5), but the wire shows STUN Binding Request, then a datagram that is none of the protocols"
                + " that share a media flow (STUN, TURN ChannelData, DTLS, ZRTP, RTP and RTCP; RFC 7983), its first byte 0x53."
                + " Find out which program sends it.", stun.get("reason").asText());
        JsonNode rtp = by.get(50010);
        assertEquals("protocol_mismatch", rtp.get("verdict").asText(), rtp.toString());
        assertEquals("rtp", rtp.get("app_protocol").asText(), rtp.toString());
        assertTrue(rtp.get("reason").asText().contains("3 packets in sequence, then a datagram that is none of the protocols that share a"
                + " media flow (STUN, TURN ChannelData, DTLS, ZRTP, RTP and RTCP; RFC 7983), its first byte 0x47."), rtp.toString());
        assertEquals("expected", by.get(50012).get("verdict").asText(), by.get(50012).toString());
    }

    /**
     * turn-channels.pcap (record-turn-channels.sh): RTP relayed through coturn on the Edge's 3478 in TURN ChannelData, after
     * an Allocate and a ChannelBind, on channel 0x6f28 (RFC 5766's range, 0x4000-0x7FFF, which coturn binds and its own client
     * uses) and on 0x4001 (RFC 8656's). The ChannelData of 0x6f28, first byte 0x6f, had been "none of the protocols that
     * share a media flow": protocol_mismatch on a TURN relay working as documented. Both are expected, as are the relayed
     * RTP flows to the peer.
     */
    @Test
    void turnChannelDataOnAnRfc5766ChannelSharesTheMediaFlow() throws Exception {
        List<JsonNode> flows = onSampleTopology("turn-channels.pcap", "--format", "jsonl");
        assertEquals(4, flows.size(), flows.toString());
        int relayed = 0;
        for (JsonNode f : flows) {
            assertEquals("expected", f.get("verdict").asText(), f.toString());
            if (f.get("dst_port").asInt() == 3478) {
                assertEquals("stun", f.get("app_protocol").asText(), f.toString());
                assertTrue(f.get("packets_fwd").asInt() >= 12, f.toString()); // (the ChannelData within the 8 looked at)
            } else {
                assertEquals("rtp", f.get("app_protocol").asText(), f.toString());
                relayed++;
            }
        }
        assertEquals(2, relayed, flows.toString());
    }

    /**
     * turn-midsession.pcap (record-turn-channels.sh: turn-channels.pcap from its 8th packet, as a capture started during the
     * call): the first client's TURN ChannelData without its Allocate and ChannelBind, the relay's first (its direction
     * inferred). Each datagram is a whole ChannelData message carrying RTP, as tshark decodes it on 3478; it had been "a
     * payload that is none of the protocols portmatrix recognises", protocol_mismatch on an Edge relaying as documented
     * (unverifiable before, "the capture starts in the middle", only while the relay's datagram came first). The second
     * client's call, whole, is as in turn-channels.pcap.
     */
    @Test
    void turnChannelDataWhoseChannelBindTheCaptureLacksIsTurn() throws Exception {
        List<JsonNode> flows = onSampleTopology("turn-midsession.pcap", "--format", "jsonl");
        assertEquals(4, flows.size(), flows.toString());
        for (JsonNode f : flows) {
            assertEquals("expected", f.get("verdict").asText(), f.toString());
            if (f.get("src_port").asInt() == 50060) {
                assertTrue(f.get("direction_inferred").asBoolean(), f.toString());
                assertEquals("stun", f.get("app_protocol").asText(), f.toString());
                assertTrue(f.get("reason").asText().contains("the wire shows TURN ChannelData on channel 0x6f28 carrying RTP or RTCP, its"
                        + " ChannelBind not in the capture."), f.toString());
            }
        }
    }

    /**
     * tls-cleartext-server.pcap (record-tls-cleartext-server.sh): a client's ClientHello to a Front End port documented as
     * TLS, answered in cleartext by the listener there (Python's http.server on 443: "HTTP/1.0 400"; a SIP 400 line on
     * 5061). The client spoke TLS, the server does not: protocol_mismatch. Both had been expected, "the wire shows TLS
     * (handshake not complete)", the ClientHello alone taken for the port's TLS. The MTLS port's banner of tls-edges.pcap
     * (a director's) is the same mismatch, no longer unverifiable.
     */
    @Test
    void aTlsPortWhoseServerAnswersInCleartextIsAMismatch() throws Exception {
        java.util.Map<Integer, JsonNode> by = new java.util.HashMap<>();
        for (JsonNode f : onSampleTopology("tls-cleartext-server.pcap", "--format", "jsonl")) {
            by.put(f.get("dst_port").asInt(), f);
        }
        assertEquals(java.util.Set.of(443, 5061), by.keySet());
        for (int port : new int[] {443, 5061}) {
            JsonNode f = by.get(port);
            assertEquals("protocol_mismatch", f.get("verdict").asText(), f.toString());
            assertEquals("tls", f.get("app_protocol").asText(), f.toString());
            assertTrue(f.get("reason").asText().contains("but the server answered the client's TLS ClientHello with something that is not TLS"),
                    f.toString());
        }
        assertTrue(by.get(443).get("reason").asText().startsWith("TCP 443 from client to front-end is documented as HTTPS (rule fe-web-https-443"),
                by.get(443).toString());
        assertTrue(by.get(5061).get("reason").asText().startsWith("TCP 5061 from client to front-end is documented as TLS (rule"
                + " fe-sip-tls-5061-client"), by.get(5061).toString());
        JsonNode banner = null;
        for (JsonNode f : onSampleTopology("tls-edges.pcap", "--format", "jsonl")) {
            if (f.get("src_ip").asText().equals("127.0.2.10")) {
                banner = f;
            }
        }
        assertEquals("protocol_mismatch", banner.get("verdict").asText(), String.valueOf(banner));
        assertTrue(banner.get("reason").asText().startsWith("TCP 5061 from director to front-end is documented as MTLS (rule fe-sip-mtls-5061"),
                banner.toString());
        assertTrue(banner.get("reason").asText().contains("but the server answered the client's TLS ClientHello with something that is not TLS"),
                banner.toString());
    }

    /**
     * tls-ca-list.pcap (record-tls-ca-list.sh) with the server's first segment (its ServerHello's) missing from the
     * capture, or after its second (lost on the way and sent again, as a capture at the client's end shows it; so in
     * tls-server-lost.pcap, where a router lost it): the server's first bytes seen are from the middle of its handshake
     * record, not a TLS record's start. The client went on with its handshake (its certificate, ChangeCipherSpec): its
     * server answered in TLS. All three had been protocol_mismatch, "the server answered the client's TLS ClientHello with
     * something that is not TLS: the program listening there does not speak TLS"; they are expected, as the captures
     * whole are.
     */
    @Test
    void aServerAnswerMissingOrOutOfOrderIsNoCleartextServer() throws Exception {
        String capture = "captures/inspect/tls-ca-list.pcap";
        Process p = new ProcessBuilder("tshark", "-n", "-r", capture, "-Y", "tcp.srcport == 5061 && tcp.len > 0", "-T", "fields",
                "-e", "frame.number").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<Integer> frames = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().map(Integer::parseInt).toList();
        assertEquals(0, p.waitFor());
        int first = frames.get(0);
        int second = frames.get(1);
        Path dir = Files.createTempDirectory("pm-server-lost");
        List<String> merge = new ArrayList<>(List.of("mergecap", "-a", "-F", "pcap", "-w", dir.resolve("swapped.pcap").toString()));
        String[] parts = {"1-" + (first - 1), (first + 1) + "-" + second, Integer.toString(first), (second + 1) + "-1000000"};
        for (int i = 0; i < parts.length; i++) {
            Path part = dir.resolve("part" + i + ".pcap");
            assertEquals(0, new ProcessBuilder("editcap", "-r", capture, part.toString(), parts[i]).inheritIO().start().waitFor());
            merge.add(part.toString());
        }
        assertEquals(0, new ProcessBuilder(merge).inheritIO().start().waitFor());
        List<JsonNode> lost = analyzeEdited("captures/sample-topology.yaml", capture, Integer.toString(first));
        List<JsonNode> swapped = analyzeEdited("captures/sample-topology.yaml", dir.resolve("swapped.pcap").toString());
        for (List<JsonNode> flows : List.of(lost, swapped)) {
            assertEquals(1, flows.size(), flows.toString());
            JsonNode f = flows.get(0);
            assertEquals("expected", f.get("verdict").asText(), f.toString());
            assertEquals("present", f.get("tls").get("client_certificate").asText(), f.toString());
            assertFalse(f.get("reason").asText().contains("not TLS"), f.toString());
        }
        // tls-server-lost.pcap (record-tls-server-lost.sh): the same on the wire, a router dropping the server's first
        // segment once: at the client's end its second segment comes first, then the first sent again.
        Path topology = dir.resolve("topology.yaml");
        Files.writeString(topology, "roles:\n  front-end: [198.51.100.10/32]\n  client: [192.0.2.0/24]\n");
        List<JsonNode> resent = analyzeEdited(topology.toString(), "captures/inspect/tls-server-lost.pcap");
        assertEquals(1, resent.size(), resent.toString());
        JsonNode f = resent.get(0);
        assertEquals("expected", f.get("verdict").asText(), f.toString());
        assertTrue(f.get("reason").asText().startsWith("TCP 443 from client to front-end is documented as HTTPS (rule fe-web-https-443"),
                f.toString());
        // The second segment held until the first came: the answer is read whole, its certificate with it (none had been).
        assertEquals(1, f.get("tls").get("server_certificates").size(), f.toString());
        assertEquals("CN=pool01.contoso.test,O=Contoso Test", f.get("tls").get("server_certificates").get(0).get("subject").asText());
    }

    /**
     * tls-edges.pcap (record-tls-edges.sh): MTLS handshakes whose client certificate the capture cannot show
     * say why (its server answering the ClientHello in cleartext is a mismatch:
     * aTlsPortWhoseServerAnswersInCleartextIsAMismatch); one whose Certificate's first segment is missing says packets are.
     * A chain whose two Certificate segments come swapped had said so too (none is): the second is held until the first
     * comes, and the chain is expected, as in order; so is a 19 KB client certificate, whose flight in 14 segments ran
     * past the 8 payloads inspected per direction before a TLS handshake was followed over 64.
     */
    @Test
    void anMtlsHandshakeTheCaptureCannotShowSaysWhy() throws Exception {
        String edges = "captures/inspect/tls-edges.pcap";
        java.util.Map<String, JsonNode> by = new java.util.HashMap<>();
        for (JsonNode f : onSampleTopology("tls-edges.pcap", "--format", "jsonl")) {
            by.put(f.get("src_ip").asText(), f);
        }
        assertEquals("expected", by.get("127.0.4.10").get("verdict").asText(), by.get("127.0.4.10").toString());
        assertEquals("present", by.get("127.0.4.10").get("tls").get("client_certificate").asText());
        assertEquals("expected", by.get("127.0.3.10").get("verdict").asText(), by.get("127.0.3.10").toString());

        // The chain's client payloads (tshark): the ClientHello, then the Certificate in two segments; swap those two.
        Process p = new ProcessBuilder("tshark", "-n", "-r", edges, "-Y", "ip.src == 127.0.3.10 && tcp.len > 0", "-T", "fields",
                "-e", "frame.number").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<Integer> frames = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().map(Integer::parseInt).toList();
        assertEquals(0, p.waitFor());
        int first = frames.get(1);
        int second = frames.get(2);
        assertEquals(first + 1, second, "the Certificate's two segments are consecutive frames: " + frames);
        Path dir = Files.createTempDirectory("pm-swapped");
        List<String> merge = new ArrayList<>(List.of("mergecap", "-a", "-F", "pcap", "-w", dir.resolve("swapped.pcap").toString()));
        String[][] parts = {{"1-" + (first - 1)}, {Integer.toString(second)}, {Integer.toString(first)}, {(second + 1) + "-1000000"}};
        for (int i = 0; i < parts.length; i++) {
            Path part = dir.resolve("part" + i + ".pcap");
            assertEquals(0, new ProcessBuilder("editcap", "-r", edges, part.toString(), parts[i][0]).inheritIO().start().waitFor());
            merge.add(part.toString());
        }
        assertEquals(0, new ProcessBuilder(merge).inheritIO().start().waitFor());
        JsonNode swapped = analyzeEdited("captures/sample-topology.yaml", dir.resolve("swapped.pcap").toString()).stream()
                .filter(f -> f.get("src_ip").asText().equals("127.0.3.10")).findFirst().orElseThrow();
        assertEquals("expected", swapped.get("verdict").asText(), swapped.toString());
        assertEquals("present", swapped.get("tls").get("client_certificate").asText(), swapped.toString());
        // The Certificate's first segment missing (its second held ahead of the gap, which nothing fills): that says why.
        JsonNode missing = analyzeEdited("captures/sample-topology.yaml", edges, Integer.toString(first)).stream()
                .filter(f -> f.get("src_ip").asText().equals("127.0.3.10")).findFirst().orElseThrow();
        assertEquals("unverifiable", missing.get("verdict").asText(), missing.toString());
        assertTrue(missing.get("reason").asText().endsWith("packets of the handshake are missing from the capture, or came out of order."),
                missing.toString());
    }

    /** The flows of a capture as editcap leaves it: {@code options} (editcap's), {@code frames} the frames it deletes. */
    static List<JsonNode> analyzeEdited(String topology, String capture, String... frames) throws Exception {
        return analyzeEdited(topology, new String[0], capture, frames);
    }

    static List<JsonNode> analyzeEdited(String topology, String[] options, String capture, String... frames) throws Exception {
        Path edited = Files.createTempDirectory("pm-edited").resolve("edited.pcap");
        List<String> command = new ArrayList<>(List.of("editcap"));
        command.addAll(List.of(options));
        command.addAll(List.of(capture, edited.toString()));
        command.addAll(List.of(frames));
        assertEquals(0, new ProcessBuilder(command).inheritIO().start().waitFor(), command.toString());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8)).run(new String[] {"analyze", edited.toString(), "--topology", topology, "--format", "jsonl"});
        assertTrue(status == 0, "status " + status);
        List<JsonNode> flows = new ArrayList<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            flows.add(new ObjectMapper().readTree(line));
        }
        return flows;
    }

    /**
     * The sample as tcpdump -s 96 would have taken it: the SIP INVITE's request line is cut. It was read as a payload of
     * no known protocol (protocol_mismatch on the port documented for SIP), then as "not SIP" for the whole flow, so
     * that the server's whole status line was never looked at (unverifiable); the start of a request line is now
     * "need more", and the response tells SIP.
     */
    @Test
    void aSnapLengthThatCutsTheRequestLineLetsTheResponseTellSip() throws Exception {
        List<JsonNode> flows = analyzeEdited("captures/sample-topology.yaml", new String[] {"-s", "96"}, "captures/sample.pcap");
        java.util.Map<String, JsonNode> by = new java.util.HashMap<>();
        for (JsonNode f : flows) {
            by.put(f.get("src_ip").asText() + " " + f.get("transport").asText() + "/" + f.get("dst_port").asInt(), f);
        }
        JsonNode sip = by.get("127.0.4.10 tcp/5060");
        assertFlow(sip, "expected", "sip", "fe-sip-tcp-5060");
        assertTrue(sip.get("reason").asText().contains("the wire shows SIP 1"), sip.toString()); // a provisional response
        JsonNode mtls = by.get("127.0.3.10 tcp/5061");
        assertEquals("unverifiable", mtls.get("verdict").asText(), mtls.toString());
        assertTrue(mtls.get("reason").asText().endsWith("the capture's snap length cut the handshake's packets."), mtls.toString());
        // Not TLS is told from a record's first five bytes, cut or not: the cleartext SIP on 5061 stays a mismatch.
        assertEquals("protocol_mismatch", by.get("127.0.4.10 tcp/5061").get("verdict").asText());
    }

    /**
     * The Community ID spec's tcp.pcap, taken with a 96-byte snap length: the GET's request line is cut (30 of its 496
     * bytes), and the server's "HTTP/1.1 200 OK" (tshark's HTTP response) tells HTTP. The cut request had ruled HTTP
     * out for the flow: unverifiable, "the capture's snap length cut the payload".
     */
    @Test
    void aCutHttpRequestIsToldByItsResponse() throws Exception {
        String capture = "../shared/corpus/community-id/tcp.pcap";
        Process p = new ProcessBuilder("tshark", "-r", capture, "-Y", "http.response.code == 200", "-T", "fields", "-e", "frame.number")
                .redirectErrorStream(false).start();
        String responses = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor());
        assertEquals("6", responses, "tshark's HTTP response");
        Path topology = Files.createTempFile("pm-cid", ".yaml");
        Files.writeString(topology, "roles:\n  front-end: [66.35.250.204/32]\n  client: [128.232.110.0/24]\n");
        List<JsonNode> flows = analyzeEdited(topology.toString(), capture);
        assertEquals(1, flows.size(), flows.toString());
        assertFlow(flows.get(0), "expected", "http", "fe-web-http-80");
        assertTrue(flows.get(0).get("reason").asText().endsWith("the wire shows HTTP response 200."), flows.get(0).toString());
    }

    /**
     * tcpdump's eapon1.pcap: NetBIOS Name Service registrations and queries on udp/137 (tshark: NBNS) reuse DNS's header
     * and question layout (RFC 1002), and were named dns.
     */
    @Test
    void netbiosNameServiceIsNotDns() throws Exception {
        String capture = "../shared/corpus/tcpdump-tests/eapon1.pcap";
        Process p = new ProcessBuilder("tshark", "-r", capture, "-Y", "nbns", "-T", "fields", "-e", "udp.dstport").start();
        List<String> nbns = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().distinct().toList();
        assertEquals(0, p.waitFor());
        assertEquals(List.of("137"), nbns, "tshark's NBNS packets");
        Path topology = Files.createTempFile("pm-eapon1", ".yaml");
        Files.writeString(topology, "roles:\n  client: [10.255.255.0/24]\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8)).run(new String[] {"analyze", capture, "--topology", topology.toString(), "--format", "jsonl",
                    "--all-flows"});
        assertTrue(status == 0 || status == 1, "status " + status);
        int seen = 0;
        for (String line : out.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList()) {
            JsonNode f = new ObjectMapper().readTree(line);
            if (f.get("dst_port").asInt() == 137) {
                seen++;
                assertTrue(f.get("app_protocol").isNull(), f.toString());
            }
        }
        assertTrue(seen > 0, "NBNS flows in " + capture);
    }

    /**
     * Cut to 5, 6 and 7 bytes of payload (editcap -s 71..73), the cleartext OPTIONS to the MTLS port 5061
     * ("OPTIO") could still be HTTP, but cannot be TLS, whose record is told by its first five bytes:
     * protocol_mismatch, as from 8 bytes on (it was unverifiable). TLS cut to its record header stays
     * unverifiable; so does SIP cut to 2 bytes (-s 68, tcpdump's old default) on the SIP port 5060, which
     * a whole first line tells, not its first bytes (the SIP inspector leaves a payload without one).
     */
    @Test
    void aPayloadCutShortThatCannotBeTlsIsAMismatchOnATlsPort() throws Exception {
        List<JsonNode> two = analyzeEdited("captures/sample-topology.yaml", new String[] {"-s", "68"}, "captures/sample.pcap");
        JsonNode invite = two.stream().filter(f -> f.get("dst_port").asInt() == 5060 && f.get("transport").asText().equals("tcp"))
                .findFirst().orElseThrow();
        assertEquals("unverifiable", invite.get("verdict").asText(), invite.toString());
        for (String snap : List.of("71", "72", "73")) {
            List<JsonNode> flows = analyzeEdited("captures/sample-topology.yaml", new String[] {"-s", snap}, "captures/sample.pcap");
            java.util.Map<String, JsonNode> by = new java.util.HashMap<>();
            for (JsonNode f : flows) {
                by.put(f.get("src_ip").asText() + " " + f.get("transport").asText() + "/" + f.get("dst_port").asInt(), f);
            }
            JsonNode options = by.get("127.0.4.10 tcp/5061");
            assertEquals("protocol_mismatch", options.get("verdict").asText(), snap + ": " + options);
            assertTrue(options.get("reason").asText().contains("but the wire shows a payload that cannot be TLS: its first bytes rule "
                    + "that out, though the capture's snap length cut the payload before it could be recognised."), options.toString());
            JsonNode mtls = by.get("127.0.3.10 tcp/5061");
            assertEquals("unverifiable", mtls.get("verdict").asText(), snap + ": " + mtls);
        }
    }

    /**
     * media.pcap as a 60-byte snap length takes it: coturn's STUN Binding Request keeps 18 of its bytes,
     * too few for its length to cover the datagram. It was "none of the protocols portmatrix recognises",
     * protocol_mismatch on the STUN port; the magic cookie (bytes 4-7) still tells a cut STUN message.
     */
    @Test
    void aSnapLengthThatCutsAStunMessageStillTellsItByItsMagicCookie() throws Exception {
        List<JsonNode> flows = analyzeEdited(TOPOLOGY, new String[] {"-s", "60"}, "captures/inspect/media.pcap");
        JsonNode stun = flows.stream().filter(f -> f.get("transport").asText().equals("udp") && f.get("dst_port").asInt() == 3478)
                .findFirst().orElseThrow();
        assertFlow(stun, "expected", "stun", "client-stun-udp-3478");
        assertTrue(stun.get("reason").asText().endsWith("and the wire shows STUN Binding Request."), stun.toString());
    }

    /**
     * media.pcap as a 46-byte snap length takes it: 4 bytes of each datagram, too few for STUN's magic
     * cookie or RTP's header. The STUN and RTP flows were protocol_mismatch, "none of the protocols
     * portmatrix recognises"; they cannot be told.
     */
    @Test
    void aSnapLengthThatLeavesFewerBytesThanAHeaderLeavesBinaryProtocolsUnverified() throws Exception {
        List<JsonNode> flows = analyzeEdited(TOPOLOGY, new String[] {"-s", "46"}, "captures/inspect/media.pcap");
        int documented = 0;
        for (JsonNode f : flows) {
            assertFalse(f.get("verdict").asText().equals("protocol_mismatch"), f.toString());
            if (f.get("rule").isTextual()) {
                documented++;
                assertEquals("unverifiable", f.get("verdict").asText(), f.toString());
                assertTrue(f.get("reason").asText().endsWith("the capture's snap length cut the payload before it could be recognised."),
                        f.toString());
            }
        }
        assertTrue(documented >= 3, "STUN and RTP on documented ports: " + flows);
    }

    /**
     * tcpdump's DHCP capture (RFC 3004 user class) as a 96-byte snap length takes it: the magic cookie at
     * byte 236 is cut off, the BOOTP header's start is there. It was protocol_mismatch, "none of the
     * protocols portmatrix recognises", on the DHCP port; it cannot be told.
     */
    @Test
    void aSnapLengthThatCutsDhcpBeforeItsCookieLeavesItUnverified() throws Exception {
        Path topology = Files.createTempDirectory("pm-dhcp").resolve("every-host-a-client.yaml");
        Files.writeString(topology, "roles:\n  client: [0.0.0.0/0]\n");
        List<JsonNode> flows = analyzeEdited(topology.toString(), new String[] {"-s", "96"}, "../shared/corpus/tcpdump-tests/dhcp-rfc3004.pcap");
        JsonNode dhcp = flows.stream().filter(f -> f.get("dst_port").asInt() == 67).findFirst().orElseThrow();
        assertEquals("unverifiable", dhcp.get("verdict").asText(), dhcp.toString());
        assertEquals("client-dhcp-67", dhcp.get("rule").asText(), dhcp.toString());
        assertTrue(dhcp.get("reason").asText().endsWith("the capture's snap length cut the payload before it could be recognised."),
                dhcp.toString());
    }

    /**
     * Only the end of T1's MTLS connection (the packets after its last payload: FINs and ACKs), as a capture
     * started while it ran would hold it: unverifiable. It was "expected ... No payload was seen", counted as
     * compliant, while the same tail with one payload packet was unverifiable.
     */
    @Test
    void theTailOfAnMtlsConnectionIsUnverifiableNotExpected() throws Exception {
        String tls = "captures/inspect/tls.pcap";
        int lastPayload = lastFrame(tls, "tcp.stream == 0 && tcp.len > 0");
        int last = lastFrame(tls, "tcp.stream == 0");
        assertTrue(last > lastPayload + 1, "T1 ends with packets without payload: " + lastPayload + ", " + last);
        List<JsonNode> flows = analyzeEdited(TOPOLOGY, new String[] {"-r"}, tls, (lastPayload + 1) + "-" + last);
        assertEquals(1, flows.size(), flows.toString());
        JsonNode tail = flows.get(0);
        assertEquals("unverifiable", tail.get("verdict").asText(), tail.toString());
        assertEquals("fe-sip-mtls-5061", tail.get("rule").asText(), tail.toString());
        assertTrue(tail.get("reason").asText().endsWith("but only the end of the connection is in this flow (no handshake, no payload: it"
                + " began before the capture did, or an idle timeout ended its first part), so the protocol on the wire cannot be checked."),
                tail.toString());
    }

    /**
     * tls.pcap as a header-only snap length (66 bytes: Ethernet, IPv4 and TCP with timestamps) takes it
     * (and media.pcap at 42 bytes, UDP's):
     * every TLS handshake is on the wire, none of it captured. Every flow on a port whose rule documents
     * a protocol was "expected ... No payload was seen", where a 96-byte snap length, keeping a few
     * bytes, made the same flows unverifiable.
     */
    @Test
    void aHeaderOnlyCaptureLeavesDocumentedProtocolsUnverified() throws Exception {
        List<JsonNode> flows = analyzeEdited(TOPOLOGY, new String[] {"-s", "66"}, "captures/inspect/tls.pcap");
        assertFalse(flows.isEmpty());
        for (JsonNode f : flows) {
            assertEquals("unverifiable", f.get("verdict").asText(), f.toString());
            assertTrue(f.get("reason").asText().endsWith("the capture's snap length cut the payload before it could be recognised."),
                    f.toString());
        }
        // UDP the same way (42 bytes: Ethernet, IPv4, UDP): STUN and RTP on their documented ports cannot be told.
        List<JsonNode> media = analyzeEdited(TOPOLOGY, new String[] {"-s", "42"}, "captures/inspect/media.pcap");
        for (int port : new int[] {3478, 50000, 50002}) {
            JsonNode f = media.stream().filter(r -> r.get("transport").asText().equals("udp") && r.get("dst_port").asInt() == port)
                    .findFirst().orElseThrow();
            assertEquals("unverifiable", f.get("verdict").asText(), f.toString());
        }
    }

    /** The number of the last frame of {@code capture} that tshark's display filter {@code filter} keeps. */
    private static int lastFrame(String capture, String filter) throws Exception {
        Process p = new ProcessBuilder("tshark", "-n", "-r", capture, "-Y", filter, "-T", "fields", "-e", "frame.number")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        return out.lines().filter(l -> !l.isBlank()).mapToInt(Integer::parseInt).max().orElseThrow();
    }

    @Test
    void aUdpSipCallWhoseInviteWasMissedKeepsItsCaller() throws Exception {
        // The capture without the UDP call's INVITE (frame 17; editcap): its first packet is the 180 from
        // the Front End's 5060. It was read as the start (the Front End calling the client's port 35062, a
        // media rule, protocol_mismatch); SIP's port is the responder's over UDP as over TCP.
        List<JsonNode> flows = analyzeEdited(TOPOLOGY, "captures/inspect/sip.pcap", "17");
        JsonNode s2 = null;
        for (JsonNode f : flows) {
            if (f.get("transport").asText().equals("udp")) {
                s2 = f;
            }
        }
        assertNotNull(s2);
        assertEquals("127.5.10.24", s2.get("src_ip").asText(), s2.toString());
        assertEquals(5060, s2.get("dst_port").asInt(), s2.toString());
        assertTrue(s2.get("direction_inferred").asBoolean(), s2.toString());
        assertFlow(s2, "unexpected_port", "sip", null);
        assertEquals(2, s2.get("packets_fwd").asInt(), "ACK and BYE from the caller: " + s2);
        assertEquals(3, s2.get("packets_rev").asInt(), "180, 200, 200 from the Front End: " + s2);
    }

    @Test
    void mediaCaptureChecksStunTurnAndRtp() throws Exception {
        Analysis a = analyze("media.pcap", "jsonl");
        // M1: turnutils_stunclient to coturn over UDP 3478.
        JsonNode m1 = a.one("127.5.10.21", "udp", 3478);
        assertFlow(m1, "expected", "stun", "client-stun-udp-3478");
        assertTrue(m1.get("reason").asText().contains("STUN Binding Request"), m1.toString());
        // M2: turnutils_uclient over TCP 443: every connection carries TURN (STUN-framed) messages.
        // Three rules document client -> Edge TCP 443 (TLS, PSOM, STUN, in that catalog order):
        // the flow matches all three, and the check names the one whose protocol is on the wire.
        List<JsonNode> m2 = a.all("127.5.10.22", "tcp", 443);
        assertTrue(m2.size() >= 2, m2.toString());
        for (JsonNode f : m2) {
            assertFlow(f, "expected", "stun", "client-stun-tcp-443");
        }
        // M3: GStreamer RTP (PCMU) on the audio range.
        JsonNode m3 = a.one("127.5.10.23", "udp", 50000);
        assertFlow(m3, "expected", "rtp", "internal-audio-media-udp-49152-57500");
        assertTrue(m3.get("reason").asText().contains("payload type 0"), m3.toString());
        // M4: the same RTP to a port no rule documents.
        assertFlow(a.one("127.5.10.23", "udp", 6000), "unexpected_port", "rtp", null);
        // M5: HTTP on a media port: the port is documented, the protocol is not media.
        JsonNode m5 = a.one("127.5.10.24", "tcp", 50001);
        assertEquals("protocol_mismatch", m5.get("verdict").asText(), m5.toString());
        assertEquals("http", m5.get("app_protocol").asText());
        assertTrue(m5.get("reason").asText().contains("documented as MEDIA"), m5.toString());
        // M6: GStreamer's rtpmux, one SSRC over PCMU and PCMA packets, some leaving after later ones.
        List<String[]> m6Packets = rtpAsTsharkSeesIt(50002);
        assertEquals(26, m6Packets.size());
        assertEquals(java.util.Set.of("0", "8"), m6Packets.stream().map(r -> r[0]).collect(java.util.stream.Collectors.toSet()),
                "two payload types in the stream");
        boolean late = false;
        for (int i = 1; i < m6Packets.size(); i++) {
            late |= Integer.parseInt(m6Packets.get(i)[1]) < Integer.parseInt(m6Packets.get(i - 1)[1]);
        }
        assertTrue(late, "a packet on the wire after one with a higher sequence number");
        JsonNode m6 = a.one("127.5.10.23", "udp", 50002);
        assertFlow(m6, "expected", "rtp", "internal-audio-media-udp-49152-57500");
        assertEquals(26, m6.get("packets_fwd").asInt(), m6.toString());
        // M7: RTP from the Mediation Server's audio port to the PSTN gateway, whose media ports no rule documents,
        // the Mediation end first: the audio rule read the other way round (it was unexpected_port, "No catalog rule
        // serves UDP 24596 on pstn-gateway", while the same call seen gateway-first was expected).
        JsonNode m7 = a.one(MEDIATION, "udp", 24596);
        assertFlow(m7, "expected", "rtp", "internal-audio-media-udp-49152-57500");
        String why = m7.get("reason").asText();
        assertTrue(why.startsWith("UDP 50030 from pstn-gateway to mediation is documented as MEDIA (rule internal-audio-media-udp-49152-57500")
                && why.endsWith("The first packet came from mediation's end: media flows both ways."), why);
        assertEquals(1 + m2.size() + 5, a.flows().size(), a.flows().toString());
    }

    /** Payload type and sequence number of each RTP packet to the Front End's UDP {@code port} in media.pcap, in capture order. */
    private static List<String[]> rtpAsTsharkSeesIt(int port) throws Exception {
        Process p = new ProcessBuilder("tshark", "-n", "-r", "captures/inspect/media.pcap", "-d", "udp.port==" + port + ",rtp", "-Y",
                "udp.dstport == " + port, "-T", "fields", "-e", "rtp.p_type", "-e", "rtp.seq")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        return out.lines().filter(l -> !l.isBlank()).map(l -> l.split("\t")).toList();
    }

    /**
     * Every packet twice, as two mirror sessions of the same traffic give it (the capture and a copy of
     * it, merged by time; the same file named twice is refused): the media flows keep their protocol
     * and verdict; only their packets double. An RTP packet seen again had made the stream "none of
     * the protocols portmatrix recognises".
     */
    @Test
    void mediaSeenTwiceIsStillMedia() throws Exception {
        Analysis once = analyze("media.pcap", "jsonl");
        Path copy = Files.createTempDirectory("pm-twice").resolve("media-second-session.pcap");
        Files.copy(Path.of("captures/inspect/media.pcap"), copy);
        Analysis twice = analyze("media.pcap", "jsonl", copy.toString());
        for (int port : new int[] {50000, 6000, 50002}) {
            JsonNode one = once.one("127.5.10.23", "udp", port);
            JsonNode two = twice.one("127.5.10.23", "udp", port);
            assertEquals("rtp", two.get("app_protocol").asText(), two.toString());
            assertEquals(one.get("verdict").asText(), two.get("verdict").asText(), two.toString());
            assertEquals(2 * one.get("packets_fwd").asInt(), two.get("packets_fwd").asInt(), two.toString());
        }
        JsonNode stun = twice.one("127.5.10.21", "udp", 3478);
        assertFlow(stun, "expected", "stun", "client-stun-udp-3478");
    }

    @Test
    void othersCaptureNamesTheUsualStrangers() throws Exception {
        Analysis a = analyze("others.pcap", "jsonl");
        assertEquals(8, a.flows().size(), a.flows().toString());
        assertFlow(a.one("127.5.10.21", "tcp", 80), "expected", "http", "fe-web-http-80");
        JsonNode ssh = a.one("127.5.10.25", "tcp", 22);
        assertFlow(ssh, "unexpected_port", "ssh", null);
        assertTrue(ssh.get("reason").asText().contains("On the wire: SSH identification SSH-2.0-OpenSSH"), ssh.toString());
        JsonNode rdp = a.one("127.5.10.22", "tcp", 3389);
        assertFlow(rdp, "unexpected_port", "rdp", null);
        assertTrue(rdp.get("reason").asText().contains("X.224 Connection Request"), rdp.toString());
        assertFlow(a.one(FRONT_END_2, "tcp", 445), "expected", "smb", "fe-cms-smb-445");
        JsonNode rpc = a.one(DIRECTOR, "tcp", 135);
        assertFlow(rpc, "expected", "dcerpc", "fe-dcerpc-135");
        assertTrue(rpc.get("reason").asText().contains("bind to the endpoint mapper"), rpc.toString());
        assertFlow(a.one("127.5.10.23", "tcp", 1433), "unexpected_port", "tds", null);
        JsonNode ssrp = a.one(DIRECTOR, "udp", 1434);
        assertFlow(ssrp, "expected", "ssrp", "all-sql-browser-1434");
        assertTrue(ssrp.get("reason").asText().contains("CLNT_UCAST_EX"), ssrp.toString());
        // O8: a handshake and a close, no payload: the port and role verdict stands, and says so.
        JsonNode empty = a.one(DIRECTOR, "tcp", 5061);
        assertFlow(empty, "expected", null, "fe-sip-mtls-5061");
        assertTrue(empty.get("reason").asText().endsWith("No payload was seen, so the protocol on the wire was not checked."),
                empty.toString());
    }

    @Test
    void sampleCaptureFlagsTheCleartextSipOnTheTlsPort() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8)).run(new String[] {"analyze", "captures/sample.pcap", "--topology",
                    "captures/sample-topology.yaml", "--format", "jsonl"});
        assertTrue(status == 0 || status == 1, "exit status " + status);
        ObjectMapper m = new ObjectMapper();
        int mismatches = 0;
        String text = out.toString(StandardCharsets.UTF_8);
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode f = m.readTree(line);
            if (f.get("dst_port").asInt() == 5061 && f.get("src_ip").asText().equals("127.0.4.10")) {
                assertFlow(f, "protocol_mismatch", "sip", "fe-sip-mtls-5061");
                mismatches++;
            }
            if (f.get("src_ip").asText().equals("127.0.3.10")) {
                assertFlow(f, "expected", "tls", "fe-sip-mtls-5061");
            }
        }
        assertEquals(1, mismatches, text);
    }

    /**
     * lookalikes.pcap (record-lookalikes.sh, lookalikes-topology.yaml): DTLS-SRTP (RFC 5764) between two GStreamer
     * pipelines is media on the Mediation Server's media port, its DTLS handshake passed over as STUN is (RFC 7983)
     * and not counted in the budget (its datagrams of at most 286 bytes, 7 one way and 10 the other, came before the
     * SRTP); DTLS-SRTP's keying with data after it (openssl's -use_srtp on both ends) is unverifiable on a media port, as
     * the keying alone is; QUIC and SNMP on a media port, NTP and WireGuard on the Edge's STUN port, are neither media nor
     * STUN (nDPI: QUIC, WireGuard, and by the port alone Skype_Teams for SNMP, STUN for NTP), and are named
     * (LookalikesCaptureTest checks the names against tshark's).
     */
    @Test
    void dtlsSrtpIsMediaButDtlsAndQuicAreNot() throws Exception {
        Analysis a = analyzeUnder("captures/inspect/lookalikes-topology.yaml", "lookalikes.pcap", "jsonl");
        assertEquals(10, a.flows().size(), a.flows().toString());
        JsonNode srtp = a.one("127.5.10.21", "udp", 50042);
        assertFlow(srtp, "expected", "rtp", "internal-audio-media-udp-49152-57500");
        assertTrue(srtp.get("reason").asText().contains("RTP, payload type 0"), srtp.toString());
        // L2, L3: a DTLS-SRTP handshake (use_srtp negotiated), then data on its association (as WebRTC's data channel): on
        // the media port, unverifiable as the keying alone is (L6); on the STUN port, no STUN
        assertFlow(a.one("127.5.10.22", "udp", 50046), "unverifiable", null, "internal-audio-media-udp-49152-57500");
        assertFlow(a.one("127.5.10.23", "udp", 3478), "protocol_mismatch", null, "client-stun-udp-3478");
        assertFlow(a.one("127.0.0.1", "udp", 50050), "protocol_mismatch", "quic", "internal-audio-media-udp-49152-57500");
        // L6: a DTLS-SRTP handshake and no SRTP after it: unverifiable, and the reason says so (it had said "too few
        // packets were seen to tell the protocol" of 12 DTLS datagrams)
        JsonNode keying = a.one("127.5.10.21", "udp", 50064);
        assertFlow(keying, "unverifiable", null, "internal-audio-media-udp-49152-57500");
        assertTrue(keying.get("reason").asText().contains("a DTLS handshake was seen (DTLS-SRTP's keying, RFC 5764), and too few RTP"
                + " packets to tell SRTP after it"), keying.toString());
        // L7: NTP to the Edge's STUN port (nDPI says STUN, by the port; tshark: data) is no STUN message
        assertFlow(a.one("127.5.10.21", "udp", 3478), "protocol_mismatch", "ntp", "client-stun-udp-3478");
        // L8: SNMP to a media port (nDPI says Skype_Teams, by the port) is not media
        List<JsonNode> snmp = a.all("127.5.10.22", "udp", 50074);
        assertEquals(3, snmp.size(), snmp.toString());
        for (JsonNode f : snmp) {
            assertFlow(f, "protocol_mismatch", "snmp", "internal-audio-media-udp-49152-57500");
        }
        // WireGuard (nDPI: WireGuard; tshark: wg) to the Edge's STUN port: its message types 1 to 4 fall in STUN's
        // first-byte range (RFC 7983), and it is no STUN message
        assertFlow(a.one("127.0.0.1", "udp", 3478), "protocol_mismatch", "wireguard", "client-stun-udp-3478");
    }

    /**
     * lookalikes.pcap as a 128-byte snap length takes it (86 bytes of each datagram): every DTLS handshake datagram of the
     * DTLS-SRTP call is cut (up to 286 bytes), its SRTP headers are whole. The cut handshake ruled RTP out, and the call was
     * protocol_mismatch, "none of the protocols portmatrix recognises", where the whole capture says rtp; DTLS carrying
     * application data after a cut handshake (whose use_srtp cannot be read) is unverifiable, as the whole capture has it.
     */
    @Test
    void aSnapLengthThatCutsTheDtlsHandshakeStillLetsItsSrtpBeMedia() throws Exception {
        List<JsonNode> flows = analyzeEdited("captures/inspect/lookalikes-topology.yaml", new String[] {"-s", "128"},
                "captures/inspect/lookalikes.pcap");
        JsonNode srtp = flows.stream().filter(f -> f.get("dst_port").asInt() == 50042).findFirst().orElseThrow();
        assertFlow(srtp, "expected", "rtp", "internal-audio-media-udp-49152-57500");
        JsonNode keying = flows.stream().filter(f -> f.get("dst_port").asInt() == 50064).findFirst().orElseThrow();
        assertFlow(keying, "unverifiable", null, "internal-audio-media-udp-49152-57500");
        JsonNode data = flows.stream().filter(f -> f.get("dst_port").asInt() == 50046).findFirst().orElseThrow();
        assertFlow(data, "unverifiable", null, "internal-audio-media-udp-49152-57500");
    }
}
