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
 * naming them is optional; a name may have several rows). Addresses must be numeric; nothing here
 * ever asks DNS.
 */
final class HostsFile {
    private HostsFile() {}

    static Map<String, Set<Cidr>> read(Path file) throws ConfigException {
        String name = file.toString();
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(name, 0, Files.exists(file) ? "not a regular file" : "no such file");
        }
        Map<String, Set<Cidr>> out = new LinkedHashMap<>();
        CSVFormat format = CSVFormat.DEFAULT.builder().setIgnoreSurroundingSpaces(true).setIgnoreEmptyLines(true)
                .setCommentMarker('#').get();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8); CSVParser p = CSVParser.parse(r, format)) {
            boolean first = true;
            for (CSVRecord rec : p) {
                int line = (int) rec.getParser().getCurrentLineNumber();
                if (first && rec.size() >= 2 && rec.get(0).equalsIgnoreCase("fqdn")) {
                    first = false;
                    continue; // the header
                }
                first = false;
                if (rec.size() < 2) {
                    throw new ConfigException(name, line, "expected two columns: fqdn,address");
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
                if (fqdn.isEmpty() || c == null || c.length() != 128) { // a host address, not a prefix
                    throw new ConfigException(name, line, "'" + addr + "' is not an IPv4 or IPv6 address (for " + rec.get(0) + ")");
                }
                if (TopologyImport.allAddresses(c)) { // 0.0.0.0 is how a topology says "no address": never a host's
                    throw new ConfigException(name, line, "'" + addr + "' is not a host's address (for " + rec.get(0) + ")");
                }
                out.computeIfAbsent(fqdn, k -> new LinkedHashSet<>()).add(c);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new ConfigException(name, 0, "cannot read as CSV: " + e.getMessage());
        }
        return out;
    }

    static String normalize(String fqdn) {
        String s = fqdn.trim().toLowerCase(Locale.ROOT);
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
