package org.portmatrix.bench;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.portmatrix.capture.Captures;
import org.portmatrix.capture.PacketRef;
import org.portmatrix.capture.PacketSource;
import org.portmatrix.classify.Catalog;
import org.portmatrix.classify.Cidr;
import org.portmatrix.classify.Classifier;
import org.portmatrix.classify.CompiledCatalog;
import org.portmatrix.classify.Roles;
import org.portmatrix.classify.Topology;

/**
 * Inputs shared by the benchmarks: the reference deployment's topology, and a 200,000-packet cut of
 * the reference workload made by {@code ../shared/bench/make_lync_mix.py --packets 200000} (same mix,
 * 2,000 flows), written once to {@code benchmarks/target/workload/} (or {@code -Dportmatrix.bench.dir})
 * and reused.
 */
final class Workload {
    static final int CUT_PACKETS = 200_000;
    static final String CUT_NAME = "lync-mix-200k.pcap";
    /** The generator's address plan: role, IPv4 prefix, IPv6 prefix. */
    static final String[] ROLE_NETS = {
        "front-end", "10.1.1.0/24", "fd00:10:1:1::/64",
        "director", "10.1.2.0/24", "fd00:10:1:2::/64",
        "edge-internal", "10.1.3.0/24", "fd00:10:1:3::/64",
        "mediation", "10.1.4.0/24", "fd00:10:1:4::/64",
        "reverse-proxy", "10.1.5.0/24", "fd00:10:1:5::/64",
        "pstn-gateway", "10.1.6.0/24", "fd00:10:1:6::/64",
        "persistent-chat", "10.1.7.0/24", "fd00:10:1:7::/64",
        "office-web-apps", "10.1.8.0/24", "fd00:10:1:8::/64",
        "sql-backend", "10.1.9.0/24", "fd00:10:1:9::/64",
        "infrastructure", "10.1.10.0/24", "fd00:10:1:a::/64",
        "client", "10.2.0.0/16", "fd00:10:2::/48",
    };

    private Workload() {}

    /** The built-in catalog with the reference deployment's topology. */
    static Classifier classifier() throws Exception {
        Roles roles = new Roles();
        Catalog catalog = Catalog.builtIn(roles);
        Map<String, List<Cidr>> map = new LinkedHashMap<>();
        for (int r = 0; r < ROLE_NETS.length; r += 3) {
            roles.add(ROLE_NETS[r]); // sql-backend and infrastructure are the topology's own roles
            map.put(ROLE_NETS[r], List.of(Cidr.parse(ROLE_NETS[r + 1]), Cidr.parse(ROLE_NETS[r + 2])));
        }
        return new Classifier(new CompiledCatalog(catalog), new Topology("lync-mix", map, roles));
    }

    /** The 200 k-packet cut, made when missing. */
    static Path cut() throws IOException, InterruptedException {
        Path root = repoRoot();
        Path dir = Path.of(System.getProperty("portmatrix.bench.dir", root.resolve("benchmarks/target/workload").toString()));
        Path cut = dir.resolve(CUT_NAME);
        if (Files.isRegularFile(cut)) {
            return cut;
        }
        Files.createDirectories(dir);
        Path generator = root.resolve("../shared/bench/make_lync_mix.py").normalize();
        Path part = dir.resolve(CUT_NAME + ".part");
        Process p = new ProcessBuilder("python3", generator.toString(), "-q", "--packets", Integer.toString(CUT_PACKETS),
                "-o", part.toString()).inheritIO().start();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException("could not make " + cut + " with " + generator);
        }
        Files.move(part, cut);
        return cut;
    }

    /** The repository root: the nearest directory upwards from here holding benchmarks/pom.xml. */
    static Path repoRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("benchmarks/pom.xml"))) {
                return p;
            }
        }
        throw new IllegalStateException("run the benchmarks from inside the portmatrix checkout");
    }

    /** Every packet of a capture in memory, back to back, with its record fields. */
    static final class Packets {
        final byte[] buf;
        final int[] off;
        final int[] len;
        final int[] origLen;
        final long[] ts;
        final int linkType;
        final int count;

        Packets(byte[] capture) throws IOException {
            int n = 0;
            int bytes = 0;
            int link = -1;
            try (PacketSource s = Captures.open("cut", new ByteArrayInputStream(capture), capture.length)) {
                PacketRef ref = new PacketRef();
                while (s.next(ref)) {
                    n++;
                    bytes += ref.caplen;
                    link = ref.linkType;
                }
            }
            buf = new byte[bytes];
            off = new int[n];
            len = new int[n];
            origLen = new int[n];
            ts = new long[n];
            linkType = link;
            count = n;
            try (PacketSource s = Captures.open("cut", new ByteArrayInputStream(capture), capture.length)) {
                PacketRef ref = new PacketRef();
                int k = 0;
                int p = 0;
                while (s.next(ref)) {
                    System.arraycopy(ref.buf, ref.offset, buf, p, ref.caplen);
                    off[k] = p;
                    len[k] = ref.caplen;
                    origLen[k] = ref.origLen;
                    ts[k] = ref.tsNanos;
                    p += ref.caplen;
                    k++;
                }
            }
        }
    }
}
