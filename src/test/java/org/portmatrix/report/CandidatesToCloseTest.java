package org.portmatrix.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The candidates to close are documented ports on the roles of this deployment's hosts. A role that the
 * topology lists with no address ({@code director: []}, not deployed yet) has no host: its ports had been
 * listed as candidates to close ("tcp/444 director dir-https-444"), and its rules counted among those that
 * "apply to roles of this topology", in every report.
 */
class CandidatesToCloseTest {
    /** The sample's topology without the Director's address, its role listed empty or left out, and a role of no host. */
    private static String topology(boolean listEmpty) throws IOException {
        String sample = Files.readString(Path.of(ReportTests.TOPOLOGY), StandardCharsets.UTF_8);
        String director = "  director: [127.0.2.10/32]\n";
        if (!sample.contains(director)) {
            throw new AssertionError("the sample topology changed");
        }
        return sample.replace(director, listEmpty ? "  director: []\n  persistent-chat:\n" : "");
    }

    private static String section(String text, String from, String to) {
        int a = text.indexOf(from);
        int b = text.indexOf(to, a);
        return text.substring(a, b);
    }

    @Test
    void aRoleListedWithNoAddressHasNoPortToClose(@TempDir Path dir) throws IOException {
        Path empty = dir.resolve("empty.yaml");
        Path absent = dir.resolve("absent.yaml");
        Files.writeString(empty, topology(true), StandardCharsets.UTF_8);
        Files.writeString(absent, topology(false), StandardCharsets.UTF_8);
        ReportTests.run("analyze", ReportTests.SAMPLE, "--topology", empty.toString(), "--report-dir", dir.resolve("e").toString());
        ReportTests.run("analyze", ReportTests.SAMPLE, "--topology", absent.toString(), "--report-dir", dir.resolve("a").toString());
        String withEmpty = Files.readString(dir.resolve("e/summary.txt"), StandardCharsets.UTF_8);
        String without = Files.readString(dir.resolve("a/summary.txt"), StandardCharsets.UTF_8);
        String coverage = section(withEmpty, "CATALOG COVERAGE", "COUNTERS");
        assertFalse(section(withEmpty, "CANDIDATES TO CLOSE", "COUNTERS").contains("director"), coverage);
        assertFalse(coverage.contains("persistent-chat "), coverage);
        assertEquals(section(without, "CATALOG COVERAGE", "COUNTERS"), coverage);
        // The HTML page's coverage says the same: the Director's rules are "no (role not in topology)", not candidates.
        String html = Files.readString(dir.resolve("e/report.html"), StandardCharsets.UTF_8);
        String htmlWithout = Files.readString(dir.resolve("a/report.html"), StandardCharsets.UTF_8);
        assertEquals(section(htmlWithout, "<section id=\"coverage-section\">", "</section>"),
                section(html, "<section id=\"coverage-section\">", "</section>"));
    }

    /**
     * Unused ports are assessed only once a TCP or UDP flow reached a host of the topology, as the reports say. The
     * tcpdump corpus's isup.pcap holds one SCTP association (SIGTRAN, port 2905) and nothing else: with its two hosts
     * in the topology, every documented port of their roles had been a candidate to close.
     */
    @Test
    void aCaptureWithoutTcpOrUdpDoesNotAssessUnusedPorts(@TempDir Path dir) throws IOException {
        Path topology = dir.resolve("isup.yaml");
        Files.writeString(topology, "roles:\n  front-end: [10.28.6.42/32]\n  mediation: [10.28.6.44/32]\n", StandardCharsets.UTF_8);
        ReportTests.Run run = ReportTests.run("analyze", "../shared/corpus/tcpdump-tests/isup.pcap", "--topology", topology.toString(),
                "--report-dir", dir.resolve("r").toString());
        assertEquals(0, run.status(), run.err());
        assertTrue(run.out().contains("unused ports not assessed (no TCP or UDP flow reached a host of the topology)"), run.out());
        String text = Files.readString(dir.resolve("r/summary.txt"), StandardCharsets.UTF_8);
        assertTrue(text.contains("sctp/2905"), text);
        assertTrue(text.contains("CANDIDATES TO CLOSE: not assessed (no TCP or UDP flow reached a host of the topology)"), text);
        String html = Files.readString(dir.resolve("r/report.html"), StandardCharsets.UTF_8);
        assertTrue(html.contains("Not assessed: no TCP or UDP flow reached a host of the topology.") && !html.contains("id=\"candidates\""));
    }
}
