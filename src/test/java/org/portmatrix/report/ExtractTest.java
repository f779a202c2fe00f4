package org.portmatrix.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.portmatrix.report.ReportTests.HOSTILE;
import static org.portmatrix.report.ReportTests.SAMPLE;
import static org.portmatrix.report.ReportTests.TOPOLOGY;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.report.ReportTests.Exec;
import org.portmatrix.report.ReportTests.Run;

/**
 * {@code --extract}: the packets of the flagged flows, checked with Wireshark's own tools (capinfos,
 * tshark) against the report's packet counts and 5-tuples.
 */
class ExtractTest {
    @TempDir
    Path dir;

    private static long flaggedPackets(List<JsonNode> flows) {
        return flows.stream().filter(f -> !f.get("verdict").asText().equals("expected"))
                .mapToLong(f -> f.get("packets_fwd").asLong() + f.get("packets_rev").asLong() + f.get("icmp_errors").asLong()).sum();
    }

    private static Set<String> flaggedConversations(List<JsonNode> flows) {
        Set<String> out = new TreeSet<>();
        for (JsonNode f : flows) {
            if (!f.get("verdict").asText().equals("expected")) {
                out.add(f.get("transport").asText() + " " + f.get("src_ip").asText() + ":" + f.get("src_port").asText() + " "
                        + f.get("dst_ip").asText() + ":" + f.get("dst_port").asText());
            }
        }
        return out;
    }

    /** The initiator→responder pairs tshark sees in a file (the first packet of each TCP stream / UDP pair). */
    private static Set<String> tsharkConversations(Path pcap) throws Exception {
        Exec e = ReportTests.exec(60, "tshark", "-n", "-r", pcap.toString(), "-T", "fields", "-E", "separator=,", "-e", "ip.proto", "-e", "ip.src",
                "-e", "tcp.srcport", "-e", "udp.srcport", "-e", "ip.dst", "-e", "tcp.dstport", "-e", "udp.dstport", "-e", "tcp.flags.syn",
                "-e", "tcp.flags.ack");
        assertEquals(0, e.status(), e.err());
        Set<String> out = new TreeSet<>();
        for (String line : e.out().split("\n")) {
            String[] f = line.split(",", -1);
            if (f[0].equals("6") && f[7].equals("1") && f[8].equals("0")) { // TCP SYN: initiator -> responder
                out.add("tcp " + f[1] + ":" + f[2] + " " + f[4] + ":" + f[5]);
            }
        }
        return out;
    }

    private static long capinfosCount(Path pcap) throws Exception {
        Exec e = ReportTests.exec(60, "capinfos", "-M", "-c", "-T", "-r", pcap.toString());
        assertEquals(0, e.status(), e.err());
        return Long.parseLong(e.out().trim().split("\t")[1]);
    }

    @Test
    void extractHoldsEveryPacketOfTheFlaggedFlowsOfTheSample() throws Exception {
        Path pcap = dir.resolve("flagged.pcap");
        Path json = dir.resolve("flows.jsonl");
        Run r = ReportTests.run("analyze", SAMPLE, "--topology", TOPOLOGY, "--format", "jsonl", "--output", json.toString(), "--extract",
                pcap.toString());
        assertEquals(0, r.status(), r.err());
        List<JsonNode> flows = ReportTests.jsonLines(json);
        long expected = flaggedPackets(flows);
        assertTrue(expected > 0);
        assertEquals(expected, capinfosCount(pcap), "capinfos counts the report's packets of flagged flows");
        assertEquals(flaggedConversations(flows), tsharkConversations(pcap), "the extract holds exactly the flagged flows");
        Exec type = ReportTests.exec(60, "capinfos", "-t", "-E", pcap.toString());
        assertTrue(type.out().contains("nanosecond") && type.out().contains("Ethernet"), "pcap, nanosecond, the source's link type: " + type.out());
        assertEquals(0, ReportTests.exec(60, "tshark", "-n", "-r", pcap.toString()).status(), "tshark reads the file without error");
    }

    /**
     * The extract written during the analysis (decided per flow as it goes, undecided flows queued)
     * is byte for byte the one the second pass writes when the queue is given no room, on captures
     * whose flagged flows are flagged from their first packet (ports, role pairs, unknown hosts) and
     * only by what inspection saw (protocol mismatches, an unverifiable MTLS session), and on three
     * captures of three link types together (the extract turns into pcapng while it is written).
     */
    @Test
    void extractWrittenInTheFirstPassIsTheOneTheSecondPassWrites() throws Exception {
        String inspectTopology = "captures/inspect/inspect-topology.yaml";
        // The last case: three link types (the extract becomes pcapng as it is written) and roles inferred.
        String[][] cases = {{SAMPLE, "--topology", TOPOLOGY}, {HOSTILE, "--topology", TOPOLOGY},
            {"captures/inspect/tls.pcap", "--topology", inspectTopology}, {"captures/inspect/sip.pcap", "--topology", inspectTopology},
            {"captures/inspect/media.pcap", "--topology", inspectTopology}, {"captures/inspect/others.pcap", "--topology", inspectTopology},
            {"captures/icmp/icmp-errors.pcap", "--topology", TOPOLOGY}, // ICMP errors go with the flow they quote, in both passes
            // A TLS ClientHello answered in cleartext: flagged by the server's first bytes, not let go at the ClientHello.
            {"captures/inspect/tls-cleartext-server.pcap", "--topology", TOPOLOGY},
            {"captures/decode/any-sll.pcap", "captures/decode/lo.pcap", "captures/decode/any-sll2.pcap"}};
        System.setProperty("portmatrix.timing", "true");
        try {
            for (String[] c : cases) {
                Path first = dir.resolve("first.pcap");
                Path json = dir.resolve("first.jsonl");
                List<String> args = new java.util.ArrayList<>(List.of("analyze"));
                args.addAll(List.of(c));
                Run r = ReportTests.run(java.util.stream.Stream.concat(args.stream(), Stream.of("--format", "jsonl", "--output",
                        json.toString(), "--extract", first.toString())).toArray(String[]::new));
                assertEquals(0, r.status(), r.err());
                assertTrue(r.err().contains("timing: extract written in the first pass"), c[0] + ": " + r.err());
                boolean queued = !r.err().contains("(queue peak 0 bytes)");
                System.setProperty("portmatrix.extract.queueMiB", "0");
                Path second = dir.resolve("second.pcap");
                try {
                    r = ReportTests.run(java.util.stream.Stream.concat(args.stream(), Stream.of("--extract", second.toString()))
                            .toArray(String[]::new));
                } finally {
                    System.clearProperty("portmatrix.extract.queueMiB");
                }
                assertEquals(0, r.status(), r.err());
                // Without room, a capture whose flows were all decided at their first packet is still written in the first pass.
                assertTrue(r.err().contains(queued ? "timing: extract: second pass (the queue outgrew its limit)"
                        : "timing: extract written in the first pass"), c[0] + ": " + r.err());
                assertEquals(flaggedPackets(ReportTests.jsonLines(json)), capinfosCount(first), c[0]);
                assertTrue(java.util.Arrays.equals(Files.readAllBytes(second), Files.readAllBytes(first)), c[0] + ": the same file");
            }
        } finally {
            System.clearProperty("portmatrix.timing");
        }
    }

    @Test
    void extractOfTheHostileCaptureHasEveryPacket() throws Exception {
        Path pcap = dir.resolve("hostile-flagged.pcap");
        Path json = dir.resolve("hostile.jsonl");
        Run r = ReportTests.run("analyze", HOSTILE, "--topology", TOPOLOGY, "--format", "jsonl", "--output", json.toString(), "--extract",
                pcap.toString());
        assertEquals(0, r.status(), r.err());
        List<JsonNode> flows = ReportTests.jsonLines(json);
        assertEquals(flows.size(), flaggedConversations(flows).size(), "every flow of this capture is flagged");
        assertEquals(capinfosCount(Path.of(HOSTILE)), capinfosCount(pcap), "so every packet of the capture is in the extract");
        assertEquals(flaggedPackets(flows), capinfosCount(pcap));
    }

    @Test
    void extractWithNoFlaggedFlowIsAnEmptyCapture() throws Exception {
        // Flow 1 of the sample alone (an expected MTLS session), cut out by tshark.
        Path only = dir.resolve("expected-only.pcap");
        Exec cut = ReportTests.exec(60, "tshark", "-n", "-r", SAMPLE, "-Y", "tcp.port == 36009", "-F", "pcap", "-w", only.toString());
        assertEquals(0, cut.status(), cut.err());
        Path pcap = dir.resolve("none.pcap");
        Run r = ReportTests.run("analyze", only.toString(), "--topology", TOPOLOGY, "--extract", pcap.toString());
        assertEquals(0, r.status(), r.err());
        assertEquals(0, capinfosCount(pcap));
        // The text report went to standard output: the extract is said on stderr, as the other formats' summaries say it.
        assertEquals("portmatrix: wrote " + pcap + " (0 packets of the flagged flows)", r.err().strip());
    }

    @Test
    void extractRefusesAStreamThatCannotBeReadTwice() throws Exception {
        Path fifo = dir.resolve("capture.fifo");
        assertEquals(0, ReportTests.exec(10, "mkfifo", fifo.toString()).status());
        Run r = ReportTests.run("analyze", fifo.toString(), "--topology", TOPOLOGY, "--extract", dir.resolve("x.pcap").toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("--extract reads the captures a second time"), r.err());
        assertTrue(r.out().isEmpty());
    }

    @Test
    void aMissingCaptureIsNamedAsMissingWithTheExtractToo() throws Exception {
        Path missing = dir.resolve("no-such.pcap");
        Run without = ReportTests.run("analyze", missing.toString(), "--topology", TOPOLOGY);
        Run with = ReportTests.run("analyze", missing.toString(), "--topology", TOPOLOGY, "--extract", dir.resolve("x.pcap").toString());
        assertEquals(2, without.status());
        assertEquals(2, with.status());
        assertEquals("portmatrix: " + missing + ": no such file", with.err().strip()); // (it said "... is not a file")
        assertEquals(without.err().strip(), with.err().strip());
        assertFalse(Files.exists(dir.resolve("x.pcap")));
    }

    @Test
    void extractCanGoIntoTheReportDirectoryItCreates() throws Exception {
        Path reports = dir.resolve("new-dir");
        Run r = ReportTests.run("analyze", SAMPLE, "--topology", TOPOLOGY, "--report-dir", reports.toString(), "--extract",
                reports.resolve("flagged.pcap").toString());
        assertEquals(0, r.status(), r.err());
        assertEquals(flaggedPackets(ReportTests.jsonLines(reports.resolve("flows.jsonl"))), capinfosCount(reports.resolve("flagged.pcap")));
        assertTrue(r.out().contains("flagged.pcap (38 packets of the flagged flows)"), "the one-screen summary names the extract: " + r.out());
    }

    @Test
    void extractIntoAMissingDirectoryIsAUsageErrorBeforeAnyReport() throws Exception {
        Path out = dir.resolve("report.txt");
        Run r = ReportTests.run("analyze", SAMPLE, "--output", out.toString(), "--extract", dir.resolve("no/such/dir/x.pcap").toString());
        assertEquals(2, r.status());
        assertTrue(r.err().startsWith("portmatrix: ") && r.err().contains("cannot write the extract"), r.err());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.toList(), "no report, no temporary file left behind");
        }
    }

    /** A write of the extract that fails when the analysis ends loses the extract only: the flows are reported. */
    @Test
    void anExtractThatCannotBeWrittenLosesOnlyTheExtract() throws Exception {
        Path pcap = dir.resolve("flagged.pcap");
        Exec e = ReportTests.limited(4, SAMPLE, "--topology", TOPOLOGY, "--format", "jsonl", "--extract", pcap.toString());
        assertEquals(2, e.status(), e.err());
        String[] err = e.err().strip().split("\n");
        assertEquals("portmatrix: " + pcap + ": cannot write the extract: File too large", err[err.length - 1], e.err());
        assertTrue(e.err().contains("7 expected, 3 outside the matrix"), "the summary is printed: " + e.err());
        assertEquals(10, e.out().strip().split("\n").length, "every flow reported: " + e.out());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.toList(), "no extract, no temporary file left behind");
        }
    }

    /**
     * A write that fails during the analysis (the extract's second MiB, past a 1 MiB limit: the
     * direct write fails, then the page cache's) stops the extract and not the analysis.
     */
    @Test
    void anExtractThatFailsDuringTheAnalysisLosesOnlyTheExtract() throws Exception {
        Path capture = dir.resolve("outside.pcap");
        int flows = 40;
        int perFlow = 100;
        try (PcapWriter w = new PcapWriter(capture)) {
            for (int i = 0; i < flows * perFlow; i++) {
                byte[] f = udpFrame(i % flows, 1000);
                w.write(f, 0, f.length, f.length, 1_700_000_000_000_000_000L + i * 1_000_000L, 1);
            }
            w.commit();
        }
        Path pcap = dir.resolve("flagged.pcap");
        Exec e = ReportTests.limited(1024, capture.toString(), "--topology", TOPOLOGY, "--format", "jsonl", "--extract", pcap.toString());
        assertEquals(2, e.status(), e.err());
        String[] err = e.err().strip().split("\n");
        assertEquals("portmatrix: " + pcap + ": cannot write the extract: File too large", err[err.length - 1], e.err());
        String[] lines = e.out().strip().split("\n");
        assertEquals(flows, lines.length, "every flow reported");
        for (String line : lines) {
            assertTrue(line.contains("\"verdict\":\"unknown_host\"") && line.contains("\"packets_fwd\":" + perFlow), line);
        }
        try (var files = Files.list(dir)) {
            assertEquals(List.of(capture), files.toList(), "no extract, no temporary file left behind");
        }
    }

    /** Ethernet, IPv4 10.99.0.1 -> 10.99.1.{1+flow}, UDP 40000 -> 50000, {@code payload} bytes (checksums zero). */
    private static byte[] udpFrame(int flow, int payload) {
        byte[] f = new byte[14 + 20 + 8 + payload];
        f[12] = 0x08; // EtherType IPv4
        int ip = 14;
        int total = 20 + 8 + payload;
        f[ip] = 0x45; // version 4, IHL 5
        f[ip + 2] = (byte) (total >> 8);
        f[ip + 3] = (byte) total;
        f[ip + 8] = 64; // TTL
        f[ip + 9] = 17; // UDP
        f[ip + 12] = 10;
        f[ip + 13] = 99;
        f[ip + 15] = 1; // source 10.99.0.1
        f[ip + 16] = 10;
        f[ip + 17] = 99;
        f[ip + 18] = 1;
        f[ip + 19] = (byte) (1 + flow); // destination 10.99.1.(1 + flow)
        int udp = ip + 20;
        f[udp] = (byte) (40000 >> 8);
        f[udp + 1] = (byte) 40000;
        f[udp + 2] = (byte) (50000 >> 8);
        f[udp + 3] = (byte) 50000;
        f[udp + 4] = (byte) ((8 + payload) >> 8);
        f[udp + 5] = (byte) (8 + payload);
        return f;
    }
}
