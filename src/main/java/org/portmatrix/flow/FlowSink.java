package org.portmatrix.flow;

/** Receives each flow once, when it ends (idle, closed after FIN or RST, evicted, restarted, or at the end of the capture). */
@FunctionalInterface
public interface FlowSink {
    void closed(Flow flow);
}
