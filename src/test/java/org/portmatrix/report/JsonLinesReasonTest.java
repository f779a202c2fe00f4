package org.portmatrix.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A reason's JSON text is made once per reason object and copied for every flow that shares it
 * (JsonLinesReport.writeReason): the bytes must be exactly those of the reason written directly,
 * with the same HTML-safe escapes, for the first flow, for the flows after it, for another object
 * with the same text, and past the cache's bound.
 */
class JsonLinesReasonTest {
    private static final String AWKWARD = "TCP 5061 from <client> to front-end & \"edge\": it's \u00e9t\u00e9 \u2713\n\tsecond line \\ end";

    private static FlowRecord flow(long id, String reason) {
        return new FlowRecord(1_700_000_000_000_000_000L + id, 1_700_000_001_000_000_000L + id, "tcp", "10.1.1.11", 50_000 + (int) id,
                "10.1.1.12", 5061, false, List.of("front-end"), List.of("front-end"), "tls", "protocol_mismatch",
                "fe-sip-mtls-5061", reason, 3, 2, 300, 200, "1:abc=", -1, "established", "closed", id, 0, null);
    }

    /** The reason as a JSON string literal, written directly with the report's escapes (what every flow wrote before). */
    private static String direct(String reason) throws Exception {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = new ObjectMapper().getFactory().createGenerator(w)) {
            g.setCharacterEscapes(new JsonLinesReport.HtmlSafeEscapes());
            g.writeString(reason);
        }
        return w.toString();
    }

    @Test
    void aSharedReasonIsWrittenAsItsOwnTextEveryTime() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonLinesReport report = new JsonLinesReport(out);
        String sameText = new String(AWKWARD.toCharArray()); // equal, not the same object
        report.flow(flow(1, AWKWARD));
        report.flow(flow(2, AWKWARD));
        report.flow(flow(3, sameText));
        report.flow(flow(4, null));
        for (int i = 0; i < 5000; i++) { // past the bound: written directly again
            report.flow(flow(10 + i, AWKWARD + i));
        }
        report.flow(flow(9_999, AWKWARD));
        report.finish(null);
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(5005, lines.length);
        String expected = "\"reason\":" + direct(AWKWARD) + ",";
        assertTrue(expected.contains("\\u003C") && expected.contains("\\u0026") && expected.contains("\\u0027"), expected);
        ObjectMapper m = new ObjectMapper();
        for (int i : new int[] {0, 1, 2, 5004}) {
            assertTrue(lines[i].contains(expected), "line " + i + ": " + lines[i]);
            assertEquals(AWKWARD, m.readTree(lines[i]).get("reason").asText());
        }
        assertTrue(lines[3].contains("\"reason\":null,"), lines[3]);
        for (int i = 0; i < 5000; i++) {
            assertTrue(lines[4 + i].contains("\"reason\":" + direct(AWKWARD + i) + ","), lines[4 + i]);
        }
    }
}
