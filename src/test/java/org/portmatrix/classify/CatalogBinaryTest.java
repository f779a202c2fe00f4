package org.portmatrix.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The built-in catalog's binary form (made by the build from catalog.yaml) is the YAML's catalog,
 * rule for rule, and a binary made from another YAML is not used.
 */
class CatalogBinaryTest {
    private static Catalog fromYaml(byte[] yaml) throws Exception {
        return Catalog.parse(Catalog.BUILT_IN_NAME, YamlFile.load(Catalog.BUILT_IN_NAME, new ByteArrayInputStream(yaml)), new Roles());
    }

    private static List<String> names(Roles r) {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < r.size(); i++) {
            l.add(r.name(i));
        }
        return l;
    }

    @Test
    void theBuildsBinaryIsTheYamlsCatalog() throws Exception {
        byte[] yaml = CatalogBinary.resource(Catalog.BUILT_IN);
        byte[] bin = CatalogBinary.resource(CatalogBinary.RESOURCE);
        assertNotNull(bin, "the build (process-classes) makes catalog.bin beside catalog.yaml");
        Catalog parsed = fromYaml(yaml);
        Roles roles = new Roles();
        Catalog read = CatalogBinary.read(bin, yaml, roles);
        assertNotNull(read, "catalog.bin was made from this catalog.yaml");
        assertEquals(parsed.rules(), read.rules());
        assertEquals(parsed.groups(), read.groups());
        assertEquals(names(parsed.roles()), names(roles));
        assertEquals(parsed.source(), read.source());
        // and it is what a run gets
        Catalog builtIn = Catalog.builtIn(new Roles());
        assertEquals(parsed.rules(), builtIn.rules());
        assertEquals(101, builtIn.rules().size());
    }

    @Test
    void aBinaryOfAnotherYamlIsNotUsed() throws Exception {
        byte[] yaml = CatalogBinary.resource(Catalog.BUILT_IN);
        Catalog c = fromYaml(yaml);
        byte[] bin = CatalogBinary.write(c, yaml);
        byte[] edited = (new String(yaml, StandardCharsets.UTF_8) + "\n# one more comment\n").getBytes(StandardCharsets.UTF_8);
        assertNull(CatalogBinary.read(bin, edited, new Roles()), "the YAML changed after the binary was made");
        byte[] flipped = yaml.clone();
        flipped[yaml.length / 2] ^= 1;
        assertNull(CatalogBinary.read(bin, flipped, new Roles()), "same length, other bytes");
        assertNull(CatalogBinary.read(new byte[] {1, 2, 3}, yaml, new Roles()), "not a catalog binary");
        assertEquals(c.rules(), CatalogBinary.read(bin, yaml, new Roles()).rules());
    }
}
