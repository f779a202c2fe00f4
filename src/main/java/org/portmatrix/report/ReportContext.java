package org.portmatrix.report;

import java.util.List;
import org.portmatrix.classify.Rule;

/**
 * What the aggregated reports (text, HTML) need to know besides the flows themselves.
 *
 * @param rules the catalog's rules, in catalog order (for coverage); empty to leave coverage out
 * @param topologyRoles the roles the topology gives to at least one address, in the topology's order
 *     (the axis order of the role matrix; a documented port counts as a candidate to close only when
 *     some host has its role)
 * @param allFlows list every flow in the text report, not only the groups
 * @param maxFlaggedRecords most flagged flow records kept whole for the HTML table
 */
public record ReportContext(List<Rule> rules, List<String> topologyRoles, boolean allFlows, int maxFlaggedRecords) {
    public static final int DEFAULT_MAX_FLAGGED_RECORDS = 10_000;

    public ReportContext {
        rules = List.copyOf(rules);
        topologyRoles = List.copyOf(topologyRoles);
        if (maxFlaggedRecords < 0) {
            throw new IllegalArgumentException("maxFlaggedRecords < 0");
        }
    }

    /** No catalog, no topology: groups and counters only. */
    public static ReportContext none() {
        return new ReportContext(List.of(), List.of(), false, DEFAULT_MAX_FLAGGED_RECORDS);
    }
}
