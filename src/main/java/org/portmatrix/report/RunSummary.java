package org.portmatrix.report;

import java.util.List;
import java.util.Map;
import org.portmatrix.inspect.CertificateRecord;

/**
 * Counters of a whole run, printed at the end of every analysis.
 *
 * @param sources the capture files (or interfaces) read
 * @param packetsRead frames read from the sources
 * @param packetsDecoded frames decoded into a flow
 * @param undecodable frames not decoded, by reason (only reasons with a count)
 * @param flows flows seen
 * @param flowsEvictedEarly flows closed early because the flow table was full
 * @param damage one line per damaged source (offset and what is wrong)
 * @param catalogSource the catalog used
 * @param topologySource the topology used
 * @param certificates the certificate inventory of the run (inspect stage), soonest expiry first; never null
 * @param interrupted where and why the read stopped before the captures' end (a signal), or null
 * @param icmpErrorsOnFlows decoded packets that were ICMP errors counted on the open flow they quote, not
 *     packets of a flow of their own ({@code icmp_errors} of the flow records)
 */
public record RunSummary(List<String> sources, long packetsRead, long packetsDecoded, Map<String, Long> undecodable,
                         long flows, long flowsEvictedEarly, long peakFlows, List<String> damage, String catalogSource,
                         String topologySource, List<CertificateRecord> certificates, String interrupted,
                         long icmpErrorsOnFlows) {

    public RunSummary {
        certificates = certificates == null ? List.of() : certificates;
    }

    /** A summary without a certificate inventory. */
    public RunSummary(List<String> sources, long packetsRead, long packetsDecoded, Map<String, Long> undecodable,
                      long flows, long flowsEvictedEarly, long peakFlows, List<String> damage, String catalogSource,
                      String topologySource) {
        this(sources, packetsRead, packetsDecoded, undecodable, flows, flowsEvictedEarly, peakFlows, damage, catalogSource,
                topologySource, List.of(), null, 0);
    }
}
