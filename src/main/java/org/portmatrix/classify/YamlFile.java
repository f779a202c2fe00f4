package org.portmatrix.classify;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * A YAML (or JSON) configuration file read with SnakeYAML's node API, which keeps the line of every
 * entry so that errors can name it.
 */
final class YamlFile {
    final String name;

    private YamlFile(String name) {
        this.name = name;
    }

    static Node load(String name, Path path) throws ConfigException {
        if (!Files.isRegularFile(path)) {
            throw new ConfigException(name, 0, Files.exists(path) ? "not a regular file"
                    : Files.isSymbolicLink(path) ? "a symbolic link to nothing (its target is missing, or links loop)" : "no such file");
        }
        try (InputStream in = Files.newInputStream(path)) {
            return load(name, in);
        } catch (IOException e) {
            throw ConfigException.unreadable(name, e);
        }
    }

    /** The most characters a YAML file may have, and one line of it. */
    static final long MAX_CHARS = 64L << 20;
    static final int MAX_LINE = 1 << 20;
    /** The most aliases of collections a file may use (each may copy a whole collection: "billion laughs"). */
    static final int MAX_COLLECTION_ALIASES = 10;

    static Node load(String name, InputStream in) throws ConfigException {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(MAX_COLLECTION_ALIASES);
        options.setCodePointLimit((int) MAX_CHARS + 1); // (Bounded below counts them, and names the line)
        AliasMarks parser = null;
        // UTF-8, or UTF-16 with its byte-order mark, as YAML allows (what Windows PowerShell 5.1's Out-File writes).
        Bounded bounded = null;
        try (Reader r = bounded = new Bounded(new TextReader(in))) {
            // The composer alone (what Yaml.compose runs), without the constructors and representers a
            // Yaml object builds and this never uses: a cold start of SnakeYAML about 20 ms shorter.
            parser = new AliasMarks(new ParserImpl(new StreamReader(r), options));
            Node node = new Composer(parser, new Resolver(), options).getSingleNode();
            if (node == null) {
                throw new ConfigException(name, 0, "empty file");
            }
            return node;
        } catch (Refused e) {
            throw new ConfigException(name, e.line, e.getMessage());
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 0;
            String problem = oneLine(e.getProblem());
            // (An IPv6 literal that starts with ':' is YAML's mapping indicator there: [::/0] stops the parser at its ':'.)
            throw new ConfigException(name, line, "malformed YAML: " + problem + (problem.endsWith("found ':'")
                    ? "; an IPv6 address that starts with ':' (::1, ::/0) must be quoted: '::/0'" : ""));
        } catch (org.yaml.snakeyaml.reader.ReaderException e) {
            // A character YAML does not allow (a NUL, a control character): SnakeYAML names its place in its
            // buffer, not its line; ours saw it go by.
            int cp = e.getCodePoint();
            throw new ConfigException(name, bounded.firstUnprintableLine, cp == 0
                    ? "a NUL character: a binary file, or text in UTF-16 or UTF-32 without a byte-order mark (save it as UTF-8)"
                    : String.format("a character YAML does not allow (U+%04X)", cp));
        } catch (YAMLException e) {
            // (SnakeYAML's alias limit names no line: the alias over it is the last one the composer took; nor does
            // its nesting limit: the collection over it is the last event the parser handed over)
            boolean aliases = e.getMessage() != null && e.getMessage().startsWith("Number of aliases");
            org.yaml.snakeyaml.error.Mark at = parser == null ? null : aliases ? parser.lastAlias : parser.lastEvent;
            int line = at != null ? at.getLine() + 1 : 0;
            throw new ConfigException(name, line, aliases ? "more than " + MAX_COLLECTION_ALIASES + " aliases of lists or mappings"
                    + " (each copies the whole collection it names)" : "malformed YAML: " + oneLine(e.getMessage()));
        } catch (IOException e) {
            throw ConfigException.unreadable(name, e);
        }
    }

    /**
     * UTF-8, or UTF-16 after its byte-order mark (what Windows PowerShell 5.1's Out-File writes), as
     * SnakeYAML's {@code UnicodeReader} reads them, but handing over the characters before a byte that is
     * not text before it fails: the JDK's stream decoder drops those it decoded in the same call, so the
     * line counted ({@link Bounded}) was the line of the call's first character, not the byte's.
     */
    private static final class TextReader extends Reader {
        private final InputStream in;
        private final java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(8192);
        private java.nio.charset.CharsetDecoder decoder;
        private boolean eof;
        private boolean flushed;
        /** A failure found after characters still to be handed over: thrown at the next read. */
        private java.nio.charset.CoderResult pending;

        TextReader(InputStream in) {
            this.in = in;
            bytes.flip();
        }

        private boolean fill() throws IOException {
            bytes.compact();
            int n = in.read(bytes.array(), bytes.position(), bytes.remaining());
            if (n > 0) {
                bytes.position(bytes.position() + n);
            }
            bytes.flip();
            return n >= 0;
        }

        /** The encoding from the byte-order mark, if any (the mark itself skipped); UTF-8 without one. */
        private void start() throws IOException {
            while (bytes.remaining() < 3 && fill()) {
                // (a mark is at most three bytes)
            }
            java.nio.charset.Charset cs = java.nio.charset.StandardCharsets.UTF_8;
            int r = bytes.remaining();
            int b0 = r > 0 ? bytes.get(0) & 0xff : -1;
            int b1 = r > 1 ? bytes.get(1) & 0xff : -1;
            if (r >= 3 && b0 == 0xef && b1 == 0xbb && (bytes.get(2) & 0xff) == 0xbf) {
                bytes.position(3);
            } else if (b0 == 0xfe && b1 == 0xff) {
                cs = java.nio.charset.StandardCharsets.UTF_16BE;
                bytes.position(2);
            } else if (b0 == 0xff && b1 == 0xfe) {
                cs = java.nio.charset.StandardCharsets.UTF_16LE;
                bytes.position(2);
            }
            decoder = cs.newDecoder().onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        }

        @Override
        public int read(char[] c, int off, int len) throws IOException {
            if (decoder == null) {
                start();
            }
            if (pending != null) {
                pending.throwException();
            }
            if (len == 0) {
                return 0;
            }
            java.nio.CharBuffer out = java.nio.CharBuffer.wrap(c, off, len);
            while (out.position() == off) {
                if (flushed) {
                    return -1;
                }
                java.nio.charset.CoderResult cr = decoder.decode(bytes, out, eof);
                if (cr.isError()) {
                    if (out.position() > off) {
                        pending = cr;
                        break;
                    }
                    cr.throwException();
                }
                if (cr.isOverflow()) {
                    break;
                }
                if (eof) {
                    decoder.flush(out);
                    flushed = true;
                } else if (out.position() == off && !fill()) {
                    eof = true;
                }
            }
            return out.position() - off;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /**
     * A file over {@link #MAX_CHARS}, a line over {@link #MAX_LINE}, or bytes that are not text in the
     * file's encoding: refused at that line.
     */
    private static final class Refused extends RuntimeException {
        final int line;

        Refused(int line, String message) {
            super(message, null, false, false);
            this.line = line;
        }
    }

    /**
     * Counts what SnakeYAML reads, and refuses a file or a line over the limits at the line where it
     * passes them. Measured reason: SnakeYAML's reader copies its whole buffer for every 1,024
     * characters of one token (a comment, a scalar), so one line of 8 MiB took 27 s and 1 GB, and one of
     * 64 MiB more than 11 minutes and 6 GB; its own size limit is looked at between tokens only, so
     * 65 MiB of comments at a file's end went through. A line of 1 MiB takes under a second.
     */
    private static final class Bounded extends java.io.FilterReader {
        private long chars;
        private int line = 1;
        /** The line of the first character YAML does not allow (SnakeYAML's StreamReader.isPrintable), or 0. */
        int firstUnprintableLine;
        private int lineLength;
        private boolean afterCr;

        Bounded(Reader in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int c;
            try {
                c = super.read();
            } catch (java.nio.charset.CharacterCodingException e) {
                throw notText();
            }
            if (c >= 0) {
                count((char) c);
            }
            return c;
        }

        @Override
        public int read(char[] b, int off, int len) throws IOException {
            int n;
            try {
                n = super.read(b, off, len);
            } catch (java.nio.charset.CharacterCodingException e) {
                throw notText();
            }
            for (int i = 0; i < n; i++) {
                count(b[off + i]);
            }
            return n;
        }

        /**
         * The decoder hands over the characters before a byte it cannot decode, then fails: the line counted
         * so far is that byte's. (SnakeYAML had named the JDK's exception, and no line.)
         */
        private Refused notText() {
            return new Refused(line, "not UTF-8 text (a byte that is not UTF-8, or not UTF-16 after a UTF-16 byte-order mark;"
                    + " a binary file, or text in another encoding: save it as UTF-8)");
        }

        /**
         * Characters are code points (a pair of surrogates is one); lines end as YAML's do for SnakeYAML: LF,
         * CR LF, CR, NEL, LS or PS, none of them counted in the line.
         */
        private void count(char c) {
            if (firstUnprintableLine == 0 && ((c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                    || (c >= 0x7f && c <= 0x9f && c != 0x85) || c == 0xfffe || c == 0xffff)) {
                firstUnprintableLine = line;
            }
            boolean pairEnd = Character.isLowSurrogate(c);
            if (!pairEnd && ++chars > MAX_CHARS) {
                throw new Refused(line, "larger than " + (MAX_CHARS >> 20) + " Mi characters (a topology or catalog is a few KB)");
            }
            boolean lf = c == '\n';
            if (lf && afterCr) {
                afterCr = false; // the LF of a CR LF: the line ended at the CR
                return;
            }
            afterCr = c == '\r';
            if (lf || afterCr || c == '\u0085' || c == '\u2028' || c == '\u2029') {
                line++;
                lineLength = 0;
            } else if (!pairEnd && ++lineLength > MAX_LINE) {
                throw new Refused(line, "a line longer than " + (MAX_LINE >> 20) + " Mi characters");
            }
        }
    }

    /** The parser, remembering the start of the last alias, and of the last event, it handed over. */
    private static final class AliasMarks implements org.yaml.snakeyaml.parser.Parser {
        private final org.yaml.snakeyaml.parser.Parser parser;
        org.yaml.snakeyaml.error.Mark lastAlias;
        org.yaml.snakeyaml.error.Mark lastEvent;

        AliasMarks(org.yaml.snakeyaml.parser.Parser parser) {
            this.parser = parser;
        }

        @Override
        public boolean checkEvent(org.yaml.snakeyaml.events.Event.ID choice) {
            return parser.checkEvent(choice);
        }

        @Override
        public org.yaml.snakeyaml.events.Event peekEvent() {
            return parser.peekEvent();
        }

        @Override
        public org.yaml.snakeyaml.events.Event getEvent() {
            org.yaml.snakeyaml.events.Event e = parser.getEvent();
            lastEvent = e.getStartMark();
            if (e instanceof org.yaml.snakeyaml.events.AliasEvent) {
                lastAlias = e.getStartMark();
            }
            return e;
        }
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }

    static int line(Node n) {
        return n.getStartMark() == null ? 0 : n.getStartMark().getLine() + 1;
    }

    static Map<String, Node> mapping(String file, Node n, String what) throws ConfigException {
        if (!(n instanceof MappingNode m)) {
            throw new ConfigException(file, line(n), what + " must be a mapping");
        }
        Map<String, Node> out = new LinkedHashMap<>();
        for (NodeTuple t : m.getValue()) {
            String key = scalar(file, t.getKeyNode(), "a key of " + what);
            // SnakeYAML's composer keeps both of two equal keys (its check is in the constructor, not used here):
            // the second would silently replace the first, a role's addresses or a rule's port among them.
            if (out.put(key, t.getValueNode()) != null) {
                throw new ConfigException(file, line(t.getKeyNode()), "duplicate key '" + key + "' in " + what);
            }
        }
        return out;
    }

    static List<Node> sequence(String file, Node n, String what) throws ConfigException {
        if (n instanceof SequenceNode s) {
            return s.getValue();
        }
        if (n instanceof ScalarNode) {
            return List.of(n);
        }
        throw new ConfigException(file, line(n), what + " must be a list");
    }

    static String scalar(String file, Node n, String what) throws ConfigException {
        if (!(n instanceof ScalarNode s)) {
            throw new ConfigException(file, line(n), what + " must be a single value");
        }
        return s.getValue();
    }

    static List<String> scalars(String file, Node n, String what) throws ConfigException {
        List<String> out = new ArrayList<>();
        for (Node e : sequence(file, n, what)) {
            out.add(scalar(file, e, "an entry of " + what));
        }
        return out;
    }
}
