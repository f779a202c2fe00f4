package org.portmatrix.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.portmatrix.capture.Captures;
import org.portmatrix.capture.PacketRef;
import org.portmatrix.capture.PacketSource;
import org.portmatrix.classify.Catalog;
import org.portmatrix.classify.Classifier;
import org.portmatrix.classify.CompiledCatalog;
import org.portmatrix.classify.Roles;
import org.portmatrix.classify.Topology;
import org.portmatrix.classify.Verdict;
import org.portmatrix.decode.Decoded;
import org.portmatrix.flow.FlowConfig;
import org.portmatrix.report.FlowRecord;
import org.portmatrix.report.JsonLinesReport;
import org.portmatrix.report.OpenFlows;
import org.portmatrix.report.ReportContext;
import org.portmatrix.report.RunSummary;

/**
 * The open flows of a live report ({@link Analyzer#openFlows}) are classified without changing them: real captures
 * fed packet by packet through the live path ({@link Analyzer#packet}), once as they are and once with a snapshot of
 * every open flow after every packet, give the same closed-flow lines byte for byte and the same certificate
 * inventory; and the snapshots say what each open flow is so far.
 */
public class OpenFlowsSnapshotTest {
    private static final String SAMPLE_TOPOLOGY = "captures/sample-topology.yaml";
    private static final String INSPECT_TOPOLOGY = "captures/inspect/inspect-topology.yaml";

    /** The closed-flow lines and the summary of a run; {@code each}: given the analyzer after every packet. */
    private record Run(String lines, RunSummary summary) {}

    private static Run run(String capture, String topology, Consumer<Analyzer> each) throws Exception {
        Roles roles = new Roles();
        Catalog catalog = Catalog.builtIn(roles);
        Topology t = Topology.load(Path.of(topology), roles);
        StringWriter out = new StringWriter();
        JsonLinesReport jsonl = new JsonLinesReport(out);
        Analyzer a = new Analyzer(new Classifier(new CompiledCatalog(catalog), t), FlowConfig.defaults(), false, jsonl);
        Decoded d = new Decoded();
        PacketRef ref = new PacketRef();
        try (PacketSource s = Captures.open(Path.of(capture))) {
            while (s.next(ref)) {
                a.packet(ref.buf, ref.offset, ref.caplen, ref.origLen, ref.tsNanos, ref.linkType, d);
                each.accept(a);
            }
        }
        RunSummary summary = a.finish("catalog", topology);
        return new Run(out.toString(), summary);
    }

    private static OpenFlows snapshot(Analyzer a) {
        OpenFlows open = new OpenFlows(new ReportContext(List.of(), List.of(), false, 1000));
        a.openFlows(open);
        return open;
    }

    /** Every snapshot taken during the run with snapshots. */
    private static Run withSnapshots(String capture, String topology, List<OpenFlows> snapshots) throws Exception {
        return run(capture, topology, a -> snapshots.add(snapshot(a)));
    }

    /**
     * Analyses {@code capture} on {@code topology} twice through the live path, the second time with a snapshot of the
     * open flows after every packet: the closed flows' lines, the certificate inventory and the flow count must be the
     * same. Returns the snapshots (for tests of other packages, whose captures are made by their own helpers).
     */
    public static List<OpenFlows> assertSnapshotsChangeNothing(Path capture, Path topology) throws Exception {
        List<OpenFlows> snapshots = new ArrayList<>();
        sameWithAndWithoutSnapshots(capture.toString(), topology.toString(), snapshots);
        return snapshots;
    }

    private static void sameWithAndWithoutSnapshots(String capture, String topology, List<OpenFlows> snapshots) throws Exception {
        Run plain = run(capture, topology, a -> { });
        Run snapped = withSnapshots(capture, topology, snapshots);
        assertFalse(plain.lines().isEmpty(), capture);
        assertEquals(plain.lines(), snapped.lines(), capture + ": the closed flows' lines, byte for byte");
        assertEquals(plain.summary().certificates(), snapped.summary().certificates(), capture + ": the certificate inventory");
        assertEquals(plain.summary().flows(), snapped.summary().flows(), capture);
    }

    @Test
    void aTlsCaptureSnappedAfterEveryPacketClosesItsFlowsAsWithout() throws Exception {
        List<OpenFlows> snapshots = new ArrayList<>();
        String capture = "captures/inspect/tls.pcap";
        sameWithAndWithoutSnapshots(capture, INSPECT_TOPOLOGY, snapshots);
        Run plain = run(capture, INSPECT_TOPOLOGY, a -> { });
        assertFalse(plain.summary().certificates().isEmpty(), "the capture presents certificates");
        // Open TLS flows outside the matrix were seen with their TLS summary so far (server name, certificates).
        boolean tlsSeen = false;
        for (OpenFlows o : snapshots) {
            for (FlowRecord r : o.records()) {
                assertEquals("open", r.end(), r.toString());
                tlsSeen |= r.tls() != null && r.tls().sni() != null;
            }
        }
        assertTrue(tlsSeen, "an open TLS flow outside the matrix with its server name");
    }

    /**
     * captures/icmp/media-refused.pcap (record-media-refused.sh) snapped after every packet: the open flow whose host
     * refused its datagrams is shown read the way they went (from the client's 3478 to the Edge's 50000, unexpected_port),
     * as its report reads it, and is turned back after each snapshot: the flow closes as without snapshots.
     */
    @Test
    void aRefusedFlowSnappedOpenIsReadAsItsReportReadsIt() throws Exception {
        List<OpenFlows> snapshots = new ArrayList<>();
        sameWithAndWithoutSnapshots("captures/icmp/media-refused.pcap", SAMPLE_TOPOLOGY, snapshots);
        FlowRecord open = null;
        for (FlowRecord r : snapshots.get(snapshots.size() - 1).records()) {
            if (r.dstPort() == 50000) {
                open = r;
            }
        }
        assertNotNull(open, "the open flow to 50000: " + snapshots.get(snapshots.size() - 1).records());
        assertEquals("127.0.10.22", open.srcIp(), open.toString());
        assertEquals("unexpected_port", open.verdict(), open.toString());
        assertEquals("open", open.end(), open.toString());
    }

    @Test
    void theSampleSnappedAfterEveryPacketClosesItsFlowsAsWithoutAndShowsTheOpenMismatch() throws Exception {
        List<OpenFlows> snapshots = new ArrayList<>();
        sameWithAndWithoutSnapshots("captures/sample.pcap", SAMPLE_TOPOLOGY, snapshots);
        // After the last packet: the SIP in cleartext on the MTLS port 5061, never closed, is open and a protocol mismatch.
        OpenFlows last = snapshots.get(snapshots.size() - 1);
        FlowRecord mismatch = null;
        for (FlowRecord r : last.records()) {
            if (r.dstPort() == 5061 && r.srcIp().equals("127.0.4.10")) {
                mismatch = r;
            }
        }
        assertNotNull(mismatch, "the open 5061 connection: " + last.records());
        assertEquals("protocol_mismatch", mismatch.verdict());
        assertEquals("sip", mismatch.appProtocol());
        assertEquals(7, mismatch.packets());
        assertTrue(last.totals(Verdict.PROTOCOL_MISMATCH).flows() >= 1);
        assertEquals(last.all().flows(), last.totals(Verdict.EXPECTED).flows() + last.outside());
        // Its closed record says the same as the open one did (but its end).
        Run plain = run("captures/sample.pcap", SAMPLE_TOPOLOGY, a -> { });
        String line = plain.lines().lines().filter(l -> l.contains("\"src_port\":57851")).findFirst().orElseThrow();
        com.fasterxml.jackson.databind.JsonNode closed = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
        assertEquals("protocol_mismatch", closed.path("verdict").asText(), line);
        assertEquals(mismatch.reason(), closed.path("reason").asText(), "the verdict and reason seen open are those it closes with");
        assertEquals("capture_end", closed.path("end").asText(), line);
    }

    /** The open flows after the last packet of {@code capture}, kept as a live run with {@code --report-flagged cap} keeps them. */
    private static OpenFlows lastSnapshot(String capture, String topology, int cap) throws Exception {
        List<OpenFlows> snapshots = new ArrayList<>();
        run(capture, topology, a -> {
            OpenFlows open = new OpenFlows(new ReportContext(List.of(), List.of(), false, cap));
            a.openFlows(open);
            snapshots.add(open);
        });
        return snapshots.get(snapshots.size() - 1);
    }

    /** The page of a running capture with {@code --report-flagged cap}, and its section of open flows. */
    private static String openSection(String capture, String topology, int cap, OpenFlows last) throws Exception {
        Run run = run(capture, topology, a -> { });
        StringWriter page = new StringWriter();
        org.portmatrix.report.HtmlReport.render(new org.portmatrix.report.ReportData(new ReportContext(List.of(), List.of(), false, cap)),
                run.summary(), last, page);
        String html = page.toString();
        int section = html.indexOf("<section id=\"open-section\">");
        assertTrue(section >= 0, html);
        return html.substring(section, html.indexOf("</section>", section));
    }

    private static long rows(String section) {
        return section.split("<tr class=\"open-flow\"", -1).length - 1;
    }

    /**
     * report.html of a running capture lists the open flows outside the matrix apart, marked OPEN: the first
     * {@code --report-flagged} of them, and past them the first of each verdict in each role pair, as the closed flows'
     * table keeps them; analyze's page has no such section.
     */
    @Test
    void thePageListsTheOpenFlowsOutsideTheMatrixUpToItsCapAndSaysHowManyMore() throws Exception {
        for (int cap : new int[] {1, 1000}) {
            OpenFlows last = lastSnapshot("captures/sample.pcap", SAMPLE_TOPOLOGY, cap);
            assertEquals(3, last.outside(), "the sample's flows outside the matrix, all open after its last packet");
            String open = openSection("captures/sample.pcap", SAMPLE_TOPOLOGY, cap, last);
            // Three verdicts, three role pairs: each has its row whatever the cap.
            assertEquals(3, rows(open), open);
            assertEquals(3, open.split("<small>OPEN</small>", -1).length - 1, open);
            assertTrue(open.contains("data-outside=\"3\""), open);
            assertFalse(open.contains("open-omitted"), open);
            assertTrue(open.contains("data-verdict=\"unknown_host\""), open);
            assertTrue(open.contains("127.0.4.10:57851"), "the open protocol mismatch: " + open);
            assertTrue(open.indexOf("data-verdict=\"unknown_host\"") < open.indexOf("data-verdict=\"protocol_mismatch\""),
                    "the most severe first: " + open);
        }
        // analyze's page has no such section
        Run run = run("captures/sample.pcap", SAMPLE_TOPOLOGY, a -> { });
        StringWriter page = new StringWriter();
        org.portmatrix.report.HtmlReport.render(new org.portmatrix.report.ReportData(ReportContext.none()), run.summary(), page);
        assertFalse(page.toString().contains("open-section"));
    }

    /**
     * A running capture's page counts closed flows in its header and its other tables, and says so: with the sample's
     * flows all open (three of them outside the matrix, listed as open), its sections of closed flows had said "No flow
     * outside the matrix." above and below them, its timeline "No flow.", and its header "0 flows, 0 packets, 0 bytes
     * in" beside a counter of 10 flows. analyze's page is as it was.
     */
    @Test
    void aRunningCapturesPageSaysItsTablesAreOfTheClosedFlows() throws Exception {
        OpenFlows last = lastSnapshot("captures/sample.pcap", SAMPLE_TOPOLOGY, 1000);
        assertEquals(3, last.outside());
        Run run = run("captures/sample.pcap", SAMPLE_TOPOLOGY, a -> { });
        StringWriter page = new StringWriter();
        org.portmatrix.report.HtmlReport.render(new org.portmatrix.report.ReportData(new ReportContext(List.of(), List.of(), false, 1000)),
                run.summary(), last, page);
        String html = page.toString();
        assertTrue(html.contains("<p>0 flows closed (0 packets, 0 bytes), captured on "), html);
        assertFalse(html.contains("No flow outside the matrix."), html);
        assertEquals(2, html.split("<p>No closed flow outside the matrix.</p>", -1).length - 1, html);
        assertTrue(html.contains("<p>No closed flow.</p>"), html);
        assertTrue(html.contains("<tr><td>flows seen, open and closed</td><td class=\"num\">10</td></tr>"), html);
        // The final page (every flow closed, no section of open flows) says the same of its header.
        StringWriter last2 = new StringWriter();
        org.portmatrix.report.HtmlReport.render(new org.portmatrix.report.ReportData(new ReportContext(List.of(), List.of(), false, 1000)),
                run.summary(), null, last2);
        assertTrue(last2.toString().contains("<p>0 flows closed (0 packets, 0 bytes), captured on "), last2.toString());
        // analyze's page
        StringWriter analyze = new StringWriter();
        org.portmatrix.report.HtmlReport.render(new org.portmatrix.report.ReportData(ReportContext.none()), run.summary(), analyze);
        String a = analyze.toString();
        assertTrue(a.contains("<p>0 flows, 0 packets, 0 bytes in "), a);
        assertEquals(2, a.split("<p>No flow outside the matrix.</p>", -1).length - 1, a);
        assertTrue(a.contains("<p>No flow.</p>") && a.contains("<tr><td>flows</td><td class=\"num\">10</td></tr>"), a);
    }

    /**
     * More open flows outside the matrix than {@code --report-flagged}: each verdict still has its rows (the first flow of
     * each verdict in each role pair past the cap, as the closed flows' table keeps them), and the page says how many more
     * there are. The look-alikes end with several protocol mismatches, two flows from hosts outside the topology and
     * unverifiable ones open: cut at one row after sorting, the page listed a flow from an unknown host and not one mismatch.
     */
    @Test
    void pastItsCapThePageStillListsEveryVerdictOfTheOpenFlows() throws Exception {
        String capture = "captures/inspect/lookalikes.pcap";
        OpenFlows last = lastSnapshot(capture, INSPECT_TOPOLOGY, 1);
        // (At the last packet every flow is open and reads as it closes: the closed lines count the mismatches.)
        long closedMismatches = run(capture, INSPECT_TOPOLOGY, a -> { }).lines().lines()
                .filter(l -> l.contains("\"verdict\":\"protocol_mismatch\"")).count();
        assertTrue(closedMismatches > 1, "more mismatches than the cap of one row");
        assertEquals(closedMismatches, last.totals(Verdict.PROTOCOL_MISMATCH).flows(), "the capture's open mismatches");
        assertTrue(last.totals(Verdict.UNKNOWN_HOST).flows() > 0 && last.totals(Verdict.UNVERIFIABLE).flows() > 0);
        String open = openSection(capture, INSPECT_TOPOLOGY, 1, last);
        long rows = rows(open);
        for (Verdict v : Verdict.values()) {
            if (v.flagged() && last.totals(v).flows() > 0) {
                assertTrue(open.contains("<tr class=\"open-flow\" data-verdict=\"" + v.id() + "\""), v.id() + " has no row: " + open);
            }
        }
        assertEquals(last.records().size(), rows, open);
        assertTrue(rows < last.outside(), open);
        long more = last.outside() - rows;
        assertTrue(open.contains("data-omitted=\"" + more + "\">" + more + " more open flows outside the matrix are not listed"), open);
    }

    /**
     * An MTLS handshake caught half-way by a snapshot (its ClientHello and the server's flight seen, the client's Certificate
     * not yet) is unverifiable so far, and its reason says the handshake has not completed yet, not that it "did not
     * complete in the capture", which the live report of a connection that closes expected a moment later had said.
     */
    @Test
    void anMtlsHandshakeCaughtHalfWayHasNotCompletedYet() throws Exception {
        List<OpenFlows> snapshots = new ArrayList<>();
        sameWithAndWithoutSnapshots("captures/inspect/tls.pcap", INSPECT_TOPOLOGY, snapshots);
        int halfWay = 0;
        for (OpenFlows o : snapshots) {
            for (FlowRecord r : o.records()) {
                assertFalse(r.reason().contains("did not complete in the capture"), r.reason());
                if (r.reason().endsWith("the handshake has not completed yet (the connection is open: its next packets may complete it).")) {
                    assertEquals("unverifiable", r.verdict(), r.reason());
                    assertTrue(r.reason().contains(" on the MTLS port "), r.reason());
                    halfWay++;
                }
            }
        }
        assertTrue(halfWay > 0, "an MTLS handshake open half-way");
        // The capture ending there (the packets after it not read), the same flow closes saying its handshake did not complete.
        long[] stopAt = {-1};
        Roles roles = new Roles();
        StringWriter out = new StringWriter();
        Analyzer a = new Analyzer(new Classifier(new CompiledCatalog(Catalog.builtIn(roles)), Topology.load(Path.of(INSPECT_TOPOLOGY), roles)),
                FlowConfig.defaults(), false, new JsonLinesReport(out));
        Decoded d = new Decoded();
        PacketRef ref = new PacketRef();
        try (PacketSource s = Captures.open(Path.of("captures/inspect/tls.pcap"))) {
            while (stopAt[0] < 0 && s.next(ref)) {
                a.packet(ref.buf, ref.offset, ref.caplen, ref.origLen, ref.tsNanos, ref.linkType, d);
                for (FlowRecord r : snapshot(a).records()) {
                    if (r.reason().endsWith("has not completed yet (the connection is open: its next packets may complete it).")) {
                        stopAt[0] = r.flowId();
                    }
                }
            }
        }
        a.finish("catalog", INSPECT_TOPOLOGY);
        String line = out.toString().lines().filter(l -> l.contains("\"flow_id\":" + stopAt[0] + ",")).findFirst().orElseThrow();
        assertTrue(line.contains("\"verdict\":\"unverifiable\""), line);
        assertTrue(line.contains("the handshake did not complete in the capture.\""), line);
    }

    /**
     * An open flow's record is made for the live report only, whose views (summary.json's groups, summary.txt, report.html's
     * rows) show no Community ID: it is not computed (its SHA-1 was most of a snapshot's time once compiled: 0.44 s, 0.13 s without,
     * for a million open connections), while the flow's closed line has it as always.
     */
    @Test
    void anOpenFlowsRecordHasNoCommunityIdItsClosedLineHasIt() throws Exception {
        List<OpenFlows> snapshots = new ArrayList<>();
        sameWithAndWithoutSnapshots("captures/sample.pcap", SAMPLE_TOPOLOGY, snapshots);
        OpenFlows last = snapshots.get(snapshots.size() - 1);
        assertEquals(3, last.records().size());
        for (FlowRecord r : last.records()) {
            assertEquals(null, r.communityId(), r.toString());
        }
        String lines = run("captures/sample.pcap", SAMPLE_TOPOLOGY, a -> { }).lines();
        String line = lines.lines().filter(l -> l.contains("\"src_port\":57851")).findFirst().orElseThrow();
        assertTrue(line.matches(".*\"community_id\":\"1:[A-Za-z0-9+/=]{28}\".*"), line);
    }

    /**
     * Media read the other way round (the initiator's port in the rule's media range: a Mediation Server's RTP seen
     * gateway-first), open before its first three datagrams from one end told RTP: unverifiable so far, not the
     * unexpected_port it would close with at that moment, which the live report said of a call about to be expected.
     */
    @Test
    void mediaReadTheOtherWayRoundNotYetToldIsUnverifiableSoFar() throws Exception {
        List<OpenFlows> snapshots = new ArrayList<>();
        String capture = "captures/inspect/media.pcap";
        sameWithAndWithoutSnapshots(capture, INSPECT_TOPOLOGY, snapshots);
        String lines = run(capture, INSPECT_TOPOLOGY, a -> { }).lines();
        java.util.Set<Long> reversedExpected = new java.util.HashSet<>();
        for (String l : lines.lines().toList()) {
            if (l.contains("\"verdict\":\"expected\"") && l.contains("media flows both ways")) {
                reversedExpected.add(Long.parseLong(l.replaceAll(".*\"flow_id\":(\\d+).*", "$1")));
            }
        }
        assertFalse(reversedExpected.isEmpty(), "media read the other way round in the capture");
        int soFar = 0;
        for (OpenFlows o : snapshots) {
            for (FlowRecord r : o.records()) {
                if (reversedExpected.contains(r.flowId())) {
                    assertEquals("unverifiable", r.verdict(), "open before its media was told: " + r);
                    assertTrue(r.reason().endsWith("Whether it is media cannot be told yet: too few packets so far (RTP is told by 3"
                            + " packets in sequence from one end)."), r.reason());
                    soFar++;
                }
            }
        }
        assertTrue(soFar > 0, "such media open before it was told");
    }

    /** A connection caught mid-stream: its direction inferred, and turned when only the other way is allowed. */
    @Test
    void midStreamSipSnappedAfterEveryPacketClosesItsFlowsAsWithout() throws Exception {
        sameWithAndWithoutSnapshots("captures/inspect/sip-midstream.pcap", INSPECT_TOPOLOGY, new ArrayList<>());
    }

    /** Media read the other way round (a rule's port on the initiator's side), and certificates refused by an alert. */
    @Test
    void mediaAndRefusedHandshakesSnappedAfterEveryPacketCloseAsWithout() throws Exception {
        sameWithAndWithoutSnapshots("captures/inspect/media.pcap", INSPECT_TOPOLOGY, new ArrayList<>());
        sameWithAndWithoutSnapshots("captures/inspect/tls-alerts.pcap", SAMPLE_TOPOLOGY, new ArrayList<>());
        sameWithAndWithoutSnapshots("captures/inspect/tls-ca-list.pcap", SAMPLE_TOPOLOGY, new ArrayList<>());
    }
}
