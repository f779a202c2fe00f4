package org.portmatrix.hostile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes pcapng bytes by hand, honest or lying, for the hostile-input tests
 * (draft-ietf-opsawg-pcapng; little-endian). Every block is
 * {@code type(4) total_length(4) body... total_length(4)}, the body padded to 32 bits.
 *
 * <pre>
 * Section Header Block 0x0A0D0D0A   body: byte-order magic 0x1A2B3C4D, major 1, minor 0, section length -1
 * Interface Description 0x00000001  body: link type (2), reserved (2), snaplen (4)
 * Enhanced Packet Block 0x00000006  body: interface id, ts high, ts low, captured len, original len, data (padded)
 * </pre>
 */
public final class PcapngBytes {
    public static final int SHB = 0x0A0D0D0A;
    public static final int IDB = 0x00000001;
    public static final int EPB = 0x00000006;
    public static final int BYTE_ORDER_MAGIC = 0x1A2B3C4D;
    /** Offset of the total-length field in every block. */
    public static final int BLOCK_LENGTH_FIELD = 4;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private long micros = 1_700_000_000_000_000L;

    /** A section header and nothing else. */
    public PcapngBytes() {
        block(SHB, new Le().u32(BYTE_ORDER_MAGIC).u16(1).u16(0).u32(0xffffffffL).u32(0xffffffffL).toArray());
    }

    public long offset() {
        return out.size();
    }

    public PcapngBytes interfaceBlock(int linkType, int snaplen) {
        return block(IDB, new Le().u16(linkType).u16(0).u32(snaplen).toArray());
    }

    /** An honest enhanced packet block on {@code iface}, 1 ms after the previous one. */
    public PcapngBytes packet(int iface, byte[] frame) {
        micros += 1000;
        Le body = new Le().u32(iface).u32(micros >>> 32).u32(micros).u32(frame.length).u32(frame.length).raw(frame);
        body.pad();
        return block(EPB, body.toArray());
    }

    /** A well-framed block of any type around {@code body} (padded to 32 bits). */
    public PcapngBytes block(int type, byte[] body) {
        int padded = (body.length + 3) & ~3;
        int total = 12 + padded;
        Le b = new Le().u32(type).u32(total).raw(body);
        b.pad();
        b.u32(total);
        return raw(b.toArray());
    }

    public PcapngBytes raw(byte[] b) {
        out.write(b, 0, b.length);
        return this;
    }

    public byte[] bytes() {
        return out.toByteArray();
    }

    public Path write(Path file) throws IOException {
        return Files.write(file, bytes());
    }

    /** A little-endian byte builder. */
    public static final class Le {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        public Le u16(int v) {
            out.write(v);
            out.write(v >>> 8);
            return this;
        }

        public Le u32(long v) {
            u16((int) v);
            return u16((int) (v >>> 16));
        }

        public Le raw(byte[] b) {
            out.write(b, 0, b.length);
            return this;
        }

        void pad() {
            while (out.size() % 4 != 0) {
                out.write(0);
            }
        }

        public byte[] toArray() {
            return out.toByteArray();
        }
    }
}
