package org.portmatrix.classify.lync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.classify.Roles;
import org.portmatrix.classify.Topology;

/** {@code portmatrix topology import} on the command line: output, messages and exit status. */
class TopologyCommandTest {
    @TempDir
    Path dir;

    private static void assertOneLineError(Cli.Run r, String part) {
        assertEquals(2, r.status(), r.err());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, r.err());
        assertTrue(lines[0].startsWith("portmatrix: ") && lines[0].contains(part), r.err());
        assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), r.err());
    }

    @Test
    void writesTheTopologyToStandardOutputAndListsTheUnresolvedOnStandardError() throws Exception {
        Cli.Run r = Cli.run("topology", "import", TopologyImportTest.CONTOSO.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().startsWith("# Topology imported by portmatrix from contoso-topology.xml"), r.out());
        assertTrue(r.err().contains("names without an address"), r.err());
        assertTrue(r.err().contains("  fe01.contoso.com (machine of pool pool01.contoso.com"), r.err());
        Path f = dir.resolve("t.yaml");
        Files.writeString(f, r.out());
        assertFalse(Topology.load(f, new Roles()).roles().isEmpty());
    }

    /**
     * What could not be mapped says what to do: the names without an address how to give them one, and the
     * clients, which a Lync topology never lists, where to add them (every client flow had come out
     * unknown_host with no word from the import). One address is "1 address", not "1 addresses".
     */
    @Test
    void theUnmappedAreListedWithWhatToDo() throws Exception {
        Cli.Run r = Cli.run("topology", "import", "captures/topology/fabrikam-se.tbxml");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("portmatrix: topology import: 1 address, 7 port overrides\n"), r.err());
        assertTrue(r.err().contains("portmatrix: topology import: 2 names without an address (listed in the file's comments too):\n"
                + "  se01.fabrikam.test (Primary IPAddress=\"0.0.0.0\"; roles front-end, mediation, sql-backend)\n"
                + "  owa.fabrikam.test (no address in the topology; roles office-web-apps)\n"
                + "portmatrix: topology import: to map them, give their addresses as fqdn,address rows of --hosts FILE.csv, or"
                + " --resolve-from a capture holding their DNS answers, and import again\n"), r.err());
        assertTrue(r.err().contains("portmatrix: topology import: a Lync topology lists no clients: add your client subnets to the file"
                + " (client: [10.2.0.0/16]), or their flows are unknown_host\n"), r.err());
        assertTrue(r.out().contains("# A Lync topology lists no clients: add your client subnets below (client: [10.2.0.0/16]),"
                + " or their flows are unknown_host.\n"), r.out());
        Cli.Run contoso = Cli.run("topology", "import", TopologyImportTest.CONTOSO.toString(), "--hosts", TopologyImportTest.CONTOSO_HOSTS.toString());
        assertTrue(contoso.err().contains("and import again (a pool name needs one only when a load balancer holds it)\n"), contoso.err());
    }

    @Test
    void writesTheOutputFileWhole() throws Exception {
        Path out = dir.resolve("contoso.yaml");
        Cli.Run r = Cli.run("topology", "import", TopologyImportTest.CONTOSO.toString(), "--hosts",
                TopologyImportTest.CONTOSO_HOSTS.toString(), "--output", out.toString());
        assertEquals(0, r.status(), r.err());
        assertEquals("", r.out());
        assertTrue(r.err().contains("10 addresses, 5 port overrides written to " + out), r.err());
        assertTrue(Files.readString(out).contains("10.1.1.13/32"));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void anOutputThatIsOneOfTheInputsIsRefusedAndTheInputKept() throws Exception {
        Path xml = Files.copy(TopologyImportTest.CONTOSO, dir.resolve("t.xml"));
        Path hosts = Files.copy(TopologyImportTest.CONTOSO_HOSTS, dir.resolve("h.csv"));
        Path capture = Files.copy(Path.of("captures/sample.pcap"), dir.resolve("d.pcap"));
        Path link = Files.createSymbolicLink(dir.resolve("link.csv"), hosts.getFileName());
        byte[][] before = {Files.readAllBytes(xml), Files.readAllBytes(hosts), Files.readAllBytes(capture)};
        assertOneLineError(Cli.run("topology", "import", xml.toString(), "-o", xml.toString()), xml + ": not written: it is the same file as the input");
        assertOneLineError(Cli.run("topology", "import", xml.toString(), "--hosts", hosts.toString(), "--output", link.toString()),
                "it is the same file as the input " + hosts);
        assertOneLineError(Cli.run("topology", "import", xml.toString(), "--resolve-from", capture.toString(), "-o", capture.toString()),
                "it is the same file as the input " + capture);
        assertTrue(java.util.Arrays.equals(before[0], Files.readAllBytes(xml)), "the topology XML kept");
        assertTrue(java.util.Arrays.equals(before[1], Files.readAllBytes(hosts)), "the hosts file kept");
        assertTrue(java.util.Arrays.equals(before[2], Files.readAllBytes(capture)), "the capture kept");
    }

    /**
     * A topology XML that is not UTF-8 text is refused at the line of its first such byte, in one line on
     * stderr (a process of its own, as the user runs it: the JDK's parser had printed "[Fatal Error] :-1:-1:
     * Invalid byte 1 of 1-byte UTF-8 sequence." to the process's stderr itself, before ours).
     */
    @Test
    void anXmlThatIsNotUtf8IsRefusedAtItsLineInOneLine() throws Exception {
        String contoso = Files.readString(TopologyImportTest.CONTOSO);
        int at = contoso.indexOf("Fqdn=\"") + 6;
        Path xml = dir.resolve("latin1.xml");
        Files.write(xml, (contoso.substring(0, at) + "caf\u00e9" + contoso.substring(at)).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        int line = (int) contoso.substring(0, at).chars().filter(c -> c == '\n').count() + 1;
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "org.portmatrix.cli.Main", "topology", "import", xml.toString(),
                "-o", dir.resolve("out.yaml").toString()).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), err);
        assertEquals("", out);
        assertEquals(List.of("portmatrix: " + xml + ":" + line + ": not UTF-8 text (a byte that is not UTF-8; a binary file, or text"
                + " in another encoding: save it as UTF-8, or name its encoding in the XML declaration)"), err.lines().toList());
    }

    /**
     * A capture of --resolve-from cut short (its last record 7 bytes short, as a capture killed
     * mid-write) is read up to the damage and the topology written, with exit status 3 as the README's
     * table gives for input damaged but read (it was 0).
     */
    @Test
    void aDamagedCaptureOfResolveFromGivesStatus3AndTheTopologyIsWritten() throws Exception {
        byte[] whole = Files.readAllBytes(Path.of("captures/topology/dns-answers.pcap"));
        Path cut = dir.resolve("dns-cut.pcap");
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length - 7));
        Path out = dir.resolve("t.yaml");
        Cli.Run r = Cli.run("topology", "import", "captures/topology/northwind-edge-nat.xml", "--resolve-from", cut.toString(), "-o", out.toString());
        assertEquals(3, r.status(), r.err());
        assertTrue(r.err().contains(cut + ": 7 DNS responses, 5 names with addresses; damaged capture, read up to the damage: "), r.err());
        assertTrue(Files.readString(out).contains("resolved from: dns-cut.pcap (DNS answers in the capture)"), "written");
        // Whole, the same capture gives 0.
        assertEquals(0, Cli.run("topology", "import", "captures/topology/northwind-edge-nat.xml", "--resolve-from",
                "captures/topology/dns-answers.pcap", "-o", out.toString()).status());
    }

    @Test
    void usageErrorsAreOneLine() throws Exception {
        assertOneLineError(Cli.run("topology", "import"), "no topology file given");
        assertOneLineError(Cli.run("topology", "import", "a.xml", "b.xml"), "one topology file only");
        assertOneLineError(Cli.run("topology", "export", "a.xml"), "unknown subcommand 'export'");
        assertOneLineError(Cli.run("topology", "import", "no/such.xml"), "no/such.xml: no such file");
        assertOneLineError(Cli.run("topology", "import", TopologyImportTest.CONTOSO.toString(), "--hosts", "no/such.csv"),
                "no/such.csv: no such file");
        assertOneLineError(Cli.run("topology", "import", TopologyImportTest.CONTOSO.toString(), "--resolve-from", "no/such.pcap"),
                "no/such.pcap");
        assertOneLineError(Cli.run("topology", "import", TopologyImportTest.CONTOSO.toString(), "--resolve-from",
                TopologyImportTest.CONTOSO_HOSTS.toString()), "contoso-hosts.csv");
        Path bad = dir.resolve("hosts.csv");
        Files.writeString(bad, "fe01.contoso.com,10.1.1.300\n");
        assertOneLineError(Cli.run("topology", "import", TopologyImportTest.CONTOSO.toString(), "--hosts", bad.toString()), bad + ":1: ");
        assertEquals(2, Cli.run("topology").status());
        assertEquals(0, Cli.run("topology", "--help").status());
    }
}
