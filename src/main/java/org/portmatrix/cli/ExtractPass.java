package org.portmatrix.cli;

import java.io.IOException;
import java.util.BitSet;
import org.portmatrix.capture.PacketRef;
import org.portmatrix.capture.PacketSource;
import org.portmatrix.report.PcapWriter;

/**
 * {@code --extract}: the second pass over the captures that writes every packet of every flagged
 * flow. A flow is judged only when it ends, so the first pass cannot know which packets to keep; it
 * records the ids of the flagged flows, and the flow id of every packet it read in a
 * {@link FlowIdLog}. This pass reads the same packets, in the same order (the captures are opened
 * again the same way), and writes those whose flow was flagged: membership is exact (restarted and
 * evicted flows included), and the extract's packet count equals the sum of the flagged flows'
 * packet counts in the report. Nothing is decoded, classified or inspected here.
 *
 * <p>Packets beyond the last one the first pass read (a file that grew in between) are not written:
 * they were not analyzed.
 */
final class ExtractPass {
    private final FlowIdLog.Reader ids;
    private final BitSet flagged;
    private final PcapWriter out;

    ExtractPass(FlowIdLog.Reader ids, BitSet flagged, PcapWriter out) {
        this.ids = ids;
        this.flagged = flagged;
        this.out = out;
    }

    void read(PacketSource source) throws IOException {
        PacketRef ref = new PacketRef();
        while (source.next(ref)) {
            int id = ids.next();
            if (id >= 0 && flagged.get(id)) {
                out.write(ref.buf, ref.offset, ref.caplen, ref.origLen, ref.tsNanos, ref.linkType);
            }
        }
    }
}
