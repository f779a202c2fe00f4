package org.portmatrix.capture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpenFilesTest {
    @TempDir
    Path tmp;

    /**
     * tcpdump -C -W uses its files' names again: the oldest file is cut and written anew, the same inode, which its
     * file key does not tell. A file whose descriptor was let go and then cut below where it was read to ended there
     * without a word (exit 0, the rest of its packets lost); one written anew past it went on in another capture's
     * bytes. Both are now damage where it stopped; a file that only grew (a ring's file still written to) reads on.
     */
    @Test
    void aFileCutOrWrittenAnewUnderTheSameNameWhileLetGoIsDamage() throws Exception {
        byte[] sample = Files.readAllBytes(CapturesTest.SAMPLE);
        Path a = tmp.resolve("a.pcap");
        Path b = tmp.resolve("b.pcap");
        Files.write(a, sample);
        Files.write(b, sample);
        int before = OpenFiles.budget(1);
        try {
            // Grown while let go: read on where it was, no damage.
            byte[] got = new byte[sample.length * 2];
            OpenFiles.File fa = OpenFiles.open(a);
            int n = fa.readNBytes(got, 0, 1000);
            OpenFiles.File fb = OpenFiles.open(b); // (a lets its descriptor go)
            Files.write(a, sample, StandardOpenOption.APPEND);
            n += fa.readNBytes(got, n, got.length - n);
            assertEquals(got.length, n);
            assertArrayEquals(sample, Arrays.copyOfRange(got, sample.length, got.length));
            fa.close();

            // Cut to its header, as tcpdump leaves a file it has just opened again.
            Files.write(a, sample);
            fa = OpenFiles.open(a);
            fa.readNBytes(got, 0, 1000);
            fb.read(); // (a lets its descriptor go)
            Files.write(a, Arrays.copyOf(sample, 24), StandardOpenOption.TRUNCATE_EXISTING);
            OpenFiles.File cut = fa;
            OpenFiles.Gone gone = assertThrows(OpenFiles.Gone.class, () -> cut.read(new byte[10], 0, 10));
            assertTrue(gone.getMessage().startsWith("cut to 24 bytes while its descriptor was let go"), gone.getMessage());
            fa.close();

            // Written anew past where it was read to: the same inode, another capture's bytes.
            Files.write(a, sample);
            fa = OpenFiles.open(a);
            fa.readNBytes(got, 0, 1000);
            fb.read();
            byte[] other = sample.clone();
            other[24] ^= 1; // (the first record's seconds)
            Files.write(a, other, StandardOpenOption.TRUNCATE_EXISTING);
            OpenFiles.File anew = fa;
            gone = assertThrows(OpenFiles.Gone.class, () -> anew.read(new byte[10], 0, 10));
            assertTrue(gone.getMessage().startsWith("written anew from its start while its descriptor was let go"), gone.getMessage());
            fa.close();
            fb.close();

            // What a user sees: damage where the file stopped, not its packets lost without a word (files of several read
            // chunks each: the reference workload's first 20,000 packets, three times).
            Path mix = tmp.resolve("mix.pcap");
            Process p = new ProcessBuilder("python3", "../shared/bench/make_lync_mix.py", "--packets", "20000", "-q", "-o", mix.toString())
                    .inheritIO().start();
            assertEquals(0, p.waitFor());
            byte[] big = Files.readAllBytes(mix);
            assertTrue(big.length > 8 * ByteInput.SYNC_CHUNK, big.length + " bytes");
            Path c = tmp.resolve("c.pcap");
            for (Path f : List.of(a, b, c)) {
                Files.write(f, big);
            }
            PacketSource s = Captures.openAll(List.of(a, b, c), InputStream.nullInputStream());
            PacketRef r = new PacketRef();
            int read = 0;
            while (read < 3 * 20000 / 2 && s.next(r)) {
                read++;
            }
            for (Path f : List.of(a, b, c)) {
                Files.write(f, Arrays.copyOf(big, 24), StandardOpenOption.TRUNCATE_EXISTING);
            }
            while (s.next(r)) {
                read++;
            }
            s.close();
            assertTrue(read < 3 * 20000, read + " packets");
            // Budget 1: all but the one read last let go (that one, its descriptor held, reads what it had buffered, as one
            // file read alone does).
            long letGo = s.damages().stream().filter(d -> d.describe().matches(java.util.regex.Pattern.quote(tmp + "/")
                    + "[abc]\\.pcap: offset [1-9][0-9]*: cut to 24 bytes while its descriptor was let go \\(more captures of the same period"
                    + " than the open-files limit leaves open at once: ulimit -n\\); .*")).count();
            assertTrue(letGo >= 2, s.damages().toString());
        } finally {
            OpenFiles.budget(before);
        }
    }
}
