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
            throw new ConfigException(name, 0, Files.exists(path) ? "not a regular file" : "no such file");
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
        try (Reader r = new Bounded(new org.yaml.snakeyaml.reader.UnicodeReader(in))) {
            // The composer alone (what Yaml.compose runs), without the constructors and representers a
            // Yaml object builds and this never uses: a cold start of SnakeYAML about 20 ms shorter.
            parser = new AliasMarks(new ParserImpl(new StreamReader(r), options));
            Node node = new Composer(parser, new Resolver(), options).getSingleNode();
            if (node == null) {
                throw new ConfigException(name, 0, "empty file");
            }
            return node;
        } catch (TooLarge e) {
            throw new ConfigException(name, e.line, e.getMessage());
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 0;
            throw new ConfigException(name, line, "malformed YAML: " + oneLine(e.getProblem()));
        } catch (YAMLException e) {
            // (SnakeYAML's alias limit names no line: the alias over it is the last one the composer took)
            boolean aliases = e.getMessage() != null && e.getMessage().startsWith("Number of aliases");
            int line = aliases && parser.lastAlias != null ? parser.lastAlias.getLine() + 1 : 0;
            throw new ConfigException(name, line, aliases ? "more than " + MAX_COLLECTION_ALIASES + " aliases of lists or mappings"
                    + " (each copies the whole collection it names)" : "malformed YAML: " + oneLine(e.getMessage()));
        } catch (IOException e) {
            throw ConfigException.unreadable(name, e);
        }
    }

    /** A file over {@link #MAX_CHARS}, or a line over {@link #MAX_LINE}: refused at that line. */
    private static final class TooLarge extends RuntimeException {
        final int line;

        TooLarge(int line, String message) {
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
        private int lineLength;
        private boolean afterCr;

        Bounded(Reader in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int c = super.read();
            if (c >= 0) {
                count((char) c);
            }
            return c;
        }

        @Override
        public int read(char[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            for (int i = 0; i < n; i++) {
                count(b[off + i]);
            }
            return n;
        }

        /**
         * Characters are code points (a pair of surrogates is one); lines end as YAML's do for SnakeYAML: LF,
         * CR LF, CR, NEL, LS or PS, none of them counted in the line.
         */
        private void count(char c) {
            boolean pairEnd = Character.isLowSurrogate(c);
            if (!pairEnd && ++chars > MAX_CHARS) {
                throw new TooLarge(line, "larger than " + (MAX_CHARS >> 20) + " Mi characters (a topology or catalog is a few KB)");
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
                throw new TooLarge(line, "a line longer than " + (MAX_LINE >> 20) + " Mi characters");
            }
        }
    }

    /** The parser, remembering the start of the last alias it handed over. */
    private static final class AliasMarks implements org.yaml.snakeyaml.parser.Parser {
        private final org.yaml.snakeyaml.parser.Parser parser;
        org.yaml.snakeyaml.error.Mark lastAlias;

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
