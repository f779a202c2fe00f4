package org.portmatrix.capture;

import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.ZipException;

/**
 * Turns a damaged compressed stream's failure into a clean end of stream, remembering why, so a
 * reader reports the damage as a cut-off capture and everything before it still counts; the same
 * for a capture file that could not be opened again ({@link OpenFiles.Gone}) and for a read the
 * disk refused (a regular file's, or a compressed one's underneath).
 */
final class GuardedStream extends FilterInputStream {
    /** A read of a regular file that the disk refused is tried again a page at a time, up to the page it refuses. */
    private static final int PAGE = 4096;
    private String failure;
    /** The compressed bytes the inflater reads, or null. */
    private final InputStream compressed;
    /** The guard of the file under a compressed stream, whose failure is the one said, or null. */
    private final GuardedStream below;
    /** Whether it guards a regular file's reads (not a compressed stream's). */
    private final boolean file;

    private GuardedStream(InputStream in, InputStream compressed, GuardedStream below, boolean file) {
        super(in);
        this.compressed = compressed;
        this.below = below;
        this.file = file;
    }

    /** Guards a regular file's reads: a read the disk refuses (EIO), or a file not there again ({@link OpenFiles.Gone}). */
    static GuardedStream file(InputStream in) {
        return new GuardedStream(in, null, null, true);
    }

    /**
     * Guards an inflated stream.
     *
     * @param compressed the stream of compressed bytes under {@code in}, for {@link #available}
     * @param below the guard of the file the compressed bytes come from, or null
     */
    static GuardedStream inflated(InputStream in, InputStream compressed, GuardedStream below) {
        return new GuardedStream(in, compressed, below, false);
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
        return below != null && below.failure != null ? below.failure : failure;
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
        } catch (java.io.InterruptedIOException | java.nio.channels.ClosedChannelException e) {
            throw e; // (a read stopped on purpose: not damage)
        } catch (IOException e) {
            // The disk refused the read (EIO: a bad sector, a disk or network file system gone): what was read before it
            // is analysed and reported, and the damage names the file and the offset. Thrown on, it ended the run with
            // "portmatrix: Input/output error", no file named, exit status 2 and no report. A refused read of a regular
            // file loses none of the pages before the one refused: they are read again one by one (a read of many pages
            // fails whole; the reader's reads are 128 KiB).
            if (!file || len <= PAGE) {
                failure = readError(e);
                return -1;
            }
            int got = 0;
            while (got < len) {
                int n;
                try {
                    n = super.read(b, off + got, Math.min(PAGE, len - got));
                } catch (java.io.InterruptedIOException | java.nio.channels.ClosedChannelException stopped) {
                    throw stopped;
                } catch (IOException again) {
                    failure = readError(again); // (the bytes read before it are returned; the next read ends the stream)
                    break;
                }
                if (n < 0) {
                    break;
                }
                got += n;
            }
            if (failure == null) {
                failure = readError(e); // (read whole a page at a time: the refusal was not the disk's to repeat)
            }
            return got > 0 ? got : -1;
        }
    }

    private static String readError(IOException e) {
        return e instanceof OpenFiles.Gone ? e.getMessage()
                : "read error (" + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")";
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int r = read(one, 0, 1);
        return r < 0 ? -1 : one[0] & 0xff;
    }
}
