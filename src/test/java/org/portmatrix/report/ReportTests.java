package org.portmatrix.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.portmatrix.cli.Main;
import org.portmatrix.cli.Runs;

/** Shared helpers of the report tests: running the CLI in-process, external programs, the golden file. */
final class ReportTests {
    static final String SAMPLE = "captures/sample.pcap";
    static final String TOPOLOGY = "captures/sample-topology.yaml";
    static final String HOSTILE = "captures/hostile/hostile.pcap";

    private ReportTests() {}

    record Run(int status, String out, String err) {}

    static Run run(String... args) {
        Runs.Ran r = Runs.main(args);
        return new Run(r.status(), r.out(), r.err());
    }

    record Exec(int status, String out, String err) {}

    /** Runs an external program to its end (bounded), with no input. */
    static Exec exec(long timeoutSeconds, String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("report-test", ".out");
        Path err = Files.createTempFile("report-test", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s");
            }
            return new Exec(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /**
     * The analysis under a file-size limit ({@code ulimit -f}, in KiB: a write past it fails with
     * "File too large"), in a JVM of its own; its standard output goes through a pipe to {@code cat},
     * which is not limited.
     */
    static Exec limited(int kib, String... args) throws Exception {
        StringBuilder cmd = new StringBuilder("set -o pipefail; ( ulimit -f " + kib + "; exec " + Path.of(System.getProperty("java.home"), "bin", "java")
                + " -XX:-UsePerfData -cp " + System.getProperty("java.class.path") + " org.portmatrix.cli.Main analyze");
        for (String a : args) {
            cmd.append(' ').append(a);
        }
        cmd.append(" ) | cat");
        return ReportTests.exec(120, "bash", "-c", cmd.toString());
    }

    static List<JsonNode> jsonLines(Path file) throws IOException {
        ObjectMapper m = new ObjectMapper();
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                out.add(m.readTree(line));
            }
        }
        return out;
    }

    /** One line of sample.golden. */
    /**
     * @param rule the record's rule ("-" for none)
     * @param alsoAllowedBy the other catalog rules that allow the flow alike (its roles, transport, port and protocol
     *                      check), which the coverage counts it for too: the golden file writes them after the record's
     *                      rule, joined by ','
     */
    record GoldenFlow(String transport, String src, String dst, String verdict, String rule, List<String> alsoAllowedBy, String app,
                      String srcRoles, String dstRoles, long packetsFwd, long bytesFwd, long packetsRev, long bytesRev) {
        long packets() {
            return packetsFwd + packetsRev;
        }

        long bytes() {
            return bytesFwd + bytesRev;
        }

        boolean flagged() {
            return !verdict.equals("expected");
        }

        /** "unknown" for a host in no role, as the reports label it. */
        String srcLabel() {
            return srcRoles.equals("-") ? "unknown" : srcRoles;
        }

        String dstLabel() {
            return dstRoles.equals("-") ? "unknown" : dstRoles;
        }

        int dstPort() {
            return Integer.parseInt(dst.substring(dst.lastIndexOf(':') + 1));
        }

        String key() {
            return transport + " " + src + " " + dst;
        }
    }

    static List<GoldenFlow> golden() throws IOException {
        List<GoldenFlow> out = new ArrayList<>();
        try (InputStream in = ReportTests.class.getResourceAsStream("sample.golden")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.trim().split("\\s+");
                assertEquals(12, f.length, line);
                List<String> rules = List.of(f[4].split(","));
                out.add(new GoldenFlow(f[0], f[1], f[2], f[3], rules.get(0), rules.subList(1, rules.size()), f[5], f[6], f[7],
                        Long.parseLong(f[8]), Long.parseLong(f[9]), Long.parseLong(f[10]), Long.parseLong(f[11])));
            }
        }
        assertTrue(out.size() == 10, "sample.golden has the ten flows of captures/README.md");
        return out;
    }

    /** The text of a JSON field, "-" for null (as the golden file writes it); arrays joined by '+'. */
    static String text(JsonNode n) {
        if (n == null || n.isNull()) {
            return "-";
        }
        if (n.isArray()) {
            List<String> parts = new ArrayList<>();
            n.forEach(e -> parts.add(e.asText()));
            return parts.isEmpty() ? "-" : String.join("+", parts);
        }
        return n.asText();
    }
}
