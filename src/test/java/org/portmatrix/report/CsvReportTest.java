package org.portmatrix.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.StringReader;
import java.io.StringWriter;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.portmatrix.inspect.TlsInfo;

class CsvReportTest {

    @Test
    void neutralisesCellsThatASpreadsheetWouldEvaluate() {
        assertEquals("'=cmd|'/C calc'!A0", CsvReport.neutralise("=cmd|'/C calc'!A0"));
        assertEquals("'+1+2", CsvReport.neutralise("+1+2"));
        assertEquals("'-2+3", CsvReport.neutralise("-2+3"));
        assertEquals("'@SUM(A1)", CsvReport.neutralise("@SUM(A1)"));
        assertEquals("'\t=1", CsvReport.neutralise("\t=1"));
        assertEquals("'\r=1", CsvReport.neutralise("\r=1"));
        // where Excel splits lines at ';' (de-DE, fr-FR, ...), the text after a ';' is a cell of its own
        assertEquals("a;'=1;b;' \"@x\";'-2", CsvReport.neutralise("a;=1;b; \"@x\";-2"));
        assertEquals("front-end;mediation", CsvReport.neutralise("front-end;mediation"));
        assertEquals("'=1;'+2", CsvReport.neutralise("=1;+2"));
    }

    @Test
    void writesControlCharactersFromTheWireAsHexEscapes() {
        assertEquals("evil\\x1b[2J.example\\x00\\x7f", CsvReport.neutralise("evil\u001b[2J.example\u0000\u007f"));
        assertEquals("\\x07=1", CsvReport.neutralise("\u0007=1"), "escaped first: a cell that starts with a backslash is no formula");
        assertEquals("two\nlines\tand a tab\r", CsvReport.neutralise("two\nlines\tand a tab\r"), "RFC 4180 quoting carries these");
        assertEquals("café ✓", CsvReport.neutralise("café ✓"), "printable text, whatever its script, is left as it is");
    }

    @Test
    void leavesOrdinaryTextAndNumbersAlone() throws Exception {
        assertEquals("sip.contoso.test", CsvReport.neutralise("sip.contoso.test"));
        assertEquals("a=b", CsvReport.neutralise("a=b"));
        assertEquals("", CsvReport.neutralise(""));
        assertEquals(5061, CsvReport.cell(5061));
        assertEquals(-1L, CsvReport.cell(-1L), "a number is never text, so never a formula");
        assertEquals(true, CsvReport.cell(true));
        assertEquals("", CsvReport.cell(null));
    }

    @Test
    void joinsListsAndNeutralisesTheJoinedCell() throws Exception {
        assertEquals("front-end;director", CsvReport.cell(List.of("front-end", "director")));
        assertEquals("'=x;y", CsvReport.cell(List.of("=x", "y")));
    }

    /** A TlsInfo with every field empty, built through its canonical constructor (whatever its components). */
    private static TlsInfo emptyTls() throws Exception {
        RecordComponent[] rc = TlsInfo.class.getRecordComponents();
        Class<?>[] types = new Class<?>[rc.length];
        Object[] values = new Object[rc.length];
        for (int i = 0; i < rc.length; i++) {
            types[i] = rc[i].getType();
            values[i] = types[i] == boolean.class ? Boolean.FALSE : types[i] == int.class ? 0 : types[i] == long.class ? 0L
                    : types[i] == List.class ? List.of() : null;
        }
        return TlsInfo.class.getDeclaredConstructor(types).newInstance(values);
    }

    @Test
    void tlsColumnsAreTheKeysOfTheTlsObject() throws Exception {
        assertEquals(new ArrayList<>(emptyTls().asMap().keySet()), FlowField.TLS.parts(),
                "FlowField.TLS.parts() must list the keys of TlsInfo.asMap(), in order");
    }

    @Test
    void writesOneRowPerFlowUnderTheHeader() throws Exception {
        StringWriter w = new StringWriter();
        CsvReport csv = new CsvReport(w);
        FlowRecord r = new FlowRecord(1_700_000_000_000_000_000L, 1_700_000_001_000_000_000L, "tcp", "127.0.99.1", 43801, "127.0.1.10",
                5061, false, List.of(), List.of("front-end"), "tls", "unknown_host", null, "-reason that starts with a minus", 11, 9,
                1455, 2511, "1:abc=", -1, "closed_fin", "capture_end", 8, 0,
                new TlsInfo("TLS 1.2", "=cmd|'/C calc'!A0", null, true, "empty", List.of(), List.of(), null));
        csv.flow(r);
        csv.finish(null);
        try (CSVParser p = CSVParser.builder().setReader(new StringReader(w.toString()))
                .setFormat(CSVFormat.DEFAULT.builder().setHeader().get()).get()) {
            assertEquals(CsvReport.header(), p.getHeaderNames());
            List<CSVRecord> rows = p.getRecords();
            assertEquals(1, rows.size());
            CSVRecord row = rows.get(0);
            assertEquals("'=cmd|'/C calc'!A0", row.get("tls.sni"));
            assertEquals("'-reason that starts with a minus", row.get("reason"));
            assertEquals("", row.get("src_roles"));
            assertEquals("front-end", row.get("dst_roles"));
            assertEquals("", row.get("rule"));
            assertEquals("", row.get("vlan"));
            assertEquals("1455", row.get("bytes_fwd"));
            assertEquals("2023-11-14T22:13:20.000000Z", row.get("ts_first"));
            assertEquals("", row.get("tls.server_certificates"), "an empty list is an empty cell");
        }
    }

    /**
     * A CSV file portmatrix writes (--output, --report-dir's flows.csv) starts with the UTF-8 byte-order mark: Excel, which
     * change boards open it in, reads a .csv without it in the system's ANSI code page, and the reasons' arrows of the
     * flagged rows ("TLS 1.2 on the MTLS port 5061 without a client certificate (edge-internal → front-end; ...") came out
     * as "â†’". Standard output, which scripts read, has no mark; otherwise the same bytes.
     */
    @Test
    void csvFilesStartWithTheByteOrderMarkAndStandardOutputDoesNot(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        String[] analysis = {"analyze", "captures/inspect/tls.pcap", "--topology", "captures/inspect/inspect-topology.yaml"};
        java.nio.file.Path file = dir.resolve("flows.csv");
        java.nio.file.Path reports = dir.resolve("reports");
        ReportTests.Run toStdout = ReportTests.run(concat(analysis, "--format", "csv"));
        ReportTests.Run toFile = ReportTests.run(concat(analysis, "--format", "csv", "--output", file.toString()));
        ReportTests.Run toDir = ReportTests.run(concat(analysis, "--report-dir", reports.toString()));
        for (ReportTests.Run r : List.of(toStdout, toFile, toDir)) {
            assertEquals(0, r.status(), r.err());
        }
        org.junit.jupiter.api.Assertions.assertTrue(toStdout.out().startsWith("ts_first,"), toStdout.out());
        org.junit.jupiter.api.Assertions.assertTrue(toStdout.out().contains(" → "), toStdout.out());
        byte[] mark = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        byte[] plain = toStdout.out().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (java.nio.file.Path p : List.of(file, reports.resolve("flows.csv"))) {
            byte[] written = java.nio.file.Files.readAllBytes(p);
            org.junit.jupiter.api.Assertions.assertArrayEquals(mark, java.util.Arrays.copyOf(written, 3), p.toString());
            org.junit.jupiter.api.Assertions.assertArrayEquals(plain, java.util.Arrays.copyOfRange(written, 3, written.length), p.toString());
        }
    }

    /**
     * --output to a named pipe (or /dev/stdout, a pipe to a script) is read as standard output is, by a script: no
     * byte-order mark, which Python's csv module would take into the first column's name ("\ufeffts_first"). It had the
     * mark, as a regular file has.
     */
    @Test
    void csvToANamedPipeHasNoByteOrderMark(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        String[] analysis = {"analyze", "captures/inspect/tls.pcap", "--topology", "captures/inspect/inspect-topology.yaml",
                "--format", "csv"};
        java.nio.file.Path fifo = dir.resolve("flows.fifo");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mk.waitFor());
        java.util.concurrent.CompletableFuture<byte[]> read = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return java.nio.file.Files.readAllBytes(fifo);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        ReportTests.Run toPipe = ReportTests.run(concat(analysis, "--output", fifo.toString()));
        assertEquals(0, toPipe.status(), toPipe.err());
        byte[] piped = read.get(60, java.util.concurrent.TimeUnit.SECONDS);
        ReportTests.Run toStdout = ReportTests.run(analysis);
        org.junit.jupiter.api.Assertions.assertTrue(toStdout.out().startsWith("ts_first,"), toStdout.out());
        assertEquals(toStdout.out(), new String(piped, java.nio.charset.StandardCharsets.UTF_8));
        org.junit.jupiter.api.Assertions.assertTrue(java.nio.file.Files.exists(fifo) && !java.nio.file.Files.isRegularFile(fifo),
                "the pipe is left a pipe");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
