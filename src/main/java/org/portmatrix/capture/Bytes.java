package org.portmatrix.capture;

/** Reads of fixed-size integers from byte arrays, in either byte order. */
public final class Bytes {
    private Bytes() {}

    public static int u8(byte[] b, int off) {
        return b[off] & 0xff;
    }

    public static int u16(byte[] b, int off) {
        return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
    }

    public static int u16le(byte[] b, int off) {
        return ((b[off + 1] & 0xff) << 8) | (b[off] & 0xff);
    }

    public static int i32(byte[] b, int off) {
        return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
    }

    public static int i32le(byte[] b, int off) {
        return ((b[off + 3] & 0xff) << 24) | ((b[off + 2] & 0xff) << 16) | ((b[off + 1] & 0xff) << 8) | (b[off] & 0xff);
    }

    public static long u32(byte[] b, int off) {
        return i32(b, off) & 0xffffffffL;
    }

    public static long u32le(byte[] b, int off) {
        return i32le(b, off) & 0xffffffffL;
    }

    public static long i64(byte[] b, int off) {
        return ((long) i32(b, off) << 32) | (i32(b, off + 4) & 0xffffffffL);
    }

    public static int i32(byte[] b, int off, boolean bigEndian) {
        return bigEndian ? i32(b, off) : i32le(b, off);
    }

    public static long u32(byte[] b, int off, boolean bigEndian) {
        return i32(b, off, bigEndian) & 0xffffffffL;
    }

    public static int u16(byte[] b, int off, boolean bigEndian) {
        return bigEndian ? u16(b, off) : u16le(b, off);
    }
}
