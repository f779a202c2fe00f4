package org.portmatrix.capture;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** Opens a capture file of any supported format, by its magic number. */
public final class Captures {
    private static final int GZIP_MAGIC = 0x1f8b;

    private Captures() {}

    public static PacketSource open(Path path) throws IOException {
        String name = path.toString();
        if (!Files.exists(path)) {
            throw new CaptureFormatException(name + ": no such file");
        }
        if (Files.isDirectory(path)) {
            throw new CaptureFormatException(name + ": is a directory");
        }
        if (!Files.isReadable(path)) {
            throw new CaptureFormatException(name + ": not readable (permission denied)");
        }
        long size = Files.size(path);
        InputStream raw;
        try {
            raw = Files.newInputStream(path);
        } catch (NoSuchFileException e) {
            throw new CaptureFormatException(name + ": no such file");
        }
        return open(name, raw, size);
    }

    /** Opens a stream (a file's or standard input's); detects gzip and the capture format. */
    public static PacketSource open(String name, InputStream raw, long size) throws IOException {
        BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
        in.mark(4);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        if (b0 < 0) {
            in.close();
            throw new CaptureFormatException(name, 0, "empty file");
        }
        if (((b0 << 8) | b1) == GZIP_MAGIC) {
            InputStream gz;
            try {
                gz = new GZIPInputStream(in, 1 << 16);
            } catch (IOException e) {
                in.close();
                throw new CaptureFormatException(name, 0, "damaged gzip header: " + e.getMessage());
            }
            return open(name, new GuardedStream(name, gz), -1);
        }
        return new PcapReader(name, in, size);
    }
}
