package org.portmatrix.report;

import java.util.List;
import org.portmatrix.inspect.TlsInfo;

/**
 * The documented record of one flow: what every output (text, JSON lines, CSV, HTML) shows, through
 * the one ordered field list {@link FlowField}. Built once per flow when it ends.
 *
 * @param tsFirstNanos first packet, nanoseconds since the epoch (UTC)
 * @param tsLastNanos last packet
 * @param transport tcp, udp, icmp, icmp6, or the IP protocol number
 * @param srcIp the initiator's address
 * @param srcPort the initiator's port, or -1 for transports without ports
 * @param dstIp the responder's address
 * @param dstPort the responder's port, or -1
 * @param directionInferred true when the capture missed the start and the initiator was inferred
 * @param srcRoles the initiator's roles in the topology (empty when unknown)
 * @param dstRoles the responder's roles
 * @param appProtocol the application protocol seen on the wire, or null
 * @param verdict expected, unexpected_port, unexpected_role_pair, protocol_mismatch, unverifiable, unknown_host
 * @param rule the catalog rule id, or null
 * @param reason a sentence a person can act on
 * @param packetsFwd packets from the initiator
 * @param packetsRev packets from the responder
 * @param bytesFwd frame bytes from the initiator, as on the wire
 * @param bytesRev frame bytes from the responder
 * @param communityId Community ID v1, seed 0
 * @param vlan the outer VLAN id when VLANs are part of the flow key, else -1
 * @param tcpState attempted, established, closed_fin, closed_rst; null for other transports
 * @param end why the flow ended: idle, closed, evicted, capture_end, restarted
 * @param flowId sequence number of the flow in the run
 * @param icmpErrors ICMP errors seen about the flow's packets (port unreachable, time exceeded, ...), not counted
 *     in its packets: the packets decoded are the flows' packets plus these
 * @param fileFirst of a run over several capture files, the file of its first packet in time (at {@code tsFirstNanos}), named as the
 *     user gave it (the path on the command line, or the directory given and the file's name in it); null for a
 *     run over one capture and for a live capture
 * @param fileLast the file of its last packet in time (at {@code tsLastNanos}; the same as {@code fileFirst} unless the flow went on
 *     into a later file: a rotation, another mirror port's file); null where {@code fileFirst} is
 * @param tls what the TLS handshake showed, or null when the flow is not TLS
 */
public record FlowRecord(long tsFirstNanos, long tsLastNanos, String transport, String srcIp, int srcPort, String dstIp,
                         int dstPort, boolean directionInferred, List<String> srcRoles, List<String> dstRoles,
                         String appProtocol, String verdict, String rule, String reason, long packetsFwd, long packetsRev,
                         long bytesFwd, long bytesRev, String communityId, int vlan, String tcpState, String end, long flowId,
                         long icmpErrors, String fileFirst, String fileLast, TlsInfo tls) {

    /** A record of a flow whose files are not told apart (one capture, a live capture): {@code fileFirst} and {@code fileLast} null. */
    public FlowRecord(long tsFirstNanos, long tsLastNanos, String transport, String srcIp, int srcPort, String dstIp,
                      int dstPort, boolean directionInferred, List<String> srcRoles, List<String> dstRoles,
                      String appProtocol, String verdict, String rule, String reason, long packetsFwd, long packetsRev,
                      long bytesFwd, long bytesRev, String communityId, int vlan, String tcpState, String end, long flowId,
                      long icmpErrors, TlsInfo tls) {
        this(tsFirstNanos, tsLastNanos, transport, srcIp, srcPort, dstIp, dstPort, directionInferred, srcRoles, dstRoles,
                appProtocol, verdict, rule, reason, packetsFwd, packetsRev, bytesFwd, bytesRev, communityId, vlan, tcpState, end,
                flowId, icmpErrors, null, null, tls);
    }

    public boolean flagged() {
        return !"expected".equals(verdict);
    }

    public long packets() {
        return packetsFwd + packetsRev;
    }

    public long bytes() {
        return bytesFwd + bytesRev;
    }

    /**
     * Where the flow's packets are, for a line of text: "cap.pcap3", or "cap.pcap3 to cap.pcap4" when its last packet
     * is in another file than its first; null when the run read one capture.
     */
    public String files() {
        if (fileFirst == null) {
            return null;
        }
        return fileLast == null || fileLast.equals(fileFirst) ? fileFirst : fileFirst + " to " + fileLast;
    }
}
