package org.portmatrix.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.report.ReportTests.Exec;

/** The extract writer, read back by tshark and capinfos. */
class PcapWriterTest {
    @TempDir
    Path dir;

    /** An IPv4/UDP packet 10.0.0.1:1000 -> 10.0.0.{last}:2000 with 4 bytes of payload (checksums zero: tshark does not check them). */
    static byte[] ipv4Udp(int last) {
        byte[] ip = {
            0x45, 0, 0, 32, // version 4, IHL 5, total length 32
            0, 1, 0, 0, // id 1, no fragment
            64, 17, 0, 0, // TTL 64, UDP, checksum 0
            10, 0, 0, 1, // source 10.0.0.1
            10, 0, 0, (byte) last, // destination
            0x03, (byte) 0xe8, 0x07, (byte) 0xd0, // ports 1000 -> 2000
            0, 12, 0, 0, // UDP length 12, checksum 0
            'p', 'm', 'x', '!'};
        return ip;
    }

    static byte[] ethernet(byte[] ip) {
        byte[] f = new byte[14 + ip.length];
        f[12] = 0x08; // EtherType IPv4, MACs zero
        System.arraycopy(ip, 0, f, 14, ip.length);
        return f;
    }

    private static List<String> fields(Path file, String... fields) throws Exception {
        String[] cmd = new String[6 + 2 * fields.length];
        int i = 0;
        for (String s : new String[] {"tshark", "-n", "-r", file.toString(), "-T", "fields"}) {
            cmd[i++] = s;
        }
        for (String f : fields) {
            cmd[i++] = "-e";
            cmd[i++] = f;
        }
        Exec e = ReportTests.exec(60, cmd);
        assertEquals(0, e.status(), e.err());
        return List.of(e.out().strip().split("\n"));
    }

    @Test
    void oneLinkTypeIsPcapWithNanosecondTimestamps() throws Exception {
        Path out = dir.resolve("one.pcap");
        try (PcapWriter w = new PcapWriter(out)) {
            byte[] f = ethernet(ipv4Udp(2));
            w.write(f, 0, f.length, f.length, 1_700_000_000_123_456_789L, 1);
            w.write(f, 0, f.length, 1500, 1_700_000_001_000_000_001L, 1);
            w.commit();
        }
        Exec info = ReportTests.exec(60, "capinfos", "-t", "-c", "-E", out.toString());
        assertTrue(info.out().contains("nanosecond") && info.out().contains("Ethernet") && info.out().matches("(?s).*Number of packets:\\s+2\\n.*"),
                info.out());
        assertEquals(List.of("1700000000.123456789\t46\t46", "1700000001.000000001\t46\t1500"),
                fields(out, "frame.time_epoch", "frame.cap_len", "frame.len"));
    }

    @Test
    void aSecondLinkTypeTurnsTheFileIntoPcapng() throws Exception {
        Path out = dir.resolve("mixed.pcap");
        try (PcapWriter w = new PcapWriter(out)) {
            byte[] eth = ethernet(ipv4Udp(2));
            byte[] raw = ipv4Udp(3);
            w.write(eth, 0, eth.length, eth.length, 1_000_000_000L, 1);
            w.write(raw, 0, raw.length, raw.length, 2_000_000_000L, 101); // LINKTYPE_RAW
            w.write(eth, 0, eth.length, eth.length, 3_000_000_000L, 1);
            assertTrue(w.isPcapng());
            w.commit();
        }
        Exec info = ReportTests.exec(60, "capinfos", "-t", out.toString());
        assertTrue(info.out().contains("pcapng"), info.out());
        assertEquals(List.of("1.000000000\t10.0.0.2", "2.000000000\t10.0.0.3", "3.000000000\t10.0.0.2"),
                fields(out, "frame.time_epoch", "ip.dst"), "every packet, in order, decoded in its own link type");
        try (var files = Files.list(dir)) {
            assertEquals(List.of(out), files.toList(), "no temporary file left");
        }
    }

    /**
     * Times classic pcap's 32 unsigned bits of seconds cannot hold (after 2106, before 1970) turn the
     * file into pcapng, as a second link type does: they wrapped (2121 was written as 1985, 1966 as 2102).
     */
    @Test
    void timesClassicPcapCannotHoldTurnTheFileIntoPcapng() throws Exception {
        long[] times = {1_700_000_000_123_456_789L, 5_000_000_000_000_000_001L, -1_000_000_000L, 1_700_000_001_000_000_000L};
        Path out = dir.resolve("times.pcap");
        try (PcapWriter w = new PcapWriter(out)) {
            byte[] f = ethernet(ipv4Udp(2));
            for (long t : times) {
                w.write(f, 0, f.length, f.length, t, 1);
            }
            assertTrue(w.isPcapng());
            w.commit();
        }
        assertEquals(java.util.Arrays.stream(times).boxed().toList(), timesReadBack(out), "every time as it was");
        List<String> tshark = fields(out, "frame.time_epoch");
        assertEquals("5000000000.000000001", tshark.get(1), "tshark reads the 2128 time as written");
        assertEquals("-1.000000000", tshark.get(2), "tshark reads the 1969 time as written (it had read 2554)");
    }

    /** The packets' times as portmatrix's own reader reads them back. */
    private static List<Long> timesReadBack(Path file) throws Exception {
        List<Long> read = new java.util.ArrayList<>();
        try (org.portmatrix.capture.PacketSource src = org.portmatrix.capture.Captures.open(file)) {
            org.portmatrix.capture.PacketRef r = new org.portmatrix.capture.PacketRef();
            while (src.next(r)) {
                read.add(r.tsNanos);
            }
        }
        return read;
    }

    /** Times before 1970 from the start (a capture whose interface has a negative if_tsoffset), in two link types. */
    @Test
    void timesBefore1970AreWrittenAsTheyWere() throws Exception {
        long[] times = {-100_000_000_007L, -50_000_000_000L, -(Long.MAX_VALUE / 1_000_000_000L) * 1_000_000_000L, 3L};
        Path out = dir.resolve("early.pcap");
        try (PcapWriter w = new PcapWriter(out)) {
            byte[] f = ethernet(ipv4Udp(2));
            byte[] raw = ipv4Udp(3);
            w.write(f, 0, f.length, f.length, times[0], 1);
            w.write(raw, 0, raw.length, raw.length, times[1], 101);
            w.write(f, 0, f.length, f.length, times[2], 1);
            w.write(raw, 0, raw.length, raw.length, times[3], 101);
            w.commit();
        }
        assertEquals(java.util.Arrays.stream(times).boxed().toList(), timesReadBack(out), "every time as it was");
        // (tshark writes a time before 1970 as its whole seconds, rounded down, then the nanoseconds after them.)
        assertEquals(List.of("-101.999999993\t10.0.0.2", "-50.000000000\t10.0.0.3", "-9223372036.000000000\t10.0.0.2",
                "0.000000003\t10.0.0.3"), fields(out, "frame.time_epoch", "ip.dst"));
    }

    /**
     * Records written across the writer's 1 MiB buffers, each read back from the file's bytes: header
     * fields (the epoch itself too) and the
     * frame, byte for byte. Through the page cache only, with one direct buffer (most MiBs find it
     * busy and go through the page cache between direct ones) and with the default four.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, PcapWriter.DIRECT_BUFFERS})
    void recordsAcrossTheBufferBoundaryAreWrittenWhole(int directBuffers) throws Exception {
        Path out = dir.resolve("many.pcap");
        boolean direct = writeMany(out, directBuffers);
        String fs = Files.getFileStore(dir).type();
        if (directBuffers == 0) {
            assertFalse(direct);
        } else if (List.of("ext4", "xfs", "btrfs").contains(fs)) {
            assertTrue(direct, "direct I/O on " + fs);
        }
        checkMany(out);
    }

    /**
     * On tmpfs, the same bytes: older kernels refuse direct I/O there (the writer then uses the page
     * cache for every MiB), newer ones (6.6 on) accept it.
     */
    @Test
    void tmpfsGetsTheSameBytes() throws Exception {
        Path shm = Path.of("/dev/shm");
        assertEquals("tmpfs", Files.getFileStore(shm).type(), "Linux mounts tmpfs at /dev/shm");
        Path tmp = Files.createTempDirectory(shm, "portmatrix-test");
        try {
            Path out = tmp.resolve("many.pcap");
            writeMany(out, PcapWriter.DIRECT_BUFFERS);
            checkMany(out);
        } finally {
            try (var files = Files.list(tmp)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(tmp);
        }
    }

    private static final int MANY = 3000; // frames of 500-1,499 bytes: about 3 MB, three buffers and more

    private static long time(int i) {
        return i == 0 ? 0L : 1_700_000_000_000_000_000L + i * 1_234_567L;
    }

    /** Writes {@link #MANY} frames; true when the writer used direct I/O. */
    private static boolean writeMany(Path out, int directBuffers) throws Exception {
        try (PcapWriter w = new PcapWriter(out, directBuffers)) {
            for (int i = 0; i < MANY; i++) {
                byte[] f = frame(i);
                w.write(f, 0, f.length, f.length + i % 3, time(i), 1);
            }
            boolean direct = w.directIO();
            w.commit();
            return direct;
        }
    }

    private static void checkMany(Path out) throws Exception {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(Files.readAllBytes(out)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(PcapWriter.PCAP_MAGIC_NANOS, b.getInt(0));
        b.position(PcapWriter.PCAP_HEADER);
        for (int i = 0; i < MANY; i++) {
            byte[] f = frame(i);
            long sec = b.getInt() & 0xffffffffL;
            long nsec = b.getInt() & 0xffffffffL;
            assertEquals(time(i) / 1_000_000_000L, sec, "seconds of record " + i);
            assertEquals(time(i) % 1_000_000_000L, nsec, "nanoseconds of record " + i);
            assertEquals(f.length, b.getInt(), "stored length of record " + i);
            assertEquals(f.length + i % 3, b.getInt(), "wire length of record " + i);
            byte[] got = new byte[f.length];
            b.get(got);
            assertArrayEquals(f, got, "frame " + i);
        }
        assertEquals(0, b.remaining(), "nothing after the last record");
    }

    /** Frame {@code i}: 500 + (i * 7919 mod 1000) bytes, each a function of i and its position. */
    private static byte[] frame(int i) {
        byte[] f = new byte[500 + (i * 7919) % 1000];
        for (int k = 0; k < f.length; k++) {
            f[k] = (byte) (i * 31 + k);
        }
        return f;
    }

    @Test
    void closingWithoutCommitLeavesNothing() throws Exception {
        Path out = dir.resolve("abandoned.pcap");
        try (PcapWriter w = new PcapWriter(out)) {
            byte[] f = ethernet(ipv4Udp(2));
            w.write(f, 0, f.length, f.length, 1L, 1);
        }
        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.toList());
        }
    }
}
