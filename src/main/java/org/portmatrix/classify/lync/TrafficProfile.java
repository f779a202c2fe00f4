package org.portmatrix.classify.lync;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.portmatrix.capture.PacketRef;
import org.portmatrix.capture.PacketSource;
import org.portmatrix.decode.DecodeStats;
import org.portmatrix.decode.Decoded;
import org.portmatrix.decode.IpProtocol;
import org.portmatrix.decode.PacketDecoder;
import org.portmatrix.flow.Flow;
import org.portmatrix.flow.FlowConfig;
import org.portmatrix.flow.FlowSink;
import org.portmatrix.flow.FlowTable;
import org.portmatrix.flow.ServicePorts;

/**
 * The first pass of {@code analyze} without a topology: reads the captures through the normal
 * decode and flow stages and keeps, per host, which TCP/UDP ports it served (and to whom) and which
 * it connected to (and on whom). {@link RoleInference} turns that into roles. Per packet it does
 * what the analysis does (one reused view, one flow update); per flow it updates two hosts' maps.
 */
public final class TrafficProfile implements FlowSink {
    /** TCP flags of a responder that answered a connection: SYN and ACK. */
    private static final int SYN_ACK = 0x12;
    /** The most peers kept per port and host: enough to count distinct peers of a service. */
    static final int MAX_PEERS = 64;
    /**
     * The most hosts profiled: the profile's memory stays bounded under a scan or a flood of spoofed
     * sources. Flows of hosts beyond it are counted, and those hosts are not inferred.
     */
    public static final int MAX_HOSTS = 1 << 16;

    /** A host: its address as two longs (IPv4 mapped), and its IP version. */
    record Host(int ipVersion, long hi, long lo) {
        String address() {
            return org.portmatrix.classify.Addresses.format(ipVersion, hi, lo);
        }
    }

    /** One port of a host, served or connected to: how many flows and with which peers. */
    static final class PortUse {
        long flows;
        final Set<Host> peers = new LinkedHashSet<>();
        boolean peersTruncated;

        void add(Host peer) {
            flows++;
            if (peers.size() < MAX_PEERS) {
                peers.add(peer);
            } else if (!peers.contains(peer)) {
                peersTruncated = true;
            }
        }
    }

    /** What one host did. Keys are {@code protocol << 16 | port}. */
    static final class HostTraffic {
        final Host host;
        final Map<Integer, PortUse> served = new HashMap<>();
        final Map<Integer, PortUse> started = new HashMap<>();
        long flows;

        HostTraffic(Host host) {
            this.host = host;
        }
    }

    static int key(int protocol, int port) {
        return protocol << 16 | port;
    }

    static int protocolOf(int key) {
        return key >>> 16;
    }

    static int portOf(int key) {
        return key & 0xffff;
    }

    private final Map<Host, HostTraffic> hosts = new HashMap<>();
    private final PacketDecoder decoder;
    private final FlowTable table;
    private long packets;
    private long flows;
    private long flowsNotProfiled;

    public TrafficProfile(FlowConfig config, boolean vlanInKey, ServicePorts servicePorts) {
        this.decoder = new PacketDecoder(vlanInKey);
        this.table = new FlowTable(config, servicePorts, this);
    }

    /** Reads a source to its end (or its damage; the analysis pass reports damage). */
    public void read(PacketSource source) throws IOException {
        PacketRef ref = new PacketRef();
        Decoded d = new Decoded();
        while (source.next(ref)) {
            if (decoder.decode(ref.buf, ref.offset, ref.caplen, ref.linkType, d) != DecodeStats.OK) {
                continue;
            }
            packets++;
            if (d.icmpError && table.related(d, ref.tsNanos) != null) {
                continue; // counted on the flow it quotes, as in the analysis: a port refused is not a port served
            }
            table.update(d, ref.tsNanos, ref.origLen);
        }
    }

    /** Closes every open flow; call once after the last source. */
    public void finish() throws IOException {
        try {
            table.closeAll();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    @Override
    public void closed(Flow f) {
        int proto = f.protocol();
        if (proto != IpProtocol.TCP && proto != IpProtocol.UDP) {
            return;
        }
        flows++;
        if (f.initiatorRefuted()) {
            // Read as its report reads it (Analyzer.report): its datagrams' sender the initiator, refused where they went.
            // Else the refused sender "served" its port: a client sending RTP from 3478 taken for an Edge, and the flow
            // it is reported with turned into that Edge's media to a client's port, expected.
            f.turn();
        }
        Host src = new Host(f.ipVersion(), f.srcHi(), f.srcLo());
        Host dst = new Host(f.ipVersion(), f.dstHi(), f.dstLo());
        HostTraffic s = hosts.get(src);
        HostTraffic r = hosts.get(dst);
        if ((s == null || r == null) && hosts.size() >= MAX_HOSTS - 1) {
            flowsNotProfiled++;
            return;
        }
        if (s == null) {
            s = new HostTraffic(src);
            hosts.put(src, s);
        }
        if (r == null) {
            r = new HostTraffic(dst);
            hosts.put(dst, r);
        }
        s.flows++;
        r.flows++;
        int k = key(proto, f.dstPort());
        s.started.computeIfAbsent(k, x -> new PortUse()).add(dst);
        // A TCP responder serves the port only if it answered: a SYN/ACK or data. A UDP responder
        // may never answer (one-way media), so every UDP flow counts, but one that brought back only
        // destination unreachable errors (port unreachable: nothing listened; prohibited: a filter refused it).
        boolean answered = proto == IpProtocol.UDP ? f.packetsRev > 0 || f.icmpErrors == null || !f.icmpErrors.refused()
                : (f.flagsRev & SYN_ACK) == SYN_ACK || f.payloadRev > 0;
        if (answered) {
            r.served.computeIfAbsent(k, x -> new PortUse()).add(src);
        }
    }

    Map<Host, HostTraffic> hosts() {
        return hosts;
    }

    public long packets() {
        return packets;
    }

    public long flows() {
        return flows;
    }

    /** Flows left out because {@link #MAX_HOSTS} hosts were profiled already. */
    public long flowsNotProfiled() {
        return flowsNotProfiled;
    }
}
