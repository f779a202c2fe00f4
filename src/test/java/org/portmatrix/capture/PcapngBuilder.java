package org.portmatrix.capture;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Writes pcapng blocks byte by byte for tests, in either byte order, so that each test can state
 * exactly which field it damages. Lengths are computed unless a test overrides them.
 */
final class PcapngBuilder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private ByteOrder order;

    PcapngBuilder(ByteOrder order) {
        this.order = order;
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    int size() {
        return out.size();
    }

    private ByteBuffer buf(int n) {
        return ByteBuffer.allocate(n).order(order);
    }

    /** A block: type, total length, body padded to 4, total length again. */
    PcapngBuilder block(int type, byte[] body) {
        int padded = (body.length + 3) & ~3;
        int len = 12 + padded;
        return rawBlock(type, len, body, len);
    }

    /** A block with the two length fields given as they are (for damaged blocks). */
    PcapngBuilder rawBlock(int type, int leadingLength, byte[] body, int trailingLength) {
        int padded = (body.length + 3) & ~3;
        ByteBuffer b = buf(12 + padded);
        b.putInt(type).putInt(leadingLength).put(body);
        b.position(8 + padded);
        b.putInt(trailingLength);
        out.writeBytes(b.array());
        return this;
    }

    /** Section header block; switches this builder to {@code order}. */
    PcapngBuilder section(ByteOrder order) {
        this.order = order;
        ByteBuffer b = buf(16);
        b.putInt(PcapngReader.BYTE_ORDER_MAGIC).putShort((short) 1).putShort((short) 0).putLong(-1L);
        return block(PcapngReader.BLOCK_SHB, b.array());
    }

    /** Interface description block with optional if_tsresol (negative: none) and if_tsoffset. */
    PcapngBuilder iface(int linkType, int snaplen, int tsresol, long tsoffsetSeconds) {
        ByteBuffer b = buf(8 + 8 + 12 + 4);
        b.putShort((short) linkType).putShort((short) 0).putInt(snaplen);
        if (tsresol >= 0) {
            b.putShort((short) PcapngReader.OPT_IF_TSRESOL).putShort((short) 1).put((byte) tsresol).put(new byte[3]);
        }
        if (tsoffsetSeconds != 0) {
            b.putShort((short) PcapngReader.OPT_IF_TSOFFSET).putShort((short) 8).putLong(tsoffsetSeconds);
        }
        b.putShort((short) 0).putShort((short) 0); // opt_endofopt
        byte[] body = new byte[b.position()];
        System.arraycopy(b.array(), 0, body, 0, body.length);
        return block(PcapngReader.BLOCK_IDB, body);
    }

    PcapngBuilder iface(int linkType) {
        return iface(linkType, 65535, -1, 0);
    }

    /** Enhanced packet block. */
    PcapngBuilder epb(int ifId, long ts, byte[] data, int origLen) {
        return epb(ifId, ts, data, data.length, origLen);
    }

    PcapngBuilder epb(int ifId, long ts, byte[] data, int caplenField, int origLen) {
        ByteBuffer b = buf(20 + ((data.length + 3) & ~3));
        b.putInt(ifId).putInt((int) (ts >>> 32)).putInt((int) ts).putInt(caplenField).putInt(origLen).put(data);
        return block(PcapngReader.BLOCK_EPB, b.array());
    }

    /** Obsolete packet block (16-bit interface id and drop count). */
    PcapngBuilder opb(int ifId, long ts, byte[] data) {
        ByteBuffer b = buf(20 + ((data.length + 3) & ~3));
        b.putShort((short) ifId).putShort((short) 0).putInt((int) (ts >>> 32)).putInt((int) ts).putInt(data.length)
                .putInt(data.length).put(data);
        return block(PcapngReader.BLOCK_OPB, b.array());
    }

    /** Simple packet block: original length and data only. */
    PcapngBuilder spb(byte[] data, int origLen) {
        ByteBuffer b = buf(4 + ((data.length + 3) & ~3));
        b.putInt(origLen).put(data);
        return block(PcapngReader.BLOCK_SPB, b.array());
    }

    /** Any other block type (name resolution 4, statistics 5, custom 0xBAD, ...). */
    PcapngBuilder other(int type, int bodyLength) {
        return block(type, new byte[bodyLength]);
    }
}
