package org.portmatrix.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.capture.LinkType;
import org.portmatrix.classify.Catalog;
import org.portmatrix.classify.Classifier;
import org.portmatrix.classify.CompiledCatalog;
import org.portmatrix.classify.Roles;
import org.portmatrix.classify.Topology;
import org.portmatrix.flow.FlowConfig;
import org.portmatrix.oracle.Conversations.Conv;

/**
 * tshark's TCP and UDP conversations against portmatrix's flows on tcpdump's regression corpus.
 *
 * <p><b>Selection.</b> A corpus file takes part when every packet in it is on a link type that
 * portmatrix decodes (Ethernet, Linux SLL and SLL2, BSD NULL/LOOP, raw IPv4/IPv6); that covers its
 * Ethernet, SLL, SLL2, pcapng, VLAN/QinQ, MPLS, GRE/ERSPAN, VXLAN/Geneve and IPv6 files. Files on
 * other link types (PPP, Juniper, 802.11, NFLOG, PKTAP, ...) are left out: portmatrix refuses their
 * frames by design. Files where portmatrix finds TCP or UDP flows are compared one by one; all the
 * others are concatenated into one pcapng (mergecap -a) and tshark must find no conversation in it
 * either, so a flow portmatrix misses cannot hide among them.
 *
 * <p><b>Aligned settings.</b> tshark has no idle timeout, so portmatrix runs with timeouts longer
 * than any capture. tshark counts a fragmented datagram once; its reassembling frames' fragment
 * counts are added back (see {@link Conversations#tshark}). tshark reads an IPv6 payload length of 0
 * as malformed unless {@code ipv6.tso_support} is on, while portmatrix, like tshark's IPv4 default
 * ({@code ip.tso_support: TRUE}), takes the captured length: BIG TCP and GSO captures need it.
 *
 * <p><b>Differences by design</b>, each asserted to be exactly what it says:
 * <ul>
 *   <li>UDP tunnels: tshark lists a VXLAN (4789) or Geneve (6081) outer UDP conversation besides the
 *       inner ones; portmatrix keeps only the inner flow, the one the mirrored hosts had. Those outer
 *       rows must be on a tunnel port, and their frames must equal the frames portmatrix decoded
 *       through a UDP tunnel.</li>
 *   <li>The files named in {@link #EXCEPTIONS}, each with its reason: tunnels portmatrix does not
 *       open (NSH, VXLAN-GPE, PIM Register, OpenFlow packet-in), and frames malformed on purpose
 *       that one tool dissects and the other refuses, and TCP headers whose options the snap length cut.</li>
 * </ul>
 */
class TcpdumpCorpusOracleTest {
    static final Path CORPUS = Path.of("../shared/corpus/tcpdump-tests");
    static final Set<Integer> SUPPORTED = Set.of(LinkType.ETHERNET, LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.NULL,
            LinkType.LOOP, LinkType.RAW, LinkType.RAW_BSD_12, LinkType.RAW_BSD_14, LinkType.IPV4, LinkType.IPV6);
    static final String[] TSHARK_PREFS = {"-o", "ipv6.tso_support:TRUE"};

    /**
     * Files where the two tools differ by design, with why. For each, the test asserts that the
     * only differing conversations are the ones the reason names: tshark-only rows for
     * {@code TSHARK_ONLY}, portmatrix-only flows for {@code OURS_ONLY}.
     */
    enum Side { TSHARK_ONLY, OURS_ONLY }

    record Known(Side side, String reason) {}

    static final String MACSEC = "MACsec (802.1AE, EtherType 0x88e5) frames sent with integrity only: portmatrix does not"
            + " open MACsec, whose payload on a real link is encrypted";

    static final String CUT_TCP_HEADER = "a TCP header whose options run past the bytes stored while the IP length says the"
            + " packet was longer (the snap length cut it): tshark leaves such a packet out of its conversations, portmatrix"
            + " keeps its ports and flags (a tcpdump -s 64 capture's handshakes are such packets)";

    static final Map<String, Known> EXCEPTIONS = Map.ofEntries(
            Map.entry("nsh.pcap", new Known(Side.TSHARK_ONLY,
                    "a Network Service Header (EtherType 0x894f) frame: portmatrix does not open NSH")),
            Map.entry("nsh-over-vxlan-gpe.pcap", new Known(Side.TSHARK_ONLY,
                    "VXLAN-GPE (UDP 4790) carrying NSH: portmatrix opens neither and keeps the outer UDP flow")),
            Map.entry("pim-packet-assortment.pcap", new Known(Side.TSHARK_ONLY,
                    "PIM Register messages carry the multicast packet being registered; portmatrix counts the PIM packet")),
            Map.entry("of13_ericsson.pcapng", new Known(Side.TSHARK_ONLY,
                    "an OpenFlow packet-in message quotes a frame that tshark dissects as traffic; it never crossed this link")),
            Map.entry("macsec-short-valid.pcap", new Known(Side.TSHARK_ONLY, MACSEC)),
            Map.entry("macsec-short-longer.pcap", new Known(Side.TSHARK_ONLY, MACSEC)),
            Map.entry("macsec-short-shorter.pcap", new Known(Side.TSHARK_ONLY, MACSEC)),
            Map.entry("LINKTYPE_IPV4_invalid.pcap", new Known(Side.TSHARK_ONLY,
                    "an IPv6 packet on link type IPV4 (228): tshark's IPv4 dissector hands it to IPv6, portmatrix takes the"
                            + " link type at its word (and tshark, too, refuses IPv4 on link type IPV6)")),
            Map.entry("mptcp-dss-oobr.pcap", new Known(Side.OURS_ONLY,
                    "a SYN whose MPTCP option is malformed on purpose: tshark stops dissecting at the option, before its"
                            + " conversation table sees the packet; portmatrix does not parse TCP options")),
            Map.entry("heapoverflow-tcp_print.pcap", new Known(Side.OURS_ONLY, CUT_TCP_HEADER)),
            Map.entry("tcp-auth-heapoverflow.pcap", new Known(Side.OURS_ONLY, CUT_TCP_HEADER)),
            Map.entry("beep-oobr.pcap", new Known(Side.OURS_ONLY, CUT_TCP_HEADER)));

    @TempDir
    Path tmp;

    static Classifier classifier() throws Exception {
        return new Classifier(new CompiledCatalog(Catalog.builtIn(new Roles())), Topology.empty());
    }

    /** No idle timeout at all, as tshark has none. */
    static FlowConfig noTimeouts() {
        return FlowConfig.defaults().withTimeouts(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE).withTcpClosedTimeout(Long.MAX_VALUE);
    }

    record Compared(String file, List<String> problems) {}

    @Test
    void sameConversationsAsTshark() throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.list(CORPUS)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        Classifier classifier = classifier();
        FlowConfig config = noTimeouts();
        List<Path> alone = new ArrayList<>();
        List<Path> withFlows = new ArrayList<>();
        List<Path> withoutFlows = new ArrayList<>();
        Map<Path, Conversations.Ours> ours = new HashMap<>();
        Map<Path, Conversations.Scan> scans = new HashMap<>();
        int otherLinkTypes = 0;
        for (Path f : files) {
            Conversations.Scan scan = Conversations.scan(f);
            if (scan == null || scan.linkTypes().isEmpty() || !SUPPORTED.containsAll(scan.linkTypes())) {
                otherLinkTypes++;
                continue;
            }
            Conversations.Ours o = Conversations.pipeline(f, classifier, config);
            scans.put(f, scan);
            ours.put(f, o);
            if (EXCEPTIONS.containsKey(f.getFileName().toString()) || scan.tunneled() > 0) {
                alone.add(f);
            } else {
                (o.convs().isEmpty() ? withoutFlows : withFlows).add(f);
            }
        }
        assertTrue(files.stream().map(f -> f.getFileName().toString()).collect(java.util.stream.Collectors.toSet())
                .containsAll(EXCEPTIONS.keySet()), "every known difference names a corpus file");
        List<String> problems = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            // Files with a tunnel or a known difference: one by one.
            List<Future<Compared>> jobs = new ArrayList<>();
            for (Path f : alone) {
                jobs.add(pool.submit(() -> compare(f, ours.get(f), scans.get(f))));
            }
            // The others: batches of files whose flows share no endpoints, one tshark run per batch
            // (tshark's start-up dominates its time on these small files).
            List<List<Path>> batches = batches(withFlows, ours);
            for (int i = 0; i < batches.size(); i++) {
                List<Path> batch = batches.get(i);
                Path merged = tmp.resolve("batch-" + i + ".pcapng");
                jobs.add(pool.submit(() -> compareBatch(batch, merged, ours)));
            }
            for (Future<Compared> j : jobs) {
                Compared c = j.get(10, TimeUnit.MINUTES);
                for (String p : c.problems()) {
                    problems.add(c.file() + ": " + p);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        // Every selected file without a TCP/UDP flow: together, tshark must find none either.
        Path none = tmp.resolve("without-flows.pcapng");
        mergecap(withoutFlows, none);
        for (Conv c : Conversations.tshark(none, TSHARK_PREFS)) {
            problems.add("(files without portmatrix flows) tshark finds " + c);
        }
        System.out.printf("tshark oracle, tcpdump corpus: %d files with TCP/UDP flows compared (%d alone, the rest in %d"
                + " batches), %d without checked together, %d on other link types left out%n", withFlows.size() + alone.size(),
                alone.size(), batches(withFlows, ours).size(), withoutFlows.size(), otherLinkTypes);
        assertTrue(withFlows.size() + alone.size() > 250, "a substantial part of the corpus is compared");
        assertTrue(problems.isEmpty(), problems.size() + " differences:\n" + String.join("\n", problems));
    }

    static void mergecap(List<Path> files, Path out) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("mergecap", "-a", "-F", "pcapng", "-w", out.toString()));
        files.forEach(f -> cmd.add(f.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "mergecap finished");
        assertEquals(0, p.exitValue(), "mergecap " + files);
    }

    /** Greedy batches: a file joins the first batch none of whose flows shares its endpoints. */
    static List<List<Path>> batches(List<Path> files, Map<Path, Conversations.Ours> ours) {
        List<List<Path>> batches = new ArrayList<>();
        List<Set<String>> keys = new ArrayList<>();
        for (Path f : files) {
            Set<String> k = new HashSet<>();
            ours.get(f).convs().forEach(c -> k.add(c.endpoints()));
            int i = 0;
            while (i < batches.size() && !java.util.Collections.disjoint(keys.get(i), k)) {
                i++;
            }
            if (i == batches.size()) {
                batches.add(new ArrayList<>());
                keys.add(new HashSet<>());
            }
            batches.get(i).add(f);
            keys.get(i).addAll(k);
        }
        return batches;
    }

    /** One tshark run over a batch concatenated; each difference is attributed to its file. */
    static Compared compareBatch(List<Path> batch, Path merged, Map<Path, Conversations.Ours> ours) throws Exception {
        mergecap(batch, merged);
        List<Conv> mine = new ArrayList<>();
        Map<String, String> owner = new HashMap<>();
        for (Path f : batch) {
            for (Conv c : ours.get(f).convs()) {
                mine.add(c);
                owner.put(c.endpoints(), f.getFileName().toString());
            }
        }
        List<String> problems = new ArrayList<>();
        for (String d : Conversations.differences(Conversations.tshark(merged, TSHARK_PREFS), mine)) {
            String key = d.substring(0, d.indexOf(": tshark "));
            problems.add(owner.getOrDefault(key, "(one of " + batch.size() + " files batched together)") + ": " + d);
        }
        return new Compared("batch of " + batch.size(), problems);
    }

    static Compared compare(Path f, Conversations.Ours ours, Conversations.Scan scan) throws Exception {
        String name = f.getFileName().toString();
        List<String> problems = new ArrayList<>();
        List<Conv> tshark = Conversations.withoutTunnelCarriers(Conversations.tshark(f, TSHARK_PREFS), ours.convs(), scan.tunneled(),
                problems);
        List<String> diff = Conversations.differences(tshark, ours.convs());
        Known known = EXCEPTIONS.get(name);
        if (known != null) {
            if (diff.isEmpty()) {
                problems.add("listed as a known difference (" + known.reason() + ") but the tools agree: remove it from the list");
            }
            for (String d : diff) {
                boolean expected = known.side() == Side.TSHARK_ONLY ? d.contains("portmatrix none") : d.contains("tshark none");
                if (!expected) {
                    problems.add(d + " (not what the known difference says: " + known.reason() + ")");
                }
            }
            return new Compared(name, problems);
        }
        problems.addAll(diff);
        return new Compared(name, problems);
    }
}
