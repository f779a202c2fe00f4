package org.portmatrix.cli;

import java.nio.file.Path;
import java.util.List;
import org.portmatrix.report.FlowRecord;

/** Run by {@link LiveFlowLogTest} without the capabilities that override file permissions: one flow line with --rotate-size 1 byte; prints written and the failure. */
final class RotationFailureProbe {
    public static void main(String[] args) throws Exception {
        RotatingOutput out = RotatingOutput.file(Path.of(args[0]), 1, 0, 0);
        LiveFlowLog flows = new LiveFlowLog(out, "jsonl", null);
        flows.flow(new FlowRecord(1_700_000_000_000_000_000L, 1_700_000_001_000_000_000L, "tcp", "10.1.1.11", 50_000, "10.1.1.12", 5061,
                false, List.of("front-end"), List.of("front-end"), "tls", "allowed", "fe-sip-mtls-5061", "ok", 3, 2, 300, 200, "1:abc=", -1,
                "established", "closed", 1, 0, null));
        flows.flush();
        out.close();
        System.out.println("written " + flows.written());
        System.out.println("failure " + flows.failure());
    }
}
