package org.portmatrix.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.portmatrix.report.ReportTests.TOPOLOGY;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.report.ReportTests.Run;

/**
 * captures/hostile/separator.pcap (recorded by captures/hostile/record-separator.sh): two TLS
 * handshakes whose server names put a formula after a {@code ;}. Excel opens a .csv splitting its
 * lines at the locale's list separator, {@code ;} wherever the decimal separator is a comma (de-DE,
 * fr-FR, ...): there the text after the {@code ;} is a cell of its own, and a cell that starts with
 * {@code =}, {@code +}, {@code -} or {@code @} is a formula.
 */
class CsvSemicolonLocaleTest {
    static final List<String> NAMES = List.of("pool01;=cmd|'/C calc'!A0;", "pool01; \"@cmd|'/C calc'!A0\";");
    @TempDir
    static Path dir;

    @BeforeAll
    static void analyze() {
        Run r = ReportTests.run("analyze", "captures/hostile/separator.pcap", "--topology", TOPOLOGY, "--report-dir", dir.toString());
        assertEquals(0, r.status(), r.err());
    }

    @Test
    void theCaptureCarriesTheServerNames() throws Exception {
        List<String> sni = new ArrayList<>();
        for (JsonNode f : ReportTests.jsonLines(dir.resolve("flows.jsonl"))) {
            sni.add(f.get("tls").get("sni").asText());
        }
        assertEquals(NAMES, sni);
    }

    /** Each line split at every ';', as Excel does there (a cell's leading spaces and quotes aside): no cell is a formula. */
    @Test
    void noCellAfterASemicolonStartsAFormula() throws Exception {
        List<String> lines = Files.readAllLines(dir.resolve("flows.csv"), StandardCharsets.UTF_8);
        List<String> formulas = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.split(";", -1);
            for (int i = 1; i < cells.length; i++) {
                String cell = cells[i].replaceFirst("^[ \"]+", "");
                if (!cell.isEmpty() && "=+-@\t\r".indexOf(cell.charAt(0)) >= 0) {
                    formulas.add(cell);
                }
            }
        }
        assertTrue(formulas.isEmpty(), "cells a spreadsheet splitting at ';' would evaluate: " + formulas);
    }

    /** Read as the RFC 4180 file it is (split at ','), the server name is all there, a quote before each formula. */
    @Test
    void theServerNameCellKeepsItsTextWithAQuoteBeforeTheFormula() throws Exception {
        List<String> sni = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(dir.resolve("flows.csv"), StandardCharsets.UTF_8);
             CSVParser p = CSVParser.parse(r, CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get())) {
            for (CSVRecord row : p) {
                sni.add(row.get("tls.sni"));
                assertTrue(row.get("reason").contains("SNI pool01;'"), row.get("reason"));
            }
        }
        assertEquals(List.of("pool01;'=cmd|'/C calc'!A0;", "pool01;' \"@cmd|'/C calc'!A0\";"), sni);
    }
}
