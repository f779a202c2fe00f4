package org.portmatrix.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.portmatrix.cli.Main;

/** The captures the live tests replay, and the offline analysis they are compared with. */
final class Workload {
    static final Path SAMPLE = Path.of("captures/sample.pcap");
    static final Path SAMPLE_TOPOLOGY = Path.of("captures/sample-topology.yaml");
    static final int SAMPLE_PACKETS = 182;
    static final int MIX_PACKETS = 50_000;
    private static final Path DIR = Path.of("target/live-test");
    private static final ObjectMapper JSON = new ObjectMapper();

    private Workload() {}

    /** A 50,000-packet cut of the reference workload (deterministic) and its topology. */
    static synchronized Path[] mixCut() throws IOException, InterruptedException {
        Path pcap = DIR.resolve("lync-mix-50k.pcap");
        Path topology = DIR.resolve("lync-mix-50k.yaml");
        if (!Files.exists(pcap) || !Files.exists(topology)) {
            Files.createDirectories(DIR);
            Netns.run("python3", "../shared/bench/make_lync_mix.py", "--packets", Integer.toString(MIX_PACKETS), "-o", pcap.toString(),
                    "--topology", topology.toString());
        }
        return new Path[] {pcap, topology};
    }

    /** The closed-flow lines of a file (or of a file and its rotated parts). */
    static List<JsonNode> jsonLines(List<Path> files) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (Path f : files) {
            String text = Files.readString(f, StandardCharsets.UTF_8);
            if (!text.isEmpty() && !text.endsWith("\n")) {
                throw new AssertionError(f + " ends in the middle of a line");
            }
            for (String line : text.split("\n")) {
                if (!line.isEmpty()) {
                    out.add(JSON.readTree(line));
                }
            }
        }
        return out;
    }

    /** {@code portmatrix analyze FILE --format jsonl}, in this JVM. */
    static List<JsonNode> offline(Path pcap, Path topology) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))
                .run(new String[] {"analyze", pcap.toString(), "--topology", topology.toString(), "--format", "jsonl"});
        if (status != 0) {
            throw new AssertionError("offline analysis failed (" + status + "): " + err);
        }
        List<JsonNode> records = new ArrayList<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                records.add(JSON.readTree(line));
            }
        }
        return records;
    }

    /**
     * What must not differ between a live capture and the offline analysis of the same file: the
     * flow (Community ID and its direction), what was found on it, and its packet and byte counts.
     * Timestamps, flow ids and the end reason (idle vs capture end) depend on when it ran.
     */
    static Map<String, Integer> verdictKeys(List<JsonNode> records) {
        Map<String, Integer> m = new HashMap<>();
        for (JsonNode r : records) {
            String k = String.join(" ", r.path("community_id").asText(), r.path("transport").asText(), r.path("src_ip").asText(),
                    r.path("src_port").asText(), r.path("dst_ip").asText(), r.path("dst_port").asText(), r.path("verdict").asText(),
                    r.path("rule").asText(), r.path("app_protocol").asText(), r.path("src_roles").toString(), r.path("dst_roles").toString(),
                    r.path("packets_fwd").asText(), r.path("packets_rev").asText(), r.path("bytes_fwd").asText(), r.path("bytes_rev").asText());
            m.merge(k, 1, Integer::sum);
        }
        return m;
    }
}
