package org.portmatrix.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Byte-level tests of the pcapng reader: one test per structure and per malformation. */
class PcapngReaderTest {
    static final long S = 1_000_000_000L;

    record Pkt(int linkType, long ts, int caplen, int origLen, int firstByte, long offset) {}

    record Read(List<Pkt> packets, PacketSource source) {}

    static Read read(byte[] file) throws IOException {
        PacketSource src = Captures.open("t.pcapng", new ByteArrayInputStream(file), file.length);
        List<Pkt> l = new ArrayList<>();
        PacketRef r = new PacketRef();
        while (src.next(r)) {
            l.add(new Pkt(r.linkType, r.tsNanos, r.caplen, r.origLen, r.caplen > 0 ? r.buf[r.offset] & 0xff : -1, r.recordOffset));
        }
        assertFalse(src.next(r), "stays at its end");
        src.close();
        return new Read(l, src);
    }

    static byte[] data(int n, int first) {
        byte[] b = new byte[n];
        b[0] = (byte) first;
        return b;
    }

    static ByteOrder order(String name) {
        return name.equals("big") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    }

    @ParameterizedTest
    @ValueSource(strings = {"big", "little"})
    void readsEnhancedPacketsOfInterfacesWithDifferentLinkTypes(String endian) throws IOException {
        PcapngBuilder b = new PcapngBuilder(order(endian)).section(order(endian))
                .iface(1)            // interface 0: Ethernet, microseconds
                .iface(276, 128, -1, 0) // interface 1: Linux SLL2, snaplen 128
                .epb(0, 1_700_000_000_000_001L, data(60, 0xe0), 60)
                .epb(1, 1_700_000_000_000_002L, data(41, 0xe1), 1500);
        Read r = read(b.bytes());
        assertEquals(List.of(new Pkt(1, 1_700_000_000_000_001_000L, 60, 60, 0xe0, 28 + 24 + 24),
                new Pkt(276, 1_700_000_000_000_002_000L, 41, 1500, 0xe1, 28 + 24 + 24 + 92)), r.packets());
        assertNull(r.source().damage());
    }

    @Test
    void convertsDecimalAndBinaryTimestampResolutionsAndOffsets() throws IOException {
        PcapngBuilder b = new PcapngBuilder(ByteOrder.LITTLE_ENDIAN).section(ByteOrder.LITTLE_ENDIAN)
                .iface(1, 0, 9, 0)            // nanoseconds
                .iface(1, 0, 3, 0)            // milliseconds
                .iface(1, 0, 0x80 | 10, 0)    // 2^-10 s
                .iface(1, 0, 12, 100)         // picoseconds, offset 100 s
                .epb(0, 5 * S + 7, data(20, 0), 20)
                .epb(1, 5_123, data(20, 0), 20)
                .epb(2, (5L << 10) | 512, data(20, 0), 20)   // 5.5 s
                .epb(3, 2_000_000_000_000L + 1500, data(20, 0), 20);
        List<Pkt> p = read(b.bytes()).packets();
        assertEquals(5 * S + 7, p.get(0).ts());
        assertEquals(5 * S + 123_000_000L, p.get(1).ts());
        assertEquals(5 * S + 500_000_000L, p.get(2).ts());
        assertEquals(102 * S + 1, p.get(3).ts());
    }

    /**
     * A time after 2262-04-11, the last a Java long of nanoseconds holds (a broken clock), is held as
     * that instant, in either byte order and resolution: it had wrapped to 1715 (and sorted first).
     */
    @ParameterizedTest
    @ValueSource(strings = {"big", "little"})
    void aTimePastWhatNanosecondsHoldIsHeldAtTheirLastInstant(String endian) throws IOException {
        long y2300 = 10_413_792_000L; // 2300-01-01T00:00:00Z, in seconds
        PcapngBuilder b = new PcapngBuilder(order(endian)).section(order(endian))
                .iface(1, 0, 9, 0)         // nanoseconds
                .iface(1, 0, 6, 0)         // microseconds
                .iface(1, 0, 0x80 | 30, 0) // 2^-30 s
                .iface(1, 0, 9, 100)       // nanoseconds, offset 100 s
                .epb(0, y2300 * S + 3, data(20, 0), 20)
                .epb(1, y2300 * 1_000_000L + 4, data(20, 0), 20)
                .epb(2, y2300 << 30, data(20, 0), 20)
                .epb(3, Long.MAX_VALUE - 50 * S, data(20, 0), 20)
                .epb(0, 1_700_000_000L * S + 5, data(20, 0), 20);
        List<Long> ts = read(b.bytes()).packets().stream().map(Pkt::ts).toList();
        assertEquals(List.of(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, 1_700_000_000L * S + 5), ts);
    }

    /**
     * The edges of that: a binary-resolution time whose seconds fit and whose fraction takes it past the
     * last instant; an offset beyond Java's nanoseconds (held at their start, whatever the time); a
     * negative offset with a time of more than 2^63 units, whose sum is an ordinary time (2001), as
     * tshark reads each of them. (Review: they were 1677, 2023, 1731 and 1970.)
     */
    @Test
    void timesNearTheEndsOfNanosecondsAreSummedExactly() throws IOException {
        PcapngBuilder b = new PcapngBuilder(ByteOrder.LITTLE_ENDIAN).section(ByteOrder.LITTLE_ENDIAN)
                .iface(1, 0, 0x80 | 30, 0)                         // 2^-30 s
                .iface(1, 0, 9, Long.MIN_VALUE)                    // an offset of -2^63 s
                .iface(1, 0, 9, -(Long.MAX_VALUE / S))             // -9,223,372,036 s: the extract's own
                .epb(0, (9_223_372_036L << 30) | (1L << 30) * 95 / 100, data(20, 0), 20) // ...036.95 s
                .epb(1, 5 * S, data(20, 0), 20)
                .epb(2, Long.parseUnsignedLong("10223372036854775808"), data(20, 0), 20); // 10.2 * 10^18 ns
        List<Long> ts = read(b.bytes()).packets().stream().map(Pkt::ts).toList();
        assertEquals(List.of(Long.MAX_VALUE, Long.MIN_VALUE, 1_000_000_000L * S + 854_775_808L), ts);
    }

    @Test
    void readsSimpleAndObsoletePacketBlocksAndSkipsOtherBlocks() throws IOException {
        PcapngBuilder b = new PcapngBuilder(ByteOrder.BIG_ENDIAN).section(ByteOrder.BIG_ENDIAN)
                .iface(101, 64, -1, 0)       // raw IP, snaplen 64
                .other(4, 16)                // name resolution block
                .opb(0, 3_000_000L, data(40, 0x45))
                .other(0x0BAD, 100)          // custom block
                .spb(data(100, 0x60), 100)   // simple: cut to the snaplen 64, time of the packet before
                .other(5, 24);               // interface statistics
        List<Pkt> p = read(b.bytes()).packets();
        assertEquals(2, p.size());
        assertEquals(new Pkt(101, 3 * S, 40, 40, 0x45, p.get(0).offset()), p.get(0));
        assertEquals(new Pkt(101, 3 * S, 64, 100, 0x60, p.get(1).offset()), p.get(1));
    }

    @Test
    void aNewSectionHasItsOwnByteOrderAndInterfaces() throws IOException {
        PcapngBuilder b = new PcapngBuilder(ByteOrder.LITTLE_ENDIAN).section(ByteOrder.LITTLE_ENDIAN)
                .iface(1).epb(0, 1, data(20, 1), 20)
                .section(ByteOrder.BIG_ENDIAN)
                .iface(113).epb(0, 2, data(20, 2), 20);
        List<Pkt> p = read(b.bytes()).packets();
        assertEquals(List.of(1, 113), p.stream().map(Pkt::linkType).toList());
        assertEquals(List.of(1000L, 2000L), p.stream().map(Pkt::ts).toList());
    }

    @Test
    void aPacketNamingAnInterfaceItsSectionLacksIsSkippedAndRecorded() throws IOException {
        PcapngBuilder b = new PcapngBuilder(ByteOrder.LITTLE_ENDIAN).section(ByteOrder.LITTLE_ENDIAN).iface(1);
        b.epb(0, 1, data(20, 1), 20);
        int bad = b.size();
        b.epb(3, 2, data(20, 2), 20).epb(0, 3, data(20, 3), 20);
        Read r = read(b.bytes());
        assertEquals(List.of(1, 3), r.packets().stream().map(Pkt::firstByte).toList());
        CaptureDamage d = r.source().damage();
        assertEquals(bad, d.offset());
        assertFalse(d.fatal());
        assertTrue(d.message().contains("interface 3"), d.message());
        assertEquals(1, ((PcapngReader) r.source()).packetsSkipped());
    }

    @ParameterizedTest
    @ValueSource(strings = {"big", "little"})
    void aPacketOverItsInterfacesSnapLengthOrItsWireLengthIsReadAndRemarked(String endian) throws IOException {
        // As classic pcap remarks on them: read as stored, the file counted as damaged (exit status 3).
        PcapngBuilder b = new PcapngBuilder(order(endian)).section(order(endian)).iface(1, 40, -1, 0);
        b.epb(0, 1, data(40, 1), 60);
        int overSnap = b.size();
        b.epb(0, 2, data(54, 2), 60);
        Read r = read(b.bytes());
        assertEquals(List.of(40, 54), r.packets().stream().map(Pkt::caplen).toList());
        CaptureDamage d = r.source().damage();
        assertEquals(overSnap, d.offset());
        assertFalse(d.fatal());
        assertTrue(d.message().contains("exceeds the snap length 40 of interface 0"), d.message());

        PcapngBuilder w = new PcapngBuilder(order(endian)).section(order(endian)).iface(1);
        int overWire = w.size();
        w.epb(0, 1, data(54, 3), 40);
        Read q = read(w.bytes());
        assertEquals(List.of(new Pkt(1, 1000, 54, 54, 3, overWire)), q.packets());
        assertTrue(q.source().damage().message().contains("stored length above the wire length"), q.source().damage().message());
    }

    @Test
    void aBlockLengthNotAMultipleOfFourStopsReadingWithItsOffset() throws IOException {
        PcapngBuilder b = new PcapngBuilder(ByteOrder.LITTLE_ENDIAN).section(ByteOrder.LITTLE_ENDIAN).iface(1)
                .epb(0, 1, data(20, 1), 20);
        int bad = b.size();
        b.rawBlock(PcapngReader.BLOCK_EPB, 50, new byte[36], 50).epb(0, 2, data(20, 2), 20);
        Read r = read(b.bytes());
        assertEquals(1, r.packets().size());
        CaptureDamage d = r.source().damage();
        assertEquals(bad, d.offset());
        assertTrue(d.fatal());
        assertTrue(d.message().contains("not a multiple of 4"), d.message());
    }

    @Test
    void aBlockLengthBelowTwelveStopsReading() throws IOException {
        PcapngBuilder b = new PcapngBuilder(ByteOrder.BIG_ENDIAN).section(ByteOrder.BIG_ENDIAN).iface(1);
        int bad = b.size();
        b.rawBlock(PcapngReader.BLOCK_EPB, 8, new byte[0], 8);
        Read r = read(b.bytes());
        assertEquals(0, r.packets().size());
        assertEquals(bad, r.source().damage().offset());
        assertTrue(r.source().damage().message().contains("below 12"));
    }

    @Test
    void aBlockRunningPastTheEndOfTheFileIsACutOffCapture() throws IOException {
        PcapngBuilder b = new PcapngBuilder(ByteOrder.LITTLE_ENDIAN).section(ByteOrder.LITTLE_ENDIAN).iface(1)
                .epb(0, 1, data(20, 1), 20);
        int last = b.size();
        b.epb(0, 2, data(200, 2), 200);
        byte[] whole = b.bytes();
        byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 50);
        Read r = read(cut);
        assertEquals(1, r.packets().size());
        CaptureDamage d = r.source().damage();
        assertEquals(last, d.offset());
        assertTrue(d.fatal());
        assertTrue(d.message().contains("cut off"), d.message());
    }

    @Test
    void lengthsThatDifferAtTheTwoEndsOfABlockStopReading() throws IOException {
        PcapngBuilder b = new PcapngBuilder(ByteOrder.LITTLE_ENDIAN).section(ByteOrder.LITTLE_ENDIAN).iface(1);
        int bad = b.size();
        b.rawBlock(PcapngReader.BLOCK_EPB, 52, new byte[40], 56);
        Read r = read(b.bytes());
        assertEquals(bad, r.source().damage().offset());
        assertTrue(r.source().damage().message().contains("differ"));
    }

    @Test
    void aCapturedLengthLargerThanItsBlockStopsReading() throws IOException {
        PcapngBuilder b = new PcapngBuilder(ByteOrder.LITTLE_ENDIAN).section(ByteOrder.LITTLE_ENDIAN).iface(1);
        int bad = b.size();
        b.epb(0, 1, data(20, 1), 4000, 4000);
        Read r = read(b.bytes());
        assertEquals(0, r.packets().size());
        assertEquals(bad, r.source().damage().offset());
        assertTrue(r.source().damage().message().contains("cannot hold"));
    }

    @Test
    void aBlockLargerThanTheReadBufferIsSkippedWithoutBeingBuffered() throws IOException {
        PcapngBuilder b = new PcapngBuilder(ByteOrder.LITTLE_ENDIAN).section(ByteOrder.LITTLE_ENDIAN).iface(1)
                .other(0x0BAD, 6 << 20)
                .epb(0, 1, data(20, 7), 20);
        Read r = read(b.bytes());
        assertEquals(1, r.packets().size());
        assertNull(r.source().damage());
    }

    @Test
    void refusesWhatIsNotAReadablePcapng() {
        byte[] notShb = new PcapngBuilder(ByteOrder.LITTLE_ENDIAN).section(ByteOrder.LITTLE_ENDIAN).bytes();
        notShb[8] = 0x11; // byte-order magic damaged
        CaptureFormatException e = assertThrows(CaptureFormatException.class, () -> read(notShb));
        assertTrue(e.getMessage().startsWith("t.pcapng: offset 0: section header with an unknown byte-order magic"), e.getMessage());
        byte[] v2 = new PcapngBuilder(ByteOrder.BIG_ENDIAN).section(ByteOrder.BIG_ENDIAN).bytes();
        v2[13] = 2; // major version 2
        e = assertThrows(CaptureFormatException.class, () -> read(v2));
        assertTrue(e.getMessage().contains("unsupported pcapng version 2.0"), e.getMessage());
        byte[] shortShb = java.util.Arrays.copyOf(v2, 20);
        e = assertThrows(CaptureFormatException.class, () -> read(shortShb));
        assertTrue(e.getMessage().contains("truncated pcapng section header"), e.getMessage());
    }

    /**
     * A first section header whose length is wrong (not a multiple of 4, past the largest block, unlike
     * its copy at the block's end) leaves nothing of the file to read: refused (exit 2) as a cut-off one
     * is, where it had been damage (exit 3) with not a packet read.
     */
    @Test
    void refusesARealCaptureWhoseFirstSectionHeaderLengthIsWrong() throws IOException {
        byte[] whole = java.nio.file.Files.readAllBytes(java.nio.file.Path.of("captures/decode/two-interfaces.pcapng"));
        int shbLength = java.nio.ByteBuffer.wrap(whole, 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        int[][] wrong = {{4, shbLength + 1}, {4, 0x7ffffff0}, {shbLength - 4, shbLength + 4}};
        String[] said = {"its block length " + (shbLength + 1) + " is not a multiple of 4",
            "its block length " + 0x7ffffff0 + " exceeds the maximum of",
            "its block length " + shbLength + " at the start and " + (shbLength + 4) + " at the end differ"};
        for (int i = 0; i < wrong.length; i++) {
            byte[] b = whole.clone();
            java.nio.ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(wrong[i][0], wrong[i][1]);
            CaptureFormatException e = assertThrows(CaptureFormatException.class, () -> read(b));
            assertTrue(e.getMessage().startsWith("t.pcapng: offset 0: damaged pcapng section header: " + said[i]), e.getMessage());
        }
    }

    @Test
    void refusesARealCaptureCutInsideItsSectionHeaderOptions() throws IOException {
        byte[] whole = java.nio.file.Files.readAllBytes(java.nio.file.Path.of("captures/decode/two-interfaces.pcapng"));
        long shbLength = java.nio.ByteBuffer.wrap(whole, 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        assertTrue(shbLength > 100, "the section header has options: " + shbLength);
        byte[] cut = java.util.Arrays.copyOf(whole, 100);
        CaptureFormatException e = assertThrows(CaptureFormatException.class, () -> read(cut));
        assertEquals("t.pcapng: offset 0: truncated pcapng section header (100 of " + shbLength + " bytes)", e.getMessage());
        // The same cut inside a gzip stream: the stream's own failure is what is said.
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
            z.write(whole);
        }
        ByteArrayOutputStream gzCut = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(gzCut)) {
            z.write(whole, 0, 100);
        }
        byte[] cutStream = java.util.Arrays.copyOf(gzCut.toByteArray(), gzCut.size() - 8); // the trailer gone: cut off
        e = assertThrows(CaptureFormatException.class, () -> read(cutStream));
        assertEquals("t.pcapng: offset 0: compressed stream cut off in the pcapng section header", e.getMessage());
        assertTrue(read(gz.toByteArray()).packets().size() > 0, "whole, the gzip stream reads");
        // Cut after its section header, the capture is read and the cut is damage.
        Read r = read(java.util.Arrays.copyOf(whole, (int) shbLength + 20));
        assertEquals(0, r.packets().size());
        assertEquals(shbLength, r.source().damage().offset());
        assertTrue(r.source().damage().message().contains("truncated last block"), r.source().damage().message());
    }

    @Test
    void readsGzipCompressedPcapng() throws IOException {
        byte[] plain = new PcapngBuilder(ByteOrder.LITTLE_ENDIAN).section(ByteOrder.LITTLE_ENDIAN).iface(1)
                .epb(0, 1, data(20, 1), 20).epb(0, 2, data(30, 2), 30).bytes();
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
            z.write(plain);
        }
        assertEquals(2, read(gz.toByteArray()).packets().size());
        // A gzip stream cut in the middle: what came before still counts; the damage says why.
        byte[] cut = java.util.Arrays.copyOf(gz.toByteArray(), gz.size() - 12);
        Read r = read(cut);
        assertTrue(r.source().damage() != null && r.source().damage().message().contains("compressed stream cut off"),
                String.valueOf(r.source().damage()));
    }
}
