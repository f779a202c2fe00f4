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
