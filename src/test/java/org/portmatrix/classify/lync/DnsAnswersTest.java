package org.portmatrix.classify.lync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.portmatrix.classify.Cidr;

class DnsAnswersTest {
    static final Path CAPTURE = Path.of("captures/topology/dns-answers.pcap");

    private static Set<String> texts(Set<Cidr> s) {
        Set<String> out = new LinkedHashSet<>();
        for (Cidr c : s) {
            out.add(c.toString());
        }
        return out;
    }

    /** tshark's reading of the same responses: name to its A/AAAA addresses (after CNAMEs), NOERROR only. */
    private static Map<String, Set<String>> tshark() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("tshark", "-r", CAPTURE.toString(), "-Y", "dns.flags.response==1 && dns.flags.rcode==0",
                "-T", "fields", "-E", "separator=;", "-e", "dns.qry.name", "-e", "dns.a", "-e", "dns.aaaa")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        Map<String, Set<String>> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(";", -1);
            Set<String> a = out.computeIfAbsent(f[0], k -> new LinkedHashSet<>());
            for (int i = 1; i < f.length; i++) {
                for (String addr : f[i].split(",")) {
                    if (!addr.isBlank()) {
                        a.add(Cidr.parse(addr).toString());
                    }
                }
            }
        }
        return out;
    }

    @Test
    void answersOfTheCaptureMatchTshark() throws Exception {
        DnsAnswers d = DnsAnswers.read(CAPTURE);
        Map<String, Set<String>> oracle = tshark();
        assertEquals(5, oracle.size(), oracle.toString()); // pool01, fe01 (A and AAAA), fe02 (over TCP), se01, owa
        for (Map.Entry<String, Set<String>> e : oracle.entrySet()) {
            assertEquals(e.getValue(), texts(d.resolve(e.getKey())), e.getKey());
        }
        assertEquals(7, d.responses()); // six answers and one NXDOMAIN
        assertEquals(0, d.malformed());
    }

    @Test
    void followsCnamesAndIgnoresNxdomain() throws Exception {
        DnsAnswers d = DnsAnswers.read(CAPTURE);
        assertEquals(Set.of("127.0.20.50/32"), texts(d.resolve("owa.fabrikam.test"))); // CNAME owa01.fabrikam.test
        assertEquals(Set.of("127.0.20.50/32"), texts(d.resolve("OWA01.fabrikam.test."))); // case and trailing dot
        assertEquals(Set.of("10.1.1.11/32", "fd00:10:1:1::11/128"), texts(d.resolve("fe01.contoso.com")));
        assertEquals(Set.of("10.1.1.12/32"), texts(d.resolve("fe02.contoso.com"))); // answered over TCP
        assertTrue(d.resolve("fe03.contoso.com").isEmpty()); // NXDOMAIN
        assertTrue(d.resolve("sip.fabrikam.test").isEmpty()); // never asked
    }

    // A response to "a.b A": header, question, one answer whose name is a pointer to the question.
    private static byte[] response() {
        return new byte[] {
            0x12, 0x34,             // ID
            (byte) 0x81, (byte) 0x80, // QR=1, RD, RA, RCODE 0
            0x00, 0x01,             // QDCOUNT 1
            0x00, 0x01,             // ANCOUNT 1
            0x00, 0x00, 0x00, 0x00, // NSCOUNT, ARCOUNT
            0x01, 'a', 0x01, 'b', 0x00, // QNAME a.b (offset 12)
            0x00, 0x01, 0x00, 0x01, // QTYPE A, QCLASS IN
            (byte) 0xc0, 0x0c,      // NAME: pointer to offset 12
            0x00, 0x01, 0x00, 0x01, // TYPE A, CLASS IN
            0x00, 0x00, 0x00, 0x3c, // TTL 60
            0x00, 0x04,             // RDLENGTH 4
            10, 9, 8, 7,            // RDATA 10.9.8.7
        };
    }

    @Test
    void readsACompressedAnswer() {
        DnsAnswers d = new DnsAnswers();
        byte[] m = response();
        assertTrue(d.message(m, 0, m.length));
        assertEquals(Set.of("10.9.8.7/32"), texts(d.resolve("a.b")));
    }

    @Test
    void anUnspecifiedAddressAnswerIsNoHostsAddress() {
        // A sinkhole's answer (0.0.0.0): a hosts file's row with it is refused; from DNS it is not used.
        DnsAnswers d = new DnsAnswers();
        byte[] m = response();
        m[m.length - 4] = 0;
        m[m.length - 3] = 0;
        m[m.length - 2] = 0;
        m[m.length - 1] = 0;
        assertTrue(d.message(m, 0, m.length));
        assertTrue(d.resolve("a.b").isEmpty(), d.resolve("a.b").toString());
    }

    @Test
    void rejectsATruncatedHeader() {
        DnsAnswers d = new DnsAnswers();
        assertFalse(d.message(response(), 0, 11));
        assertEquals(1, d.malformed());
    }

    @Test
    void rejectsAnAnswerCutInItsData() {
        DnsAnswers d = new DnsAnswers();
        byte[] m = response();
        assertFalse(d.message(m, 0, m.length - 1)); // RDLENGTH 4, three bytes left
        assertEquals(1, d.malformed());
        assertTrue(d.resolve("a.b").isEmpty());
    }

    @Test
    void rejectsACompressionLoop() {
        DnsAnswers d = new DnsAnswers();
        byte[] m = response();
        m[21] = (byte) 0xc0; // the answer's NAME points at itself (offset 21)
        m[22] = 0x15;
        assertFalse(d.message(m, 0, m.length));
        assertEquals(1, d.malformed());
    }

    @Test
    void ignoresQueries() {
        DnsAnswers d = new DnsAnswers();
        byte[] m = response();
        m[2] = 0x01; // QR=0: a query
        assertTrue(d.message(m, 0, m.length));
        assertEquals(0, d.responses());
        assertTrue(d.resolve("a.b").isEmpty());
    }

    @Test
    void listsNothingForAnErrorResponse() {
        DnsAnswers d = new DnsAnswers();
        byte[] m = response();
        m[3] = (byte) 0x83; // RCODE 3, NXDOMAIN
        assertTrue(d.message(m, 0, m.length));
        assertEquals(1, d.responses());
        assertTrue(d.all().isEmpty());
        assertEquals(List.of(), List.copyOf(d.resolve("a.b")));
    }
}
