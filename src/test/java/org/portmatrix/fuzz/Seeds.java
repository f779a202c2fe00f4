package org.portmatrix.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.portmatrix.capture.CaptureFormatException;
import org.portmatrix.capture.Captures;
import org.portmatrix.capture.PacketRef;
import org.portmatrix.capture.PacketSource;

/**
 * Seed inputs for the fuzz targets, read at test time: the project's own captures (captures/**) and
 * a fixed selection of tcpdump's regression captures (../shared/corpus/tcpdump-tests/, used in place,
 * never copied into the project). Past findings live beside each target under
 * src/test/resources/org/portmatrix/fuzz/&lt;Target&gt;Inputs/, where Jazzer looks for them.
 */
final class Seeds {
    static final Path CAPTURES = Path.of("captures");
    static final Path TCPDUMP_TESTS = Path.of("..", "shared", "corpus", "tcpdump-tests");
    /** Small files only: libFuzzer mutates short inputs far faster, and these are plenty. */
    static final long MAX_SEED_FILE = 16 << 10;
    /** Names of tcpdump's captures that exercise the layers and the damage this tool handles. */
    private static final List<String> TOPICS = List.of("vlan", "qinq", "mpls", "gre", "erspan", "vxlan", "geneve", "pppoe",
            "ipv6", "ip6", "frag", "sll", "tcp", "udp", "sip", "stun", "rtp", "tls", "ssl", "pcapng", "trunc", "oobr",
            "overflow", "loop", "null", "raw");
    /** At most this many tcpdump files per topic, the smallest first. */
    private static final int PER_TOPIC = 4;

    private Seeds() {}

    /** Capture files to seed the readers with: the project's captures and the tcpdump selection. */
    static List<Path> captureFiles() {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(CAPTURES)) {
            s.filter(Seeds::isCapture).filter(p -> size(p) <= 64 << 10).sorted().forEach(out::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!Files.isDirectory(TCPDUMP_TESTS)) {
            throw new IllegalStateException(TCPDUMP_TESTS.toAbsolutePath() + " is missing (see ../shared/corpus/README.md)");
        }
        List<Path> all;
        try (Stream<Path> s = Files.list(TCPDUMP_TESTS)) {
            all = s.filter(Seeds::isCapture).filter(p -> size(p) <= MAX_SEED_FILE).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String topic : TOPICS) {
            all.stream().filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).contains(topic))
                    .filter(p -> !out.contains(p))
                    .sorted((a, b) -> Long.compare(size(a), size(b)))
                    .limit(PER_TOPIC).forEach(out::add);
        }
        return out;
    }

    static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A captured frame with the link type of its interface. */
    record Frame(int linkType, byte[] bytes) {}

    /** The frames of the seed captures this project's readers can read, at most {@code perFile} each. */
    static List<Frame> frames(int perFile) {
        List<Frame> out = new ArrayList<>();
        for (Path p : captureFiles()) {
            try (PacketSource s = Captures.open(p)) {
                PacketRef ref = new PacketRef();
                for (int n = 0; n < perFile && s.next(ref); n++) {
                    byte[] f = new byte[ref.caplen];
                    System.arraycopy(ref.buf, ref.offset, f, 0, ref.caplen);
                    out.add(new Frame(ref.linkType, f));
                }
            } catch (CaptureFormatException e) {
                // a format the readers refuse: no frames from it
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    private static boolean isCapture(Path p) {
        String n = p.getFileName().toString();
        return Files.isRegularFile(p) && (n.endsWith(".pcap") || n.endsWith(".pcapng") || n.endsWith(".pcap.gz"));
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
