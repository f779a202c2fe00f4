package org.portmatrix.hostile;

import java.io.InputStream;

/**
 * A SYN scan as a classic pcap stream, generated on the fly (nothing is held but one record): one
 * scanner (10.2.0.9, a client) sends one SYN to each of {@code packets} distinct (address, port)
 * pairs of a /16 of Front Ends (10.1.0.0/16), {@value #PORTS_PER_HOST} ports per address, one
 * microsecond apart. Every packet is a new flow and none is ever answered, the shape that fills a
 * flow table fastest. 10 M packets are 760 MB of pcap, streamed from one reused record.
 *
 * <pre>
 * record: 16-byte pcap record header + 60-byte frame
 *   Ethernet 14 | IPv4 20 (10.2.0.9 -> 10.1.h.l) | TCP 20 (40000 -> port, SYN) | 6 bytes of padding
 * </pre>
 */
public final class SynScan extends InputStream {
    public static final String SCANNER = "10.2.0.9";
    public static final int SCANNER_PORT = 40000;
    public static final int PORTS_PER_HOST = 1000;
    static final int FRAME = Frames.MIN_FRAME;
    static final int RECORD = PcapBytes.RECORD_HEADER + FRAME;
    /** Where the varying fields sit in a record. */
    private static final int OFF_TS_SEC = 0;
    private static final int OFF_TS_USEC = 4;
    private static final int OFF_DST = PcapBytes.RECORD_HEADER + Frames.OFF_IPV4 + 16;
    private static final int OFF_DPORT = PcapBytes.RECORD_HEADER + Frames.OFF_L4 + 2;
    private static final long START_SECONDS = 1_800_000_000L;

    private final long packets;
    private final byte[] header;
    private final byte[] record = new byte[RECORD];
    private long next;
    /** Bytes of {@link #header} (then of the current record) already handed out. */
    private int pos;
    private boolean headerDone;

    public SynScan(long packets) {
        this.packets = packets;
        this.header = new PcapBytes().bytes();
        byte[] frame = Frames.tcp(SCANNER, SCANNER_PORT, "10.1.0.0", 1, Frames.SYN, new byte[0]);
        if (frame.length != FRAME) {
            throw new IllegalStateException("frame of " + frame.length + " bytes");
        }
        le32(record, 8, FRAME);
        le32(record, 12, FRAME);
        System.arraycopy(frame, 0, record, PcapBytes.RECORD_HEADER, FRAME);
        pos = 0;
    }

    /** Total bytes of the stream. */
    public long size() {
        return header.length + packets * RECORD;
    }

    /** The responder of packet {@code i}: 10.1.h.l. */
    static int host(long i) {
        return (int) (i / PORTS_PER_HOST);
    }

    static int port(long i) {
        return 1 + (int) (i % PORTS_PER_HOST);
    }

    private void fill(long i) {
        long micros = i; // one microsecond apart
        le32(record, OFF_TS_SEC, START_SECONDS + micros / 1_000_000);
        le32(record, OFF_TS_USEC, micros % 1_000_000);
        int h = host(i);
        record[OFF_DST] = 10;
        record[OFF_DST + 1] = 1;
        record[OFF_DST + 2] = (byte) (h >>> 8);
        record[OFF_DST + 3] = (byte) h;
        int port = port(i);
        record[OFF_DPORT] = (byte) (port >>> 8);
        record[OFF_DPORT + 1] = (byte) port;
    }

    @Override
    public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        int n = 0;
        if (!headerDone) {
            int k = Math.min(len, header.length - pos);
            System.arraycopy(header, pos, b, off, k);
            pos += k;
            n += k;
            if (pos < header.length) {
                return n;
            }
            headerDone = true;
            pos = RECORD;
        }
        while (n < len) {
            if (pos == RECORD) {
                if (next == packets) {
                    break;
                }
                fill(next++);
                pos = 0;
            }
            int k = Math.min(len - n, RECORD - pos);
            System.arraycopy(record, pos, b, off + n, k);
            pos += k;
            n += k;
        }
        return n == 0 && len > 0 ? -1 : n;
    }

    private static void le32(byte[] b, int off, long v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }
}
