package org.portmatrix.cli;

import java.io.IOException;
import java.util.BitSet;
import org.portmatrix.capture.PacketRef;
import org.portmatrix.capture.PacketSource;
import org.portmatrix.decode.DecodeStats;
import org.portmatrix.decode.Decoded;
import org.portmatrix.decode.PacketDecoder;
import org.portmatrix.flow.Flow;
import org.portmatrix.flow.FlowConfig;
import org.portmatrix.flow.FlowTable;
import org.portmatrix.flow.ServicePorts;
import org.portmatrix.report.PcapWriter;

/**
 * {@code --extract}: the second pass over the captures that writes every packet of every flagged
 * flow. A flow is judged only when it ends, so the first pass cannot know which packets to keep; it
 * records the ids of the flagged flows instead. This pass feeds the same packets, in the same order,
 * to a decoder and flow table configured exactly like the {@link Analyzer}'s: the table numbers the
 * flows in the same order (ids are given in order of creation, and creation, restarts, idle expiry
 * and early eviction depend on the packets alone), so each packet lands in the flow with the same id
 * as in the first pass. Membership is therefore exact (restarted and evicted flows included), and
 * the extract's packet count equals the sum of the flagged flows' packet counts in the report. No
 * classification or inspection runs here.
 *
 * <p>Keep the loop in step with {@link Analyzer#read}: a packet that the analyzer gives to the flow
 * table must be given to it here too.
 */
final class ExtractPass {
    private final PacketDecoder decoder;
    private final FlowTable table;
    private final BitSet flagged;
    private final PcapWriter out;

    ExtractPass(FlowConfig flowConfig, boolean vlanInKey, ServicePorts servicePorts, BitSet flagged, PcapWriter out) {
        this.decoder = new PacketDecoder(vlanInKey);
        this.table = new FlowTable(flowConfig, servicePorts, f -> { });
        this.flagged = flagged;
        this.out = out;
    }

    void read(PacketSource source) throws IOException {
        PacketRef ref = new PacketRef();
        Decoded d = new Decoded();
        while (source.next(ref)) {
            if (decoder.decode(ref.buf, ref.offset, ref.caplen, ref.linkType, d) != DecodeStats.OK) {
                continue;
            }
            Flow f = table.update(d, ref.tsNanos, ref.origLen);
            if (f.id < Integer.MAX_VALUE && flagged.get((int) f.id)) {
                out.write(ref.buf, ref.offset, ref.caplen, ref.origLen, ref.tsNanos, ref.linkType);
            }
        }
    }
}
