package org.portmatrix.hostile;

import static org.portmatrix.hostile.HostileCaptures.after;
import static org.portmatrix.hostile.HostileCaptures.assertCountedAndSkipped;
import static org.portmatrix.hostile.HostileCaptures.assertDamagedButRead;
import static org.portmatrix.hostile.HostileCaptures.assertReadInBoundedMemory;
import static org.portmatrix.hostile.HostileCaptures.assertRefused;
import static org.portmatrix.hostile.HostileCaptures.before;
import static org.portmatrix.hostile.HostileCaptures.pcapBefore;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.decode.DecodeStats;
import org.portmatrix.decode.PacketDecoder;
import org.portmatrix.hostile.Frames.Bytes;
import org.portmatrix.hostile.HostileCaptures.Run;

/**
 * One capture per malformation, written byte by byte, each with good flows before the damage (and
 * after it, where reading can go on). Three outcomes:
 * <ul>
 *   <li>nothing readable (not a capture, a cut-off header, a link type the tool cannot decode):
 *       status 2 and one line naming the file;
 *   <li>the file's framing is damaged (a record or block whose length lies, a packet naming an
 *       interface that does not exist): status 3, the damage named with its byte offset, every
 *       flow before it reported, and reading goes on where the framing still holds;
 *   <li>a packet whose own headers lie (IPv4 lengths, TCP data offset, UDP length, endless VLAN
 *       tags, GRE tunnels or IPv6 extension headers): that is traffic someone sent, not damage to
 *       the file, so the packet is counted under its reason with the offset of the first such
 *       record and the status stays 0 (a status 3 there would let any sender mask status 1).
 * </ul>
 * No case may crash, hang (the class timeout) or allocate a buffer sized by a lying length field
 * (the lying ones are read again in a JVM of {@link HostileCaptures#READ_HEAP_MIB} MiB of heap).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MalformedCaptureTest {
    @TempDir
    Path dir;

    private Path file(String name, byte[] bytes) throws Exception {
        return java.nio.file.Files.write(dir.resolve(name), bytes);
    }

    // ---- nothing readable: status 2 ----

    @Test
    void fileThatIsNotACaptureIsRefusedWithItsMagicNumber() throws Exception {
        Path f = file("picture.pcap", Frames.ascii("GIF89a\u0001\u0000\u0001\u0000 not a capture at all"));
        assertRefused(dir, f, "offset 0", "magic 0x47494638");
    }

    @Test
    void truncatedGlobalHeaderIsRefused() throws Exception {
        byte[] header = Arrays.copyOf(new PcapBytes().bytes(), 10);
        assertRefused(dir, file("cut-header.pcap", header), "offset 0", "truncated", "10 of 24");
    }

    @Test
    void truncatedPcapngSectionHeaderIsRefused() throws Exception {
        byte[] shb = Arrays.copyOf(new PcapngBytes().bytes(), 20);
        assertRefused(dir, file("cut-section.pcapng", shb), "offset 0");
    }

    @Test
    void unknownLinkTypeIsRefusedByName() throws Exception {
        PcapBytes w = new PcapBytes(147, 65535); // LINKTYPE_USER0: nothing this tool can decode
        before().forEach(w::packet);
        assertRefused(dir, file("user0.pcap", w.bytes()), "link type 147");
    }

    /**
     * The refusal counts the packets as every count is written: the sample six times over (mergecap -a) relabelled as
     * ARCnet (editcap -T arcnet_linux, link type 129) was "none of its 1092 packets could be decoded".
     */
    @Test
    void theRefusalOfAnUnknownLinkTypeCountsItsPacketsWithSeparators() throws Exception {
        Path six = dir.resolve("sample-6.pcap");
        Path arcnet = dir.resolve("sample-6-arcnet.pcap");
        List<String> merge = new java.util.ArrayList<>(List.of("mergecap", "-a", "-F", "pcap", "-w", six.toString()));
        for (int i = 0; i < 6; i++) {
            merge.add("captures/sample.pcap");
        }
        exec(merge.toArray(String[]::new));
        exec("editcap", "-T", "arcnet_linux", six.toString(), arcnet.toString());
        assertRefused(dir, arcnet, "link type 129", "none of its 1,092 packets could be decoded");
    }

    @Test
    void capturesOfSeveralUnknownLinkTypesAreRefusedSayingSo() throws Exception {
        // The refusal counts every capture's packets: it names every capture, and says their link types are several.
        Path types = java.nio.file.Files.createDirectory(dir.resolve("types"));
        PcapBytes a = new PcapBytes(105, 65535);
        before().forEach(a::packet);
        java.nio.file.Files.write(types.resolve("a.pcap"), a.bytes());
        PcapBytes b = new PcapBytes(147, 65535);
        before().forEach(b::packet);
        java.nio.file.Files.write(types.resolve("b.pcap"), b.bytes());
        assertRefused(dir, types, "link type 105", "and others are not supported", "none of its 8 packets");
    }

    @Test
    void aNamedPipeAmongFilesIsReadOnce() throws Exception {
        // Opened to read its first packet and closed, the FIFO lost what its writer had sent, and opening it again
        // waited for a writer that never came: the run hung (the class timeout). It stays open, as standard input does.
        Path fifo = fifoWriting(pcapBefore().bytes());
        Path file = file("after.pcap", HostileCaptures.after(new PcapBytes()).bytes());
        Run r = HostileCaptures.run("analyze", fifo.toString(), file.toString(), "--topology", HostileCaptures.topology(dir).toString(),
                "--format", "jsonl");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.srcPorts().containsAll(HostileCaptures.BEFORE) && r.srcPorts().containsAll(HostileCaptures.AFTER), r.out());
    }

    @Test
    void captureFromANamedPipeIsReadLikeAFile() throws Exception {
        // A pipe has no size and cannot seek: reading it must not depend on either.
        Path fifo = fifoWriting(HostileCaptures.after(pcapBefore()).bytes());
        Run r = HostileCaptures.jsonl(dir, fifo);
        assertEquals(0, r.status(), r.err());
        assertTrue(r.srcPorts().containsAll(HostileCaptures.BEFORE) && r.srcPorts().containsAll(HostileCaptures.AFTER), r.out());
    }

    /** A FIFO (live.pcap) and a thread that writes {@code bytes} into it once a reader opens it. */
    private Path fifoWriting(byte[] bytes) throws Exception {
        Path fifo = dir.resolve("live.pcap");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        Thread writer = new Thread(() -> {
            try {
                java.nio.file.Files.write(fifo, bytes);
            } catch (java.io.IOException e) {
                // the reader went away: its status tells
            }
        }, "fifo writer");
        writer.setDaemon(true);
        writer.start();
        return fifo;
    }

    // ---- damaged framing: status 3 ----

    @Test
    void truncatedRecordHeaderKeepsTheFlowsBefore() throws Exception {
        PcapBytes w = pcapBefore();
        long at = w.offset();
        w.raw(new byte[7]);
        assertDamagedButRead(dir, file("cut-record-header.pcap", w.bytes()), at, false, "truncated");
    }

    @Test
    void truncatedLastRecordKeepsTheFlowsBefore() throws Exception {
        PcapBytes w = pcapBefore();
        long at = w.offset();
        byte[] frame = after().get(0);
        w.record(frame.length, frame.length, Arrays.copyOf(frame, 30));
        assertDamagedButRead(dir, file("cut-record.pcap", w.bytes()), at, false, "truncated", "30 of 60");
    }

    @Test
    void caplenPastTheEndOfTheFileIsACutOffNotAnAllocation() throws Exception {
        PcapBytes w = pcapBefore();
        long at = w.offset();
        w.record(200_000, 200_000, after().get(0));
        Path f = file("caplen-past-end.pcap", w.bytes());
        assertDamagedButRead(dir, f, at, false, "truncated", "200000");
        assertReadInBoundedMemory(f);
    }

    @Test
    void caplenAbove256KiBStopsReadingWithoutAllocatingIt() throws Exception {
        PcapBytes w = pcapBefore();
        long at = w.offset();
        w.record(0xfffffff0L, 0xfffffff0L, new byte[64]);
        HostileCaptures.after(w);
        Path f = file("caplen-4g.pcap", w.bytes());
        assertDamagedButRead(dir, f, at, false, String.valueOf(4294967280L), "262144");
        assertReadInBoundedMemory(f);
    }

    @Test
    void caplenAboveTheSnapLengthIsReportedAndReadingGoesOn() throws Exception {
        PcapBytes w = new PcapBytes(PcapBytes.LINKTYPE_ETHERNET, 64);
        before().forEach(w::packet);
        long at = w.offset();
        w.packet(Frames.udp("10.0.0.9", 40009, "10.0.0.10", 3478, new byte[100])); // 142 bytes stored, snap length 64
        HostileCaptures.after(w);
        assertDamagedButRead(dir, file("caplen-over-snaplen.pcap", w.bytes()), at, true, "snap");
    }

    @Test
    void caplenAboveTheWireLengthIsReportedAndReadingGoesOn() throws Exception {
        PcapBytes w = pcapBefore();
        long at = w.offset();
        byte[] frame = Frames.udp("10.0.0.9", 40009, "10.0.0.10", 3478, new byte[20]);
        w.record(frame.length, 40, frame); // 62 bytes stored of a 40-byte frame
        HostileCaptures.after(w);
        assertDamagedButRead(dir, file("caplen-over-orig.pcap", w.bytes()), at, true, "62", "40");
    }

    @Test
    void pcapngBlockLengthPastTheEndIsACutOffNotAnAllocation() throws Exception {
        PcapngBytes w = pcapngBefore();
        long at = w.offset();
        // An enhanced packet block that says 1 MiB, in a file that ends 40 bytes later.
        w.raw(new PcapngBytes.Le().u32(PcapngBytes.EPB).u32(1 << 20).u32(0).u32(0).u32(0).u32(60).u32(60).u32(0).u32(0).u32(0)
                .toArray());
        Path f = file("block-past-end.pcapng", w.bytes());
        assertDamagedButRead(dir, f, at, false, "truncated");
        assertReadInBoundedMemory(f);
    }

    @Test
    void pcapngBlockLengthOf2GiBStopsReadingWithoutAllocatingIt() throws Exception {
        PcapngBytes w = pcapngBefore();
        long at = w.offset();
        w.raw(new PcapngBytes.Le().u32(PcapngBytes.EPB).u32(0x7ffffff0L).u32(0).u32(0).u32(0).u32(60).u32(60).toArray());
        pcapngAfter(w);
        Path f = file("block-2g.pcapng", w.bytes());
        assertDamagedButRead(dir, f, at, false, String.valueOf(0x7ffffff0L));
        assertReadInBoundedMemory(f);
    }

    @Test
    void pcapngBlockLengthNotAMultipleOf4StopsReading() throws Exception {
        PcapngBytes w = pcapngBefore();
        long at = w.offset();
        // An enhanced packet block of 93 bytes: a block is always padded to a multiple of 4.
        byte[] frame = after().get(0);
        w.raw(new PcapngBytes.Le().u32(PcapngBytes.EPB).u32(93).u32(0).u32(0).u32(0).u32(frame.length).u32(frame.length).raw(frame)
                .u32(93).toArray());
        pcapngAfter(w);
        assertDamagedButRead(dir, file("block-93.pcapng", w.bytes()), at, false, "93", "multiple of 4");
    }

    @Test
    void pcapngPacketNamingAnInterfaceThatDoesNotExistIsSkippedAndReadingGoesOn() throws Exception {
        PcapngBytes w = pcapngBefore();
        long at = w.offset();
        w.packet(7, Frames.udp("10.0.0.9", 40009, "10.0.0.10", 3478, new byte[8])); // only interface 0 was described
        pcapngAfter(w);
        Run r = assertDamagedButRead(dir, file("no-interface-7.pcapng", w.bytes()), at, true, "interface 7");
        assertTrue(!r.srcPorts().contains(40009), "the packet of the missing interface makes no flow");
    }

    // ---- malformed packets: counted, status 0 ----

    /**
     * Of several captures read together, the counter's first offset names the one file it is in:
     * it named them all (their directory, or every file given), and an offset in none of them.
     */
    @Test
    void theFirstBadPacketOfSeveralCapturesIsNamedWithItsOwnFile() throws Exception {
        Path captures = java.nio.file.Files.createDirectory(dir.resolve("day"));
        java.nio.file.Files.write(captures.resolve("a.pcap"), HostileCaptures.after(pcapBefore()).bytes());
        PcapBytes w = pcapBefore();
        long at = w.offset();
        w.record(0, 0, new byte[0]);
        Path second = java.nio.file.Files.write(captures.resolve("b.pcap"), w.bytes());
        Run t = HostileCaptures.text(dir, captures);
        assertEquals(0, t.status(), t.err());
        String reason = DecodeStats.describe(DecodeStats.TRUNCATED_LINK);
        String line = Arrays.stream(t.out().split("\n")).filter(l -> l.contains(reason)).findFirst().orElse("").strip();
        assertTrue(line.contains("first: " + second + " offset " + at), "the file of the first: " + line);
    }

    /**
     * Media between two clients, every datagram cut by the snap length: 4 bytes left (fewer than RTP's
     * 12-byte header) cannot tell RTP from anything else, unverifiable; 18 bytes of filler can, still a
     * protocol_mismatch (a threshold of 20 bytes for every protocol had hidden it).
     */
    @Test
    void aPayloadCutShortOfWhatTellsTheProtocolIsUnverifiedOneLongEnoughIsNot() throws Exception {
        byte[] filler = new byte[160];
        Arrays.fill(filler, (byte) 0xaa);
        PcapBytes w = new PcapBytes();
        for (int i = 0; i < 3; i++) {
            byte[] four = Frames.udp("10.0.0.1", 40010, "10.0.0.2", 50010, filler);
            w.record(42 + 4, four.length, Arrays.copyOf(four, 42 + 4));
            byte[] eighteen = Frames.udp("10.0.0.1", 40012, "10.0.0.2", 50012, filler);
            w.record(42 + 18, eighteen.length, Arrays.copyOf(eighteen, 42 + 18));
        }
        Run r = HostileCaptures.jsonl(dir, file("cut-media.pcap", w.bytes()));
        assertEquals(0, r.status(), r.err());
        com.fasterxml.jackson.databind.ObjectMapper m = new com.fasterxml.jackson.databind.ObjectMapper();
        java.util.Map<Integer, String> verdicts = new java.util.HashMap<>();
        for (String line : r.out().split("\n")) {
            com.fasterxml.jackson.databind.JsonNode f = m.readTree(line);
            verdicts.put(f.get("dst_port").asInt(), f.get("verdict").asText());
        }
        assertEquals("unverifiable", verdicts.get(50010), r.out());
        assertEquals("protocol_mismatch", verdicts.get(50012), r.out());
    }

    @Test
    void zeroLengthRecordsAreCountedAndSkipped() throws Exception {
        PcapBytes w = pcapBefore();
        long at = w.offset();
        for (int i = 0; i < 3; i++) {
            w.record(0, 0, new byte[0]);
        }
        HostileCaptures.after(w);
        assertCountedAndSkipped(dir, file("zero-length.pcap", w.bytes()), DecodeStats.describe(DecodeStats.TRUNCATED_LINK), 3, at);
    }

    @Test
    void ipv4HeaderLengthBelowFiveIsCounted() throws Exception {
        byte[] f = bad();
        f[Frames.OFF_IPV4_VERSION_IHL] = 0x44; // IHL 4: 16 bytes, below the 20 of a header without options
        assertPacketCounted("ihl-4.pcap", f, DecodeStats.BAD_IPV4_HEADER_LENGTH);
    }

    @Test
    void ipv4HeaderLengthPastThePacketIsCounted() throws Exception {
        byte[] f = bad();
        f[Frames.OFF_IPV4_VERSION_IHL] = 0x4f; // IHL 15: 60 bytes, in a frame that holds 46 after Ethernet
        assertPacketCounted("ihl-15.pcap", f, DecodeStats.TRUNCATED_IPV4);
    }

    @Test
    void ipv4TotalLengthShorterThanItsHeaderIsCounted() throws Exception {
        byte[] f = bad();
        setU16(f, Frames.OFF_IPV4_TOTAL_LENGTH, 12);
        assertPacketCounted("total-length-12.pcap", f, DecodeStats.BAD_IPV4_TOTAL_LENGTH);
    }

    @Test
    void ipv4TotalLengthPastTheFrameCountsOnlyWhatWasCaptured() throws Exception {
        PcapBytes w = pcapBefore();
        byte[] f = Frames.udp("10.0.0.9", 40009, "10.0.0.10", 3478, new byte[10]);
        setU16(f, Frames.OFF_IPV4_TOTAL_LENGTH, 65535); // a 64 KiB datagram, in a 60-byte frame
        w.packet(f);
        HostileCaptures.after(w);
        Run r = HostileCaptures.jsonl(dir, file("total-length-64k.pcap", w.bytes()));
        assertEquals(0, r.status(), r.err());
        assertTrue(r.srcPorts().containsAll(List.of(40001, 40002, 40003, 40004, 40009)), r.out());
        String line = Arrays.stream(r.out().split("\n")).filter(l -> l.contains("\"src_port\":40009")).findFirst().orElseThrow();
        assertTrue(line.contains("\"bytes_fwd\":" + f.length), "bytes as captured, not as the length field claims: " + line);
    }

    @Test
    void tcpDataOffsetPastTheSegmentIsCounted() throws Exception {
        byte[] f = Frames.tcp("10.0.0.9", 40009, "10.0.0.10", 443, Frames.SYN, new byte[0]);
        f[Frames.OFF_TCP_DATA_OFFSET] = (byte) 0xf0; // 60 bytes of header in a 20-byte segment
        assertPacketCounted("tcp-offset-15.pcap", f, DecodeStats.BAD_TCP_DATA_OFFSET);
    }

    @Test
    void tcpDataOffsetBelowFiveIsCounted() throws Exception {
        byte[] f = Frames.tcp("10.0.0.9", 40009, "10.0.0.10", 443, Frames.SYN, new byte[0]);
        f[Frames.OFF_TCP_DATA_OFFSET] = 0x20; // 8 bytes: shorter than the fixed header
        assertPacketCounted("tcp-offset-2.pcap", f, DecodeStats.BAD_TCP_DATA_OFFSET);
    }

    @Test
    void udpLengthBelowEightIsCounted() throws Exception {
        byte[] f = bad();
        setU16(f, Frames.OFF_UDP_LENGTH, 4);
        assertPacketCounted("udp-length-4.pcap", f, DecodeStats.BAD_UDP_LENGTH);
    }

    @Test
    void hundredsOfStackedVlanTagsAreCounted() throws Exception {
        Bytes b = new Bytes().raw(new byte[12]).u16(Frames.ETHERTYPE_VLAN);
        for (int i = 0; i < 300; i++) {
            b.u16(i & 0x0fff).u16(i == 299 ? Frames.ETHERTYPE_IPV4 : Frames.ETHERTYPE_VLAN); // TCI, next EtherType
        }
        b.raw(Frames.ipv4("10.0.0.9", "10.0.0.10", Frames.PROTO_UDP, Frames.udpSegment(40009, 3478, new byte[8])));
        assertTrue(300 > PacketDecoder.MAX_TAGS);
        assertPacketCounted("vlan-300.pcap", b.toArray(), DecodeStats.TOO_MANY_LAYERS);
    }

    @Test
    void hundredsOfNestedGreTunnelsAreCounted() throws Exception {
        byte[] ip = Frames.ipv4("10.0.0.9", "10.0.0.10", Frames.PROTO_UDP, Frames.udpSegment(40009, 3478, new byte[8]));
        for (int i = 0; i < 300; i++) {
            byte[] gre = new Bytes().u16(0).u16(Frames.ETHERTYPE_IPV4).raw(ip).toArray(); // no flags, version 0, IPv4 inside
            ip = Frames.ipv4("192.0.2.1", "192.0.2.2", Frames.PROTO_GRE, gre);
        }
        assertTrue(300 > PacketDecoder.MAX_TUNNELS);
        assertPacketCounted("gre-300.pcap", Frames.ethernet(Frames.ETHERTYPE_IPV4, ip), DecodeStats.TOO_MANY_LAYERS);
    }

    @Test
    void ipv6ExtensionHeaderRunningOffThePacketIsCounted() throws Exception {
        // Hop-by-hop options claiming (255 + 1) * 8 = 2048 bytes, in a packet that has 16 after it.
        byte[] hop = new Bytes().u8(Frames.PROTO_UDP).u8(255).raw(new byte[6]).raw(Frames.udpSegment(40009, 3478, new byte[8]))
                .toArray();
        byte[] f = Frames.ethernet(Frames.ETHERTYPE_IPV6, Frames.ipv6("fd00::9", "fd00::10", Frames.PROTO_HOPOPT, hop));
        assertPacketCounted("ipv6-hop-2048.pcap", f, DecodeStats.IPV6_EXTENSION_CHAIN);
    }

    @Test
    void hundredsOfIpv6ExtensionHeadersAreCounted() throws Exception {
        Bytes chain = new Bytes();
        for (int i = 0; i < 300; i++) {
            chain.u8(i == 299 ? Frames.PROTO_UDP : Frames.PROTO_IPV6_OPTS).u8(0).u8(1).u8(4).raw(new byte[4]); // PadN option
        }
        chain.raw(Frames.udpSegment(40009, 3478, new byte[8]));
        byte[] f = Frames.ethernet(Frames.ETHERTYPE_IPV6, Frames.ipv6("fd00::9", "fd00::10", Frames.PROTO_IPV6_OPTS, chain.toArray()));
        assertTrue(300 > PacketDecoder.MAX_IPV6_EXTENSIONS);
        assertPacketCounted("ipv6-300-options.pcap", f, DecodeStats.IPV6_EXTENSION_CHAIN);
    }

    @Test
    void unknownLinkTypeOfOnePcapngInterfaceIsCountedByName() throws Exception {
        PcapngBytes w = new PcapngBytes().interfaceBlock(PcapBytes.LINKTYPE_ETHERNET, 65535).interfaceBlock(147, 65535);
        before().forEach(f -> w.packet(0, f));
        long at = w.offset();
        w.packet(1, after().get(0));
        w.packet(1, after().get(1));
        after().forEach(f -> w.packet(0, f));
        assertCountedAndSkipped(dir, file("user0-interface.pcapng", w.bytes()), "link type 147", 2, at);
    }

    // ---- helpers ----

    /** A UDP frame from 10.0.0.9:40009, to be made to lie. */
    private static byte[] bad() {
        return Frames.udp("10.0.0.9", 40009, "10.0.0.10", 3478, Frames.ascii("lies"));
    }

    /** Writes the flows before, the bad frame twice, the flows after; the bad frame must be counted, not decoded. */
    private void assertPacketCounted(String name, byte[] badFrame, int reason) throws Exception {
        PcapBytes w = pcapBefore();
        long at = w.offset();
        w.packet(badFrame);
        w.packet(badFrame);
        HostileCaptures.after(w);
        Path f = file(name, w.bytes());
        assertCountedAndSkipped(dir, f, DecodeStats.describe(reason), 2, at);
        assertTrue(!HostileCaptures.jsonl(dir, f).srcPorts().contains(40009), "the bad packet makes no flow");
    }

    private static PcapngBytes pcapngBefore() {
        PcapngBytes w = new PcapngBytes().interfaceBlock(PcapBytes.LINKTYPE_ETHERNET, 65535);
        before().forEach(f -> w.packet(0, f));
        return w;
    }

    private static void pcapngAfter(PcapngBytes w) {
        after().forEach(f -> w.packet(0, f));
    }

    private static void setU16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    static void exec(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command));
        assertEquals(0, p.exitValue(), String.join(" ", command));
    }
}
