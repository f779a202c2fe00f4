package org.portmatrix.report;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import org.portmatrix.capture.UncheckedBytes;

/**
 * Writes packets to a capture file that Wireshark, tshark and tcpdump open. While every packet has
 * the same link type it writes classic pcap with nanosecond timestamps (magic {@code 0xa1b23c4d}),
 * in that link type. When a packet of another link type arrives it rewrites what it has so far as
 * pcapng and goes on in pcapng, one Interface Description Block per link type, because pcap has a
 * single link type per file. Written under a temporary name beside the target, renamed on
 * {@link #commit()}.
 *
 * <pre>
 * pcap (all little-endian):  magic u32 | major u16 = 2 | minor u16 = 4 | thiszone i32 | sigfigs u32
 *                            | snaplen u32 | linktype u32
 *   record:                  ts_sec u32 | ts_nsec u32 | incl_len u32 | orig_len u32 | frame
 * pcapng block:              type u32 | total length u32 | body | total length u32 (body padded to 4)
 *   SHB 0x0A0D0D0A:          byte-order magic 0x1A2B3C4D | major u16 = 1 | minor u16 = 0 | section length i64 = -1
 *   IDB 0x00000001:          linktype u16 | reserved u16 | snaplen u32 | option if_tsresol (9) = 9
 *                            | [option if_tsoffset (14) = -9,223,372,036 s, for times before 1970] | opt_endofopt
 *   EPB 0x00000006:          interface u32 | ts high u32 | ts low u32 (nanoseconds) | caplen u32 | origlen u32 | frame
 * </pre>
 */
public final class PcapWriter implements AutoCloseable {
    static final int PCAP_MAGIC_NANOS = 0xa1b23c4d;
    static final int PCAP_HEADER = 24;
    static final int PCAP_RECORD_HEADER = 16;
    static final int SNAPLEN = 262_144;
    static final int SHB = 0x0A0D0D0A;
    static final int BYTE_ORDER_MAGIC = 0x1A2B3C4D;
    static final int IDB = 0x00000001;
    static final int EPB = 0x00000006;
    static final int OPT_ENDOFOPT = 0;
    static final int IF_TSRESOL = 9;
    static final byte TSRESOL_NANOS = 9;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    static final int IF_TSOFFSET = 14;
    /**
     * An EPB's time is unsigned: a time before 1970 goes to an interface of its link type whose
     * {@code if_tsoffset} is this many seconds (1677-09-21T00:12:44Z, the whole second nearest the
     * earliest time a Java long of nanoseconds holds), its EPB holding the nanoseconds since then.
     * Written as they were, such times read as 2554.
     */
    static final long BEFORE_1970_OFFSET_SECONDS = -(Long.MAX_VALUE / NANOS_PER_SECOND);
    /** That offset in nanoseconds (negative). */
    private static final long BEFORE_1970_OFFSET_NANOS = BEFORE_1970_OFFSET_SECONDS * NANOS_PER_SECOND;
    /** Added to a link type for the key of its before-1970 interface in {@link #interfaces}. */
    private static final int BEFORE_1970_KEY = 1 << 16;
    /** MiBs a file may have in flight with direct I/O ({@link Sink}). */
    static final int DIRECT_BUFFERS = 4;

    private final Path target;
    /** Where the extract is renamed to: the target, or the file its symbolic link names ({@link AtomicFile#linkedTo}). */
    private final Path into;
    private final int directBuffers;
    private Path temp;
    private Sink out;
    private final ByteBuffer head = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    private int pcapLinkType = -1;
    private boolean pcapng;
    private final Map<Integer, Integer> interfaces = new HashMap<>();
    private long packets;
    /** The second of the record written last, and its start in nanoseconds: most records fall in it too. */
    private long lastSecond = 0;
    private long lastSecondStart = 0;
    private boolean done;

    public PcapWriter(Path target) throws IOException {
        this(target, Boolean.parseBoolean(System.getProperty("portmatrix.extract.directIO", "true")) ? DIRECT_BUFFERS : 0);
    }

    /** @param directBuffers MiBs in flight with direct I/O, 0 for the page cache only (tests choose) */
    PcapWriter(Path target, int directBuffers) throws IOException {
        this.target = target;
        this.into = AtomicFile.linkedTo(target);
        this.directBuffers = directBuffers;
        this.temp = newTemp();
        this.out = new Sink(temp, directBuffers);
    }

    private Path newTemp() throws IOException {
        return AtomicFile.tempBeside(into);
    }

    public long packets() {
        return packets;
    }

    /** True when the file's full MiBs go out with direct I/O ({@link Sink}). */
    boolean directIO() {
        return out.directIO();
    }

    /** True once the file had to become pcapng (packets of more than one link type). */
    public boolean isPcapng() {
        return pcapng;
    }

    /** Appends one frame as captured. */
    public void write(byte[] buf, int off, int caplen, int origLen, long tsNanos, int linkType) throws IOException {
        if (!pcapng && pcapLinkType < 0 && packets == 0) {
            pcapLinkType = linkType;
            pcapHeader(linkType);
        } else if (!pcapng && linkType != pcapLinkType) {
            convertToPcapng();
        }
        if (pcapng) {
            epbAt(linkType, buf, off, caplen, origLen, tsNanos);
        } else {
            // A division only when the second changes: the quick JIT calls a runtime routine for each
            // (floorDiv and floorMod were two of them per packet before).
            long nsec = tsNanos - lastSecondStart;
            if (nsec < 0 || nsec >= NANOS_PER_SECOND || (tsNanos ^ lastSecondStart) < 0) { // signs apart: the difference may wrap
                long sec = tsNanos / NANOS_PER_SECOND;
                long start = sec * NANOS_PER_SECOND;
                if (tsNanos < start) {
                    sec--;
                    start -= NANOS_PER_SECOND;
                }
                if (sec < 0 || sec > 0xFFFF_FFFFL) {
                    // Classic pcap's seconds are 32 bits, unsigned: a time before 1970 or after 2106 would wrap
                    // (2121 became 1985). The extract goes on in pcapng, whose times are 64 bits.
                    convertToPcapng();
                    epbAt(linkType, buf, off, caplen, origLen, tsNanos);
                    packets++;
                    return;
                }
                lastSecond = sec;
                lastSecondStart = start;
                nsec = tsNanos - start;
            }
            out.record((int) lastSecond, (int) nsec, caplen, origLen, buf, off);
        }
        packets++;
    }

    private static void le32(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
        b[at + 2] = (byte) (v >>> 16);
        b[at + 3] = (byte) (v >>> 24);
    }

    private void pcapHeader(int linkType) throws IOException {
        head.clear();
        head.putInt(PCAP_MAGIC_NANOS).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(SNAPLEN).putInt(linkType);
        out.write(head.array(), 0, PCAP_HEADER);
    }

    /** An EPB on the interface of the packet's link type, or of its link type before 1970 ({@link #BEFORE_1970_OFFSET_SECONDS}). */
    private void epbAt(int linkType, byte[] buf, int off, int caplen, int origLen, long tsNanos) throws IOException {
        if (tsNanos < 0) {
            // (The 854 ms before the offset, which only a time held at the earliest instant is in, are written as it.)
            epb(interfaceFor(linkType, true), buf, off, caplen, origLen, Math.max(tsNanos, BEFORE_1970_OFFSET_NANOS) - BEFORE_1970_OFFSET_NANOS);
        } else {
            epb(interfaceFor(linkType, false), buf, off, caplen, origLen, tsNanos);
        }
    }

    private int interfaceFor(int linkType, boolean before1970) throws IOException {
        int key = before1970 ? linkType + BEFORE_1970_KEY : linkType;
        Integer id = interfaces.get(key);
        if (id == null) {
            id = interfaces.size();
            interfaces.put(key, id);
            head.clear();
            // 8 header + 8 body + 8 if_tsresol (4 + 1 padded to 4) [+ 12 if_tsoffset (4 + 8)] + 4 opt_endofopt + 4 trailer
            int total = before1970 ? 44 : 32;
            head.putInt(IDB).putInt(total).putShort((short) linkType).putShort((short) 0).putInt(SNAPLEN)
                    .putShort((short) IF_TSRESOL).putShort((short) 1).put(TSRESOL_NANOS).put((byte) 0).put((byte) 0).put((byte) 0);
            if (before1970) {
                head.putShort((short) IF_TSOFFSET).putShort((short) 8).putLong(BEFORE_1970_OFFSET_SECONDS);
            }
            head.putShort((short) OPT_ENDOFOPT).putShort((short) 0).putInt(total);
            out.write(head.array(), 0, total);
        }
        return id;
    }

    private void shb() throws IOException {
        head.clear();
        int total = 28;
        head.putInt(SHB).putInt(total).putInt(BYTE_ORDER_MAGIC).putShort((short) 1).putShort((short) 0).putLong(-1L).putInt(total);
        out.write(head.array(), 0, total);
    }

    private void epb(int iface, byte[] buf, int off, int caplen, int origLen, long tsNanos) throws IOException {
        int pad = (4 - (caplen & 3)) & 3;
        int total = 32 + caplen + pad;
        head.clear();
        head.putInt(EPB).putInt(total).putInt(iface).putInt((int) (tsNanos >>> 32)).putInt((int) tsNanos).putInt(caplen).putInt(origLen);
        out.write(head.array(), 0, 28);
        out.write(buf, off, caplen);
        for (int i = 0; i < pad; i++) {
            out.write(0);
        }
        head.clear();
        head.putInt(total);
        out.write(head.array(), 0, 4);
    }

    /** Rewrites the pcap written so far as pcapng; later packets go on in pcapng. */
    private void convertToPcapng() throws IOException {
        out.close();
        Path old = temp;
        temp = newTemp();
        out = new Sink(temp, directBuffers);
        pcapng = true;
        shb();
        int iface = interfaceFor(pcapLinkType, false); // (classic pcap held no time before 1970)
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(old), 1 << 16)) {
            DataInputStream in = new DataInputStream(raw);
            in.readFully(new byte[PCAP_HEADER]);
            byte[] rec = new byte[PCAP_RECORD_HEADER];
            byte[] frame = new byte[SNAPLEN];
            while (true) {
                try {
                    in.readFully(rec);
                } catch (EOFException end) {
                    break;
                }
                ByteBuffer r = ByteBuffer.wrap(rec).order(ByteOrder.LITTLE_ENDIAN);
                long sec = Integer.toUnsignedLong(r.getInt());
                long nsec = Integer.toUnsignedLong(r.getInt());
                int caplen = r.getInt();
                int origLen = r.getInt();
                if (caplen > frame.length) {
                    frame = new byte[caplen];
                }
                in.readFully(frame, 0, caplen);
                epb(iface, frame, 0, caplen, origLen, sec * 1_000_000_000L + nsec);
            }
        } finally {
            Files.deleteIfExists(old);
        }
    }

    /** Drops every packet written so far: the file starts again, empty. */
    public void restart() throws IOException {
        out.discard();
        Files.deleteIfExists(temp);
        temp = newTemp();
        out = new Sink(temp, directBuffers);
        pcapLinkType = -1;
        pcapng = false;
        interfaces.clear();
        packets = 0;
    }

    /** Finishes the file and renames it into place. An empty extract is a valid pcap with no packet. */
    public void commit() throws IOException {
        if (packets == 0 && !pcapng) {
            pcapHeader(1); // no packet: Ethernet, so the file is still a capture every tool opens
        }
        out.close();
        try {
            Files.move(temp, into, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, into, StandardCopyOption.REPLACE_EXISTING);
        }
        done = true;
    }

    @Override
    public void close() throws IOException {
        if (!done) {
            done = true;
            try {
                out.discard();
            } finally {
                if (temp != null) {
                    Files.deleteIfExists(temp);
                }
            }
        }
    }

    /**
     * The file's bytes, gathered in a 1 MiB array. Measured reason: with {@code --extract} written
     * during the first pass, a BufferedOutputStream of 64 KiB over {@code Files.newOutputStream}
     * (three copies of each packet: its buffer, the channel's temporary direct buffer, the kernel)
     * and a {@code ByteBuffer.putInt} per header field were about 12% of the packet thread's CPU
     * samples, 8% this way; filling a direct buffer packet by packet measured no better.
     *
     * <p>Each full MiB goes to a {@link DirectWriter}, which writes it with direct I/O from a thread
     * of its own: the device takes the bytes from the writer's buffer, and no page of the page cache
     * is filled. Measured reason (reference workload, runs in the order of {@code compare.sh}): the
     * extract run 27% shorter (paired, 6 rounds), its cost on top of the analysis +58% → +26%; the
     * kernel's copy into new page-cache pages had been the larger part of the extract's cost, and
     * its speed varied with the machine's memory (0.7-5 GB/s for 320 MB here). Back to back, where
     * the previous run's pages are still at hand, it measured the same. A MiB goes through the page
     * cache as before, at its place in the file, when the writer has no array free (a disk slower than
     * the analysis: the analysis does not wait for it), when a direct write fails, for the last,
     * partial MiB, and for the whole file where the file system refuses direct I/O (tmpfs) or with
     * {@code -Dportmatrix.extract.directIO=false}.
     */
    private static final class Sink {
        static final int CHUNK = 1 << 20;

        private final FileChannel channel;
        private final DirectWriter direct;
        /** The MiB being filled; a full one handed to the direct writer is replaced by one it has done with. */
        private byte[] buf = new byte[CHUNK];
        private int n;
        /** Where {@code buf[0]} goes in the file. */
        private long position;

        /** @param directBuffers MiBs the direct writer may have in flight; 0 for none */
        Sink(Path file, int directBuffers) throws IOException {
            // The file is new and empty (AtomicFile.tempBeside): no O_TRUNC, which on ext4 sets "allocate on
            // close" (auto_da_alloc), and the close then started writing back the whole file: 60-90 ms
            // for the reference workload's 320 MB extract.
            channel = FileChannel.open(file, StandardOpenOption.WRITE);
            direct = directBuffers > 0 ? DirectWriter.open(file, channel, directBuffers) : null;
        }

        /** True when full MiBs are written with direct I/O. */
        boolean directIO() {
            return direct != null && direct.usesDirectIO();
        }

        void write(byte[] b, int off, int len) throws IOException {
            while (len > CHUNK - n) { // every MiB but the last is full, so that each starts at a multiple of the block size
                int part = CHUNK - n;
                System.arraycopy(b, off, buf, n, part);
                n = CHUNK;
                flush();
                off += part;
                len -= part;
            }
            System.arraycopy(b, off, buf, n, len);
            n += len;
        }

        /**
         * A pcap record: its header (little-endian) and frame written straight into the buffer, or
         * across two MiBs by {@link #write}. Measured reason: with the header through an array of its
         * own and a second call for the frame, the extract run was 1-2.5% longer (paired).
         */
        void record(int sec, int nsec, int caplen, int origLen, byte[] b, int off) throws IOException {
            int at = n;
            if (caplen < 0 || CHUNK - at < PCAP_RECORD_HEADER + caplen) { // (a negative length fails in write, as it always did)
                byte[] h = new byte[PCAP_RECORD_HEADER]; // once a MiB at most
                le32(h, 0, sec);
                le32(h, 4, nsec);
                le32(h, 8, caplen);
                le32(h, 12, origLen);
                write(h, 0, PCAP_RECORD_HEADER);
                write(b, off, caplen);
                return;
            }
            // The header's 16 bytes stored by four single stores (the room is checked above), not by four
            // calls of le32 (36 bytes of bytecode, one over the quick JIT's inlining limit: the calls were
            // over a quarter of this method's CPU samples) nor byte by byte.
            byte[] d = buf;
            UncheckedBytes.putI32le(d, at, sec);
            UncheckedBytes.putI32le(d, at + 4, nsec);
            UncheckedBytes.putI32le(d, at + 8, caplen);
            UncheckedBytes.putI32le(d, at + 12, origLen);
            System.arraycopy(b, off, d, at + PCAP_RECORD_HEADER, caplen);
            n = at + PCAP_RECORD_HEADER + caplen;
        }

        void write(int b) throws IOException {
            if (n == CHUNK) {
                flush();
            }
            buf[n++] = (byte) b;
        }

        /** Writes {@code buf[0, n)} at {@link #position}: a full MiB by the direct writer when it has a buffer free. */
        private void flush() throws IOException {
            byte[] next = n == CHUNK && direct != null ? direct.submit(buf, position) : null;
            if (next != null) {
                buf = next;
            } else {
                writeAt(channel, ByteBuffer.wrap(buf, 0, n), position);
            }
            position += n;
            n = 0;
        }

        void close() throws IOException {
            try {
                flush();
                if (direct != null) {
                    direct.finish();
                }
            } finally {
                channel.close();
            }
        }

        /** Closes the file without writing what is buffered: it is about to be deleted. */
        void discard() throws IOException {
            n = 0;
            try {
                if (direct != null) {
                    direct.finish();
                }
            } catch (IOException e) {
                // the file is deleted anyway
            } finally {
                channel.close();
            }
        }
    }

    private static void writeAt(FileChannel channel, ByteBuffer b, long at) throws IOException {
        while (b.hasRemaining()) {
            at += channel.write(b, at);
        }
    }

    /**
     * Full MiBs written with {@code O_DIRECT} by a thread of its own (started when the file is
     * opened): it takes the filled array itself, copies it into its one aligned direct buffer, writes
     * it, and gives the array back for a later MiB. {@link #submit} never waits: without an array to
     * give in exchange it says so, and the caller writes the MiB itself. A direct write that fails is
     * done again through the page cache, and the rest goes that way too.
     *
     * <p>Measured reason for the copy on this thread (reference workload, {@code --extract}): made by
     * the packet thread into one of four direct buffers, the copies of the extract's 320 MB were about
     * 28 ms of its CPU samples, a tenth of what the extract adds.
     */
    private static final class DirectWriter implements Runnable {
        /** A filled MiB to write at its place in the file; {@link #END} stops the thread. */
        private static final class Job {
            final byte[] bytes;
            final long at;

            Job(byte[] bytes, long at) {
                this.bytes = bytes;
                this.at = at;
            }
        }

        private static final Job END = new Job(null, -1);

        private final Path file;
        /** Opened by the writer thread ({@link #run}); read by others only after {@link #opened} or a join. */
        private FileChannel direct;
        private int alignment;
        private final FileChannel buffered;
        private final int arrays;
        /** Open once the writer thread has tried direct I/O ({@link #usable} says how it went). */
        private final java.util.concurrent.CountDownLatch opened = new java.util.concurrent.CountDownLatch(1);
        private volatile boolean usable;
        /** Arrays the writer has done with, for the caller's next MiBs. */
        private final ArrayBlockingQueue<byte[]> free;
        private final ArrayBlockingQueue<Job> queued;
        private Thread thread;
        /** Set once a direct write failed: the rest goes through the page cache. */
        private volatile boolean refused;
        private volatile IOException failure;

        private DirectWriter(Path file, FileChannel buffered, int arrays) {
            this.file = file;
            this.buffered = buffered;
            this.arrays = arrays;
            free = new ArrayBlockingQueue<>(arrays);
            queued = new ArrayBlockingQueue<>(arrays + 2);
        }

        /**
         * A writer thread that opens the file for direct I/O; where its file system refuses direct I/O it
         * takes no MiB, and every one goes through the page cache. Measured reason for opening it on that
         * thread: the file system's block size (the alignment) is looked up in the mount table, 1.7-1.9 ms
         * cold, and the direct channel's opening took 2.6-2.7 ms more (a small program, 3 runs), on the
         * set-up that the read waits for with {@code --extract}.
         */
        static DirectWriter open(Path file, FileChannel buffered, int arrays) {
            DirectWriter w = new DirectWriter(file, buffered, arrays);
            w.thread = new Thread(w, "portmatrix-extract-writer");
            w.thread.setDaemon(true);
            w.thread.start();
            return w;
        }

        /** True when the file is written with direct I/O (waits for the writer thread to have tried). */
        boolean usesDirectIO() {
            try {
                opened.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return usable;
        }

        /**
         * Hands a full MiB to the writer thread, which owns it from now on; returns the array to fill
         * next, or null (the MiB is not taken) when none is free or direct I/O failed.
         */
        byte[] submit(byte[] chunk, long at) throws IOException {
            IOException e = failure;
            if (e != null) {
                throw e;
            }
            if (refused) {
                return null;
            }
            byte[] next = free.poll();
            if (next == null) {
                return null;
            }
            queued.add(new Job(chunk, at));
            return next;
        }

        /**
         * Makes the arrays and the aligned buffer, then writes what is queued. Measured reason for
         * making them here, as the file is opened (before the analysis reads its first packet): made by
         * the packet thread at its first full MiBs, their zeroing and first touches were 5% of the
         * extract's CPU samples there.
         */
        @Override
        public void run() {
            try {
                long block = Files.getFileStore(file).getBlockSize();
                if (block > 0 && block <= Sink.CHUNK && Sink.CHUNK % block == 0) {
                    direct = FileChannel.open(file, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT);
                    alignment = (int) Math.max(block, 4096);
                    usable = true;
                }
            } catch (IOException | UnsupportedOperationException e) {
                // tmpfs and the like: the page cache, as before
            } finally {
                opened.countDown();
            }
            if (!usable) {
                return; // no array is offered: every MiB is written by the caller
            }
            ByteBuffer aligned = ByteBuffer.allocateDirect(Sink.CHUNK + alignment).alignedSlice(alignment);
            byte[][] made = new byte[arrays][];
            for (int i = 0; i < arrays; i++) {
                made[i] = new byte[Sink.CHUNK];
            }
            // Offered only once all are made: should making them fail (no memory), no MiB is ever handed
            // to this thread, and the caller writes every one itself.
            for (byte[] a : made) {
                free.add(a);
            }
            try {
                while (true) {
                    Job job = queued.take();
                    if (job == END) {
                        return;
                    }
                    try {
                        if (failure == null) {
                            aligned.clear();
                            aligned.put(job.bytes, 0, Sink.CHUNK);
                            aligned.flip();
                            if (!refused) {
                                try {
                                    writeAt(direct, aligned, job.at);
                                } catch (IOException e) {
                                    refused = true; // done again, and from now on, through the page cache
                                    aligned.rewind();
                                    writeAt(buffered, aligned, job.at);
                                }
                            } else {
                                writeAt(buffered, aligned, job.at);
                            }
                        }
                    } catch (IOException e) {
                        failure = e; // the page cache failed too (a full disk): reported to the caller
                    }
                    free.add(job.bytes);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Waits for the queued MiBs to be written, closes the direct channel, and reports a failed write. */
        void finish() throws IOException {
            try {
                if (thread != null) {
                    queued.add(END);
                    boolean interrupted = false;
                    while (true) {
                        try {
                            thread.join();
                            break;
                        } catch (InterruptedException e) {
                            interrupted = true;
                        }
                    }
                    thread = null;
                    if (interrupted) {
                        Thread.currentThread().interrupt();
                    }
                }
            } finally {
                if (direct != null) { // (written by the thread, joined above)
                    direct.close();
                }
            }
            IOException e = failure;
            if (e != null) {
                throw e;
            }
        }
    }
}
