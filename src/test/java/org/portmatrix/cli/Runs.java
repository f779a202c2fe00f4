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

    /** Runs {@code portmatrix ARGS...} ({@link Main#run}) with its output in memory. */
    public static Ran main(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)).run(args);
        return new Ran(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
