package org.portmatrix.cli;

import java.nio.file.Path;
import java.util.List;

/**
 * The options of {@code portmatrix analyze}, as parsed from the command line.
 *
 * @param captures capture files, in the order given
 * @param topology the topology file, or null (roles inferred from the traffic, unless {@code infer} is off)
 * @param catalog a catalog file replacing the built-in one, or null
 * @param format text, jsonl, csv or html; null when {@code --report-dir} replaces the main report (standard
 *     output then gets the one-screen summary)
 * @param output the output file, or null for standard output
 * @param failOnUnexpected exit 1 when any flow is outside the matrix
 * @param vlanInKey VLAN ids are part of the flow key
 * @param flowCapacity most flows held at once
 * @param reportDir directory for flows.jsonl, flows.csv, report.html and summary.txt, or null
 * @param extract pcap file for every packet of every flagged flow (a second pass over the captures), or null
 * @param allFlows the text report lists every flow, not only the groups
 * @param flowConfig the flow table's capacity and idle timeouts
 * @param writeTopology without a topology: the file to write the inferred topology to, or null
 * @param infer without a topology: infer roles from the traffic (a first pass over the captures)
 * @param inspect look at the payload (off with --no-inspect: verdicts by roles, transport and port only)
 */
public record AnalyzeOptions(List<Path> captures, Path topology, Path catalog, String format, Path output,
                             boolean failOnUnexpected, boolean vlanInKey, int flowCapacity, Path reportDir, Path extract,
                             boolean allFlows, org.portmatrix.flow.FlowConfig flowConfig, Path writeTopology, boolean infer,
                             boolean inspect) {
    public static final List<String> FORMATS = org.portmatrix.report.ReportSet.FORMATS;
}
