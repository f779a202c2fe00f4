package org.portmatrix.report;

import java.io.IOException;

/** An output of the analysis: receives every flow record as its flow ends, then the run's summary. */
public interface FlowReport {
    void flow(FlowRecord record) throws IOException;

    void finish(RunSummary summary) throws IOException;
}
