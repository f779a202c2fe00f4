package org.portmatrix.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.hostile.Frames.Bytes;
import org.portmatrix.hostile.HostileCaptures.Run;

/**
 * Strings from the wire reach the JSON lines intact and inert: a TLS server name and a SIP request
 * full of markup, quotes, backslashes, control bytes and line separators. Every line must still be
 * one JSON object (no record split or joined by an injected newline), carry no raw control byte
 * (DEL is legal JSON and stays), no raw {@code < > & '} (a line pasted into HTML opens no tag), and
 * give back exactly the bytes the wire carried when parsed.
 */
class JsonLinesEscapingTest {
    /** Markup, both quotes, a backslash, NUL, BEL, ESC (a terminal colour), CR LF, DEL; ASCII only, as a server name is. */
    static final String HOSTILE = "<script>alert(\"x\")</script>'&\\\u0000\u0007\u001b[31mred\r\n{\"verdict\":\"expected\"}\u007f";

    @TempDir
    Path dir;

    @Test
    void hostileServerNameAndSipRequestStayInsideTheirJsonStrings() throws Exception {
        PcapBytes w = new PcapBytes();
        // TLS to a Front End on 443: handshake, then a ClientHello naming the hostile server.
        w.packet(Frames.tcp("10.2.0.5", 50000, "10.1.1.10", 443, Frames.SYN, new byte[0]));
        w.packet(Frames.tcp("10.1.1.10", 443, "10.2.0.5", 50000, Frames.SYN | Frames.ACK, new byte[0]));
        w.packet(Frames.tcp("10.2.0.5", 50000, "10.1.1.10", 443, Frames.ACK, new byte[0]));
        w.packet(seq(Frames.tcp("10.2.0.5", 50000, "10.1.1.10", 443, Frames.PSH | Frames.ACK,
                clientHello(HOSTILE.getBytes(StandardCharsets.ISO_8859_1))), 1001));
        // SIP over UDP to a Front End on 5060 with the same string in the request line and headers.
        String sip = "INVITE sip:" + HOSTILE + "@10.1.1.10 SIP/2.0\r\nVia: SIP/2.0/UDP 10.2.0.5:50001\r\nFrom: \"" + HOSTILE
                + "\" <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: " + HOSTILE + "\r\nCSeq: 1 INVITE\r\n"
                + "User-Agent: " + HOSTILE + "\r\nContent-Length: 0\r\n\r\n";
        w.packet(Frames.udp("10.2.0.5", 50001, "10.1.1.10", 5060, sip.getBytes(StandardCharsets.ISO_8859_1)));
        Path capture = w.write(dir.resolve("hostile-strings.pcap"));
        Path topology = Files.writeString(dir.resolve("topology.yaml"), "roles:\n  client: [10.2.0.0/16]\n  front-end: [10.1.1.0/24]\n");

        Run r = HostileCaptures.run("analyze", capture.toString(), "--topology", topology.toString(), "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        String out = r.out();
        for (int i = 0; i < out.length(); i++) {
            char c = out.charAt(i);
            assertFalse(c < 0x20 && c != '\n', "raw control character " + (int) c + " at " + i);
            assertFalse(c == '\u2028' || c == '\u2029', "raw line separator " + (int) c + " at " + i);
            assertFalse(c == '<' || c == '>' || c == '&' || c == '\'', "raw '" + c + "' at " + i);
        }
        ObjectMapper m = new ObjectMapper();
        List<JsonNode> records = new ArrayList<>();
        for (String line : out.split("\n")) {
            records.add(m.readTree(line)); // throws on anything that is not one whole JSON value
        }
        assertEquals(2, records.size(), "one line per flow: " + out);
        JsonNode tls = records.stream().filter(x -> x.get("dst_port").asInt() == 443).findFirst().orElseThrow();
        assertEquals("tls", tls.get("app_protocol").asText(), tls.toString());
        assertEquals(HOSTILE, tls.get("tls").get("sni").asText(), "the server name, byte for byte");
        for (JsonNode rec : records) {
            assertFalse(rec.get("verdict").asText().isEmpty());
            assertTrue(rec.get("src_ip").asText().startsWith("10.2.0.5"), rec.toString());
        }
        // The HTML page: no raw control character from the wire (the ESC of a terminal colour was written as it came).
        // The servers as Mediation Servers, so that the TLS flow is flagged and its server name is in the page.
        Path flagged = Files.writeString(dir.resolve("flagged.yaml"), "roles:\n  client: [10.2.0.0/16]\n  mediation: [10.1.1.0/24]\n");
        Run html = HostileCaptures.run("analyze", capture.toString(), "--topology", flagged.toString(), "--format", "html");
        assertEquals(0, html.status(), html.err());
        String page = html.out();
        for (int i = 0; i < page.length(); i++) {
            char c = page.charAt(i);
            assertFalse((c < 0x20 && c != '\n' && c != '\t') || (c >= 0x7f && c <= 0x9f), "raw control character " + (int) c + " at " + i);
        }
        assertTrue(page.contains("\\x1b[31mred"), "the ESC shown as \\x1b");
    }

    /** Sets the TCP sequence number (the ClientHello follows the SYN's 1000). */
    private static byte[] seq(byte[] frame, long seq) {
        for (int i = 0; i < 4; i++) {
            frame[Frames.OFF_L4 + 4 + i] = (byte) (seq >>> (24 - 8 * i));
        }
        return frame;
    }

    /**
     * A TLS 1.2 ClientHello record (RFC 5246 7.4.1.2) with one cipher suite and a server_name
     * extension (RFC 6066 section 3) holding {@code name}.
     */
    static byte[] clientHello(byte[] name) {
        byte[] sni = new Bytes().u16(name.length + 3).u8(0).u16(name.length).raw(name).toArray(); // list: host_name(0)
        byte[] extensions = new Bytes().u16(0x0000).u16(sni.length).raw(sni).toArray();
        byte[] body = new Bytes().u16(0x0303).raw(new byte[32]).u8(0) // version, random, no session id
                .u16(2).u16(0xc02f) // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
                .u8(1).u8(0) // null compression
                .u16(extensions.length).raw(extensions).toArray();
        byte[] handshake = new Bytes().u8(1).u8(body.length >>> 16).u16(body.length).raw(body).toArray(); // client_hello
        return new Bytes().u8(0x16).u16(0x0301).u16(handshake.length).raw(handshake).toArray(); // handshake record
    }
}
