package org.portmatrix.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;
import org.portmatrix.capture.CaptureDamage;
import org.portmatrix.capture.CaptureFormatException;
import org.portmatrix.capture.Captures;
import org.portmatrix.capture.PacketRef;
import org.portmatrix.capture.PacketSource;
import org.portmatrix.capture.PcapReader;

/**
 * Fuzzes the capture readers (classic pcap, pcapng, gzip around either) through
 * {@link Captures#open(String, java.io.InputStream, long)}, which picks the reader by the magic
 * number. Whatever the bytes: the open either succeeds or refuses with a one-line
 * {@link CaptureFormatException}; every packet handed out lies inside its buffer and within the
 * maximum record size; reading ends (each packet consumes input); damage is one line at an offset
 * inside the input.
 */
class CaptureFuzzTest {
    private static final String NAME = "fuzz.pcap";
    /** The smallest packet record of any format (a pcapng simple packet block) consumes 16 bytes. */
    private static final int MIN_RECORD = 16;

    static Stream<byte[]> seeds() {
        return Seeds.captureFiles().stream().map(Seeds::read);
    }

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "20s")
    void readsAnyBytesToAnEndOrRefusesThem(byte[] data) throws IOException {
        boolean gzip = data.length >= 2 && (data[0] & 0xff) == 0x1f && (data[1] & 0xff) == 0x8b;
        PacketSource s;
        try {
            s = Captures.open(NAME, new ByteArrayInputStream(data), data.length);
        } catch (CaptureFormatException e) {
            assertOneLine(e.getMessage());
            assertTrue(e.getMessage().startsWith(NAME), e.getMessage());
            return;
        }
        try (s) {
            PacketRef ref = new PacketRef();
            long packets = 0;
            while (s.next(ref)) {
                packets++;
                assertTrue(ref.caplen >= 0 && ref.caplen <= PcapReader.MAX_RECORD, "caplen " + ref.caplen);
                assertTrue(ref.offset >= 0 && ref.offset <= ref.buf.length - ref.caplen, "packet outside its buffer");
                assertTrue(ref.origLen >= ref.caplen, "wire length below captured length");
                assertTrue(ref.recordOffset >= 0, "record offset " + ref.recordOffset);
                if (!gzip) {
                    assertTrue(ref.recordOffset < data.length, "record offset past the input");
                    assertTrue(packets <= data.length / MIN_RECORD, "more packets than the input can hold: reading does not advance");
                }
            }
            assertFalse(s.next(ref), "a source that ended stays ended");
            for (CaptureDamage d : s.damages()) {
                assertNotNull(d.message());
                assertOneLine(d.describe());
                assertEquals(NAME, d.source());
                assertTrue(d.offset() >= 0, d.describe());
                if (!gzip) {
                    assertTrue(d.offset() <= data.length, d.describe());
                }
            }
        }
    }

    static void assertOneLine(String message) {
        assertNotNull(message);
        assertFalse(message.isBlank());
        assertFalse(message.contains("\n") || message.contains("\r"), "one line: " + message);
        assertTrue(message.length() < 400, "a short message: " + message);
    }
}
