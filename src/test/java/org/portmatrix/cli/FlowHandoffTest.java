package org.portmatrix.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.portmatrix.flow.Flow;

class FlowHandoffTest {
    private static List<Flow> flows(int n) {
        List<Flow> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Flow f = new Flow();
            f.id = i;
            out.add(f);
        }
        return out;
    }

    @Test
    void everyFlowIsReportedOnTheFlowThreadInTheOrderItEnded() throws Exception {
        List<Long> seen = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        FlowHandoff h = new FlowHandoff(f -> {
            seen.add(f.id);
            if (threads.isEmpty()) {
                threads.add(Thread.currentThread());
            }
        });
        int n = 256 * 7 + 13; // whole batches and a partial one
        for (Flow f : flows(n)) {
            h.add(f);
        }
        h.finish();
        assertEquals(n, seen.size());
        for (int i = 0; i < n; i++) {
            assertEquals(i, seen.get(i));
        }
        assertNotEquals(Thread.currentThread(), threads.get(0));
    }

    @Test
    void aWriteFailureOnTheFlowThreadReachesThePacketThread() {
        List<Long> seen = new ArrayList<>();
        FlowHandoff h = new FlowHandoff(f -> {
            if (f.id == 300) {
                throw new UncheckedIOException(new IOException("out.jsonl: cannot write: No space left on device"));
            }
            seen.add(f.id);
        });
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> {
            for (Flow f : flows(100_000)) {
                h.add(f);
            }
            h.finish();
        });
        assertTrue(e.getCause().getMessage().contains("No space left"), e.getMessage());
        assertEquals(300, seen.size(), "the flows before the failure were reported, none after it");
    }
}
