package org.portmatrix.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * One CSV row per flow (RFC 4180, Apache Commons CSV), streamed as flows end, with the columns of
 * {@link FlowField}: the JSON-lines keys in the same order, an object field spread over one column
 * per key ({@code tls.version}, {@code tls.sni}, ...). A list of plain values is joined with
 * {@code ;}; a list of objects (certificates) is written as JSON in its cell.
 *
 * <p>Formula injection: a cell that starts with {@code =}, {@code +}, {@code -}, {@code @}, a tab
 * or a carriage return is prefixed with a single quote, so a spreadsheet shows it as text instead
 * of evaluating it (OWASP, "CSV Injection"). Numbers and booleans are never text, so never
 * prefixed. Other control characters are written as {@code \xNN} ({@link #escapeControls}).
 */
public final class CsvReport implements FlowReport {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final CSVPrinter csv;
    private final List<Object> row = new ArrayList<>();

    public CsvReport(Writer out) throws IOException {
        this.csv = new CSVPrinter(out, CSVFormat.DEFAULT.builder().setHeader(header().toArray(String[]::new)).get());
    }

    /** The column names: every {@link FlowField} key, object fields spread as {@code key.part}. */
    public static List<String> header() {
        List<String> h = new ArrayList<>();
        for (FlowField f : FlowField.values()) {
            if (f.parts().isEmpty()) {
                h.add(f.key());
            } else {
                for (String p : f.parts()) {
                    h.add(f.key() + "." + p);
                }
            }
        }
        return h;
    }

    @Override
    public void flow(FlowRecord r) throws IOException {
        row.clear();
        for (FlowField f : FlowField.values()) {
            Object v = f.value(r);
            if (f.parts().isEmpty()) {
                row.add(cell(v));
            } else {
                Map<?, ?> m = v instanceof Map<?, ?> map ? map : Map.of();
                for (String p : f.parts()) {
                    row.add(cell(m.get(p)));
                }
            }
        }
        csv.printRecord(row);
    }

    /** The text of one cell, neutralised; numbers and booleans stay as they are. */
    static Object cell(Object v) throws JsonProcessingException {
        if (v == null) {
            return "";
        }
        if (v instanceof Number || v instanceof Boolean) {
            return v;
        }
        if (v instanceof Collection<?> c) {
            boolean plain = c.stream().allMatch(o -> o == null || o instanceof String || o instanceof Number || o instanceof Boolean);
            if (plain) {
                StringBuilder b = new StringBuilder();
                for (Object o : c) {
                    b.append(b.length() == 0 ? "" : ";").append(o == null ? "" : o.toString());
                }
                return neutralise(b.toString());
            }
            return neutralise(JSON.writeValueAsString(c));
        }
        if (v instanceof Map<?, ?> m) {
            return neutralise(JSON.writeValueAsString(m));
        }
        return neutralise(v.toString());
    }

    /** Prefixes a single quote to text that a spreadsheet would read as a formula. */
    public static String neutralise(String s) {
        if (s.isEmpty()) {
            return s;
        }
        s = escapeControls(s);
        char c = s.charAt(0);
        if (c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r') {
            return "'" + s;
        }
        return s;
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /**
     * Control characters other than tab, carriage return and line feed (which RFC 4180's quoting
     * carries) written as {@code \xNN}: text from the wire (a server name, a certificate's subject)
     * could otherwise put an escape sequence into a terminal that shows the file, or a NUL into a
     * spreadsheet's cell. JSON lines keep them, escaped by JSON itself.
     */
    static String escapeControls(String s) {
        int i = 0;
        while (i < s.length() && !control(s.charAt(i))) {
            i++;
        }
        if (i == s.length()) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length() + 12).append(s, 0, i);
        for (; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (control(ch)) {
                b.append("\\x").append(HEX[ch >> 4]).append(HEX[ch & 0xf]);
            } else {
                b.append(ch);
            }
        }
        return b.toString();
    }

    private static boolean control(char ch) {
        return (ch < 0x20 && ch != '\t' && ch != '\r' && ch != '\n') || ch == 0x7f;
    }

    @Override
    public void finish(RunSummary summary) throws IOException {
        csv.flush();
    }
}
