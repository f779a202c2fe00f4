package org.portmatrix.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.capture.Captures;
import org.portmatrix.capture.PacketRef;
import org.portmatrix.capture.PacketSource;
import org.portmatrix.flow.FlowConfig;
import org.portmatrix.flow.ServicePorts;
import org.portmatrix.report.PcapWriter;

/**
 * {@code --extract}'s second pass over captures that end before the packets the first pass read: a read the disk
 * refuses only the second time (a network file system gone between the passes: damage since a read error is, where it
 * had ended the extract with the IOException), or a file cut in between. The extract was committed without the
 * packets after it, and the run said nothing; now the extract fails ("cannot write the extract: ..."), naming where
 * the captures stopped.
 */
class ExtractPassTest {
    @TempDir
    Path dir;

    @Test
    void capturesEndingBeforeTheFirstPassesPacketsFailTheExtract() throws Exception {
        Path capture = Path.of("captures/sample.pcap");
        long packets = 0;
        try (PacketSource s = Captures.open(capture)) {
            PacketRef r = new PacketRef();
            while (s.next(r)) {
                packets++;
            }
        }
        Path cut = dir.resolve("cut.pcap");
        byte[] whole = Files.readAllBytes(capture);
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length / 2)); // cut in between the passes
        BitSet all = new BitSet();
        all.set(0, 1 << 16);
        try (PcapWriter out = new PcapWriter(dir.resolve("x.pcap"))) {
            ExtractPass pass = new ExtractPass(FlowConfig.defaults(), false, new ServicePorts(), all, out, packets);
            try (PacketSource s = Captures.open(cut)) {
                IOException e = assertThrows(IOException.class, () -> pass.read(s));
                assertTrue(e.getMessage().startsWith("the captures ended "), e.getMessage());
                assertTrue(e.getMessage().contains(cut + ": offset "), e.getMessage());
            }
        }
        // The same captures as the first pass read: no failure, every packet
        try (PcapWriter out = new PcapWriter(dir.resolve("y.pcap")); PacketSource s = Captures.open(capture)) {
            ExtractPass pass = new ExtractPass(FlowConfig.defaults(), false, new ServicePorts(), all, out, packets);
            pass.read(s);
            assertEquals(packets, out.packets());
        }
    }
}
