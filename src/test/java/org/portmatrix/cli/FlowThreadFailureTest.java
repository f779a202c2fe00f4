package org.portmatrix.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.portmatrix.capture.Captures;
import org.portmatrix.classify.Catalog;
import org.portmatrix.classify.Classifier;
import org.portmatrix.classify.CompiledCatalog;
import org.portmatrix.classify.Roles;
import org.portmatrix.classify.Topology;
import org.portmatrix.flow.FlowConfig;
import org.portmatrix.hostile.SynScan;
import org.portmatrix.report.FlowRecord;
import org.portmatrix.report.FlowReport;
import org.portmatrix.report.RunSummary;
import org.junit.jupiter.api.Test;

/**
 * The flow thread failing with an Error (the heap full while a flow is reported): the read raises it
 * once, as Main's try-with-resources meets it. Closing the read after it threw the same Error again
 * from the hand-over, and Java's try-with-resources then threw "Self-suppression not permitted"
 * (an IllegalArgumentException) with a stack trace instead of Main's one line.
 */
class FlowThreadFailureTest {
    @Test
    void anErrorOfTheFlowThreadIsRaisedOnceByTheReadAndItsClose() throws Exception {
        Roles roles = new Roles();
        Classifier classifier = new Classifier(new CompiledCatalog(Catalog.builtIn(roles)), Topology.empty());
        OutOfMemoryError full = new OutOfMemoryError("Java heap space");
        FlowReport failing = new FlowReport() {
            @Override
            public void flow(FlowRecord record) {
                throw full;
            }

            @Override
            public void finish(RunSummary summary) {}
        };
        // 20,000 SYNs to distinct ports through a table of 16 flows: flows are closed early all through the read and
        // handed to the flow thread in batches, so the packet thread meets its failure at a later hand-over.
        Analyzer analyzer = new Analyzer(classifier, FlowConfig.defaults().withCapacity(16), false, failing);
        analyzer.reportOnOwnThread();
        SynScan scan = new SynScan(20_000);
        Throwable thrown = assertThrows(Throwable.class, () -> {
            try (PacketThread read = new PacketThread(analyzer)) {
                read.start(List.of(Captures.open("syn-scan", scan, scan.size())), null, false);
                read.join();
            }
        });
        assertSame(full, thrown, () -> "raised: " + thrown);
        assertFalse(thrown.getSuppressed().length > 0, "nothing suppressed");
        assertTrue(Main.outOfMemory(new IllegalStateException("rendering", new RuntimeException(full))));
    }
}
