package org.portmatrix.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.portmatrix.report.ReportTests.SAMPLE;
import static org.portmatrix.report.ReportTests.TOPOLOGY;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.report.ReportTests.Exec;
import org.portmatrix.report.ReportTests.Run;

/** {@code --fail-on-unexpected}: exit status 1 when any flow is flagged, with the reports still written. */
class FailOnUnexpectedTest {
    @TempDir
    Path dir;

    @Test
    void flaggedFlowsMakeTheRunFailWithTheReportWritten() {
        Run r = ReportTests.run("analyze", SAMPLE, "--topology", TOPOLOGY, "--fail-on-unexpected");
        assertEquals(1, r.status(), r.err());
        assertTrue(r.out().contains("FLOWS OUTSIDE THE MATRIX"), r.out());
    }

    @Test
    void withoutTheOptionFlaggedFlowsAreNoFailure() {
        assertEquals(0, ReportTests.run("analyze", SAMPLE, "--topology", TOPOLOGY).status());
    }

    @Test
    void reportDirIsWrittenWhenTheRunFails() throws Exception {
        Path reports = dir.resolve("reports");
        Run r = ReportTests.run("analyze", SAMPLE, "--topology", TOPOLOGY, "--fail-on-unexpected", "--report-dir", reports.toString());
        assertEquals(1, r.status(), r.err());
        for (String f : new String[] {"flows.jsonl", "flows.csv", "report.html", "summary.txt"}) {
            assertTrue(Files.size(reports.resolve(f)) > 0, f);
        }
    }

    @Test
    void onlyExpectedFlowsPass() throws Exception {
        // The sample's first conversation alone (Edge -> Front End, SIP over MTLS on 5061), cut out by tshark.
        Path only = dir.resolve("expected-only.pcap");
        Exec cut = ReportTests.exec(60, "tshark", "-n", "-r", SAMPLE, "-Y", "tcp.port == 36009", "-F", "pcap", "-w", only.toString());
        assertEquals(0, cut.status(), cut.err());
        Run r = ReportTests.run("analyze", only.toString(), "--topology", TOPOLOGY, "--fail-on-unexpected", "--format", "jsonl");
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("\"verdict\":\"expected\""), r.out());
    }
}
