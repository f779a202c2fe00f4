package org.portmatrix.classify.lync;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.stream.Location;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.portmatrix.classify.ConfigException;

/**
 * A small element tree read with the JDK's StAX parser, keeping the line of every element so that
 * errors can name it. XXE-safe: DTDs and external entities are switched off, and a document that
 * carries a DOCTYPE at all is refused (a topology never has one).
 */
final class XmlTree {
    private XmlTree() {}

    /** One element: its local name and namespace, attributes by local name, children, line. */
    static final class Element {
        final String name;
        final String namespace;
        final Map<String, String> attributes;
        final List<Element> children = new ArrayList<>();
        final int line;
        final Element parent;
        private final StringBuilder text = new StringBuilder();

        Element(String name, String namespace, Map<String, String> attributes, int line, Element parent) {
            this.name = name;
            this.namespace = namespace;
            this.attributes = attributes;
            this.line = line;
            this.parent = parent;
        }

        String attr(String local) {
            return attributes.get(local);
        }

        String text() {
            return text.toString().trim();
        }

        Element child(String local) {
            for (Element c : children) {
                if (c.name.equals(local)) {
                    return c;
                }
            }
            return null;
        }

        List<Element> children(String local) {
            List<Element> out = new ArrayList<>();
            for (Element c : children) {
                if (c.name.equals(local)) {
                    out.add(c);
                }
            }
            return out;
        }

        /** Every descendant (not this element) with this local name, in document order. */
        List<Element> descendants(String local) {
            List<Element> out = new ArrayList<>();
            collect(this, local, out);
            return out;
        }

        private static void collect(Element e, String local, List<Element> out) {
            for (Element c : e.children) {
                if (c.name.equals(local)) {
                    out.add(c);
                }
                collect(c, local, out);
            }
        }

        /** True when an ancestor (or this element) has this local name. */
        boolean within(String local) {
            for (Element e = this; e != null; e = e.parent) {
                if (e.name.equals(local)) {
                    return true;
                }
            }
            return false;
        }
    }

    static XMLInputFactory secureFactory() {
        XMLInputFactory f = XMLInputFactory.newFactory();
        f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        f.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, false);
        f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, true);
        f.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        f.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
        return f;
    }

    static Element parse(Path file) throws ConfigException {
        String name = file.toString();
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(name, 0, Files.exists(file) ? "not a regular file"
                    : Files.isSymbolicLink(file) ? "a symbolic link to nothing (its target is missing, or links loop)" : "no such file");
        }
        try (InputStream in = Files.newInputStream(file)) {
            if (Files.size(file) > MAX_BYTES) { // (said before reading: readNBytes holds twice the limit before parse can check)
                throw tooLarge(name);
            }
            return parse(name, in);
        } catch (IOException e) {
            throw ConfigException.unreadable(name, e);
        }
    }

    /** The largest file read: it is read whole, to check its encoding before the parser does (decode). */
    static final int MAX_BYTES = 64 << 20;

    /** Nesting accepted: a published topology nests 6 levels, Topology Builder's files a few more. */
    static final int MAX_DEPTH = 256;

    private static ConfigException tooLarge(String name) {
        return new ConfigException(name, 0, "larger than " + (MAX_BYTES >> 20) + " MiB (a published topology is a few MB): not a topology");
    }

    static Element parse(String name, InputStream stream) throws ConfigException {
        byte[] bytes;
        try {
            bytes = stream.readNBytes(MAX_BYTES + 1);
        } catch (IOException e) {
            throw ConfigException.unreadable(name, e);
        }
        if (bytes.length > MAX_BYTES) {
            throw tooLarge(name);
        }
        java.nio.CharBuffer chars = decode(name, bytes);
        XMLStreamReader r = null;
        try {
            // After a byte-order mark, the characters (a Reader: the declaration's encoding, often "utf-8" in a
            // UTF-16 file that Windows PowerShell 5.1's Out-File wrote, is not applied); else the bytes, by the XML rules.
            r = chars != null ? secureFactory().createXMLStreamReader(new java.io.CharArrayReader(chars.array(), chars.position(), chars.remaining()))
                    : secureFactory().createXMLStreamReader(new java.io.ByteArrayInputStream(bytes));
            Deque<Element> stack = new ArrayDeque<>();
            Element root = null;
            while (r.hasNext()) {
                int ev = r.next();
                switch (ev) {
                    case XMLStreamConstants.DTD -> throw new ConfigException(name, line(r),
                            "a DOCTYPE is not allowed in a topology file (DTDs and entities are refused)");
                    case XMLStreamConstants.ENTITY_REFERENCE -> throw new ConfigException(name, line(r),
                            "entity reference '&" + r.getLocalName() + ";' is not allowed");
                    case XMLStreamConstants.START_ELEMENT -> {
                        if (stack.size() >= MAX_DEPTH) { // the tree's walks recurse: thousands of levels would overflow the stack
                            throw new ConfigException(name, line(r), "elements nested more than " + MAX_DEPTH
                                    + " levels deep (a Lync topology nests fewer than ten): not a topology");
                        }
                        Map<String, String> attrs = new LinkedHashMap<>();
                        for (int i = 0; i < r.getAttributeCount(); i++) {
                            attrs.put(r.getAttributeLocalName(i), r.getAttributeValue(i));
                        }
                        Element parent = stack.peek();
                        String ns = r.getNamespaceURI();
                        Element e = new Element(r.getLocalName(), ns == null ? "" : ns, attrs, line(r), parent);
                        if (parent == null) {
                            root = e;
                        } else {
                            parent.children.add(e);
                        }
                        stack.push(e);
                    }
                    case XMLStreamConstants.END_ELEMENT -> stack.pop();
                    case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA -> {
                        if (!stack.isEmpty()) {
                            stack.peek().text.append(r.getText());
                        }
                    }
                    default -> { }
                }
            }
            if (root == null) {
                throw new ConfigException(name, 0, "no XML element in the file");
            }
            return root;
        } catch (XMLStreamException e) {
            Location loc = e.getLocation();
            String msg = e.getMessage() == null ? "malformed XML" : e.getMessage();
            int nl = msg.indexOf("\nMessage: "); // the JDK prefixes "ParseError at [row,col]:..."
            if (nl >= 0) {
                msg = msg.substring(nl + "\nMessage: ".length());
            }
            msg = namespaceMessage(msg);
            throw new ConfigException(name, loc == null ? 0 : loc.getLineNumber(), "malformed XML: " + msg.replaceAll("\\s+", " ").trim());
        } finally {
            if (r != null) {
                try {
                    r.close();
                } catch (XMLStreamException ignored) {
                    // closing a reader of a stream we close anyway
                }
            }
        }
    }

    /**
     * The document's characters when a byte-order mark decides its encoding (UTF-16 of either order, or
     * UTF-8), the mark left out; null when the parser is to read the bytes by the XML rules (no mark: UTF-8,
     * or the encoding the declaration names). The mark decides over the declaration: Windows PowerShell
     * 5.1's {@code Out-File} writes {@code (Get-CsTopology -AsXml).ToString()} as UTF-16 with its mark and
     * keeps the declaration's {@code encoding="utf-8"}, which the parser, given the bytes, applied
     * ("Content is not allowed in prolog").
     *
     * <p>A file that is UTF-8 by these rules, or UTF-16 after its mark, but has a sequence that is not, is
     * refused at its line, as the hosts file is. The JDK's parser finds it too, but its scanner also prints
     * "[Fatal Error] :-1:-1: Invalid byte 1 of 1-byte UTF-8 sequence." to stderr itself (its default error
     * handler, which a StAX reporter does not replace), a second line.
     */
    private static java.nio.CharBuffer decode(String name, byte[] b) throws ConfigException {
        if (b.length >= 2 && ((b[0] == (byte) 0xfe && b[1] == (byte) 0xff) || (b[0] == (byte) 0xff && b[1] == (byte) 0xfe))) {
            // UTF_16 reads the mark for the byte order and drops it.
            return TextBytes.decode(name, b, StandardCharsets.UTF_16,
                    "not UTF-16 text after its UTF-16 byte-order mark (cut short, or a lone surrogate): save it again as UTF-8");
        }
        if (b.length >= 3 && b[0] == (byte) 0xef && b[1] == (byte) 0xbb && b[2] == (byte) 0xbf) {
            java.nio.CharBuffer out = TextBytes.decode(name, b, StandardCharsets.UTF_8,
                    "not UTF-8 text after its UTF-8 byte-order mark (a byte that is not UTF-8: save it again as UTF-8)");
            out.get(); // the mark
            return out;
        }
        if (b.length >= 2 && ((b[0] == 0 && b[1] == '<') || (b[0] == '<' && b[1] == 0))) {
            return null; // UTF-16 without a mark: the parser's to tell
        }
        String head = new String(b, 0, Math.min(b.length, 256), StandardCharsets.ISO_8859_1);
        java.util.regex.Matcher m = DECLARED_ENCODING.matcher(head);
        if (m.find() && !m.group(1).replace("-", "").equalsIgnoreCase("utf8")) {
            return null; // another encoding, named
        }
        TextBytes.decode(name, b, StandardCharsets.UTF_8, "not UTF-8 text (a byte that is not UTF-8; a binary file, or text in another"
                + " encoding: save it as UTF-8, or name its encoding in the XML declaration)");
        return null;
    }

    private static final java.util.regex.Pattern DECLARED_ENCODING =
            java.util.regex.Pattern.compile("^<\\?xml[^>]*?encoding\\s*=\\s*[\"']([^\"']+)[\"']");

    /**
     * The JDK's namespace-aware scanner gives some problems as the key of a message it does not have, e.g.
     * "http://www.w3.org/TR/1999/REC-xml-names-19990114#AttributeNotUnique?Machine&amp;Fqdn": said in words.
     */
    static String namespaceMessage(String msg) {
        String prefix = "http://www.w3.org/TR/1999/REC-xml-names-19990114#";
        if (!msg.startsWith(prefix)) {
            return msg;
        }
        String rest = msg.substring(prefix.length());
        int q = rest.indexOf('?');
        String key = q < 0 ? rest : rest.substring(0, q);
        String[] args = q < 0 ? new String[0] : rest.substring(q + 1).split("&");
        if (key.equals("AttributeNotUnique") && args.length == 2) {
            return "element <" + args[0] + "> has the attribute " + args[1] + " twice";
        }
        if ((key.equals("ElementPrefixUnbound") || key.equals("AttributePrefixUnbound")) && args.length >= 2) {
            return "the prefix " + args[0] + " of " + args[args.length - 1] + " names no namespace (no xmlns:" + args[0] + ")";
        }
        return key + (args.length > 0 ? " (" + String.join(", ", args) + ")" : "");
    }

    private static int line(XMLStreamReader r) {
        Location l = r.getLocation();
        return l == null ? 0 : Math.max(0, l.getLineNumber());
    }
}
