package org.portmatrix.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.report.FlowRecord;

class LiveFlowLogTest {
    @TempDir
    Path dir;

    private static FlowRecord flow(long id) {
        return new FlowRecord(1_700_000_000_000_000_000L + id, 1_700_000_001_000_000_000L + id, "tcp", "10.1.1.11", 50_000 + (int) id,
                "10.1.1.12", 5061, false, List.of("front-end"), List.of("front-end"), "tls", "allowed", "fe-sip-mtls-5061", "ok", 3, 2,
                300, 200, "1:abc=", -1, "established", "closed", id, 0, null);
    }

    /**
     * The output moved away and another file put under its name (logrotate's create) found by a
     * --rotate-size rotation in the middle of a batch: the lines before it were flushed whole into the
     * file moved away; when the new file then could not be written (a full disk), flows.written fell back
     * to the last batch's flush and no longer counted them (below the lines the file moved away kept).
     */
    @Test
    void linesFlushedIntoAFileMovedAwayStayCountedWrittenWhenTheNextFileFails() throws Exception {
        Path file = dir.resolve("flows.jsonl");
        RotatingOutput out = RotatingOutput.file(file, 1, 0, 0);
        LiveFlowLog flows = new LiveFlowLog(out, "jsonl", null);
        Files.move(file, dir.resolve("flows.jsonl.moved"));
        Files.createSymbolicLink(file, Path.of("/dev/full")); // the file now under the name: every write fails
        flows.flow(flow(1)); // the rotation finds the name taken by another file: the line goes into the one moved away
        flows.flow(flow(2)); // into the full one
        flows.flush();
        assertNotNull(flows.failure());
        assertEquals(1, flows.replacements());
        assertEquals(1, flows.linesInReplaced());
        assertEquals(1, Files.readAllLines(dir.resolve("flows.jsonl.moved")).size());
        assertEquals(1, flows.written(), "the line in the file moved away is written");
        assertEquals(2, flows.closed());
        out.close();
    }

    /**
     * A --rotate-size rotation that flushed the lines into the file and then could not make the new
     * file (a directory the capture's user may not create files in): the lines flushed stay in the file,
     * and flows.written counts them (it fell back to the last batch's flush, below the lines in the
     * file). Run as root without the capabilities that override file permissions ({@link Runs#withoutFileOverride}),
     * the directory's mode r-x for its owner.
     */
    @Test
    void linesFlushedByARotationThatThenFailedStayCountedWritten() throws Exception {
        Path closed = Files.createTempDirectory(Path.of("/tmp"), "pm-ro");
        Path file = closed.resolve("flows.jsonl");
        try {
            Files.writeString(file, "");
            Files.setPosixFilePermissions(closed, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
            Process p = new ProcessBuilder(Runs.withoutFileOverride(RotationFailureProbe.class, file.toString()))
                    .redirectErrorStream(true).start();
            String said = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), said);
            assertTrue(said.contains("failure " + file + ": cannot write: "), said);
            assertEquals(1, Files.readAllLines(file).size(), said);
            assertTrue(said.contains("written 1\n"), "the line in the file is counted written: " + said);
        } finally {
            Files.setPosixFilePermissions(closed, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            try (var files = Files.list(closed)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.delete(f);
                }
            }
            Files.delete(closed);
        }
    }
}
