package org.portmatrix.capture;

import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.ZipException;

/**
 * Turns a damaged compressed stream's failure into a clean end of stream, remembering why, so a
 * reader reports the damage as a cut-off capture and everything before it still counts; the same
 * for a capture file that could not be opened again ({@link OpenFiles.Gone}).
 */
final class GuardedStream extends FilterInputStream {
    private String failure;
    /** The compressed bytes the inflater reads, or null. */
    private final InputStream compressed;

    GuardedStream(InputStream in) {
        this(in, null);
    }

    /** @param compressed the stream of compressed bytes under {@code in}, for {@link #available} */
    GuardedStream(InputStream in, InputStream compressed) {
        super(in);
        this.compressed = compressed;
    }

    /**
     * 0 when the compressed stream has nothing at hand (a pipe whose writer is quiet), so that a read
     * of what is inflated returns it instead of waiting for more ({@link java.io.BufferedInputStream}
     * reads on while its stream says more is available, and an inflater says so until its end);
     * otherwise the inflater's own answer.
     */
    @Override
    public int available() throws IOException {
        if (failure != null) {
            return 0;
        }
        if (compressed != null && compressed.available() <= 0) {
            return 0;
        }
        return super.available();
    }

    /** Whether it guards a compressed stream (inflated ahead on a thread of its own), not a plain file's. */
    boolean compressed() {
        return compressed != null;
    }

    /** What went wrong, without the file's name (the damage line carries it), or null. */
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
        } catch (OpenFiles.Gone e) {
            // (a file whose descriptor was let go, deleted or replaced before it was opened again)
            failure = e.getMessage();
            return -1;
        } catch (EOFException e) {
            failure = "compressed stream cut off";
            return -1;
        } catch (ZipException e) {
            // "Corrupt GZIP trailer" (its CRC or length disagrees), "invalid distance too far back", ...:
            // the bytes inflated just before may be wrong too.
            failure = "compressed stream damaged (" + (e.getMessage() == null ? "ZipException" : e.getMessage()) + ")";
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
