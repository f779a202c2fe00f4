package org.portmatrix.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.Reader;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which capture file each flow was seen in: of a run over several files, each flow's record names the
 * file of its first packet and of its last ({@code file_first}, {@code file_last}), as the user gave
 * it, in JSON lines, CSV, the text report's lines and the HTML page's flagged rows. The sample is cut
 * into files with editcap, so that TCP connections and an RTP stream go on from one file into the
 * next, and tshark says which file holds each packet of each flow.
 */
class CaptureFilesTest {
    @TempDir
    Path dir;

    /** One packet of a TCP or UDP flow as tshark reads it from one file. */
    private record Seen(int file, long nanos, String key) {}

    @Test
    void eachFlowNamesTheFilesOfItsFirstAndLastPacketsAsTsharkFindsThem() throws Exception {
        Path ring = Files.createDirectory(dir.resolve("ring"));
        ReportTests.Exec cut = ReportTests.exec(60, "editcap", "-c", "25", ReportTests.SAMPLE, ring.resolve("ring.pcap").toString());
        assertEquals(0, cut.status(), cut.err());
        List<Path> files;
        try (Stream<Path> s = Files.list(ring)) {
            files = s.sorted().toList(); // editcap's names count up: their order is the packets' order
        }
        assertTrue(files.size() > 2, files.toString());
        List<Seen> packets = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            packets.addAll(tshark(i, files.get(i)));
        }
        Path out = dir.resolve("out");
        ReportTests.Run r = ReportTests.run("analyze", ring.toString(), "--topology", ReportTests.TOPOLOGY, "--report-dir", out.toString(),
                "--all-flows");
        assertEquals(0, r.status(), r.err());

        List<JsonNode> flows = ReportTests.jsonLines(out.resolve("flows.jsonl"));
        assertEquals(10, flows.size());
        int tcpAcrossFiles = 0;
        int acrossFiles = 0;
        for (JsonNode f : flows) {
            String key = key(f.get("transport").asText(), f.get("src_ip").asText(), f.get("src_port").asInt(), f.get("dst_ip").asText(),
                    f.get("dst_port").asInt());
            long first = nanos(f.get("ts_first").asText());
            long last = nanos(f.get("ts_last").asText());
            List<Seen> mine = packets.stream().filter(p -> p.key().equals(key) && p.nanos() >= first && p.nanos() <= last).toList();
            assertEquals(f.get("packets_fwd").asLong() + f.get("packets_rev").asLong(), mine.size(), "tshark's packets of " + f);
            // The first packet's file: the earliest of the files holding a packet at the flow's first time; the last's: the latest
            // holding one at its last time.
            int firstFile = mine.stream().filter(p -> p.nanos() == first).mapToInt(Seen::file).min().orElseThrow();
            int lastFile = mine.stream().filter(p -> p.nanos() == last).mapToInt(Seen::file).max().orElseThrow();
            assertEquals(files.get(firstFile).toString(), f.get("file_first").asText(), f.toString());
            assertEquals(files.get(lastFile).toString(), f.get("file_last").asText(), f.toString());
            if (firstFile != lastFile) {
                acrossFiles++;
                if (key.startsWith("tcp ")) {
                    tcpAcrossFiles++;
                }
            }
        }
        assertTrue(tcpAcrossFiles > 0, "tshark finds a TCP connection going on into a second file (the cut this test is about)");

        // CSV: the same two columns, with the same values.
        Map<String, CSVRecord> csv = csvByFlowId(out.resolve("flows.csv"));
        for (JsonNode f : flows) {
            CSVRecord row = csv.get(f.get("flow_id").asText());
            assertNotNull(row, f.toString());
            assertEquals(f.get("file_first").asText(), row.get("file_first"));
            assertEquals(f.get("file_last").asText(), row.get("file_last"));
        }

        // Text (--all-flows): every flow's line ends with its file, or its first and last file.
        String text = Files.readString(out.resolve("summary.txt"), StandardCharsets.UTF_8);
        int spanned = 0;
        for (JsonNode f : flows) {
            String where = f.get("file_first").asText().equals(f.get("file_last").asText()) ? f.get("file_first").asText()
                    : f.get("file_first").asText() + " to " + f.get("file_last").asText();
            String line = flowLine(text, f);
            assertTrue(line.endsWith("  in " + where), line);
            spanned += where.contains(" to ") ? 1 : 0;
        }
        assertEquals(acrossFiles, spanned);
        // The example of each flagged group names its file too.
        for (JsonNode f : flows) {
            if (!f.get("verdict").asText().equals("expected")) {
                String example = "e.g. " + f.get("transport").asText() + " " + f.get("src_ip").asText() + ":" + f.get("src_port").asInt() + " -> "
                        + f.get("dst_ip").asText() + ":" + f.get("dst_port").asInt();
                assertTrue(text.contains(example + " in " + f.get("file_first").asText()), example + "\n" + text);
            }
        }

        // HTML: each flagged flow's row names where its packets are.
        String html = Files.readString(out.resolve("report.html"), StandardCharsets.UTF_8);
        int flagged = 0;
        for (JsonNode f : flows) {
            if (f.get("verdict").asText().equals("expected")) {
                continue;
            }
            flagged++;
            Matcher m = Pattern.compile("<tr class=\"flow\"[^>]*data-flow-id=\"" + f.get("flow_id").asLong() + "\">(.*?)</tr>", Pattern.DOTALL)
                    .matcher(html);
            assertTrue(m.find(), "the row of flow " + f.get("flow_id"));
            String where = f.get("file_first").asText().equals(f.get("file_last").asText()) ? f.get("file_first").asText()
                    : f.get("file_first").asText() + " to " + f.get("file_last").asText();
            assertTrue(m.group(1).contains("<span class=\"file\">in " + where + "</span>"), m.group(1));
        }
        assertTrue(flagged > 0);
    }

    /**
     * Captures named one by one on the command line, by a relative path: each flow names them exactly so. An
     * RTP stream and a TCP connection cut between two files by editcap -r name both.
     */
    @Test
    void filesGivenOneByOneAreNamedAsGiven() throws Exception {
        Path a = dir.resolve("a.pcap");
        Path b = dir.resolve("b.pcap");
        assertEquals(0, ReportTests.exec(60, "editcap", "-r", ReportTests.SAMPLE, a.toString(), "1-30").status());
        assertEquals(0, ReportTests.exec(60, "editcap", "-r", ReportTests.SAMPLE, b.toString(), "31-182").status());
        Path cwd = Path.of("").toAbsolutePath();
        String relA = cwd.relativize(a).toString();
        String relB = cwd.relativize(b).toString();
        assertFalse(relA.startsWith("/"), relA);
        List<Seen> packets = new ArrayList<>(tshark(0, a));
        packets.addAll(tshark(1, b));
        ReportTests.Run r = ReportTests.run("analyze", relB, relA, "--topology", ReportTests.TOPOLOGY, "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        List<String> names = List.of(relA, relB);
        int across = 0;
        for (String line : r.out().split("\n")) {
            JsonNode f = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
            String key = key(f.get("transport").asText(), f.get("src_ip").asText(), f.get("src_port").asInt(), f.get("dst_ip").asText(),
                    f.get("dst_port").asInt());
            List<Integer> in = packets.stream().filter(p -> p.key().equals(key)).map(Seen::file).distinct().sorted().toList();
            assertEquals(names.get(in.get(0)), f.get("file_first").asText(), f.toString());
            assertEquals(names.get(in.get(in.size() - 1)), f.get("file_last").asText(), f.toString());
            across += in.size() > 1 ? 1 : 0;
        }
        assertTrue(across > 0, "a flow of both files");
    }

    /**
     * Packets of a flow read out of time order across the files: b.pcap holds a packet of another flow and then, stamped
     * earlier, the SYN of the TLS connection whose next 15 packets are in a.pcap (a mirror port's file whose capture
     * queues wrote out of order). The merge reads the connection's first packet last; the record's ts_first is that
     * packet's time and ts_last the time of its last packet in a.pcap, so file_first is b.pcap and file_last a.pcap, as
     * tshark finds them (named by the order they were read in, they were a.pcap, then b.pcap: neither holds a packet at
     * the time the record gives).
     */
    @Test
    void theFilesAreThoseOfThePacketsAtTheFlowsFirstAndLastTimesWhateverTheOrderTheyWereReadIn() throws Exception {
        Path a = dir.resolve("a.pcap");
        Path b = dir.resolve("b.pcap");
        Path later = dir.resolve("later.pcap");
        Path first = dir.resolve("first.pcap");
        assertEquals(0, ReportTests.exec(60, "editcap", "-r", ReportTests.SAMPLE, a.toString(), "2-16").status());
        assertEquals(0, ReportTests.exec(60, "editcap", "-r", ReportTests.SAMPLE, later.toString(), "21").status());
        assertEquals(0, ReportTests.exec(60, "editcap", "-r", ReportTests.SAMPLE, first.toString(), "1").status());
        ReportTests.Exec cat = ReportTests.exec(60, "mergecap", "-a", "-F", "pcap", "-w", b.toString(), later.toString(), first.toString());
        assertEquals(0, cat.status(), cat.err());
        Files.delete(later);
        Files.delete(first);
        List<Seen> inB = tshark(1, b);
        assertTrue(inB.size() == 2 && inB.get(1).nanos() < inB.get(0).nanos(), "b.pcap out of time order: " + inB);
        List<Seen> packets = new ArrayList<>(tshark(0, a));
        packets.addAll(inB);
        ReportTests.Run r = ReportTests.run("analyze", a.toString(), b.toString(), "--topology", ReportTests.TOPOLOGY, "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        List<String> names = List.of(a.toString(), b.toString());
        int fromBToA = 0;
        String[] lines = r.out().split("\n");
        assertEquals(2, lines.length, r.out());
        for (String line : lines) {
            JsonNode f = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
            String key = key(f.get("transport").asText(), f.get("src_ip").asText(), f.get("src_port").asInt(), f.get("dst_ip").asText(),
                    f.get("dst_port").asInt());
            long firstNanos = nanos(f.get("ts_first").asText());
            long lastNanos = nanos(f.get("ts_last").asText());
            List<Seen> mine = packets.stream().filter(p -> p.key().equals(key)).toList();
            assertEquals(f.get("packets_fwd").asLong() + f.get("packets_rev").asLong(), mine.size(), "tshark's packets of " + f);
            int firstFile = mine.stream().filter(p -> p.nanos() == firstNanos).mapToInt(Seen::file).min().orElseThrow();
            int lastFile = mine.stream().filter(p -> p.nanos() == lastNanos).mapToInt(Seen::file).max().orElseThrow();
            assertEquals(names.get(firstFile), f.get("file_first").asText(), f.toString());
            assertEquals(names.get(lastFile), f.get("file_last").asText(), f.toString());
            fromBToA += firstFile == 1 && lastFile == 0 ? 1 : 0;
        }
        assertEquals(1, fromBToA, "the connection: its first packet in b.pcap, its last in a.pcap");
    }

    /** One capture: the run names it in its summary, and the flows' fields are null (JSON), empty (CSV), not in the text lines. */
    @Test
    void aRunOfOneCaptureLeavesTheFieldsEmpty() throws Exception {
        Path out = dir.resolve("out");
        ReportTests.Run r = ReportTests.run("analyze", ReportTests.SAMPLE, "--topology", ReportTests.TOPOLOGY, "--report-dir", out.toString(),
                "--all-flows");
        assertEquals(0, r.status(), r.err());
        List<JsonNode> flows = ReportTests.jsonLines(out.resolve("flows.jsonl"));
        assertEquals(10, flows.size());
        for (JsonNode f : flows) {
            assertTrue(f.has("file_first") && f.get("file_first").isNull(), f.toString());
            assertTrue(f.has("file_last") && f.get("file_last").isNull(), f.toString());
        }
        for (CSVRecord row : csvByFlowId(out.resolve("flows.csv")).values()) {
            assertEquals("", row.get("file_first"));
            assertEquals("", row.get("file_last"));
        }
        String text = Files.readString(out.resolve("summary.txt"), StandardCharsets.UTF_8);
        for (JsonNode f : flows) {
            assertFalse(flowLine(text, f).contains(" in "), flowLine(text, f));
        }
        for (String line : text.split("\n")) {
            assertFalse(line.startsWith("  ") && line.contains(ReportTests.SAMPLE), line); // (the header names it)
        }
        assertFalse(Files.readString(out.resolve("report.html"), StandardCharsets.UTF_8).contains("<span class=\"file\">"));
    }

    private static Map<String, CSVRecord> csvByFlowId(Path file) throws IOException {
        Map<String, CSVRecord> byId = new HashMap<>();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
                CSVParser p = CSVParser.builder().setReader(in).setFormat(CSVFormat.DEFAULT.builder().setHeader().get()).get()) {
            for (CSVRecord row : p) {
                byId.put(row.get("flow_id"), row);
            }
        }
        return byId;
    }

    /** The text report's line of the flow (--all-flows): its verdict, transport and both endpoints. */
    private static String flowLine(String text, JsonNode f) {
        String src = f.get("src_ip").asText() + ":" + f.get("src_port").asInt();
        String dst = f.get("dst_ip").asText() + ":" + f.get("dst_port").asInt();
        for (String line : text.split("\n")) {
            String[] w = line.trim().split("\\s+");
            if (w.length > 4 && w[0].equals(f.get("verdict").asText()) && w[1].equals(f.get("transport").asText()) && w[2].equals(src)
                    && w[3].equals(dst)) {
                return line;
            }
        }
        throw new AssertionError("no line for " + src + " -> " + dst + " in\n" + text);
    }

    /** Every TCP and UDP packet of the file, as tshark reads it (ICMP errors quoting one left out: they are no flow's packets). */
    private static List<Seen> tshark(int index, Path file) throws Exception {
        ReportTests.Exec t = ReportTests.exec(60, "tshark", "-n", "-r", file.toString(), "-Y", "(tcp || udp) && !icmp && !icmpv6", "-T", "fields",
                "-E", "separator=/t", "-e", "frame.time_epoch", "-e", "ip.src", "-e", "ipv6.src", "-e", "ip.dst", "-e", "ipv6.dst",
                "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "udp.srcport", "-e", "udp.dstport");
        assertEquals(0, t.status(), t.err());
        List<Seen> seen = new ArrayList<>();
        for (String line : t.out().split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] c = line.split("\t", -1);
            String src = c[1].isEmpty() ? c[2] : c[1];
            String dst = c[3].isEmpty() ? c[4] : c[3];
            boolean tcp = !c[5].isEmpty();
            String key = tcp ? key("tcp", src, Integer.parseInt(c[5]), dst, Integer.parseInt(c[6]))
                    : key("udp", src, Integer.parseInt(c[7]), dst, Integer.parseInt(c[8]));
            seen.add(new Seen(index, new BigDecimal(c[0]).movePointRight(9).longValueExact(), key));
        }
        return seen;
    }

    /** A flow's 5-tuple, whichever way round: "tcp A:p B:q" with the smaller endpoint first. */
    private static String key(String transport, String ipA, int portA, String ipB, int portB) throws IOException {
        String a = InetAddress.getByName(ipA).getHostAddress() + ":" + portA;
        String b = InetAddress.getByName(ipB).getHostAddress() + ":" + portB;
        return transport + " " + (a.compareTo(b) <= 0 ? a + " " + b : b + " " + a);
    }

    private static long nanos(String iso) {
        Instant t = Instant.parse(iso);
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
}
