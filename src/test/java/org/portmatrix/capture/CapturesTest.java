package org.portmatrix.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opening captures: classic pcap in both byte orders and resolutions, gzip, standard input,
 * several files and directories merged in time order, and offsets beyond 4 GiB. Files made by
 * real programs (editcap, gzip) from the bundled sample are read and compared packet by packet
 * with the sample itself.
 */
class CapturesTest {
    static final Path SAMPLE = Path.of("captures/sample.pcap");

    @TempDir
    Path tmp;

    /** One packet as read: time, link type, and its bytes. */
    record Pkt(long ts, int linkType, int origLen, byte[] data) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Pkt p && p.ts == ts && p.linkType == linkType && p.origLen == origLen && Arrays.equals(p.data, data);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(ts) ^ Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "Pkt[ts=" + ts + ", link=" + linkType + ", len=" + data.length + "]";
        }
    }

    static List<Pkt> all(PacketSource s) throws IOException {
        List<Pkt> l = new ArrayList<>();
        PacketRef r = new PacketRef();
        try (s) {
            while (s.next(r)) {
                l.add(new Pkt(r.tsNanos, r.linkType, r.origLen, Arrays.copyOfRange(r.buf, r.offset, r.offset + r.caplen)));
            }
        }
        return l;
    }

    static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd));
        assertEquals(0, p.exitValue(), String.join(" ", cmd));
    }

    @Test
    void manyCapturesAreNamedByTheFirstFewAndHowManyMore() {
        // (A glob of a day's files had made the summary's first line 50 KB long.)
        assertEquals("a, b, c, d", Captures.joined(java.util.List.of("a", "b", "c", "d")));
        java.util.List<String> day = java.util.stream.IntStream.range(0, 1440).mapToObj(i -> "ring_" + i + ".pcap").toList();
        assertEquals("ring_0.pcap, ring_1.pcap, ring_2.pcap and 1,437 more, to ring_1439.pcap", Captures.joined(day));
    }

    @Test
    void readsTheSampleAsTsharkCountsIt() throws IOException {
        List<Pkt> p = all(Captures.open(SAMPLE));
        assertEquals(182, p.size()); // capinfos -c captures/sample.pcap
        assertTrue(p.stream().allMatch(x -> x.linkType() == LinkType.ETHERNET));
    }

    @Test
    void pcapngWrittenByEditcapReadsAsTheSamePackets() throws Exception {
        Path ng = tmp.resolve("sample.pcapng");
        run("editcap", "-F", "pcapng", SAMPLE.toString(), ng.toString());
        assertEquals(all(Captures.open(SAMPLE)), all(Captures.open(ng)));
    }

    @Test
    void nanosecondPcapWrittenByEditcapReadsAsTheSamePackets() throws Exception {
        Path ns = tmp.resolve("sample-ns.pcap");
        run("editcap", "-F", "nsecpcap", SAMPLE.toString(), ns.toString());
        assertEquals(PcapReader.MAGIC_NANO_SWAPPED, ByteBuffer.wrap(Files.readAllBytes(ns), 0, 4).getInt());
        assertEquals(all(Captures.open(SAMPLE)), all(Captures.open(ns)));
    }

    @Test
    void bigEndianPcapReadsAsTheSamePackets() throws IOException {
        // Rewrite the sample's headers in big-endian order, field by field; packet bytes unchanged.
        ByteBuffer le = ByteBuffer.wrap(Files.readAllBytes(SAMPLE)).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer be = ByteBuffer.allocate(le.capacity()).order(ByteOrder.BIG_ENDIAN);
        be.putInt(le.getInt()).putShort(le.getShort()).putShort(le.getShort()).putInt(le.getInt()).putInt(le.getInt())
                .putInt(le.getInt()).putInt(le.getInt());
        while (le.hasRemaining()) {
            be.putInt(le.getInt()).putInt(le.getInt());
            int incl = le.getInt();
            be.putInt(incl).putInt(le.getInt());
            byte[] data = new byte[incl];
            le.get(data);
            be.put(data);
        }
        assertEquals(PcapReader.MAGIC_MICRO, be.getInt(0));
        assertEquals(all(Captures.open(SAMPLE)), all(Captures.open("be.pcap", new ByteArrayInputStream(be.array()), be.capacity())));
    }

    @Test
    void gzipCompressedCaptureWrittenByGzipReads() throws Exception {
        Path copy = tmp.resolve("sample.pcap");
        Files.copy(SAMPLE, copy);
        run("gzip", "-k", copy.toString());
        assertEquals(all(Captures.open(SAMPLE)), all(Captures.open(tmp.resolve("sample.pcap.gz"))));
    }

    /**
     * The count of damaged records past the 16 kept is written as the reports write counts: the sample eight times over
     * (mergecap -a), its header's snap length set to 60, has 1,456 records stored longer than it, and the line that sums
     * up the 1,440 not kept said "the last of 1440 more damaged records" beside the counters' "packets read 1,456".
     */
    @Test
    void theCountOfDamagedRecordsNotKeptHasItsThousandsSeparators() throws Exception {
        Path eight = tmp.resolve("sample-8.pcap");
        List<String> merge = new ArrayList<>(List.of("mergecap", "-a", "-F", "pcap", "-w", eight.toString()));
        for (int i = 0; i < 8; i++) {
            merge.add(SAMPLE.toString());
        }
        run(merge.toArray(String[]::new));
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(eight)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xa1b2c3d4, b.getInt(0), "a little-endian microsecond pcap");
        b.putInt(16, 60);
        int longer = 0;
        for (int at = 24; at < b.capacity(); at += 16 + b.getInt(at + 8)) {
            longer += b.getInt(at + 8) > 60 ? 1 : 0;
        }
        assertEquals(1456, longer);
        PacketSource s = Captures.open("snap.pcap", new ByteArrayInputStream(b.array()), b.capacity());
        all(s);
        List<CaptureDamage> d = s.damages();
        assertEquals(FileSource.MAX_DAMAGE_KEPT + 1, d.size());
        assertEquals("the last of 1,440 more damaged records like the above", d.get(d.size() - 1).message());
    }

    @Test
    void damageBeyondWhatIsKeptIsSummedUpAtTheOffsetOfItsLastRecord() throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(SAMPLE)).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(16, 60); // snap length 60: every longer record is stored longer than the snap length; reading goes on
        List<Long> longer = new ArrayList<>();
        for (int at = 24; at < b.capacity(); at += 16 + b.getInt(at + 8)) {
            if (b.getInt(at + 8) > 60) {
                longer.add((long) at);
            }
        }
        assertTrue(longer.size() > FileSource.MAX_DAMAGE_KEPT + 1, longer.size() + " records longer than 60 bytes");
        PacketSource s = Captures.open("snap.pcap", new ByteArrayInputStream(b.array()), b.capacity());
        all(s);
        List<CaptureDamage> d = s.damages();
        assertEquals(FileSource.MAX_DAMAGE_KEPT + 1, d.size());
        assertEquals(longer.get(0), d.get(0).offset());
        CaptureDamage last = d.get(d.size() - 1);
        assertEquals(longer.get(longer.size() - 1), last.offset());
        assertEquals("the last of " + (longer.size() - FileSource.MAX_DAMAGE_KEPT) + " more damaged records like the above", last.message());
        // Cut inside its last record as well: the fatal damage stays last, after the line that sums up the others.
        s = Captures.open("snap-cut.pcap", new ByteArrayInputStream(Arrays.copyOf(b.array(), b.capacity() - 10)), b.capacity() - 10);
        all(s);
        d = s.damages();
        assertEquals(FileSource.MAX_DAMAGE_KEPT + 2, d.size());
        assertTrue(d.get(d.size() - 2).message().startsWith("the last of "), d.get(d.size() - 2).message());
        assertTrue(d.get(d.size() - 1).fatal() && d.get(d.size() - 1).message().contains("truncated"), d.get(d.size() - 1).message());
    }

    @Test
    void aDamagedGzipFileSaysWhatIsWrongWithIt() throws Exception {
        Path copy = tmp.resolve("sample.pcap");
        Files.copy(SAMPLE, copy);
        run("gzip", copy.toString());
        byte[] gz = Files.readAllBytes(tmp.resolve("sample.pcap.gz"));
        int packets = all(Captures.open(SAMPLE)).size();
        // The header cut off: nothing to read.
        CaptureFormatException e = assertThrows(CaptureFormatException.class,
                () -> Captures.open("h.pcap.gz", new ByteArrayInputStream(Arrays.copyOf(gz, 5)), 5));
        assertEquals("h.pcap.gz: offset 0: gzip header cut off", e.getMessage());
        // Cut in the middle: what came before counts; the damage says the stream was cut off.
        byte[] cut = Arrays.copyOf(gz, gz.length / 2);
        PacketSource s = Captures.open("c.pcap.gz", new ByteArrayInputStream(cut), cut.length);
        int read = all(s).size();
        assertTrue(read > 0 && read < packets, read + " of " + packets);
        assertTrue(s.damage().message().startsWith("compressed stream cut off; reading stopped in the "), s.damage().message());
        // Its checksum wrong (the trailer's CRC-32): every packet was inflated, the damage names the trailer, once, without
        // repeating the file's name.
        byte[] crc = gz.clone();
        crc[crc.length - 8] ^= 0x5a;
        s = Captures.open("t.pcap.gz", new ByteArrayInputStream(crc), crc.length);
        assertEquals(packets, all(s).size());
        assertEquals("compressed stream damaged (Corrupt GZIP trailer); every complete record before it was read", s.damage().message());
        assertEquals(1, s.damage().describe().split("t.pcap.gz", -1).length - 1, s.damage().describe());
    }

    @Test
    void aTruncatedLastRecordIsDamageAndEverythingBeforeItCounts() throws IOException {
        byte[] whole = Files.readAllBytes(SAMPLE);
        byte[] cut = Arrays.copyOf(whole, whole.length - 10);
        PacketSource s = Captures.open("cut.pcap", new ByteArrayInputStream(cut), cut.length);
        List<Pkt> p = new ArrayList<>();
        PacketRef r = new PacketRef();
        while (s.next(r)) {
            p.add(null);
        }
        assertEquals(181, p.size());
        CaptureDamage d = s.damage();
        assertTrue(d.fatal());
        assertTrue(d.message().startsWith("truncated last record"), d.message());
        assertTrue(d.describe().startsWith("cut.pcap: offset "), d.describe());
    }

    /**
     * Files in formats portmatrix does not read, as real programs write them (captures/foreign/make-foreign.sh:
     * editcap's Network Monitor and snoop output, bzip2, xz, zstd, lz4, zip): each is named, with how to read it
     * anyway, where the message had been "not a pcap or pcapng capture (magic 0x474d4255)".
     */
    @Test
    void namesTheFormatsItDoesNotReadAndHowToReadThem() {
        String convert = "; not read: convert it with Wireshark's editcap (editcap -F pcapng FILE FILE.pcapng)";
        String[][] cases = {
            {"sample-netmon1.cap", "a Microsoft Network Monitor 1.x capture" + convert},
            {"sample-netmon2.cap", "a Microsoft Network Monitor 2.x capture (.cap)" + convert},
            {"sample.snoop", "a Sun snoop capture" + convert},
            {"sample.zip", "a ZIP archive, not a capture: unzip it and give the captures it holds"},
            {"sample.pcap.bz2", "a bzip2-compressed file; of the compressed formats only gzip is read: decompress it first, or through a"
                + " pipe: bzip2 -dc FILE | portmatrix analyze -"},
            {"sample.pcap.xz", "an xz-compressed file; of the compressed formats only gzip is read: decompress it first, or through a"
                + " pipe: xz -dc FILE | portmatrix analyze -"},
            {"sample.pcap.zst", "a zstd-compressed file; of the compressed formats only gzip is read: decompress it first, or through a"
                + " pipe: zstd -dc FILE | portmatrix analyze -"},
            {"sample.pcap.lz4", "an lz4-compressed file; of the compressed formats only gzip is read: decompress it first, or through a"
                + " pipe: lz4 -dc FILE | portmatrix analyze -"},
        };
        for (String[] c : cases) {
            Path file = Path.of("captures/foreign", c[0]);
            CaptureFormatException e = assertThrows(CaptureFormatException.class, () -> Captures.open(file));
            assertEquals(file + ": offset 0: " + c[1], e.getMessage());
        }
    }

    /**
     * A Windows event trace (netsh trace start capture=yes, pktmon start -c: NetTrace.etl, PktMon.etl) is what a Lync
     * server gives without Wireshark; its first bytes are its first buffer's size, no magic. It was "not a pcap or
     * pcapng capture (magic 0x00000100)"; it is named by its .etl, with the commands that convert it.
     */
    @Test
    void aWindowsEventTraceIsNamedWithTheCommandsThatConvertIt() throws IOException {
        byte[] buffer = new byte[128];
        java.nio.ByteBuffer.wrap(buffer).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putInt(0, 0x10000)        // WMI_BUFFER_HEADER: BufferSize, 64 KiB
                .putInt(4, 0x3a8)          // SavedOffset
                .putInt(8, 0x3a8)          // CurrentOffset
                .putInt(0x48, 0xc0020002); // the first event's SYSTEM_TRACE_HEADER: version 2, 64-bit, flags 0xc0
        for (String n : new String[] {"NetTrace.etl", "PktMon.ETL"}) {
            Path etl = tmp.resolve(n);
            Files.write(etl, buffer);
            CaptureFormatException e = assertThrows(CaptureFormatException.class, () -> Captures.open(etl));
            assertEquals(etl + ": offset 0: a Windows event trace (.etl: netsh trace, pktmon), not a capture; convert it on Windows: "
                    + "pktmon etl2pcap FILE.etl --out FILE.pcapng (pktmon's), etl2pcapng FILE.etl FILE.pcapng (netsh trace's)", e.getMessage());
        }
        Path other = tmp.resolve("trace.bin");
        Files.write(other, buffer);
        CaptureFormatException e = assertThrows(CaptureFormatException.class, () -> Captures.open(other));
        assertEquals(other + ": offset 0: not a pcap or pcapng capture (magic 0x00000100)", e.getMessage());
    }

    @Test
    void refusesFilesThatAreNotCapturesInOneLine() throws IOException {
        Path text = tmp.resolve("notes.txt");
        Files.writeString(text, "hello, world\n");
        CaptureFormatException e = assertThrows(CaptureFormatException.class, () -> Captures.open(text));
        assertEquals(text + ": offset 0: not a pcap or pcapng capture (magic 0x68656c6c)", e.getMessage());
        Path empty = Files.createFile(tmp.resolve("empty.pcap"));
        e = assertThrows(CaptureFormatException.class, () -> Captures.open(empty));
        assertEquals(empty + ": offset 0: empty file", e.getMessage());
        e = assertThrows(CaptureFormatException.class, () -> Captures.open(tmp.resolve("missing.pcap")));
        assertTrue(e.getMessage().endsWith("missing.pcap: no such file"), e.getMessage());
    }

    /**
     * Gzip members one after another on a pipe whose writer pauses between them (ring-buffer files
     * sent through ssh or curl): every member is read, whether a member ends between two records or
     * inside one. The JDK's gzip stream looked for a next member only if its input had bytes at hand
     * at that moment, and took the pause for the end (the members after it dropped, exit 0; or a
     * record cut in two reported as a capture cut off).
     */
    @Test
    void gzipMembersOnAPipeThatPausesBetweenThemAreAllRead() throws Exception {
        byte[] whole = Files.readAllBytes(SAMPLE);
        int[] cuts = {0, 1000, 24_000, whole.length}; // 1000 and 24,000 fall inside records (the header is 24 bytes)
        List<String> members = new ArrayList<>();
        for (int i = 0; i + 1 < cuts.length; i++) {
            Path part = tmp.resolve("part" + i);
            Files.write(part, Arrays.copyOfRange(whole, cuts[i], cuts[i + 1]));
            run("gzip", part.toString());
            members.add(part + ".gz");
        }
        Path fifo = tmp.resolve("pipe");
        run("mkfifo", fifo.toString());
        Process writer = new ProcessBuilder("bash", "-c", "exec >\"$0\"; cat \"$1\"; sleep 0.5; cat \"$2\"; sleep 0.5; cat \"$3\"",
                fifo.toString(), members.get(0), members.get(1), members.get(2)).redirectErrorStream(true).start();
        try {
            PacketSource s = Captures.openAll(List.of(fifo), null);
            List<Pkt> expected = all(Captures.open(SAMPLE));
            List<Pkt> read = all(s);
            assertEquals(expected.size(), read.size(), "packets read");
            assertEquals(expected, read);
            assertNull(s.damage(), "no damage");
        } catch (Throwable t) {
            writer.destroyForcibly();
            throw t;
        }
        assertTrue(writer.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, writer.exitValue());
    }

    /**
     * What follows the last whole gzip member and is not one (the next member's header cut off, or
     * bytes appended) is damage, everything before it read: it had ended the capture without a word
     * (exit 0, the packets after it lost). Two whole members are one capture, without damage, and so
     * are they with zeros after them (padding, which gzip ignores too).
     */
    @Test
    void whatFollowsTheLastWholeGzipMemberIsDamage() throws Exception {
        byte[] whole = Files.readAllBytes(SAMPLE);
        int cut = 24_000; // inside a record
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        Files.write(a, Arrays.copyOfRange(whole, 0, cut));
        Files.write(b, Arrays.copyOfRange(whole, cut, whole.length));
        run("gzip", a.toString());
        run("gzip", b.toString());
        byte[] ga = Files.readAllBytes(tmp.resolve("a.gz"));
        byte[] gb = Files.readAllBytes(tmp.resolve("b.gz"));
        List<Pkt> expected = all(Captures.open(SAMPLE));

        PacketSource both = Captures.open("both.pcap.gz", new ByteArrayInputStream(concat(ga, gb)), ga.length + gb.length);
        assertEquals(expected, all(both));
        assertNull(both.damage());

        byte[] headerCut = concat(ga, Arrays.copyOf(gb, 6));
        PacketSource cutOff = Captures.open("cut.pcap.gz", new ByteArrayInputStream(headerCut), headerCut.length);
        List<Pkt> read = all(cutOff);
        assertTrue(read.size() > 10 && read.size() < expected.size(), read.size() + " packets");
        assertEquals(expected.subList(0, read.size()), read, "the first member's whole records");
        assertTrue(cutOff.damage().describe().contains("after the last whole gzip member"), cutOff.damage().describe());

        byte[] appended = concat(Files.readAllBytes(tmp.resolve("a.gz")), "not gzip at all\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        PacketSource garbage = Captures.open("junk.pcap.gz", new ByteArrayInputStream(appended), appended.length);
        assertEquals(read, all(garbage));
        assertTrue(garbage.damage().describe().contains("after the last whole gzip member"), garbage.damage().describe());

        // Zeros after the last member are padding (a tape's, dd's), as gzip takes them: no damage; a byte after them is.
        byte[] padded = concat(concat(ga, gb), new byte[70_000]);
        PacketSource zeros = Captures.open("padded.pcap.gz", new ByteArrayInputStream(padded), padded.length);
        assertEquals(expected, all(zeros));
        assertNull(zeros.damage());
        byte[] paddedThenByte = concat(padded, new byte[] {1});
        PacketSource notZeros = Captures.open("padded1.pcap.gz", new ByteArrayInputStream(paddedThenByte), paddedThenByte.length);
        assertEquals(expected, all(notZeros));
        assertTrue(notZeros.damage().describe().contains("after the last whole gzip member"), notZeros.damage().describe());
    }

    private static byte[] concat(byte[] x, byte[] y) {
        byte[] r = Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, r, x.length, y.length);
        return r;
    }

    @Test
    void readsStandardInput() throws IOException {
        InputStream stdin = new ByteArrayInputStream(Files.readAllBytes(SAMPLE));
        PacketSource s = Captures.openAll(List.of(Path.of("-")), stdin);
        assertEquals("(standard input)", s.name());
        assertEquals(all(Captures.open(SAMPLE)), all(s));
    }

    /** Splits the sample into odd and even frames with tshark: two captures that interleave in time. */
    @Test
    void severalFilesAreReadAsOneInTimeOrder() throws Exception {
        Path odd = tmp.resolve("odd.pcap");
        Path even = tmp.resolve("even.pcapng");
        run("tshark", "-n", "-r", SAMPLE.toString(), "-Y", "frame.number % 2 == 1", "-F", "pcap", "-w", odd.toString());
        run("tshark", "-n", "-r", SAMPLE.toString(), "-Y", "frame.number % 2 == 0", "-F", "pcapng", "-w", even.toString());
        List<Pkt> merged = all(Captures.openAll(List.of(even, odd), InputStream.nullInputStream()));
        assertEquals(all(Captures.open(SAMPLE)), merged);
    }

    /** editcap -i splits by time, as dumpcap's ring buffer does: the directory reads as the whole. */
    @Test
    void aDirectoryIsReadAsOneCaptureInTimeOrder() throws Exception {
        Path ring = Files.createDirectory(tmp.resolve("ring"));
        run("editcap", "-F", "pcapng", "-i", "1", SAMPLE.toString(), ring.resolve("ring.pcapng").toString());
        try (var files = Files.list(ring)) {
            assertTrue(files.count() >= 3, "editcap -i 1 wrote a file per second of the 2.6 s sample");
        }
        Files.writeString(ring.resolve(".hidden"), "not read");
        PacketSource s = Captures.openAll(List.of(ring), InputStream.nullInputStream());
        assertEquals(ring.toString(), s.name());
        assertEquals(all(Captures.open(SAMPLE)), all(s));
    }

    /**
     * Captures of the same period from four mirror ports (every fourth frame of a cut of the reference workload,
     * tshark; pcap, pcapng and gzip, each larger than a read chunk) read with room for two open files, as a low
     * open-files limit leaves it ({@link OpenFiles}): the files read longest ago let their descriptors go and are
     * opened again where they were, and the packets are those of the whole capture, in its order. Files deleted
     * halfway: those whose descriptors were let go end there as damage naming the file, the offset and why, and
     * those still open are read to their end.
     */
    @Test
    void capturesBeyondTheOpenFilesBudgetAreOpenedAgainWhereTheyWere() throws Exception {
        Path whole = tmp.resolve("mix.pcap");
        run("python3", "../shared/bench/make_lync_mix.py", "--packets", "20000", "-q", "-o", whole.toString());
        List<Path> ports = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
            Path f = tmp.resolve("port" + k + (k % 2 == 0 ? ".pcap" : ".pcapng"));
            run("tshark", "-n", "-r", whole.toString(), "-Y", "frame.number % 4 == " + k, "-F", k % 2 == 0 ? "pcap" : "pcapng", "-w", f.toString());
            assertTrue(Files.size(f) > 4 * ByteInput.SYNC_CHUNK, f + ": several chunks");
            ports.add(f);
        }
        List<Pkt> expected = all(Captures.open(whole));
        int before = OpenFiles.budget(2);
        try {
            long parked = OpenFiles.parked();
            assertEquals(expected, all(Captures.openAll(ports, InputStream.nullInputStream())), "plain");
            assertTrue(OpenFiles.parked() > parked + 10, "descriptors let go: " + (OpenFiles.parked() - parked));
            run("gzip", "-k", ports.get(3).toString());
            List<Path> gz = new ArrayList<>(ports.subList(0, 3));
            gz.add(Path.of(ports.get(3) + ".gz"));
            assertEquals(expected, all(Captures.openAll(gz, InputStream.nullInputStream())), "one of them gzip");

            PacketSource s = Captures.openAll(ports, InputStream.nullInputStream());
            PacketRef r = new PacketRef();
            int read = 0;
            while (read < expected.size() / 2 && s.next(r)) {
                read++;
            }
            for (Path f : ports) {
                Files.delete(f);
            }
            while (s.next(r)) {
                read++;
            }
            s.close();
            List<CaptureDamage> damages = s.damages();
            assertFalse(damages.isEmpty());
            assertTrue(damages.size() <= 2, "at most two were let go: " + damages);
            for (CaptureDamage d : damages) {
                assertTrue(d.describe().matches(tmp.resolve("port") + "[0-3]\\.pcap(ng)?: offset [1-9][0-9]*: deleted while its descriptor was let go"
                        + " \\(more captures of the same period than the open-files limit leaves open at once: ulimit -n\\); reading stopped in the"
                        + " last (record|block)"), d.describe());
            }
            assertTrue(read > expected.size() / 2 && read < expected.size(), read + " of " + expected.size());
        } finally {
            OpenFiles.budget(before);
        }
    }

    @Test
    void aDamagedFileAmongSeveralKeepsTheOthersAndReportsItsDamage() throws Exception {
        byte[] whole = Files.readAllBytes(SAMPLE);
        Path cut = tmp.resolve("cut.pcap");
        Files.write(cut, Arrays.copyOf(whole, whole.length - 10));
        Path copy = tmp.resolve("copy.pcap");
        Files.write(copy, whole);
        PacketSource s = Captures.openAll(List.of(cut, copy), InputStream.nullInputStream());
        assertEquals(181 + 182, all(s).size());
        assertEquals(1, s.damages().size());
        assertTrue(s.damages().get(0).describe().startsWith(cut + ": offset "), s.damages().get(0).describe());
    }

    @Test
    void anUnreadableFileAmongSeveralIsRefusedBeforeAnyPacket() throws IOException {
        Path text = tmp.resolve("notes.txt");
        Files.writeString(text, "hello, world\n");
        CaptureFormatException e = assertThrows(CaptureFormatException.class,
                () -> Captures.openAll(List.of(SAMPLE, text), InputStream.nullInputStream()));
        assertTrue(e.getMessage().startsWith(text.toString()), e.getMessage());
    }

    /**
     * A capture larger than 4 GiB, streamed (not stored): 16,400 records of 262,144 bytes each. Record
     * offsets past 2^32 must come out exact, so nothing on the way holds an offset in an int. The
     * stream writes the headers and leaves packet bytes as they are in the reader's buffer.
     */
    @Test
    void offsetsBeyondFourGibibytesAreExact() throws IOException {
        int records = 16_400;
        int caplen = PcapReader.MAX_RECORD;
        long recordSize = 16 + caplen;
        InputStream big = new SyntheticPcap(records, caplen);
        PacketSource s = Captures.open("big.pcap", big, 24 + records * recordSize);
        PacketRef r = new PacketRef();
        long n = 0;
        long lastOffset = -1;
        while (s.next(r)) {
            assertEquals(24 + n * recordSize, r.recordOffset);
            assertEquals(n, r.tsNanos / 1_000_000_000L);
            lastOffset = r.recordOffset;
            n++;
        }
        assertEquals(records, n);
        assertTrue(lastOffset > (1L << 32), "the last record lies beyond 4 GiB: " + lastOffset);
        assertEquals(24 + records * recordSize, s.position());
        assertNull(s.damage());
        assertFalse(s.next(r));
    }

    /** A little-endian microsecond pcap of {@code records} records, generated as it is read. */
    static final class SyntheticPcap extends InputStream {
        private final byte[] header = new byte[24];
        private final int records;
        private final int caplen;
        private long pos;
        private final long total;

        SyntheticPcap(int records, int caplen) {
            this.records = records;
            this.caplen = caplen;
            ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
            h.putInt(PcapReader.MAGIC_MICRO).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(caplen).putInt(1);
            this.total = 24 + (long) records * (16 + caplen);
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (pos >= total) {
                return -1;
            }
            int n = (int) Math.min(len, total - pos);
            for (int i = 0; i < n; ) {
                long p = pos + i;
                if (p < 24) {
                    b[off + i] = header[(int) p];
                    i++;
                    continue;
                }
                long inRecord = (p - 24) % (16 + caplen);
                long index = (p - 24) / (16 + caplen);
                if (inRecord < 16) {
                    b[off + i] = recordHeaderByte(index, (int) inRecord);
                    i++;
                } else {
                    i += (int) Math.min(n - i, 16 + caplen - inRecord); // packet bytes: left as they are
                }
            }
            pos += n;
            return n;
        }

        private byte recordHeaderByte(long index, int k) {
            int field = switch (k / 4) {
                case 0 -> (int) index;   // ts_sec
                case 1 -> 0;             // ts_usec
                default -> caplen;       // incl_len, orig_len
            };
            return (byte) (field >>> (8 * (k % 4)));
        }
    }

    @Test
    void aDirectoryMayMixFormats() throws Exception {
        // One directory holding a gzip pcap and a pcapng: formats may differ between files.
        Path dir = Files.createDirectory(tmp.resolve("mix"));
        try (GZIPOutputStream z = new GZIPOutputStream(Files.newOutputStream(dir.resolve("a.pcap.gz")))) {
            z.write(Files.readAllBytes(SAMPLE));
        }
        run("editcap", "-F", "pcapng", SAMPLE.toString(), dir.resolve("b.pcapng").toString());
        List<Pkt> twice = new ArrayList<>();
        for (Pkt p : all(Captures.open(SAMPLE))) {
            twice.add(p);
            twice.add(p);
        }
        assertEquals(twice, all(Captures.openAll(List.of(dir), InputStream.nullInputStream())));
    }
}
