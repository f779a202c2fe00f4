package org.portmatrix.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.portmatrix.report.ReportTests.HOSTILE;
import static org.portmatrix.report.ReportTests.TOPOLOGY;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.report.ReportTests.Run;

/**
 * captures/hostile/hostile.pcap (recorded by captures/hostile/record-hostile.sh): a certificate
 * subject {@code <script>...}, a client certificate {@code <img onerror=...>}, an SNI and a SIP
 * User-Agent {@code =cmd|'/C calc'!A0}, a SIP From display name {@code <script>...}. JSON escapes
 * the markup, HTML escapes it, CSV neutralises the formula.
 */
class HostileCaptureTest {
    static final String FORMULA = "=cmd|'/C calc'!A0";
    @TempDir
    static Path dir;

    @BeforeAll
    static void analyze() {
        Run r = ReportTests.run("analyze", HOSTILE, "--topology", TOPOLOGY, "--report-dir", dir.toString());
        assertEquals(0, r.status(), r.err());
    }

    @Test
    void theCaptureReallyCarriesTheHostileStrings() throws Exception {
        List<JsonNode> flows = ReportTests.jsonLines(dir.resolve("flows.jsonl"));
        assertEquals(2, flows.size());
        JsonNode tls = flows.stream().filter(f -> f.get("dst_port").asInt() == 5061).findFirst().orElseThrow().get("tls");
        assertEquals(FORMULA, tls.get("sni").asText());
        assertTrue(tls.get("server_certificates").get(0).get("subject").asText().contains("<script"), tls.toString());
        assertTrue(tls.get("client_certificates").get(0).get("subject").asText().contains("<img src"), tls.toString());
    }

    @Test
    void jsonEscapesMarkupSoNoRawTagIsInTheFile() throws IOException {
        String json = Files.readString(dir.resolve("flows.jsonl"));
        assertFalse(json.contains("<"), "no raw '<' at all");
        assertFalse(json.contains(">"));
        assertTrue(json.contains("\\u003Cscript"), "the subject is there, escaped");
    }

    @Test
    void csvNeutralisesTheFormula() throws IOException {
        try (Reader r = Files.newBufferedReader(dir.resolve("flows.csv"), StandardCharsets.UTF_8);
                CSVParser csv = CSVParser.builder().setReader(r).setFormat(CSVFormat.DEFAULT.builder().setHeader().get()).get()) {
            boolean seen = false;
            for (CSVRecord row : csv) {
                for (String cell : row.values()) {
                    assertFalse(!cell.isEmpty() && "=+-@\t\r".indexOf(cell.charAt(0)) >= 0, "a cell a spreadsheet would run: " + cell);
                }
                if (row.get("dst_port").equals("5061")) {
                    assertEquals("'" + FORMULA, row.get("tls.sni"));
                    seen = true;
                }
            }
            assertTrue(seen);
        }
    }

    @Test
    void htmlEscapesEveryWireString() throws IOException {
        String html = Files.readString(dir.resolve("report.html"));
        // The page's own script element is the only one.
        assertEquals(1, html.split("<script", -1).length - 1, "one <script> element: the report's own");
        assertFalse(html.contains("<img"), "no image element from the wire");
        assertFalse(html.contains("onerror="), "no event handler attribute from the wire");
        assertTrue(html.contains("&lt;img src"), "the client certificate subject is shown, escaped");
        assertTrue(html.contains("&#61;cmd|&#39;/C calc&#39;!A0"), "the SNI is shown, escaped");
        int certs = html.indexOf("id=\"certificates\"");
        assertTrue(certs > 0 && html.indexOf("&lt;script\\&gt;document.title", certs) > certs,
                "the certificate inventory shows the <script> subject as text");
    }

    @Test
    void textShowsTheStringsAsTheyAreWithoutControlCharacters() throws IOException {
        String text = Files.readString(dir.resolve("summary.txt"));
        assertTrue(text.contains("unknown_host: 1 flow"), text);
        assertTrue(text.contains("unexpected_role_pair: 1 flow"), text);
        for (char c : text.toCharArray()) {
            assertTrue(c == '\n' || c >= 0x20, "control character " + (int) c + " in the text report");
        }
    }
}
