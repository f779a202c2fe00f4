package org.portmatrix.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.capture.Captures;
import org.portmatrix.capture.PacketRef;
import org.portmatrix.capture.PacketSource;
import org.portmatrix.classify.Catalog;
import org.portmatrix.classify.Classifier;
import org.portmatrix.classify.CompiledCatalog;
import org.portmatrix.classify.Roles;
import org.portmatrix.classify.Topology;
import org.portmatrix.decode.Decoded;
import org.portmatrix.flow.FlowConfig;
import org.portmatrix.report.JsonLinesReport;
import org.portmatrix.report.OpenFlows;
import org.portmatrix.report.ReportContext;

/**
 * A live report's snapshot of the open flows streams them into its counts and groups: a record (and the reason's text,
 * the inspection's, the TLS summary) is made only for the flows it keeps whole and for each group's example. It made
 * one for every open flow outside the matrix, to keep a thousand: 1,330 bytes allocated per open flow on the reference
 * workload with its clients outside the topology, gigabytes at each report with a million open flows.
 *
 * <p>A 300,000-packet reference workload (25,000 flows; make_lync_mix.py) fed through the live path with no
 * flow timing out, all open at the end; the topology is the workload's without its clients (a topology file that lacks
 * a subnet, as a mirror port sees hosts its author did not list), so that most open flows are outside the matrix.
 */
class OpenFlowsBoundTest {
    @TempDir
    Path tmp;

    private Analyzer allOpen(Path mix, Path topology) throws Exception {
        Roles roles = new Roles();
        Topology t = Topology.load(topology, roles);
        long never = TimeUnit.DAYS.toNanos(365);
        Analyzer a = new Analyzer(new Classifier(new CompiledCatalog(Catalog.builtIn(roles)), t),
                FlowConfig.defaults().withTimeouts(never, never, never).withTcpClosedTimeout(never), false,
                new JsonLinesReport(new StringWriter()));
        Decoded d = new Decoded();
        PacketRef ref = new PacketRef();
        try (PacketSource s = Captures.open(mix)) {
            while (s.next(ref)) {
                a.packet(ref.buf, ref.offset, ref.caplen, ref.origLen, ref.tsNanos, ref.linkType, d);
            }
        }
        return a;
    }

    private static OpenFlows snapshot(Analyzer a, int cap) {
        OpenFlows open = new OpenFlows(new ReportContext(List.of(), List.of(), false, cap));
        a.openFlows(open);
        return open;
    }

    /** summary.json's open_flows without the snapshot's time. */
    private static Map<String, Object> json(OpenFlows open) {
        Map<String, Object> m = LiveStatus.open(open);
        m.remove("seconds");
        return m;
    }

    @Test
    void theSnapshotOfManyOpenFlowsOutsideTheMatrixMakesRecordsOnlyForThoseItKeeps() throws Exception {
        Path mix = tmp.resolve("mix.pcap");
        Path topology = tmp.resolve("topology.yaml");
        Process p = new ProcessBuilder("python3", "../shared/bench/make_lync_mix.py", "--packets", "300000", "--flows", "25000", "-q",
                "-o", mix.toString(), "--topology", topology.toString()).inheritIO().start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "make_lync_mix.py finished");
        assertEquals(0, p.exitValue(), "make_lync_mix.py");
        Path withoutClients = tmp.resolve("without-clients.yaml");
        List<String> lines = Files.readAllLines(topology);
        assertTrue(lines.removeIf(l -> l.trim().startsWith("client:")), lines.toString());
        Files.write(withoutClients, lines);
        Analyzer a = allOpen(mix, withoutClients);

        // Every open flow with its record (the cap above their number) and with a record for one: the same counts and
        // groups, the same examples and reasons, word for word.
        OpenFlows whole = snapshot(a, 1_000_000);
        OpenFlows streamed = snapshot(a, 1);
        assertTrue(whole.outside() > 15_000, "most open flows are outside the matrix: " + whole.outside() + " of " + whole.all().flows());
        assertEquals(whole.outside(), whole.records().size(), "every one has its record");
        assertTrue(whole.flaggedData().groupCount() > 100, "groups: " + whole.flaggedData().groupCount());
        assertEquals(json(whole), json(streamed));
        assertTrue(streamed.records().size() < 100, "kept: " + streamed.records().size());
        assertEquals(whole.outside() - streamed.records().size(), streamed.recordsLeftOut());

        // What a report allocates on the analysis thread for each open flow, at the default --report-flagged (the least of
        // three snapshots, once the classification is compiled): 1,290 to 1,330 bytes before, about 200 now. A record with its strings
        // alone is more than 400.
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        long least = Long.MAX_VALUE;
        long flows = 0;
        for (int i = 0; i < 3; i++) {
            OpenFlows open = new OpenFlows(new ReportContext(List.of(), List.of(), false, 1000));
            long before = mx.getThreadAllocatedBytes(tid);
            a.openFlows(open);
            least = Math.min(least, mx.getThreadAllocatedBytes(tid) - before);
            flows = open.all().flows();
        }
        assertEquals(25_000, flows, "every flow is open");
        assertTrue(least / flows < 400, least + " bytes for " + flows + " open flows: " + least / flows + " each");
    }
}
