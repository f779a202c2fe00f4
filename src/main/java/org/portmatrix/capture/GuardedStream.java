package org.portmatrix.capture;

import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.ZipException;

/**
 * Turns a damaged compressed stream's failure into a clean end of stream, remembering why, so a
 * reader reports the damage as a cut-off capture and everything before it still counts.
 */
final class GuardedStream extends FilterInputStream {
    private final String name;
    private String failure;

    GuardedStream(String name, InputStream in) {
        super(in);
        this.name = name;
    }

    String failure() {
        return failure;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (failure != null) {
            return -1;
        }
        try {
            return super.read(b, off, len);
        } catch (EOFException | ZipException e) {
            failure = name + ": compressed stream damaged: " + e.getMessage();
            return -1;
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int r = read(one, 0, 1);
        return r < 0 ? -1 : one[0] & 0xff;
    }
}
