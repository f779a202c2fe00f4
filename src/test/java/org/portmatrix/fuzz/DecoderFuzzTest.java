package org.portmatrix.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;
import org.portmatrix.capture.LinkType;
import org.portmatrix.decode.DecodeStats;
import org.portmatrix.decode.Decoded;
import org.portmatrix.decode.PacketDecoder;
import org.portmatrix.flow.Flow;
import org.portmatrix.flow.FlowConfig;
import org.portmatrix.flow.FlowTable;
import org.portmatrix.flow.ServicePorts;

/**
 * Fuzzes {@link PacketDecoder} and the flow table behind it with a few frames at a time (so that
 * fragments can meet their first fragment). Input: a sequence of {@code [link selector][length, 2
 * bytes][frame]}.
 *
 * <p>Each frame is decoded twice by two decoders fed the same sequence: once from an array of
 * exactly the frame's size (a read past the frame throws), once from inside a larger array whose
 * bytes around the frame are garbage (a read past the frame that did not throw would change the
 * result). Both must agree, the result must be a known reason, and a decoded packet's payload must
 * lie inside the frame. Decoded packets then update a small flow table, which must stay within its
 * capacity.
 */
class DecoderFuzzTest {
    /** Link types the decoder knows, and one it does not. */
    static final int[] LINK_TYPES = {LinkType.ETHERNET, LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.RAW, LinkType.NULL,
        LinkType.LOOP, LinkType.IPV4, LinkType.IPV6, 147};
    private static final int MAX_FRAMES = 16;
    private static final int CAPACITY = 8;
    private static final int GARBAGE = 37;
    private static final int FRAMES_PER_SEED = 6;

    static Stream<byte[]> seeds() {
        List<Seeds.Frame> frames = Seeds.frames(FRAMES_PER_SEED);
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < frames.size(); i += FRAMES_PER_SEED) {
            ByteArrayOutputStream seed = new ByteArrayOutputStream();
            for (Seeds.Frame f : frames.subList(i, Math.min(frames.size(), i + FRAMES_PER_SEED))) {
                int sel = selector(f.linkType());
                if (sel < 0 || f.bytes().length > 0xffff) {
                    continue;
                }
                seed.write(sel);
                seed.write(f.bytes().length >>> 8);
                seed.write(f.bytes().length);
                seed.write(f.bytes(), 0, f.bytes().length);
            }
            if (seed.size() > 0) {
                out.add(seed.toByteArray());
            }
        }
        return out.stream();
    }

    private static int selector(int linkType) {
        for (int i = 0; i < LINK_TYPES.length; i++) {
            if (LINK_TYPES[i] == linkType) {
                return i;
            }
        }
        return -1;
    }

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "20s")
    void decodesAnyFramesWithinTheirBounds(byte[] input) {
        PacketDecoder exact = new PacketDecoder(true);
        PacketDecoder padded = new PacketDecoder(true);
        Decoded a = new Decoded();
        Decoded b = new Decoded();
        List<Flow> closed = new ArrayList<>();
        FlowTable table = new FlowTable(FlowConfig.defaults().withCapacity(CAPACITY), new ServicePorts().add(6, 443), closed::add);
        int p = 0;
        long ts = 1_000_000_000L;
        for (int n = 0; n < MAX_FRAMES && input.length - p >= 3; n++) {
            int linkType = LINK_TYPES[(input[p] & 0xff) % LINK_TYPES.length];
            int len = Math.min(((input[p + 1] & 0xff) << 8) | (input[p + 2] & 0xff), input.length - p - 3);
            p += 3;
            byte[] frame = Arrays.copyOfRange(input, p, p + len);
            byte[] inside = new byte[GARBAGE + len + GARBAGE];
            Arrays.fill(inside, (byte) 0xa5);
            System.arraycopy(frame, 0, inside, GARBAGE, len);
            p += len;

            int ra = exact.decode(frame, 0, len, linkType, a);
            int rb = padded.decode(inside, GARBAGE, len, linkType, b);
            assertTrue(ra >= 0 && ra < DecodeStats.reasons(), "reason " + ra);
            assertNotNull(DecodeStats.describe(ra));
            assertEquals(ra, rb, "the bytes after the frame changed the result");
            if (ra != DecodeStats.OK) {
                continue;
            }
            assertSame(a, b, GARBAGE);
            assertTrue(a.ipVersion == 4 || a.ipVersion == 6, "IP version " + a.ipVersion);
            assertTrue(a.payloadLength >= 0 && a.payloadOffset >= 0 && a.payloadOffset <= len - a.payloadLength,
                    "payload [" + a.payloadOffset + ", +" + a.payloadLength + ") outside the frame of " + len);
            assertTrue(a.srcPort >= 0 && a.srcPort <= 0xffff && a.dstPort >= 0 && a.dstPort <= 0xffff, "ports");
            assertTrue(a.protocol >= 0 && a.protocol <= 0xff, "protocol " + a.protocol);
            assertTrue(a.tunnelDepth >= 0 && a.tunnelDepth <= PacketDecoder.MAX_TUNNELS, "tunnel depth " + a.tunnelDepth);
            assertTrue(a.vlan >= -1 && a.vlan <= 0xfff, "vlan " + a.vlan);
            Flow f = table.update(a, ts += 1_000_000, len);
            assertNotNull(f);
            assertTrue(f.packets() >= 1);
        }
        table.closeAll();
        assertTrue(table.peak() <= CAPACITY, "flow table peak " + table.peak() + " over its capacity " + CAPACITY);
        for (Flow f : closed) {
            assertTrue(f.packets() >= 1 && f.bytes() >= 0, "flow counters");
        }
    }

    /** The two decodes agree field by field (offsets shifted by where the frame sat). */
    private static void assertSame(Decoded a, Decoded b, int shift) {
        assertEquals(a.ipVersion, b.ipVersion);
        assertEquals(a.srcHi, b.srcHi);
        assertEquals(a.srcLo, b.srcLo);
        assertEquals(a.dstHi, b.dstHi);
        assertEquals(a.dstLo, b.dstLo);
        assertEquals(a.protocol, b.protocol);
        assertEquals(a.srcPort, b.srcPort);
        assertEquals(a.dstPort, b.dstPort);
        assertEquals(a.tcpFlags, b.tcpFlags);
        assertEquals(a.payloadLength, b.payloadLength);
        assertEquals(a.payloadOffset + shift, b.payloadOffset);
        assertEquals(a.vlan, b.vlan);
        assertEquals(a.fragment, b.fragment);
        assertEquals(a.tunnelDepth, b.tunnelDepth);
    }
}
