package org.portmatrix.cli;

import java.nio.file.Path;
import java.util.List;
import org.portmatrix.flow.FlowConfig;

/**
 * The options of {@code portmatrix live}, as parsed from the command line.
 *
 * @param iface the interface to capture on
 * @param bpf a capture filter (pcap-filter syntax), or null
 * @param snaplen bytes kept of each packet
 * @param bufferMiB the kernel's capture buffer, MiB
 * @param queueMiB packet batches queued between the capture and the analysis thread, MiB
 * @param immediate deliver each packet at once (no kernel block batching)
 * @param durationSeconds stop after this many seconds; 0 runs until SIGINT/SIGTERM
 * @param reportEverySeconds how often the summary is rewritten
 * @param topology the topology file, or null
 * @param catalog a catalog file replacing the built-in one, or null
 * @param format text or jsonl: the closed-flow lines
 * @param output the file the closed flows are appended to, or null for standard output
 * @param reportDir where summary.json, summary.txt and stats.jsonl are written, or null
 * @param rotateBytes rotate the output file past this size, bytes (0: never)
 * @param rotateSeconds rotate the output file past this age, seconds (0: never)
 * @param rotateKeep rotated parts of the output file kept, the newest (0: all)
 * @param vlanInKey VLAN ids are part of the flow key
 * @param flows the flow table's capacity and timeouts
 * @param heapSample a full GC before each rolling summary, so it reports the live heap exactly
 * @param reportFlagged flagged flows kept whole for the HTML report's table
 */
public record LiveOptions(String iface, String bpf, int snaplen, int bufferMiB, int queueMiB, boolean immediate,
                          long durationSeconds, long reportEverySeconds, Path topology, Path catalog, String format,
                          Path output, Path reportDir, long rotateBytes, long rotateSeconds, int rotateKeep, boolean vlanInKey,
                          FlowConfig flows, boolean heapSample, int reportFlagged) {
    public static final List<String> FORMATS = List.of("text", "jsonl");
    public static final int DEFAULT_QUEUE_MIB = 32;
    public static final long DEFAULT_REPORT_EVERY = 60;
    public static final int DEFAULT_REPORT_FLAGGED = 1000;
}
