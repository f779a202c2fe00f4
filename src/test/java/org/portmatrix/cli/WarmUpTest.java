package org.portmatrix.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.classify.Catalog;
import org.portmatrix.classify.Roles;
import org.portmatrix.flow.FlowConfig;

/**
 * The JIT warm-up reads only captures it can read a second time, and a few of them: never standard
 * input or a pipe (read once, by the analysis), nor a ring-buffer directory, nor a gzip file.
 */
class WarmUpTest {
    private static final Path SAMPLE = Path.of("captures/sample.pcap");

    private static WarmUp start(List<Path> captures) throws Exception {
        return WarmUp.start(captures, Catalog.builtIn(new Roles()), FlowConfig.defaults(), false, true, false);
    }

    @Test
    void warmsUpOnCaptureFiles() throws Exception {
        WarmUp w = start(List.of(SAMPLE, SAMPLE));
        assertNotNull(w);
        w.stop();
    }

    @Test
    void leavesPipesDirectoriesAndLongListsAlone(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("capture.fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        assertNull(start(List.of(fifo)), "a pipe is read once, by the analysis");
        assertNull(start(List.of(Path.of("-"))), "standard input");
        Files.copy(SAMPLE, dir.resolve("ring-00001.pcap"));
        assertNull(start(List.of(dir)), "a directory of captures");
        assertNull(start(Collections.nCopies(9, SAMPLE)), "more files than it opens twice");
        Path gz = dir.resolve("sample.pcap.gz");
        try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(Files.readAllBytes(SAMPLE));
        }
        assertNull(start(List.of(gz)), "a gzip file (inflated twice)");
    }
}
