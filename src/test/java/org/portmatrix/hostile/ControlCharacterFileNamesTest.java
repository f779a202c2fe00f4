package org.portmatrix.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.cli.Runs;

/**
 * Capture and topology files whose names hold a line end or another control character (a name a script built from
 * a field it did not clean, or a file copied from a system that allows them): the text report's header names them
 * on one line, the control characters as spaces, as its other fields are. The name had been printed as it was, and
 * its line end split the header's first line in two: the summary's "N flows ... in FILE" ended mid-name, and a
 * script reading the report's first line (or a log shipper, line by line) got half of it.
 */
class ControlCharacterFileNamesTest {
    @TempDir
    Path dir;

    @Test
    void theHeaderNamesTheFilesOnOneLine() throws Exception {
        Path capture = Files.copy(Path.of("captures/sample.pcap"), dir.resolve("mirror\nday1\t.pcap"));
        Path topology = Files.copy(Path.of("captures/sample-topology.yaml"), dir.resolve("topo\r\nlogy.yaml"));
        Runs.Ran text = Runs.main("analyze", capture.toString(), "--topology", topology.toString());
        assertEquals(0, text.status(), text.err());
        List<String> lines = text.out().lines().toList();
        assertEquals("portmatrix: 10 flows, 182 packets, 44,861 bytes in " + dir + "/mirror day1 .pcap", lines.get(0));
        assertTrue(lines.get(1).startsWith("  from "), lines.get(1));
        assertEquals("  catalog: built-in catalog; topology: " + dir + "/topo  logy.yaml", lines.get(2));

        Runs.Ran oneScreen = Runs.main("analyze", capture.toString(), "--topology", topology.toString(),
                "--report-dir", dir.resolve("report").toString());
        assertEquals(0, oneScreen.status(), oneScreen.err());
        assertEquals("portmatrix: 10 flows, 182 packets in " + dir + "/mirror day1 .pcap", oneScreen.out().lines().findFirst().orElse(""));
        List<String> summary = Files.readAllLines(dir.resolve("report").resolve("summary.txt"));
        assertTrue(summary.get(0).endsWith(dir + "/mirror day1 .pcap"), summary.get(0));
    }
}
