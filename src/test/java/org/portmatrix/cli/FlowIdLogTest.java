package org.portmatrix.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The extract's flow id log gives back every id in order, across its buffer, then -1; closing deletes it. */
class FlowIdLogTest {
    @Test
    void everyIdComesBackInOrderThenMinusOne(@TempDir Path dir) throws Exception {
        int n = 100_003; // several of the log's 16 k-id buffers, the last one partial
        int[] ids = new int[n];
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < n; i++) {
            ids[i] = r.nextInt(10) == 0 ? -1 : r.nextInt(Integer.MAX_VALUE);
        }
        Path file;
        try (FlowIdLog log = FlowIdLog.create(dir)) {
            file = log.file();
            assertTrue(file.startsWith(dir));
            for (int id : ids) {
                log.add(id);
            }
            assertEquals(n, log.size());
            FlowIdLog.Reader back = log.reader();
            for (int i = 0; i < n; i++) {
                assertEquals(ids[i], back.next(), "id " + i);
            }
            assertEquals(-1, back.next(), "past the last packet of the first pass");
            assertEquals(4L * n, Files.size(file));
        }
        assertFalse(Files.exists(file), "the log is deleted when closed");
    }
}
