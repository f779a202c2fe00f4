package org.portmatrix.classify;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The built-in catalog, parsed at build time into a compact binary resource ({@code catalog.bin},
 * made from {@code catalog.yaml} by {@link #main} in Maven's process-classes phase) that a run
 * reads in 25-40 ms, cold (checking it against the YAML included). The YAML stays the catalog's source: the binary carries the CRC-32
 * and length of the YAML it was made from, and a binary that does not match the YAML beside it is
 * ignored (the YAML is parsed instead).
 *
 * <p>Measured reason: parsing the 62 KB YAML with SnakeYAML, cold at start-up, took about 70 ms on
 * top of SnakeYAML's own start (reference workload, 2 cores), and every run waited for it: 5% of
 * the whole analysis of the 2 GB reference workload, most of the sample's.
 */
public final class CatalogBinary {
    static final String RESOURCE = "catalog.bin";
    private static final int MAGIC = 0x504d4331; // "PMC1"

    private CatalogBinary() {}

    /** Build step: {@code CatalogBinary catalog.yaml catalog.bin}. */
    public static void main(String[] args) throws Exception {
        byte[] yaml = Files.readAllBytes(Path.of(args[0]));
        Catalog c = Catalog.parse(Catalog.BUILT_IN_NAME, YamlFile.load(Catalog.BUILT_IN_NAME, new ByteArrayInputStream(yaml)), new Roles());
        Files.write(Path.of(args[1]), write(c, yaml));
    }

    static byte[] write(Catalog c, byte[] yaml) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(MAGIC);
        out.writeInt(yaml.length);
        out.writeLong(crc(yaml));
        Roles roles = c.roles();
        out.writeInt(roles.size());
        for (int i = 0; i < roles.size(); i++) {
            out.writeUTF(roles.name(i));
        }
        out.writeInt(c.groups().size());
        for (Map.Entry<String, List<String>> g : c.groups().entrySet()) {
            out.writeUTF(g.getKey());
            strings(out, g.getValue());
        }
        out.writeInt(c.rules().size());
        for (Rule r : c.rules()) {
            out.writeInt(r.index());
            out.writeUTF(r.id());
            strings(out, r.srcRoles());
            out.writeLong(r.srcMask());
            out.writeBoolean(r.srcAny());
            strings(out, r.dstRoles());
            out.writeLong(r.dstMask());
            out.writeBoolean(r.dstAny());
            out.writeInt(r.transport());
            out.writeInt(r.portMin());
            out.writeInt(r.portMax());
            out.writeUTF(r.protocol().name());
            nullable(out, r.service());
            nullable(out, r.note());
            nullable(out, r.reading());
            out.writeInt(r.citations().size());
            for (Citation ci : r.citations()) {
                out.writeUTF(ci.document());
                out.writeUTF(ci.table());
                out.writeInt(ci.row());
            }
            out.writeInt(r.line());
        }
        out.flush();
        return bytes.toByteArray();
    }

    /**
     * The catalog in {@code bin}, with its roles added to {@code roles}; null when {@code bin} was
     * not made from {@code yaml} (or is not a catalog binary at all).
     */
    static Catalog read(byte[] bin, byte[] yaml, Roles roles) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bin));
        if (bin.length < 16 || in.readInt() != MAGIC || in.readInt() != yaml.length || in.readLong() != crc(yaml)) {
            return null;
        }
        int nRoles = in.readInt();
        for (int i = 0; i < nRoles; i++) {
            if (roles.add(in.readUTF()) != i) {
                return null; // a vocabulary that does not start as the binary's did
            }
        }
        int nGroups = in.readInt();
        Map<String, List<String>> groups = new LinkedHashMap<>();
        for (int i = 0; i < nGroups; i++) {
            String name = in.readUTF();
            groups.put(name, strings(in));
        }
        int nRules = in.readInt();
        List<Rule> rules = new ArrayList<>(nRules);
        for (int i = 0; i < nRules; i++) {
            int index = in.readInt();
            String id = in.readUTF();
            List<String> src = strings(in);
            long srcMask = in.readLong();
            boolean srcAny = in.readBoolean();
            List<String> dst = strings(in);
            long dstMask = in.readLong();
            boolean dstAny = in.readBoolean();
            int transport = in.readInt();
            int portMin = in.readInt();
            int portMax = in.readInt();
            RuleProtocol protocol = RuleProtocol.valueOf(in.readUTF());
            String service = nullable(in);
            String note = nullable(in);
            String reading = nullable(in);
            int nCites = in.readInt();
            List<Citation> cites = new ArrayList<>(nCites);
            for (int k = 0; k < nCites; k++) {
                cites.add(new Citation(in.readUTF(), in.readUTF(), in.readInt()));
            }
            rules.add(new Rule(index, id, src, srcMask, srcAny, dst, dstMask, dstAny, transport, portMin, portMax, protocol,
                    service, note, reading, List.copyOf(cites), in.readInt()));
        }
        return Catalog.of(Catalog.BUILT_IN_NAME, roles, rules, groups);
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = CatalogBinary.class.getResourceAsStream(name)) {
            return in == null ? null : in.readAllBytes();
        }
    }

    private static long crc(byte[] b) {
        CRC32 c = new CRC32();
        c.update(b);
        return c.getValue();
    }

    private static void strings(DataOutputStream out, List<String> l) throws IOException {
        out.writeInt(l.size());
        for (String s : l) {
            out.writeUTF(s);
        }
    }

    private static List<String> strings(DataInputStream in) throws IOException {
        int n = in.readInt();
        List<String> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            l.add(in.readUTF());
        }
        return List.copyOf(l);
    }

    private static void nullable(DataOutputStream out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            out.writeUTF(s);
        }
    }

    private static String nullable(DataInputStream in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }
}
