package org.portmatrix.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.capture.Captures;
import org.portmatrix.capture.PacketRef;
import org.portmatrix.capture.PacketSource;
import org.portmatrix.capture.live.CaptureLossEstimator;
import org.portmatrix.classify.Catalog;
import org.portmatrix.classify.Classifier;
import org.portmatrix.classify.CompiledCatalog;
import org.portmatrix.classify.Roles;
import org.portmatrix.classify.Topology;
import org.portmatrix.cli.Analyzer;
import org.portmatrix.decode.Decoded;
import org.portmatrix.decode.IpProtocol;
import org.portmatrix.flow.Flow;
import org.portmatrix.flow.FlowConfig;
import org.portmatrix.report.FlowRecord;
import org.portmatrix.report.FlowReport;
import org.portmatrix.report.RunSummary;

/**
 * The estimate of loss before the capture point (TCP data acknowledged but never seen), on the
 * reference workload cut: nothing missing gives no gap; removing TCP data segments with editcap
 * gives gaps whose bytes are the removed payload, as tshark's "ACKed segment that wasn't captured"
 * finds them too. Plus the sequence-number corner cases, segment by segment.
 */
class CaptureLossEstimatorTest {
    @TempDir
    Path dir;

    /** Runs a capture through the live path (Analyzer.packet + the estimator), as LiveCommand does. */
    private static CaptureLossEstimator estimate(Path pcap) throws Exception {
        Roles roles = new Roles();
        Classifier classifier = new Classifier(new CompiledCatalog(Catalog.builtIn(roles)), Topology.empty());
        FlowReport discard = new FlowReport() {
            @Override
            public void flow(FlowRecord record) {}

            @Override
            public void finish(RunSummary summary) {}
        };
        Analyzer analyzer = new Analyzer(classifier, FlowConfig.defaults(), false, discard);
        CaptureLossEstimator loss = new CaptureLossEstimator(1 << 12);
        Decoded d = new Decoded();
        try (PacketSource s = Captures.open(pcap)) {
            PacketRef r = new PacketRef();
            while (s.next(r)) {
                Flow f = analyzer.packet(r.buf, r.offset, r.caplen, r.origLen, r.tsNanos, r.linkType, d);
                if (f != null && d.protocol == IpProtocol.TCP && d.fragment != 2) {
                    loss.segment(f.id, analyzer.lastForward(), d.tcpFlags, d.tcpSeq, d.tcpAck, d.payloadLength);
                }
            }
        }
        return loss;
    }

    @Test
    void aCompleteCaptureHasNoGap() throws Exception {
        CaptureLossEstimator loss = estimate(Workload.mixCut()[0]);
        assertTrue(loss.ackEvents() > 5000, "the workload's TCP flows acknowledge data: " + loss.ackEvents());
        assertEquals(0, loss.gapEvents());
        assertEquals(0, loss.gapBytes());
    }

    @Test
    void removedDataSegmentsAreFoundWhenAcknowledged() throws Exception {
        Path mix = Workload.mixCut()[0];
        // Every 37th frame that carries TCP payload disappears, as on a mirror port that drops.
        String removed = Netns.run("tshark", "-r", mix.toString(), "-Y", "tcp.len > 0 && frame.number % 37 == 0", "-T", "fields",
                "-e", "frame.number", "-e", "tcp.len");
        List<String> cmd = new ArrayList<>(List.of("editcap", mix.toString(), dir.resolve("lossy.pcap").toString()));
        long removedBytes = 0;
        int removedFrames = 0;
        for (String line : removed.split("\n")) {
            String[] f = line.strip().split("\t");
            if (f.length == 2 && f[0].matches("\\d+")) {
                cmd.add(f[0]);
                removedBytes += Long.parseLong(f[1]);
                removedFrames++;
            }
        }
        assertTrue(removedFrames > 100, removed);
        Netns.run(cmd.toArray(new String[0]));
        assertTrue(Files.size(dir.resolve("lossy.pcap")) > 0);
        // tshark's view of the same file: ACKs of segments that were not captured.
        long tsharkEvents = Netns.run("tshark", "-r", dir.resolve("lossy.pcap").toString(), "-Y", "tcp.analysis.ack_lost_segment")
                .lines().filter(l -> !l.isBlank() && !l.startsWith("Running as user")).count();

        CaptureLossEstimator loss = estimate(dir.resolve("lossy.pcap"));
        // Every segment of this workload is acknowledged later (delayed ACKs, FIN teardown), and no two
        // removed segments are adjacent: each removed segment is one gap of exactly its payload.
        assertEquals(removedBytes, loss.gapBytes());
        assertEquals(removedFrames, loss.gapEvents());
        assertTrue(tsharkEvents >= removedFrames, "tshark sees at least one ACK of an uncaptured segment per gap: " + tsharkEvents);
    }

    private static final int SYN = 0x02;
    private static final int ACK = 0x10;
    private static final int PSH_ACK = 0x18;
    private static final int FIN_ACK = 0x11;

    @Test
    void anAckBeyondTheLastSegmentSeenIsAGap() {
        CaptureLossEstimator e = new CaptureLossEstimator(16);
        e.segment(7, true, SYN, 1000, 0, 0);                  // SYN, seq 1000
        e.segment(7, false, SYN | ACK, 5000, 1001, 0);        // SYN-ACK
        e.segment(7, true, ACK, 1001, 5001, 0);               // ACK
        e.segment(7, true, PSH_ACK, 1001, 5001, 100);         // data 1001..1100 seen
        // data 1101..1300 never reaches the capture
        e.segment(7, false, ACK, 5001, 1301, 0);              // the server acknowledges 1301
        assertEquals(1, e.gapEvents());
        assertEquals(200, e.gapBytes());
        e.segment(7, false, ACK, 5001, 1301, 0);              // a duplicate ACK counts nothing more
        assertEquals(200, e.gapBytes());
    }

    @Test
    void aHoleIsAGapOnceAcknowledgedAndReorderingFillsIt() {
        CaptureLossEstimator e = new CaptureLossEstimator(16);
        e.segment(1, true, PSH_ACK, 100, 900, 50);            // 100..149 (mid-stream join)
        e.segment(1, true, PSH_ACK, 200, 900, 50);            // 200..249: 150..199 missing so far
        e.segment(1, true, PSH_ACK, 150, 900, 50);            // ... arrives late: hole filled
        e.segment(1, false, ACK, 900, 250, 0);
        e.segment(1, false, ACK, 900, 250, 0);
        assertEquals(0, e.gapEvents());
        e.segment(1, true, PSH_ACK, 300, 900, 50);            // 250..299 lost
        e.segment(1, false, ACK, 900, 280, 0);                // not yet acknowledged past the hole
        assertEquals(0, e.gapEvents());
        e.segment(1, false, ACK, 900, 350, 0);
        assertEquals(1, e.gapEvents());
        assertEquals(50, e.gapBytes());
    }

    @Test
    void sequenceNumbersWrapAround() {
        CaptureLossEstimator e = new CaptureLossEstimator(16);
        long seq = 0xffff_ff00L;
        e.segment(3, true, PSH_ACK, seq, 10, 0x80);             // ...ff00 .. ff7f
        e.segment(3, false, ACK, 10, (seq + 0x80) & 0xffff_ffffL, 0);
        e.segment(3, true, PSH_ACK, (seq + 0x80) & 0xffff_ffffL, 10, 0x100); // crosses 2^32
        e.segment(3, false, ACK, 10, (seq + 0x180) & 0xffff_ffffL, 0);
        assertEquals(0, e.gapEvents(), "a wrapped sequence number is not a jump");
        assertEquals(0x100, e.ackedBytes(), "counted from the first ACK seen on");
        e.segment(3, false, FIN_ACK, 10, (seq + 0x200) & 0xffff_ffffL, 0); // acknowledges 0x80 unseen bytes
        assertEquals(0x80, e.gapBytes());
    }

    @Test
    void flowsThatShareASlotStartOverInsteadOfMixing() {
        CaptureLossEstimator e = new CaptureLossEstimator(2);    // ids 0 and 2 share slot 0
        e.segment(0, true, PSH_ACK, 1000, 1, 100);
        e.segment(2, true, PSH_ACK, 50_000, 1, 100);             // takes the slot
        e.segment(0, false, ACK, 1, 1100, 0);                    // flow 0 starts over: no sequence seen, no gap
        assertEquals(0, e.gapEvents());
    }
}
