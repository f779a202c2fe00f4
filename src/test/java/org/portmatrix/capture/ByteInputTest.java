package org.portmatrix.capture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The read buffer gives back the stream's bytes exactly, at the offsets they had, whether the
 * caller fills the chunks or a read-ahead thread does: records of every size across chunk
 * boundaries, records larger than a chunk, reads that return a few bytes at a time (a pipe), and a
 * read failure after some data (the data first, then the failure).
 */
class ByteInputTest {
    private static byte[] stream(int n, long seed) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    /** Returns at most {@code step} bytes per read, as a pipe does. */
    private static InputStream trickle(byte[] data, int step) {
        return new FilterInputStream(new ByteArrayInputStream(data)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, step));
            }
        };
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void recordsOfEverySizeComeBackWhole(boolean readAhead) throws IOException {
        byte[] data = stream(5 << 20, 1);
        ByteInput in = new ByteInput(trickle(data, 70_000), ByteInput.chunkFor(data.length), readAhead);
        SplittableRandom r = new SplittableRandom(2);
        long at = 0;
        try {
            while (at < data.length) {
                // mostly packet-sized, sometimes larger than a chunk read in place (512 KiB), up to the largest ensure
                int want = r.nextInt(20) == 0 ? r.nextInt(ByteInput.SYNC_CHUNK, in.capacity() + 1) : r.nextInt(1, 2000);
                boolean whole = in.ensure(want);
                int got = (int) Math.min(want, data.length - at);
                assertEquals(got == want, whole, "ensure(" + want + ") at " + at);
                assertEquals(at, in.offset());
                assertArrayEquals(Arrays.copyOfRange(data, (int) at, (int) at + got),
                        Arrays.copyOfRange(in.buf, in.pos, in.pos + got), "bytes at " + at);
                if (r.nextBoolean()) {
                    in.pos += got;
                } else {
                    assertTrue(in.skip(got));
                }
                at += got;
            }
            assertFalse(in.ensure(1));
        } finally {
            in.close();
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aReadFailureComesAfterTheBytesReadBeforeIt(boolean readAhead) throws IOException {
        byte[] data = stream(3 << 20, 3);
        InputStream failing = new FilterInputStream(new ByteArrayInputStream(data)) {
            private long read;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (read >= data.length) {
                    throw new IOException("disk went away");
                }
                int n = super.read(b, off, Math.min(len, 100_000));
                read += Math.max(n, 0);
                return n;
            }
        };
        ByteInput in = new ByteInput(failing, ByteInput.chunkFor(-1), readAhead);
        try {
            long seen = 0;
            while (seen < data.length) {
                assertTrue(in.ensure(1));
                int n = in.available();
                assertArrayEquals(Arrays.copyOfRange(data, (int) seen, (int) seen + n), Arrays.copyOfRange(in.buf, in.pos, in.pos + n));
                in.pos += n;
                seen += n;
            }
            IOException e = assertThrows(IOException.class, () -> in.ensure(1));
            assertEquals("disk went away", e.getMessage());
        } finally {
            in.close();
        }
    }

    /** Reads up to {@code most} bytes of {@code data} from {@code in} at {@code at}, checking them; the new offset. */
    private static long step(ByteInput in, byte[] data, long at, int most) throws IOException {
        if (at >= data.length) {
            return at;
        }
        assertTrue(in.ensure(1));
        int n = Math.min(in.available(), most);
        assertArrayEquals(Arrays.copyOfRange(data, (int) at, (int) at + n), Arrays.copyOfRange(in.buf, in.pos, in.pos + n), "bytes at " + at);
        in.pos += n;
        return at + n;
    }

    /**
     * A closed input's chunks are taken by the next input opened (a directory of captures read one
     * after another), never by two open inputs at once, and each input still gives back its own
     * stream's bytes.
     */
    @Test
    void aClosedInputsChunksAreTakenAgainButNeverShared() throws IOException {
        byte[] a = stream(700_000, 7);
        byte[] b = stream(700_000, 8);
        ByteInput x = new ByteInput(new ByteArrayInputStream(a), ByteInput.chunkFor(a.length), false);
        assertTrue(x.ensure(1));
        byte[] chunk = x.buf;
        x.pos += 1000;
        long at = x.offset();
        x.close();
        assertEquals(0, x.available(), "nothing is read from a closed input's chunk");
        assertEquals(at, x.offset(), "a closed input's offset stays where reading stopped");
        assertFalse(x.ensure(1), "and it reads no more, into a chunk it gave back");
        ByteInput y = new ByteInput(trickle(b, 50_000), ByteInput.chunkFor(b.length), false);
        ByteInput z = new ByteInput(trickle(a, 70_000), ByteInput.chunkFor(a.length), false);
        try {
            assertTrue(y.ensure(1));
            assertTrue(chunk == y.buf, "the closed input's chunk, taken again");
            assertTrue(z.ensure(1));
            assertTrue(y.buf != z.buf);
            long atY = 0;
            long atZ = 0;
            while (atY < b.length || atZ < a.length) { // both read a little at a time, each into its own chunks
                atY = step(y, b, atY, 30_000);
                atZ = step(z, a, atZ, 45_000);
                assertTrue(y.buf != z.buf, "two open inputs never share a chunk");
            }
            assertFalse(y.ensure(1));
            assertFalse(z.ensure(1));
        } finally {
            y.close();
            z.close();
        }
        y.close(); // closed twice, its chunks are given back once
        ByteInput p = new ByteInput(new ByteArrayInputStream(a), ByteInput.chunkFor(a.length), false);
        ByteInput q = new ByteInput(new ByteArrayInputStream(b), ByteInput.chunkFor(b.length), false);
        ByteInput r = new ByteInput(new ByteArrayInputStream(b), ByteInput.chunkFor(b.length), false);
        assertTrue(p.ensure(1));
        assertTrue(q.ensure(1));
        assertTrue(r.ensure(1));
        assertTrue(p.buf != q.buf && q.buf != r.buf && p.buf != r.buf);
        p.close();
        q.close();
        r.close();
    }
}
