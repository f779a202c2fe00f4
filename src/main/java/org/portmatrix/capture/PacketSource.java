package org.portmatrix.capture;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/**
 * A source of captured packets: a capture file, several files in time order, or a live interface.
 *
 * <p>Damage after a readable start (a truncated last record, a lying length field) does not throw:
 * the source stops or skips, records a {@link CaptureDamage}, and everything read before it counts.
 * A source that cannot be read at all throws {@link CaptureFormatException} from its factory.
 */
public interface PacketSource extends Closeable {

    /** Points {@code ref} at the next packet. Returns false at the end of the source. */
    boolean next(PacketRef ref) throws IOException;

    /** A name for messages: the file path, or the interface name. */
    String name();

    /**
     * The name of the file that {@code ref}, the packet this source gave last, was read from: of
     * several captures merged, that one file (an offset is meaningful in it alone).
     */
    default String nameOf(PacketRef ref) {
        return name();
    }

    /**
     * How many capture files this source reads: 1 for one file, standard input or an interface; of
     * several captures merged, one per file, each packet's {@link PacketRef#sourceIndex} naming its file.
     */
    default int files() {
        return 1;
    }

    /**
     * The name of file {@code index} ({@link PacketRef#sourceIndex}) as the user gave it: the path on
     * the command line, or the directory given and the file's name in it ("day/cap.pcap3").
     */
    default String fileName(int index) {
        return name();
    }

    /** Damage met so far, or null if none. Reading stopped at the damage unless it says otherwise. */
    CaptureDamage damage();

    /** Every damage met so far, in the order met (the fatal one, if any, last). */
    default List<CaptureDamage> damages() {
        CaptureDamage d = damage();
        return d == null ? List.of() : List.of(d);
    }

    /** Bytes consumed so far (of the uncompressed stream), for progress reports. */
    long position();

    /** Total bytes when known (a plain file), else -1. */
    default long size() {
        return -1;
    }
}
