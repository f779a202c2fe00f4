package org.portmatrix.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The flow id of every packet of the first pass, in the order read (-1 for a packet that is in no
 * flow), kept for the second pass of {@code --extract}: 4 bytes a packet in a temporary file beside
 * the extract, deleted when closed.
 *
 * <p>Measured reason: the second pass used to decode every packet again and rebuild the flow table
 * to learn each packet's flow, which cost about 70% of the analysis on top (reference workload);
 * with the ids at hand it only reads the records and writes the flagged ones.
 */
final class FlowIdLog implements AutoCloseable {
    private static final int IDS = 1 << 14;

    private final Path file;
    private final FileChannel channel;
    private final int[] ids = new int[IDS];
    private final ByteBuffer bytes = ByteBuffer.allocate(IDS * 4).order(ByteOrder.LITTLE_ENDIAN);
    private int n;
    private long written;

    private FlowIdLog(Path file) throws IOException {
        this.file = file;
        this.channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    /** A new, empty log in {@code dir}. */
    static FlowIdLog create(Path dir) throws IOException {
        return new FlowIdLog(Files.createTempFile(dir, ".portmatrix-flow-ids-", ".tmp"));
    }

    Path file() {
        return file;
    }

    /** Appends the id of the next packet's flow, or -1. */
    void add(int id) throws IOException {
        if (n == IDS) {
            flush();
        }
        ids[n++] = id;
    }

    private void flush() throws IOException {
        bytes.clear();
        bytes.asIntBuffer().put(ids, 0, n);
        bytes.limit(n * 4);
        try {
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        } catch (IOException e) { // a full disk: the message names the file, as every error does
            throw new IOException(file + ": cannot write (--extract keeps each packet's flow id here): " + e.getMessage(), e);
        }
        written += n;
        n = 0;
    }

    /** Ids written so far. */
    long size() {
        return written + n;
    }

    /** Ends writing; the ids are then read back from the first with {@link #next}. */
    Reader reader() throws IOException {
        flush();
        channel.position(0);
        return new Reader();
    }

    /** Reads the ids back in order. */
    final class Reader {
        private int at;
        private int have;
        private long left = written;

        private Reader() {}

        /** The next packet's flow id; -1 for a packet in no flow, or past the last packet of the first pass. */
        int next() throws IOException {
            if (at == have) {
                if (left == 0) {
                    return -1;
                }
                int want = (int) Math.min(IDS, left);
                bytes.clear();
                bytes.limit(want * 4);
                try {
                    while (bytes.hasRemaining()) {
                        if (channel.read(bytes) < 0) {
                            throw new IOException("ended early");
                        }
                    }
                } catch (IOException e) {
                    throw new IOException(file + ": cannot read the flow ids of the first pass back: " + e.getMessage(), e);
                }
                bytes.flip();
                bytes.asIntBuffer().get(ids, 0, want);
                at = 0;
                have = want;
                left -= want;
            }
            return ids[at++];
        }
    }

    @Override
    public void close() throws IOException {
        try {
            channel.close();
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
