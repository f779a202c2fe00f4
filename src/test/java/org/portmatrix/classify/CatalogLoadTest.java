package org.portmatrix.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CatalogLoadTest {
    @TempDir
    Path dir;

    private static final String GOOD_RULE = """
              - id: fe-sip-mtls-5061
                src: [director]
                dst: [front-end]
                transport: tcp
                port: 5061
                protocol: mtls
            """;

    private Catalog load(String yaml) throws IOException, ConfigException {
        Path f = dir.resolve("my-catalog.yaml");
        Files.writeString(f, yaml);
        return Catalog.load(f, new Roles());
    }

    private ConfigException refused(String yaml) {
        return assertThrows(ConfigException.class, () -> load(yaml));
    }

    @Test
    void loadsAUserCatalogWithItsOwnRoles() throws Exception {
        Catalog c = load("roles: [sql-backend]\nrules:\n" + GOOD_RULE + """
                  - id: sql-1433
                    src: [front-end]
                    dst: [sql-backend]
                    transport: tcp
                    port: 1433
                    protocol: tcp
                """);
        assertEquals(2, c.rules().size());
        assertEquals(List.of("sql-backend"), c.rules().get(1).dstRoles());
    }

    @Test
    void rejectsPortOutOfRangeWithLine() {
        ConfigException e = refused("rules:\n" + GOOD_RULE.replace("port: 5061", "port: 70000"));
        assertTrue(e.getMessage().contains("my-catalog.yaml:6"), e.getMessage());
        assertTrue(e.getMessage().contains("out of range"), e.getMessage());
    }

    @Test
    void rejectsReversedRange() {
        ConfigException e = refused("rules:\n" + GOOD_RULE.replace("port: 5061", "port: 6000-5000"));
        assertTrue(e.getMessage().contains("out of range"), e.getMessage());
    }

    @Test
    void rejectsUnknownProtocolWithLine() {
        ConfigException e = refused("rules:\n" + GOOD_RULE.replace("protocol: mtls", "protocol: quic"));
        assertTrue(e.getMessage().contains("my-catalog.yaml:7"), e.getMessage());
        assertTrue(e.getMessage().contains("unknown protocol 'quic'"), e.getMessage());
    }

    @Test
    void rejectsUnknownRoleInRuleWithLine() {
        ConfigException e = refused("rules:\n" + GOOD_RULE.replace("src: [director]", "src: [directr]"));
        assertTrue(e.getMessage().contains(":3"), e.getMessage());
        assertTrue(e.getMessage().contains("unknown role 'directr'"), e.getMessage());
    }

    @Test
    void rejectsDuplicateIds() {
        ConfigException e = refused("rules:\n" + GOOD_RULE + GOOD_RULE);
        assertTrue(e.getMessage().contains("duplicate rule id"), e.getMessage());
    }

    @Test
    void rejectsMisspelledKey() {
        ConfigException e = refused("rules:\n" + GOOD_RULE.replace("transport: tcp", "transprot: tcp"));
        assertTrue(e.getMessage().contains("unknown key 'transprot'"), e.getMessage());
    }

    @Test
    void builtInCatalogCompilesAndAnswersLookups() throws Exception {
        Roles roles = new Roles();
        Catalog c = Catalog.builtIn(roles);
        CompiledCatalog cc = new CompiledCatalog(c);
        long fe = 1L << roles.bit("front-end");
        long edge = 1L << roles.bit("edge-internal");
        long client = 1L << roles.bit("client");
        long director = 1L << roles.bit("director");
        int r = cc.match(6, 5061, edge, fe);
        assertEquals("mtls", cc.rule(r).protocol().id());
        assertEquals("tls", cc.rule(cc.match(6, 5061, client, fe)).protocol().id());
        // Single Director table, row 6: SIP/MTLS/TCP 5061 from the Edge internal interface to the Director.
        assertEquals("mtls", cc.rule(cc.match(6, 5061, edge, director)).protocol().id());
        assertEquals(CompiledCatalog.NO_RULE, cc.match(6, 3389, client, fe));
        assertEquals(CompiledCatalog.NO_RULE, cc.match(17, 5061, edge, fe));
    }
}
