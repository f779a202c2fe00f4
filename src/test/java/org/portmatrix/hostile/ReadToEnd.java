package org.portmatrix.hostile;

import java.nio.file.Path;
import org.portmatrix.capture.CaptureFormatException;
import org.portmatrix.capture.Captures;
import org.portmatrix.capture.PacketRef;
import org.portmatrix.capture.PacketSource;

/**
 * Reads a capture to its end and prints the number of packets: run in a JVM with a small heap by
 * the tests that check no buffer is sized by a lying length field (every thread's allocations
 * count, the reader's read-ahead thread's too). Exit status 0 when read (damage or not), 2 when
 * refused; an allocation beyond the heap ends the JVM ({@code -XX:+ExitOnOutOfMemoryError}).
 */
public final class ReadToEnd {
    private ReadToEnd() {}

    public static void main(String[] args) throws Exception {
        long packets = 0;
        try (PacketSource s = Captures.open(Path.of(args[0]))) {
            PacketRef ref = new PacketRef();
            while (s.next(ref)) {
                packets++;
            }
        } catch (CaptureFormatException e) {
            System.out.println("refused: " + e.getMessage());
            System.exit(2);
        }
        System.out.println(packets);
    }
}
