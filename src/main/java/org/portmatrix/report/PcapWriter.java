package org.portmatrix.report;

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
 *   IDB 0x00000001:          linktype u16 | reserved u16 | snaplen u32 | option if_tsresol (9) = 9 | opt_endofopt
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

    private final Path target;
    private Path temp;
    private Sink out;
    private final ByteBuffer head = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    private int pcapLinkType = -1;
    private boolean pcapng;
    private final Map<Integer, Integer> interfaces = new HashMap<>();
    private long packets;
    private boolean done;

    public PcapWriter(Path target) throws IOException {
        this.target = target;
        this.temp = newTemp();
        this.out = new Sink(temp);
    }

    private PcapWriter() {
        this.target = null;
        this.out = Sink.discarding();
    }

    /**
     * A writer whose bytes go nowhere and that leaves no file: the warm-up runs the extract's code
     * through it ({@code cli/WarmUp}), so that the JIT has compiled it when the analysis starts.
     */
    public static PcapWriter discarding() {
        return new PcapWriter();
    }

    private Path newTemp() throws IOException {
        return AtomicFile.tempBeside(target);
    }

    public long packets() {
        return packets;
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
            epb(interfaceFor(linkType), buf, off, caplen, origLen, tsNanos);
        } else {
            // One division (the quick JIT calls a runtime routine for each): floorDiv and floorMod were two.
            long sec = tsNanos / NANOS_PER_SECOND;
            long nsec = tsNanos - sec * NANOS_PER_SECOND;
            if (nsec < 0) {
                sec--;
                nsec += NANOS_PER_SECOND;
            }
            out.record((int) sec, (int) nsec, caplen, origLen, buf, off);
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

    private int interfaceFor(int linkType) throws IOException {
        Integer id = interfaces.get(linkType);
        if (id == null) {
            id = interfaces.size();
            interfaces.put(linkType, id);
            head.clear();
            int total = 32; // 8 header + 8 body + 8 if_tsresol (4 + 1 padded to 4) + 4 opt_endofopt + 4 trailer
            head.putInt(IDB).putInt(total).putShort((short) linkType).putShort((short) 0).putInt(SNAPLEN)
                    .putShort((short) IF_TSRESOL).putShort((short) 1).put(TSRESOL_NANOS).put((byte) 0).put((byte) 0).put((byte) 0)
                    .putShort((short) OPT_ENDOFOPT).putShort((short) 0).putInt(total);
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
        if (target == null) { // discarding: nothing to rewrite
            pcapng = true;
            shb();
            interfaceFor(pcapLinkType);
            return;
        }
        Path old = temp;
        temp = newTemp();
        out = new Sink(temp);
        pcapng = true;
        shb();
        int iface = interfaceFor(pcapLinkType);
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
        if (target == null) {
            throw new IllegalStateException("a discarding writer has no file to restart");
        }
        out.discard();
        Files.deleteIfExists(temp);
        temp = newTemp();
        out = new Sink(temp);
        pcapLinkType = -1;
        pcapng = false;
        interfaces.clear();
        packets = 0;
    }

    /** Finishes the file and renames it into place. An empty extract is a valid pcap with no packet. */
    public void commit() throws IOException {
        if (target == null) {
            throw new IllegalStateException("a discarding writer has no file to commit");
        }
        if (packets == 0 && !pcapng) {
            pcapHeader(1); // no packet: Ethernet, so the file is still a capture every tool opens
        }
        out.close();
        try {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
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
     * The file's bytes, gathered in a 1 MiB array that the channel writes whole. Measured reason: with
     * {@code --extract} written during the first pass, a BufferedOutputStream of 64 KiB over
     * {@code Files.newOutputStream} (three copies of each packet: its buffer, the channel's temporary
     * direct buffer, the kernel) and a {@code ByteBuffer.putInt} per header field were about 12% of the
     * packet thread's CPU samples, 8% this way; filling a direct buffer packet by packet, or writing on
     * a thread of its own, measured no better; nor did writing full MiBs with direct I/O
     * ({@code O_DIRECT}) from a thread of its own (see the README).
     */
    private static final class Sink {
        private final FileChannel channel;
        private final byte[] buf = new byte[1 << 20];
        private int n;

        /** Bytes that go nowhere ({@link PcapWriter#discarding}). */
        private Sink() {
            channel = null;
        }

        static Sink discarding() {
            return new Sink();
        }

        Sink(Path file) throws IOException {
            // The file is new and empty (AtomicFile.tempBeside): no O_TRUNC, which on ext4 sets "allocate on
            // close" (auto_da_alloc), and the close then started writing back the whole file: 60-90 ms
            // for the reference workload's 320 MB extract.
            channel = FileChannel.open(file, StandardOpenOption.WRITE);
        }

        void write(byte[] b, int off, int len) throws IOException {
            if (len > buf.length - n) {
                flush();
                if (len > buf.length) {
                    writeFully(ByteBuffer.wrap(b, off, len));
                    return;
                }
            }
            System.arraycopy(b, off, buf, n, len);
            n += len;
        }

        /** A pcap record: its header (little-endian) and frame written straight into the buffer. */
        void record(int sec, int nsec, int caplen, int origLen, byte[] b, int off) throws IOException {
            if (PCAP_RECORD_HEADER + caplen > buf.length - n) {
                flush();
                if (PCAP_RECORD_HEADER + caplen > buf.length) { // larger than any reader delivers; written as it is
                    byte[] h = new byte[PCAP_RECORD_HEADER];
                    le32(h, 0, sec);
                    le32(h, 4, nsec);
                    le32(h, 8, caplen);
                    le32(h, 12, origLen);
                    write(h, 0, PCAP_RECORD_HEADER);
                    write(b, off, caplen);
                    return;
                }
            }
            byte[] d = buf;
            int at = n;
            le32(d, at, sec);
            le32(d, at + 4, nsec);
            le32(d, at + 8, caplen);
            le32(d, at + 12, origLen);
            System.arraycopy(b, off, d, at + PCAP_RECORD_HEADER, caplen);
            n = at + PCAP_RECORD_HEADER + caplen;
        }

        void write(int b) throws IOException {
            if (n == buf.length) {
                flush();
            }
            buf[n++] = (byte) b;
        }

        private void flush() throws IOException {
            if (channel == null) {
                n = 0; // discarding
                return;
            }
            writeFully(ByteBuffer.wrap(buf, 0, n));
            n = 0;
        }

        private void writeFully(ByteBuffer b) throws IOException {
            while (b.hasRemaining()) {
                channel.write(b);
            }
        }

        void close() throws IOException {
            if (channel == null) {
                return;
            }
            try {
                flush();
            } finally {
                channel.close();
            }
        }

        /** Closes the file without writing what is buffered: it is about to be deleted. */
        void discard() throws IOException {
            n = 0;
            if (channel != null) {
                channel.close();
            }
        }
    }
}
