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
 * writer that has gone quiet can be ended: interrupting the reading thread closes the channel and
 * wakes the blocked read, which then throws {@link java.nio.channels.ClosedByInterruptException}
 * (a {@link FileInputStream}'s own read cannot be woken so). A SIGINT or SIGTERM uses it to stop the
 * read and report what was read ({@code cli/Interruption}). {@link #available()} is the stream's
 * (the bytes the pipe holds), not the channel's size and position, which a pipe cannot seek to.
 */
final class PipeInput extends InputStream {
    /** The open ones, for {@link #wakeReaders()}. */
    private static final Set<PipeInput> OPEN = ConcurrentHashMap.newKeySet();

    private final FileInputStream file;
    private final FileChannel channel;
    /** The thread in {@link #read(byte[], int, int)}, or null. */
    private volatile Thread reader;

    PipeInput(FileInputStream file) {
        this.file = file;
        this.channel = file.getChannel();
        OPEN.add(this);
    }

    /**
     * Wakes every thread blocked in a read of a pipe: its read throws {@link
     * java.nio.channels.ClosedByInterruptException}, and the pipe is closed. Only a thread inside a
     * read is interrupted, so that no other wait of the packet thread (the hand-over of its flows)
     * sees an interrupt meant for the pipe.
     */
    static void wakeReaders() {
        for (PipeInput p : OPEN) {
            Thread t = p.reader;
            if (t != null) {
                t.interrupt();
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
        reader = Thread.currentThread();
        try {
            return channel.read(ByteBuffer.wrap(b, off, len));
        } finally {
            reader = null;
        }
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
