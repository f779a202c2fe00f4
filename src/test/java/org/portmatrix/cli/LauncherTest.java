package org.portmatrix.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher script {@code ./portmatrix}, run as a user runs it, on a jar that names the test
 * JVM's class path in its manifest (Maven's test phase runs before the real jar is packaged, and
 * the launcher would build one if it found the sources newer): a copy of the script beside
 * {@code target/portmatrix.jar} in a directory of its own, with no sources to be stale.
 */
class LauncherTest {
    @TempDir
    Path dir;

    record Run(int status, String out, String err) {}

    private Run launch(String javaOpts, String... args) throws Exception {
        Path script = dir.resolve("portmatrix");
        if (!Files.exists(script)) {
            Files.copy(Path.of("portmatrix"), script, StandardCopyOption.COPY_ATTRIBUTES);
            Path target = Files.createDirectories(dir.resolve("target"));
            Manifest m = new Manifest();
            m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, Main.class.getName());
            StringBuilder cp = new StringBuilder();
            for (String entry : Runs.testClassPath().split(File.pathSeparator)) {
                Path p = Path.of(entry).toAbsolutePath();
                // (relative to the jar: the manifest's Class-Path holds relative URLs; a directory ends with '/')
                String rel = target.relativize(p).toString().replace(" ", "%20") + (Files.isDirectory(p) ? "/" : "");
                cp.append(cp.length() == 0 ? "" : " ").append(rel);
            }
            m.getMainAttributes().put(Attributes.Name.CLASS_PATH, cp.toString());
            try (OutputStream o = Files.newOutputStream(target.resolve("portmatrix.jar")); JarOutputStream jar = new JarOutputStream(o, m)) {
                // the manifest only
            }
        }
        List<String> cmd = new java.util.ArrayList<>(List.of("bash", script.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile());
        pb.environment().put("PORTMATRIX_JAVA_OPTS", javaOpts);
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the launcher ended");
        return new Run(p.exitValue(), Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8),
                Files.readString(dir.resolve("err.txt"), StandardCharsets.UTF_8));
    }

    /** The sample without its last 10 bytes: its last record truncated, the damage. */
    private Path cutSample() throws java.io.IOException {
        byte[] whole = Files.readAllBytes(Path.of(MainTest.SAMPLE));
        Path cut = dir.resolve("cut.pcap");
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length - 10));
        return cut;
    }

    private static void assertPureJsonLines(Run r) throws Exception {
        ObjectMapper json = new ObjectMapper();
        String[] lines = r.out().split("\n");
        assertEquals(10, lines.length, r.out());
        for (String line : lines) {
            assertTrue(line.startsWith("{"), "a JSON line, not the JVM's: " + line);
            json.readTree(line);
        }
    }

    /**
     * With a heap of the user's ({@code -Xmx100m}), the launcher's 128 MiB young generation for
     * analyze made the JVM print "[warning][gc,ergo] NewSize was set larger than initial heap size"
     * on standard output, in the middle of the JSON lines. It now leaves the young generation to the
     * JVM then, and the JVM's own warnings go to standard error: one the user's options cause
     * ({@code -Xmn128m} with {@code -Xmx100m}) is still seen, there.
     */
    @Test
    void aSmallHeapOfTheUsersKeepsStandardOutputPureJsonLines() throws Exception {
        String sample = Path.of(MainTest.SAMPLE).toAbsolutePath().toString();
        String topology = Path.of(MainTest.TOPOLOGY).toAbsolutePath().toString();
        Run r = launch("-Xmx100m", "analyze", sample, "-t", topology, "-f", "jsonl");
        assertEquals(0, r.status(), r.err());
        assertPureJsonLines(r);
        assertFalse(r.err().contains("NewSize"), "no young generation larger than the heap: " + r.err());

        r = launch("-Xmx100m -Xmn128m", "analyze", sample, "-t", topology, "-f", "jsonl");
        assertEquals(0, r.status(), r.err());
        assertPureJsonLines(r);
        assertTrue(r.err().contains("[warning][gc,ergo] NewSize was set larger than initial heap size"), "the JVM's warning on stderr: " + r.err());
    }

    /**
     * A damaged capture's text report written into a file ({@code > report.txt}) said its damage inside the file only: the
     * run ended with exit status 3 and nothing on the terminal. The damage is said on stderr too when standard output
     * is no terminal; on a terminal, where the report itself shows it, once.
     */
    @Test
    void aDamagedCapturesTextReportRedirectedSaysTheDamageOnStderr() throws Exception {
        Path cut = cutSample();
        String topology = Path.of(MainTest.TOPOLOGY).toAbsolutePath().toString();
        for (String format : new String[] {"text", null}) {
            Run r = format == null ? launch("", "analyze", cut.toString(), "-t", topology) : launch("", "analyze", cut.toString(), "-t", topology, "-f", format);
            assertEquals(3, r.status(), r.err());
            String damage = "damaged input: " + cut + ": offset ";
            assertTrue(r.out().contains("  " + damage), "the report says it: " + r.out());
            assertTrue(r.err().lines().anyMatch(l -> l.startsWith("portmatrix: " + damage) && l.contains("truncated last record")),
                    format + ": stderr says it too: " + r.err());
        }
        // On a terminal (script(1) gives the run one; its standard output and error both go to it): the line once.
        Path typescript = dir.resolve("typescript");
        launch(""); // (the launcher and its jar made)
        Process p = new ProcessBuilder("script", "-qec", "bash " + dir.resolve("portmatrix") + " analyze " + cut + " -t " + topology, typescript.toString())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "script ended");
        String seen = Files.readString(typescript, StandardCharsets.UTF_8);
        assertEquals(3, p.exitValue(), seen);
        assertEquals(1, seen.split("damaged input: ", -1).length - 1, seen);
    }

    /**
     * Standard error sent where standard output goes ({@code 2>&1 | tee log}, {@code > log 2>&1}): the report there says
     * the damage, and it is not said a second time on stderr (it had been: the report's line, then the same damage again
     * after it, in the one file or on the one screen behind tee).
     */
    @Test
    void aDamagedCapturesReportWithStderrInTheSameStreamSaysTheDamageOnce() throws Exception {
        Path cut = cutSample();
        String topology = Path.of(MainTest.TOPOLOGY).toAbsolutePath().toString();
        launch(""); // (the launcher and its jar made)
        String run = "bash " + dir.resolve("portmatrix") + " analyze " + cut + " -t " + topology;
        Path log = dir.resolve("log.txt");
        for (String shell : new String[] {run + " > " + log + " 2>&1", run + " 2>&1 | tee " + log + " > /dev/null; exit ${PIPESTATUS[0]}",
                run + " --report-dir " + dir.resolve("reports") + " 2>&1 | cat > " + log + "; exit ${PIPESTATUS[0]}"}) {
            Process p = new ProcessBuilder("bash", "-c", shell).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the run ended");
            String seen = Files.readString(log, StandardCharsets.UTF_8);
            assertEquals(3, p.exitValue(), shell + ": " + seen);
            assertEquals(1, seen.split("damaged input: ", -1).length - 1, shell + ": the damage once:\n" + seen);
        }
        // Apart (> report.txt 2> errors.txt), still said on stderr too.
        Process p = new ProcessBuilder("bash", "-c", run + " > " + log + " 2> " + dir.resolve("err.txt")).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the run ended");
        assertEquals(3, p.exitValue());
        assertTrue(Files.readString(dir.resolve("err.txt")).startsWith("portmatrix: damaged input: " + cut + ": offset "),
                Files.readString(dir.resolve("err.txt")));
    }
}
