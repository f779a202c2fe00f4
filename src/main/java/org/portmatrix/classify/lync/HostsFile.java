package org.portmatrix.classify.lync;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.portmatrix.classify.Cidr;
import org.portmatrix.classify.ConfigException;

/**
 * A user's list of names and addresses: CSV with the columns {@code fqdn,address} (a header line
 * naming them, by these names or others, is optional: see {@link #header}; a name may have several
 * rows). Addresses must be numeric; nothing here ever asks DNS.
 */
final class HostsFile {
    /** The largest file read (it is read whole, to check its encoding): the topology XML's limit. */
    static final int MAX_BYTES = XmlTree.MAX_BYTES;

    private HostsFile() {}

    static Map<String, Set<Cidr>> read(Path file) throws ConfigException {
        return read(file, new java.util.HashMap<>());
    }

    /** {@link #read(Path)}, noting in {@code lines} the line of each name's first row (for what is said of it later). */
    static Map<String, Set<Cidr>> read(Path file, Map<String, Integer> lines) throws ConfigException {
        String name = file.toString();
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(name, 0, Files.exists(file) ? "not a regular file"
                    : Files.isSymbolicLink(file) ? "a symbolic link to nothing (its target is missing, or links loop)" : "no such file");
        }
        Map<String, Set<Cidr>> out = new LinkedHashMap<>();
        CSVFormat format = CSVFormat.DEFAULT.builder().setIgnoreSurroundingSpaces(true).setIgnoreEmptyLines(true)
                .setCommentMarker('#').get();
        String text = text(name, file);
        CSVParser p = null;
        try (Reader r = new java.io.StringReader(text)) {
            p = CSVParser.parse(r, format);
            boolean first = true;
            for (CSVRecord rec : p) {
                int line = (int) rec.getParser().getCurrentLineNumber();
                boolean firstRow = first;
                if (first && rec.size() >= 2 && (rec.get(0).equalsIgnoreCase("fqdn") || header(rec.get(0), rec.get(1)))) {
                    first = false;
                    continue; // the header
                }
                first = false;
                if (rec.size() < 2) {
                    // (Excel saves "CSV" with semicolons where the decimal separator is a comma: fr-FR, de-DE, ...)
                    throw new ConfigException(name, line, "expected two columns: fqdn,address"
                            + (rec.size() == 1 && rec.get(0).indexOf(';') >= 0 ? "; the columns are separated by ';': save it with commas" : ""));
                }
                for (int i = 2; i < rec.size(); i++) {
                    if (Cidr.parse(rec.get(i)) != null) { // a second address on the row would be lost (other columns, notes, are not read)
                        throw new ConfigException(name, line, "expected two columns: fqdn,address; column " + (i + 1) + " ('"
                                + rec.get(i) + "') is a second address (a name with several addresses takes one row each)");
                    }
                }
                String fqdn = normalize(rec.get(0));
                String addr = rec.get(1);
                Cidr c = Cidr.parse(addr);
                if (fqdn.isEmpty()) {
                    throw new ConfigException(name, line, addr.isBlank() ? "an empty row (expected fqdn,address)"
                            : "no name before the address '" + addr + "' (expected fqdn,address)");
                }
                if (c == null || c.length() != 128) { // a host address, not a prefix
                    throw new ConfigException(name, line, "'" + addr + "' is not an IPv4 or IPv6 address (for " + rec.get(0) + ")"
                            + Cidr.leadingZeroHint(addr) + (firstRow && c == null ? "; a first row is read as a header only when its first two cells are words"
                            + " without '.', ':' or '/', such as fqdn,address or Name,IPAddress" : ""));
                }
                if (TopologyImport.allAddresses(c)) { // 0.0.0.0 is how a topology says "no address": never a host's
                    throw new ConfigException(name, line, "'" + addr + "' is not a host's address (for " + rec.get(0) + ")");
                }
                out.computeIfAbsent(fqdn, k -> new LinkedHashSet<>()).add(c);
                lines.putIfAbsent(fqdn, line);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw unreadable(name, p, e instanceof java.io.UncheckedIOException u ? u.getCause() : (IOException) e);
        }
        return out;
    }

    /**
     * A first row that names its columns, whatever the names (Export-Csv writes its properties', as
     * {@code "Name","IPAddress"}): two cells that start with a letter and hold no '.', ':' or '/', so
     * neither a host's name with its domain nor an address, nor a prefix.
     */
    private static boolean header(String first, String second) {
        return word(first) && word(second);
    }

    private static boolean word(String cell) {
        return !cell.isEmpty() && Character.isLetter(cell.charAt(0)) && cell.indexOf('.') < 0 && cell.indexOf(':') < 0
                && cell.indexOf('/') < 0;
    }

    /**
     * The file as UTF-8 text, without a byte-order mark (Excel's "CSV UTF-8" and PowerShell's UTF8
     * write one; it was read as part of the first name). Text in another encoding is refused with the
     * line of its first byte that is not UTF-8.
     */
    private static String text(String name, Path file) throws ConfigException {
        byte[] b;
        try (java.io.InputStream in = Files.newInputStream(file)) {
            // Its size first: readNBytes gathers what it reads in pieces and copies them into one array at the end, twice
            // the limit in memory before the check below could say anything (a 205 MB file ran a 100 MiB heap out).
            b = Files.size(file) > MAX_BYTES ? null : in.readNBytes(MAX_BYTES + 1);
        } catch (IOException e) {
            throw ConfigException.unreadable(name, e);
        }
        if (b == null || b.length > MAX_BYTES) {
            throw new ConfigException(name, 0, "larger than " + (MAX_BYTES >> 20) + " MiB (a topology's hosts take a few thousand lines):"
                    + " not a hosts file");
        }
        if (b.length >= 2 && ((b[0] == (byte) 0xff && b[1] == (byte) 0xfe) || (b[0] == (byte) 0xfe && b[1] == (byte) 0xff))) {
            // What Windows PowerShell 5.1's Out-File and '>' write.
            throw new ConfigException(name, 1, "UTF-16 text; save it as UTF-8 (PowerShell: Out-File -Encoding utf8, or Export-Csv -Encoding UTF8)");
        }
        java.nio.CharBuffer out = TextBytes.decode(name, b, StandardCharsets.UTF_8, "not UTF-8 text (a byte that is not UTF-8;"
                + " a binary file, or text in another encoding: save it as UTF-8)");
        if (out.hasRemaining() && out.get(0) == '\uFEFF') {
            out.get();
        }
        return out.toString();
    }

    /** What stopped the read, in words, with the line it was at. */
    private static ConfigException unreadable(String name, CSVParser p, IOException e) {
        long line = p == null ? 0 : p.getCurrentLineNumber() + 1; // the parser counts the lines it has finished
        String msg = String.valueOf(e.getMessage());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^\\(startline (\\d+)\\) (.*)$").matcher(msg);
        if (m.matches()) { // Commons CSV: "(startline 3) EOF reached before encapsulated token finished"
            String what = m.group(2).startsWith("EOF reached before encapsulated token finished")
                    ? "a quoted field is not closed before the end of the file" : "malformed CSV: " + m.group(2);
            return new ConfigException(name, Integer.parseInt(m.group(1)), what);
        }
        return new ConfigException(name, (int) line, "cannot read as CSV: " + msg);
    }

    static String normalize(String fqdn) {
        String s = fqdn.trim().toLowerCase(Locale.ROOT);
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
