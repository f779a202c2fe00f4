package org.portmatrix.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The command line run in this JVM, its output kept: for the tests that read what a run prints. */
public final class Runs {
    private Runs() {}

    /** A run's exit status, standard output and standard error. */
    public record Ran(int status, String out, String err) {
        /** Standard output read as JSON lines (--format jsonl). */
        public List<JsonNode> jsonLines() throws IOException {
            List<JsonNode> flows = new ArrayList<>();
            ObjectMapper m = new ObjectMapper();
            for (String line : out.split("\n")) {
                if (!line.isBlank()) {
                    flows.add(m.readTree(line));
                }
            }
            return flows;
        }
    }

    /** The test JVM's class path (Maven's test phase runs before the jar is packaged): the classes and every dependency. */
    public static String testClassPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp == null || cp.isBlank() ? System.getProperty("java.class.path") : cp;
    }

    /**
     * The command that runs {@code main} with {@code args} in a JVM of its own as root without the capabilities that
     * override file permissions (setpriv, util-linux; tests run as root, as CI does): a file's mode then binds it as
     * it binds any other user, while the class path (the project's and Maven's, root's own) stays readable.
     */
    public static List<String> withoutFileOverride(Class<?> main, String... args) {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--bounding-set=-dac_override,-dac_read_search",
                "--inh-caps=-dac_override,-dac_read_search", java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", testClassPath(), main.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs {@code portmatrix ARGS...} ({@link Main#run}) with its output in memory. */
    public static Ran main(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)).run(args);
        return new Ran(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
