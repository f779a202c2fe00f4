package org.portmatrix.capture;

import java.io.IOException;

/** A capture that cannot be read at all: not a capture, empty, or an unreadable header. */
public final class CaptureFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public CaptureFormatException(String source, long offset, String message) {
        super(source + ": offset " + offset + ": " + message);
    }

    public CaptureFormatException(String message) {
        super(message);
    }
}
