package org.portmatrix.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code portmatrix live} as a separate process, inside a test namespace, as an operator runs it:
 * {@code java -cp CLASSPATH org.portmatrix.cli.Main live ...}. The class path is the test JVM's
 * own (Maven's test phase runs before the jar is packaged), which holds the compiled classes and
 * every dependency. Standard output and error go to files in {@link #dir}.
 */
final class LiveProcess implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    final Path dir;
    final Path stderr;
    final Process process;

    private LiveProcess(Path dir, Process process) {
        this.dir = dir;
        this.stderr = dir.resolve("stderr.txt");
        this.process = process;
    }

    static List<String> javaCommand(String... args) {
        List<String> c = new ArrayList<>(List.of("org.portmatrix.cli.Main"));
        c.addAll(List.of(args));
        return javaMain(c.toArray(new String[0]));
    }

    /** {@code java -Xmx512m -cp CLASSPATH MAIN ARGS...} with the test JVM's class path. */
    static List<String> javaMain(String... mainAndArgs) {
        String cp = System.getProperty("surefire.test.class.path");
        if (cp == null || cp.isBlank()) {
            cp = System.getProperty("java.class.path");
        }
        // SIGINT at its default (coreutils' env execs java, the same process): a build started in the background from a
        // script (`mvn verify &`, no job control) runs with SIGINT ignored, which its children inherit and the JVM keeps
        // ignored, so that a test's Ctrl-C never arrived (LiveReplayTest's SIGINT: "live did not end within 60 s").
        List<String> c = new ArrayList<>(List.of("env", "--default-signal=INT", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", cp));
        c.addAll(List.of(mainAndArgs));
        return c;
    }

    /** Starts {@code live -i IFACE ARGS} in the namespace. */
    static LiveProcess start(Netns ns, Path dir, String... args) throws IOException {
        List<String> a = new ArrayList<>(List.of("live", "-i", ns.captureIface));
        a.addAll(List.of(args));
        Files.createDirectories(dir);
        Process p = new ProcessBuilder(ns.inside(javaCommand(a.toArray(new String[0]))))
                .redirectOutput(dir.resolve("stdout.txt").toFile()).redirectError(dir.resolve("stderr.txt").toFile()).start();
        return new LiveProcess(dir, p);
    }

    String stderrText() throws IOException {
        return Files.exists(stderr) ? Files.readString(stderr, StandardCharsets.UTF_8) : "";
    }

    /** Waits for the tool's "capturing on" line: the capture socket is open from then on. */
    void awaitCapturing() throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!stderrText().contains("portmatrix live: capturing on ")) {
            if (!process.isAlive()) {
                throw new AssertionError("live ended early (exit " + process.exitValue() + "): " + stderrText());
            }
            if (System.nanoTime() > until) {
                throw new AssertionError("live did not start capturing: " + stderrText());
            }
            Thread.sleep(50);
        }
    }

    /** The current summary.json of the report directory, or null before the first report. */
    JsonNode summary(Path reportDir) throws IOException {
        Path p = reportDir.resolve("summary.json");
        return Files.exists(p) ? JSON.readTree(p.toFile()) : null;
    }

    /** Polls summary.json until it satisfies {@code done}. */
    JsonNode awaitSummary(Path reportDir, Predicate<JsonNode> done, long seconds) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            JsonNode s = summary(reportDir);
            if (s != null && done.test(s)) {
                return s;
            }
            if (!process.isAlive() || System.nanoTime() > until) {
                throw new AssertionError("summary never reached the expected state; last: " + s + "\n" + stderrText());
            }
            Thread.sleep(100);
        }
    }

    /** Polls stderr until it contains {@code text} (a status line is printed just after the summary files are replaced). */
    String awaitStderr(String text, long seconds) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            String err = stderrText();
            if (err.contains(text)) {
                return err;
            }
            if (!process.isAlive() || System.nanoTime() > until) {
                throw new AssertionError("not on stderr: " + text + "\n" + err);
            }
            Thread.sleep(20);
        }
    }

    void signal(String signal) throws IOException, InterruptedException {
        Netns.run("kill", "-" + signal, Long.toString(process.pid()));
    }

    int awaitExit(long seconds) throws Exception {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            throw new AssertionError("live did not end within " + seconds + " s: " + stderrText());
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
