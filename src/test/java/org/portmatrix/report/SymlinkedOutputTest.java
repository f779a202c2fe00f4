package org.portmatrix.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An output or an extract named by a symbolic link (a report's usual name linking into a share, or /dev/stdout, a link
 * to /proc/self/fd/1, with standard output redirected to a file): written under a temporary name beside the file the
 * link names, and renamed over that file. Renamed over the link itself, it had replaced the link with a plain file and
 * left the linked file as it was; /dev/stdout would have become a regular file in /dev.
 */
class SymlinkedOutputTest {
    @TempDir
    Path dir;

    @Test
    void anOutputAndAnExtractNamedByALinkAreWrittenToTheFileItNames() throws Exception {
        Path share = Files.createDirectory(dir.resolve("share"));
        Path csv = Files.writeString(share.resolve("flows-today.csv"), "yesterday's report\n");
        Path pcap = Files.writeString(share.resolve("flagged-today.pcap"), "yesterday's extract\n");
        Path csvLink = Files.createSymbolicLink(dir.resolve("flows.csv"), csv);
        Path pcapLink = Files.createSymbolicLink(dir.resolve("flagged.pcap"), Path.of("share", "flagged-today.pcap")); // relative
        Path chained = Files.createSymbolicLink(dir.resolve("latest.csv"), csvLink.getFileName()); // a link to the link

        ReportTests.Run r = ReportTests.run("analyze", "captures/sample.pcap", "--topology", "captures/sample-topology.yaml",
                "--format", "csv", "--output", chained.toString(), "--extract", pcapLink.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(Files.isSymbolicLink(chained) && Files.isSymbolicLink(csvLink) && Files.isSymbolicLink(pcapLink),
                "the links stay links");
        assertEquals(csv, share.resolve(Files.readSymbolicLink(csvLink)));
        ReportTests.Run plain = ReportTests.run("analyze", "captures/sample.pcap", "--topology", "captures/sample-topology.yaml",
                "--format", "csv");
        byte[] written = Files.readAllBytes(csv);
        byte[] mark = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}; // a regular file at the end of the links
        assertArrayEquals(mark, java.util.Arrays.copyOf(written, 3));
        assertEquals(plain.out(), new String(written, 3, written.length - 3, java.nio.charset.StandardCharsets.UTF_8));
        Path plainPcap = Files.createDirectory(dir.resolve("plain")).resolve("flagged.pcap");
        ReportTests.Run direct = ReportTests.run("analyze", "captures/sample.pcap", "--topology", "captures/sample-topology.yaml",
                "--extract", plainPcap.toString());
        assertEquals(0, direct.status(), direct.err());
        assertTrue(Files.size(plainPcap) > 24, "an extract with packets");
        assertArrayEquals(Files.readAllBytes(plainPcap), Files.readAllBytes(pcap), "the extract, in the linked file");
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of("flagged.pcap", "flows.csv", "latest.csv", "plain", "share"), left.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary file, no plain file for a link");
        }
        try (Stream<Path> left = Files.list(share)) {
            assertEquals(List.of("flagged-today.pcap", "flows-today.csv"), left.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    /**
     * --output /dev/stdout (a link to /proc/self/fd/1) with standard output redirected to a file is written through the
     * descriptor, as the shell opened it: appended with ">>", between what the shell writes before and after. Renamed over
     * the file the link names, it had replaced the file: "previous", "header" and "footer" were lost (the shell wrote
     * the footer into the old, unlinked file). The extract, a file renamed into place, is refused there.
     */
    @Test
    void standardOutputRedirectedToAFileIsWrittenThroughItsDescriptor() throws Exception {
        Path log = Files.writeString(dir.resolve("log.csv"), "previous\n");
        String main = Path.of(System.getProperty("java.home"), "bin", "java") + " -XX:-UsePerfData -cp " + System.getProperty("java.class.path")
                + " org.portmatrix.cli.Main analyze captures/sample.pcap --topology captures/sample-topology.yaml";
        ReportTests.Exec r = ReportTests.exec(120, "bash", "-c", "{ echo header; " + main + " --format csv --output /dev/stdout; echo footer; } >> '"
                + log + "'");
        assertEquals(0, r.status(), r.err());
        ReportTests.Run plain = ReportTests.run("analyze", "captures/sample.pcap", "--topology", "captures/sample-topology.yaml", "--format", "csv");
        assertEquals("previous\nheader\n" + plain.out() + "footer\n", Files.readString(log));
        Path pcap = dir.resolve("flagged.pcap");
        ReportTests.Exec extract = ReportTests.exec(120, "bash", "-c", main + " --extract /dev/stdout > '" + pcap + "'");
        assertEquals(2, extract.status(), extract.err());
        assertEquals("portmatrix: /dev/stdout: cannot write the extract: an open descriptor's name (the extract is a file, written beside it "
                + "and renamed into place)\n", extract.err());
    }

    /**
     * A link whose file cannot be made is refused naming the directory the file is made in: the linked file's, not the
     * link's (a link into a missing directory had been said as "cannot create a file in" the link's own directory), and
     * a loop of links is said once by name.
     */
    @Test
    void aLinkThatCannotBeWrittenThroughIsSaidByTheLinkedDirectory() throws Exception {
        Path link = Files.createSymbolicLink(dir.resolve("flows.csv"), Path.of("share", "missing", "flows.csv"));
        Path loop = Files.createSymbolicLink(dir.resolve("loop1"), Path.of("loop2"));
        Files.createSymbolicLink(dir.resolve("loop2"), Path.of("loop1"));
        String[] analysis = {"analyze", "captures/sample.pcap", "--topology", "captures/sample-topology.yaml"};
        ReportTests.Run output = ReportTests.run(concat(analysis, "--output", link.toString()));
        assertEquals(2, output.status());
        assertEquals("portmatrix: " + link + ": cannot write output: no such directory " + dir.resolve("share").resolve("missing") + "\n", output.err());
        ReportTests.Run extract = ReportTests.run(concat(analysis, "--extract", link.toString()));
        assertEquals(2, extract.status());
        assertEquals("portmatrix: " + link + ": cannot write the extract: no such directory " + dir.resolve("share").resolve("missing") + "\n",
                extract.err());
        ReportTests.Run looped = ReportTests.run(concat(analysis, "--output", loop.toString()));
        assertEquals(2, looped.status());
        assertEquals("portmatrix: " + loop + ": cannot write output: too many levels of symbolic links\n", looped.err());
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
