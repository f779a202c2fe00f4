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
            throw new ConfigException(name, 0, "cannot read: " + e.getMessage());
        }
    }

    static Node load(String name, InputStream in) throws ConfigException {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(10);
        options.setCodePointLimit(64 << 20);
        // UTF-8, or UTF-16 with its byte-order mark, as YAML allows (what Windows PowerShell 5.1's Out-File writes).
        try (Reader r = new org.yaml.snakeyaml.reader.UnicodeReader(in)) {
            // The composer alone (what Yaml.compose runs), without the constructors and representers a
            // Yaml object builds and this never uses: a cold start of SnakeYAML about 20 ms shorter.
            Node node = new Composer(new ParserImpl(new StreamReader(r), options), new Resolver(), options).getSingleNode();
            if (node == null) {
                throw new ConfigException(name, 0, "empty file");
            }
            return node;
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 0;
            throw new ConfigException(name, line, "malformed YAML: " + oneLine(e.getProblem()));
        } catch (YAMLException e) {
            throw new ConfigException(name, 0, "malformed YAML: " + oneLine(e.getMessage()));
        } catch (IOException e) {
            throw new ConfigException(name, 0, "cannot read: " + e.getMessage());
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
