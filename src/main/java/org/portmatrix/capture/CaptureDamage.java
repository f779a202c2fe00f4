package org.portmatrix.capture;

/**
 * Damage found in a capture after its start was read: where it is and what is wrong.
 *
 * @param source the file name
 * @param offset the byte offset of the damaged record (of the uncompressed stream)
 * @param message what is wrong, one line, no packet bytes
 * @param fatal true when reading of this source stopped there
 */
public record CaptureDamage(String source, long offset, String message, boolean fatal) {
    public String describe() {
        return source + ": offset " + offset + ": " + message;
    }
}
