package org.portmatrix.oracle;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** tshark, the decoding oracle, as the tests ask it. */
public final class Tshark {
    private Tshark() {}

    /** The frames of {@code capture} that tshark's display filter {@code filter} matches (every frame for ""). */
    public static int tsharkCount(Path capture, String filter) throws Exception {
        Process p = new ProcessBuilder("tshark", "-n", "-r", capture.toString(), "-Y", filter, "-T", "fields", "-e", "frame.number")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "tshark -r " + capture);
        return (int) out.lines().filter(l -> !l.isBlank()).count();
    }
}
