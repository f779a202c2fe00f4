package org.portmatrix.cli;

import java.io.IOException;
import java.util.BitSet;
import org.portmatrix.capture.CaptureDamage;
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
 * {@code --extract}'s second pass over the captures, when the first pass could not write the
 * extract ({@link ExtractStream}: a flow undecided for long, or a decision the report contradicted):
 * every packet of every flagged flow, by the ids of the flagged flows the first pass reported. It
 * feeds the same packets, in the same order (the captures are opened again the same way), to a
 * decoder and flow table configured exactly like the {@link Analyzer}'s: the table numbers the flows
 * in the same order (ids are given in order of creation, and creation, restarts, idle expiry and
 * early eviction depend on the packets alone), so each packet lands in the flow with the same id as
 * in the first pass. Membership is therefore exact (restarted and evicted flows included), and the
 * extract's packet count equals the sum of the flagged flows' packet counts and ICMP errors in the report. No
 * classification or inspection runs here.
 *
 * <p>Keep the loop in step with {@link Analyzer#read}: a packet that the analyzer gives to the flow
 * table must be given to it here too. Packets beyond the number the first pass read (a file that
 * grew in between) are not read: they were not analyzed.
 */
final class ExtractPass {
    private final PacketDecoder decoder;
    private final FlowTable table;
    private final BitSet flagged;
    private final PcapWriter out;
    private long left;

    /** @param packets how many packets the first pass read */
    ExtractPass(FlowConfig flowConfig, boolean vlanInKey, ServicePorts servicePorts, BitSet flagged, PcapWriter out, long packets) {
        this.decoder = new PacketDecoder(vlanInKey);
        this.table = new FlowTable(flowConfig, servicePorts, f -> { });
        this.flagged = flagged;
        this.out = out;
        this.left = packets;
    }

    void read(PacketSource source) throws IOException {
        PacketRef ref = new PacketRef();
        Decoded d = new Decoded();
        while (left > 0 && source.next(ref)) {
            left--;
            if (decoder.decode(ref.buf, ref.offset, ref.caplen, ref.linkType, d) != DecodeStats.OK) {
                continue;
            }
            Flow f = d.icmpError ? table.related(d, ref.tsNanos) : null; // an ICMP error goes with the flow it quotes, as in the analyzer
            if (f == null) {
                f = table.update(d, ref.tsNanos, ref.origLen);
            }
            if (f.id < Integer.MAX_VALUE && flagged.get((int) f.id)) {
                out.write(ref.buf, ref.offset, ref.caplen, ref.origLen, ref.tsNanos, ref.linkType);
            }
        }
        if (left > 0) {
            // The captures (one source: Main.openSources merges them) ended before the packets the first pass read: a read
            // the disk refused this time (damage now, where it had been an IOException), a file cut, deleted or replaced in
            // between. The extract would lack packets of the flagged flows, and be committed as whole.
            CaptureDamage stopped = source.damage();
            throw new IOException("the captures ended " + String.format(java.util.Locale.ROOT, "%,d", left)
                    + " packets before the first pass's end when read again" + (stopped != null && stopped.fatal() ? " (" + stopped.describe() + ")" : ""));
        }
    }
}
