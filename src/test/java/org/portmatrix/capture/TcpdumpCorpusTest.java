package org.portmatrix.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.portmatrix.classify.Catalog;
import org.portmatrix.classify.Classifier;
import org.portmatrix.classify.CompiledCatalog;
import org.portmatrix.classify.Roles;
import org.portmatrix.classify.Topology;
import org.portmatrix.cli.Analyzer;
import org.portmatrix.flow.FlowConfig;
import org.portmatrix.report.FlowRecord;
import org.portmatrix.report.FlowReport;
import org.portmatrix.report.RunSummary;

/**
 * Robustness on tcpdump's own regression corpus (830 captures: dozens of link types, tunnels, and
 * many packets deliberately malformed by fuzzers): every file goes through the whole pipeline
 * (reader, decoder, flow table, classification, inspection, report) in this one JVM and is read to
 * its end, or refused with a one-line {@link CaptureFormatException} naming the file. Any other
 * exception, a file not finished within a generous bound, or a file whose reading allocates more
 * than a fixed bound fails the test. Where {@code capinfos} reads a file, our count of packets
 * read must equal {@code capinfos -c}: a truncated last record is reported as damage and not
 * counted, as capinfos does not count it either.
 */
class TcpdumpCorpusTest {
    static final Path CORPUS = Path.of("../shared/corpus/tcpdump-tests");
    static final int FILES = 830;
    /** A hang guard, not a speed test: the slowest file takes milliseconds. */
    static final long PER_FILE_SECONDS = 30;
    /**
     * Allocation bound per file: the read buffer (4 MiB), the flow table of the test's capacity,
     * the catalog-independent per-flow objects, and generous room for inspection, plus 64 bytes per
     * byte of file. A length field that sized a buffer would blow through it.
     */
    static final long FIXED_ALLOCATION = 64L << 20;
    static final long ALLOCATION_PER_FILE_BYTE = 64;

    static ExecutorService worker;
    static Classifier classifier;

    @BeforeAll
    static void setUp() throws Exception {
        worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "corpus-reader");
            t.setDaemon(true);
            return t;
        });
        Roles roles = new Roles();
        classifier = new Classifier(new CompiledCatalog(Catalog.builtIn(roles)), Topology.empty());
    }

    @AfterAll
    static void tearDown() {
        worker.shutdownNow();
    }

    /** capinfos' packet count for every file it reads (one run over the whole corpus). */
    static Map<String, Long> capinfosCounts(List<Path> files) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("capinfos", "-T", "-r", "-c", "-M"));
        for (Path f : files) {
            cmd.add(f.getFileName().toString());
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(CORPUS.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "capinfos finished");
        Map<String, Long> counts = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] cols = line.split("\t");
            if (cols.length == 2 && cols[1].matches("[0-9]+")) {
                counts.put(cols[0], Long.parseLong(cols[1]));
            }
        }
        return counts;
    }

    /** Discards flow records; keeps the summary. */
    static final class Discard implements FlowReport {
        RunSummary summary;

        @Override
        public void flow(FlowRecord record) {}

        @Override
        public void finish(RunSummary s) {
            summary = s;
        }
    }

    record Outcome(String refused, RunSummary summary, long allocated) {}

    static Outcome analyze(Path file) throws IOException {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        long before = mx.getThreadAllocatedBytes(tid);
        PacketSource source;
        try {
            source = Captures.open(file);
        } catch (CaptureFormatException e) {
            return new Outcome(e.getMessage(), null, mx.getThreadAllocatedBytes(tid) - before);
        }
        Discard report = new Discard();
        try (source) {
            Analyzer analyzer = new Analyzer(classifier, FlowConfig.defaults().withCapacity(4096), false, report);
            analyzer.read(source);
            analyzer.finish("built-in", "none");
        }
        return new Outcome(null, report.summary, mx.getThreadAllocatedBytes(tid) - before);
    }

    @Test
    void readsEveryFileToItsEndOrRefusesItInOneLine() throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.list(CORPUS)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        assertEquals(FILES, files.size(), "files in " + CORPUS);
        Map<String, Long> capinfos = capinfosCounts(files);
        List<String> problems = new ArrayList<>();
        int refused = 0;
        int damaged = 0;
        long packets = 0;
        for (Path f : files) {
            String n = f.getFileName().toString();
            Future<Outcome> job = worker.submit(() -> analyze(f));
            Outcome o;
            try {
                o = job.get(PER_FILE_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                job.cancel(true);
                problems.add(n + ": not finished within " + PER_FILE_SECONDS + " s");
                continue;
            } catch (ExecutionException e) {
                java.io.StringWriter sw = new java.io.StringWriter();
                e.getCause().printStackTrace(new java.io.PrintWriter(sw));
                problems.add(n + ": crashed: " + sw.toString().lines().limit(6).reduce((a, b) -> a + " | " + b).orElse(""));
                continue;
            }
            long bound = FIXED_ALLOCATION + ALLOCATION_PER_FILE_BYTE * Files.size(f);
            if (o.allocated() > bound) {
                problems.add(n + ": allocated " + o.allocated() + " bytes, more than the bound of " + bound);
            }
            if (o.refused() != null) {
                refused++;
                if (o.refused().isBlank() || o.refused().contains("\n") || !o.refused().contains(n)) {
                    problems.add(n + ": refusal is not one line naming the file: " + o.refused());
                }
                if (capinfos.containsKey(n)) {
                    problems.add(n + ": refused (" + o.refused() + ") but capinfos reads " + capinfos.get(n) + " packets");
                }
                continue;
            }
            RunSummary s = o.summary();
            packets += s.packetsRead();
            if (!s.damage().isEmpty()) {
                damaged++;
                for (String d : s.damage()) {
                    if (d.contains("\n") || !d.contains(n)) {
                        problems.add(n + ": damage is not one line naming the file: " + d);
                    }
                }
            }
            Long expected = capinfos.get(n);
            if (expected != null && expected != s.packetsRead()) {
                problems.add(n + ": read " + s.packetsRead() + " packets, capinfos -c says " + expected
                        + (s.damage().isEmpty() ? "" : " (damage: " + s.damage() + ")"));
            }
            if (s.packetsDecoded() + undecodable(s) != s.packetsRead()) {
                problems.add(n + ": decoded " + s.packetsDecoded() + " + undecodable " + undecodable(s) + " != read " + s.packetsRead());
            }
        }
        System.out.printf("tcpdump corpus: %d files, %d refused, %d damaged, %d packets, capinfos reads %d%n", files.size(),
                refused, damaged, packets, capinfos.size());
        assertTrue(problems.isEmpty(), problems.size() + " problems:\n" + String.join("\n", problems));
    }

    static long undecodable(RunSummary s) {
        long n = 0;
        for (long v : s.undecodable().values()) {
            n += v;
        }
        return n;
    }
}
