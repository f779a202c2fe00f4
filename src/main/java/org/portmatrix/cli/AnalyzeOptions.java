package org.portmatrix.cli;

import java.nio.file.Path;
import java.util.List;

/**
 * The options of {@code portmatrix analyze}, as parsed from the command line.
 *
 * @param captures capture files, in the order given
 * @param topology the topology file, or null (every host unknown)
 * @param catalog a catalog file replacing the built-in one, or null
 * @param format text or jsonl
 * @param output the output file, or null for standard output
 * @param failOnUnexpected exit 1 when any flow is outside the matrix
 * @param vlanInKey VLAN ids are part of the flow key
 * @param flowCapacity most flows held at once
 */
public record AnalyzeOptions(List<Path> captures, Path topology, Path catalog, String format, Path output,
                             boolean failOnUnexpected, boolean vlanInKey, int flowCapacity) {
    public static final List<String> FORMATS = List.of("text", "jsonl");
}
