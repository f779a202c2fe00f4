package org.portmatrix.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.flow.Flow;
import org.portmatrix.report.PcapWriter;

/**
 * The first-pass extract's queue: kept packets come out in the order read, undecided flows hold
 * back what follows them, and the stream gives up (for the second pass) when its queue outgrows its
 * limit or a decision turns out wrong.
 */
class ExtractStreamTest {
    @TempDir
    Path dir;

    /** A frame whose first byte names the packet. */
    private static byte[] frame(int n, int length) {
        byte[] b = new byte[length];
        b[0] = (byte) n;
        return b;
    }

    private static Flow flow(byte state) {
        Flow f = new Flow();
        f.extract = state;
        return f;
    }

    private void packet(ExtractStream s, Flow f, int n, int length) throws Exception {
        s.packet(f, frame(n, length), 0, length, length, n * 1_000_000L, 1);
    }

    /** The first byte of every frame in a pcap file written by {@link PcapWriter}, in file order. */
    private static List<Integer> frames(Path pcap) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(pcap)).order(ByteOrder.LITTLE_ENDIAN);
        List<Integer> out = new ArrayList<>();
        int p = 24;
        while (p < b.limit()) {
            int caplen = b.getInt(p + 8);
            out.add((int) b.get(p + 16));
            p += 16 + caplen;
        }
        return out;
    }

    @Test
    void keptPacketsComeOutInTheOrderReadWhateverWaited() throws Exception {
        Path file = dir.resolve("x.pcap");
        try (PcapWriter out = new PcapWriter(file)) {
            ExtractStream s = new ExtractStream(out, 1 << 20);
            Flow kept = flow(ExtractStream.KEEP);
            Flow dropped = flow(ExtractStream.DROP);
            Flow waitsThenKept = flow(ExtractStream.UNDECIDED);
            Flow waitsThenDropped = flow(ExtractStream.UNDECIDED);
            packet(s, kept, 1, 60);             // nothing waits: written at once
            packet(s, dropped, 2, 60);
            packet(s, waitsThenKept, 3, 70);    // waits
            packet(s, kept, 4, 80);             // behind 3
            packet(s, waitsThenDropped, 5, 90); // waits behind 3
            packet(s, kept, 6, 100);
            packet(s, dropped, 7, 60);
            waitsThenDropped.extract = ExtractStream.DROP;
            s.drain();                          // 3 still undecided: nothing moves
            waitsThenKept.extract = ExtractStream.KEEP;
            s.drain();                          // 3, 4, (5 dropped), 6
            packet(s, kept, 8, 60);
            assertTrue(s.complete());
            out.commit();
            assertTrue(s.peakBytes() >= 70 + 80 + 90 + 100, "the queue held the frames behind the undecided flow");
        }
        assertEquals(List.of(1, 3, 4, 6, 8), frames(file));
    }

    @Test
    void aQueueOverItsLimitGivesUp() throws Exception {
        try (PcapWriter out = new PcapWriter(dir.resolve("y.pcap"))) {
            ExtractStream s = new ExtractStream(out, 4096);
            Flow waits = flow(ExtractStream.UNDECIDED);
            Flow kept = flow(ExtractStream.KEEP);
            packet(s, waits, 1, 1000);
            for (int i = 2; i < 10 && s.active(); i++) {
                packet(s, kept, i, 1000);
            }
            assertFalse(s.active());
            assertTrue(s.overflowed());
            assertFalse(s.complete());
        }
    }

    @Test
    void aFlowReportedOtherwiseThanDecidedMeansTheSecondPass() throws Exception {
        try (PcapWriter out = new PcapWriter(dir.resolve("z.pcap"))) {
            ExtractStream s = new ExtractStream(out, 1 << 20);
            Flow early = flow(ExtractStream.DROP); // decided "expected" early...
            packet(s, early, 1, 60);
            s.reported(flow(ExtractStream.KEEP), true);
            assertTrue(s.complete(), "a flow reported as decided changes nothing");
            s.reported(early, true); // ...and flagged in the end
            assertTrue(s.diverged());
            assertFalse(s.complete());
        }
    }
}
