package org.portmatrix.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.portmatrix.inspect.CertificateInfo;
import org.portmatrix.inspect.TlsInfo;

/**
 * One CSV row per flow (RFC 4180, Apache Commons CSV), streamed as flows end, with the columns of
 * {@link FlowField}: the JSON-lines keys in the same order, an object field spread over one column
 * per key ({@code tls.version}, {@code tls.sni}, ...). A list of plain values is joined with
 * {@code ;}; a list of objects (certificates) is written as JSON in its cell.
 *
 * <p>Formula injection: a cell that starts with {@code =}, {@code +}, {@code -}, {@code @}, a tab
 * or a carriage return is prefixed with a single quote, so a spreadsheet shows it as text instead
 * of evaluating it (OWASP, "CSV Injection"); so is such text after a {@code ;} inside a cell, where
 * Excel splits the line at {@code ;} ({@link #neutralise}). Numbers and booleans are never text, so never
 * prefixed. Other control characters are written as {@code \xNN} ({@link #escapeControls}).
 */
public final class CsvReport implements FlowReport {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final FlowField[] FIELDS = FlowField.values();
    private final Writer out;
    private final CSVFormat format;
    /**
     * The row being printed: Commons CSV prints each cell in pieces ({@code append(value, from, to)}),
     * which a {@code Writer} turns into a substring each; a {@code StringBuilder} copies them in place,
     * and the row goes to the writer whole. Measured reason (reference workload, perf): the writer's
     * substrings were 17% of the flow thread's CPU samples with CSV output.
     */
    private final StringBuilder line = new StringBuilder(1024);
    private char[] chars = new char[1024];

    public CsvReport(Writer out) throws IOException {
        this(out, false);
    }

    /**
     * @param bom starts the file with the byte-order mark (U+FEFF), as for a file a spreadsheet opens: Excel reads a .csv
     *            without it in the system's ANSI code page, and the reasons' arrows (front-end → front-end) showed as
     *            "front-end â†’ front-end" in the flagged rows a change board reads; standard output, piped to scripts
     *            (Python's csv module, cut) that would take the mark as part of the first column's name, goes without
     */
    public CsvReport(Writer out, boolean bom) throws IOException {
        this.out = out;
        if (bom) {
            out.write('\uFEFF');
        }
        this.format = CSVFormat.DEFAULT.builder().setHeader(header().toArray(String[]::new)).get();
        new CSVPrinter(line, format); // prints the header record
        flushLine();
    }

    /** The column names: every {@link FlowField} key, object fields spread as {@code key.part}. */
    public static List<String> header() {
        List<String> h = new ArrayList<>();
        for (FlowField f : FIELDS) {
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
        column = 0;
        for (FlowField f : FIELDS) {
            if (f == FlowField.TLS) {
                tlsCells(r.tls());
                continue;
            }
            Object v = f.value(r);
            if (f.parts().isEmpty()) {
                print(v);
            } else {
                Map<?, ?> m = v instanceof Map<?, ?> map ? map : Map.of();
                for (String p : f.parts()) {
                    print(m.get(p));
                }
            }
        }
        format.println(line);
        flushLine();
    }

    /** The column of the row being printed next. */
    private int column;

    private static final int RECENT = 4096;
    /** Values printed lately, by identity, and their text as printed (the delimiter and the quoted cell). */
    private final Object[] seen = new Object[RECENT];
    private final String[] printed = new String[RECENT];

    /**
     * Prints one value's cell as {@code CSVPrinter.printRecord} does, by {@link CSVFormat#print}; a
     * value seen again as the same object (a reason, a role list, a protocol name) is copied as it
     * was printed the time before. Measured reason (reference workload, perf): neutralising and
     * deciding the quoting of the same sentences again, character by character, was about half of
     * the flow thread's CPU samples with CSV output.
     */
    private void print(Object v) throws IOException {
        boolean first = column == 0;
        if (first || !(v instanceof String || v instanceof Collection<?>)) {
            printCell(cell(v));
            return;
        }
        column++;
        int h = System.identityHashCode(v) & (RECENT - 1);
        if (seen[h] == v && printed[h] != null) {
            line.append(printed[h]);
            return;
        }
        int start = line.length();
        format.print(cell(v), line, false);
        if (seen[h] == v) {
            printed[h] = line.substring(start); // seen twice: worth keeping
        } else {
            seen[h] = v;
            printed[h] = null;
        }
    }

    /** Prints a cell made already. */
    private void printCell(Object cell) throws IOException {
        format.print(cell, line, column++ == 0);
    }

    /** The index in {@link TlsInfo#FIELDS} of each {@code tls.*} column. */
    private static final int[] TLS_COLUMNS = FlowField.TLS.parts().stream().mapToInt(TlsInfo.FIELDS::indexOf).toArray();

    /**
     * The {@code tls.*} cells, from the record's fields rather than its map (the same cells): the
     * certificate chains from each certificate's JSON, made once. Measured reason (reference
     * workload, perf): a map per certificate per TLS flow, written by Jackson's data binding, was
     * 7% of the flow thread's CPU samples.
     */
    private void tlsCells(TlsInfo t) throws IOException {
        for (int field : TLS_COLUMNS) {
            Object v = t == null ? null : t.field(field);
            if (v instanceof List<?> chain) {
                printCell(chainCell(chain));
            } else {
                print(v);
            }
        }
    }

    private final Map<CertificateInfo, String> certificateJson = new IdentityHashMap<>();

    /** A certificate chain as a JSON array (what {@code ObjectMapper} writes for the list of their maps), neutralised. */
    private String chainCell(List<?> chain) throws JsonProcessingException {
        if (chain.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder(1024).append('[');
        for (int i = 0; i < chain.size(); i++) {
            CertificateInfo c = (CertificateInfo) chain.get(i);
            String json = certificateJson.get(c);
            if (json == null) {
                json = JSON.writeValueAsString(c.asMap());
                if (certificateJson.size() < 1024) {
                    certificateJson.put(c, json);
                }
            }
            b.append(i == 0 ? "" : ",").append(json);
        }
        return neutralise(b.append(']').toString());
    }

    private void flushLine() throws IOException {
        int n = line.length();
        if (n > chars.length) {
            chars = new char[Math.max(n, chars.length * 2)];
        }
        line.getChars(0, n, chars, 0);
        out.write(chars, 0, n);
        line.setLength(0);
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

    /**
     * Prefixes a single quote to text that a spreadsheet would read as a formula: at the start of the
     * cell, and after each {@code ;} that a formula follows (behind spaces or quotes). Excel splits a
     * .csv at its list separator, which is {@code ;} wherever the decimal separator is a comma (de-DE,
     * fr-FR, ...): there a server name {@code pool01;=cmd|'/C calc'!A0;} made a cell of its own that
     * started with {@code =} (OWASP, "CSV Injection": the separator starts a cell too).
     */
    public static String neutralise(String s) {
        if (s.isEmpty()) {
            return s;
        }
        s = escapeControls(s);
        char c = s.charAt(0);
        if (formula(c)) {
            s = "'" + s;
        }
        int semicolon = s.indexOf(';');
        if (semicolon < 0) {
            return s;
        }
        StringBuilder b = null;
        int from = 0;
        for (; semicolon >= 0; semicolon = s.indexOf(';', semicolon + 1)) {
            int i = semicolon + 1;
            while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '"')) {
                i++;
            }
            if (i < s.length() && formula(s.charAt(i))) {
                if (b == null) {
                    b = new StringBuilder(s.length() + 8);
                }
                b.append(s, from, semicolon + 1).append('\'');
                from = semicolon + 1;
            }
        }
        return b == null ? s : b.append(s, from, s.length()).toString();
    }

    /** A character that makes a cell starting with it a formula. */
    private static boolean formula(char c) {
        return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /**
     * Control characters other than tab, carriage return and line feed (which RFC 4180's quoting
     * carries) written as {@code \xNN}: text from the wire (a server name, a certificate's subject)
     * could otherwise put an escape sequence into a terminal that shows the file, or a NUL into a
     * spreadsheet's cell. JSON lines keep them, escaped by JSON itself.
     */
    static String escapeControls(String s) {
        return escapeControls(s, true);
    }

    /** The same, the C0 controls but tab and line feed (and carriage return when {@code keepCr}), DEL and the C1 controls. */
    static String escapeControls(String s, boolean keepCr) {
        int i = 0;
        while (i < s.length() && !control(s.charAt(i), keepCr)) {
            i++;
        }
        if (i == s.length()) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length() + 12).append(s, 0, i);
        for (; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (control(ch, keepCr)) {
                b.append("\\x").append(HEX[ch >> 4]).append(HEX[ch & 0xf]);
            } else {
                b.append(ch);
            }
        }
        return b.toString();
    }

    private static boolean control(char ch, boolean keepCr) {
        return (ch < 0x20 && ch != '\t' && ch != '\n' && (ch != '\r' || !keepCr)) || (ch >= 0x7f && ch <= 0x9f); // (C1: U+009B is a CSI)
    }

    @Override
    public void finish(RunSummary summary) throws IOException {
        flushLine();
        out.flush();
    }
}
