package org.portmatrix.capture;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A pipe, a FIFO or standard input, read through its file's channel so that a read blocked on a
 * writer that has gone quiet can be ended: closing the channel wakes the blocked read, which then
 * throws {@link java.nio.channels.AsynchronousCloseException}, and any later read throws {@link
 * java.nio.channels.ClosedChannelException} (a {@link FileInputStream}'s own read cannot be woken
 * so). A SIGINT or SIGTERM uses it to stop the read and report what was read ({@code
 * cli/Interruption}). Closing, not interrupting the reading thread: an interrupt that came just
 * after a read returned would land on the thread's next wait (the hand-over of its flows) and fail
 * the run; a closed channel stays closed, so no wake is missed. {@link #available()} is the
 * stream's (the bytes the pipe holds), not the channel's size and position, which a pipe cannot
 * seek to.
 */
final class PipeInput extends InputStream {
    /** The open ones, for {@link #wakeReaders()}. */
    private static final Set<PipeInput> OPEN = ConcurrentHashMap.newKeySet();

    private final FileInputStream file;
    private final FileChannel channel;
    /** The last array read into and its wrapper, reused (a pipe fed a packet at a time reads a packet at a time). */
    private byte[] wrappedArray;
    private ByteBuffer wrapped;

    PipeInput(FileInputStream file) {
        this.file = file;
        this.channel = file.getChannel();
        OPEN.add(this);
    }

    /**
     * Wakes every thread blocked in a read of a pipe, and ends the pipes: each read from now on throws
     * {@link java.nio.channels.ClosedChannelException} (a blocked one {@link
     * java.nio.channels.AsynchronousCloseException}).
     */
    static void wakeReaders() {
        for (PipeInput p : OPEN) {
            try {
                p.channel.close();
            } catch (IOException e) {
                // closed as far as it goes: the read sees the channel closed
            }
        }
    }

    /** Standard input, read this way. */
    static PipeInput standardInput() {
        return new PipeInput(new FileInputStream(FileDescriptor.in));
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        ByteBuffer w = wrapped;
        if (b != wrappedArray) {
            w = ByteBuffer.wrap(b);
            wrapped = w;
            wrappedArray = b;
        }
        w.limit(off + len).position(off);
        return channel.read(w);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int r;
        do {
            r = read(one, 0, 1);
        } while (r == 0);
        return r < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int available() throws IOException {
        return channel.isOpen() ? file.available() : 0;
    }

    @Override
    public void close() throws IOException {
        OPEN.remove(this);
        file.close(); // (closes the channel too)
    }
}
