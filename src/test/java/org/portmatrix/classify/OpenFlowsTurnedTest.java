package org.portmatrix.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.portmatrix.cli.OpenFlowsSnapshotTest;
import org.portmatrix.hostile.PcapBytes;
import org.portmatrix.report.FlowRecord;
import org.portmatrix.report.OpenFlows;

/**
 * An open connection caught without its SYN, which the catalog allows only the other way round than the ports
 * suggested: a live report's snapshot reads it that way round as its record at the end will
 * ({@link ClassifierReasonsTest#aConnectionCaughtMidStreamIsReadTheWayTheCatalogAllowsIt}), and turns it back, so that
 * its later packets and its record when it closes are as without the snapshot.
 */
class OpenFlowsTurnedTest {
    @Test
    void anOpenConnectionReadTheOtherWayRoundIsTurnedBackAfterTheSnapshot() throws Exception {
        PcapBytes w = new PcapBytes();
        byte[][] requests = {ClassifierReasonsTest.framedStun(false, 1), ClassifierReasonsTest.framedStun(false, 2),
                ClassifierReasonsTest.framedStun(false, 3)};
        byte[][] responses = {ClassifierReasonsTest.framedStun(true, 1), ClassifierReasonsTest.framedStun(true, 2),
                ClassifierReasonsTest.framedStun(true, 3)};
        ClassifierReasonsTest.midConnection(w, ClassifierReasonsTest.EDGE, 49500, ClassifierReasonsTest.FRONT_END, 57600, requests,
                responses);
        ClassifierReasonsTest.midConnection(w, ClassifierReasonsTest.EDGE, 50001, ClassifierReasonsTest.FRONT_END, 50500, requests,
                responses);
        Path dir = Files.createTempDirectory("pm-open-turned");
        Path capture = w.write(dir.resolve("c.pcap"));
        Path topology = Files.writeString(dir.resolve("topology.yaml"), ClassifierReasonsTest.TOPOLOGY);
        List<OpenFlows> snapshots = OpenFlowsSnapshotTest.assertSnapshotsChangeNothing(capture, topology);
        // While open, after its STUN was seen both ways: expected, read from the Edge (the initiator the catalog allows).
        boolean turnedSeen = false;
        for (OpenFlows o : snapshots) {
            assertEquals(o.all().flows(), o.totals(Verdict.EXPECTED).flows() + o.outside());
            for (FlowRecord r : o.records()) {
                assertTrue(r.directionInferred(), r.toString());
            }
            turnedSeen |= o.totals(Verdict.EXPECTED).flows() == 2 && o.outside() == 0;
        }
        assertTrue(turnedSeen, "both connections open and expected, read the way the catalog allows them");
    }
}
