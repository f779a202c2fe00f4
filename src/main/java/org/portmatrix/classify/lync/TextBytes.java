package org.portmatrix.classify.lync;

import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CoderResult;
import org.portmatrix.classify.ConfigException;

/** A configuration file's bytes as text, refused at the line of the first sequence that is not text (hosts file, topology XML). */
final class TextBytes {
    private TextBytes() {}

    /**
     * {@code b} decoded in {@code cs} (flipped, ready to read); a sequence that is not text in it is refused with
     * its line (ended by LF, CR LF or CR) and {@code what}.
     */
    static CharBuffer decode(String name, byte[] b, Charset cs, String what) throws ConfigException {
        CharBuffer out = CharBuffer.allocate(b.length);
        CoderResult cr = cs.newDecoder().decode(java.nio.ByteBuffer.wrap(b), out, true);
        if (cr.isError()) {
            int line = 1;
            for (int i = 0; i < out.position(); i++) {
                char c = out.get(i);
                line += c == '\n' || (c == '\r' && (i + 1 >= out.position() || out.get(i + 1) != '\n')) ? 1 : 0;
            }
            throw new ConfigException(name, line, what);
        }
        return out.flip();
    }
}
