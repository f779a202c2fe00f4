package org.portmatrix.capture;

import java.io.IOException;

/** A capture that cannot be read at all: not a capture, empty, or an unreadable header. */
public final class CaptureFormatException extends IOException {
    private static final long serialVersionUID = 1L;
    /** Where the capture is unreadable, when that is one place in one file: its offset (else -1), and what is wrong there. */
    private final long offset;
    private final String detail;

    public CaptureFormatException(String source, long offset, String message) {
        super(source + ": offset " + offset + ": " + message);
        this.offset = offset;
        this.detail = message;
    }

    public CaptureFormatException(String message) {
        super(message);
        this.offset = -1;
        this.detail = message;
    }

    /** The byte offset the message names, or -1 when it names none. */
    public long offset() {
        return offset;
    }

    /** What is wrong, without the file's name and offset when the message has them. */
    public String detail() {
        return detail;
    }
}
