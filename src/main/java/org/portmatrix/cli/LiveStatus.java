package org.portmatrix.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import org.portmatrix.report.AtomicFile;
import org.portmatrix.classify.Verdict;
import org.portmatrix.report.FlowRecord;
import org.portmatrix.report.HtmlReport;
import org.portmatrix.report.OpenFlows;
import org.portmatrix.report.ReportData;
import org.portmatrix.report.RunSummary;
import org.portmatrix.report.Timestamps;

/**
 * The rolling summary of a live capture: {@code summary.json}, {@code summary.txt} and
 * {@code report.html} (the HTML report of the flows closed so far) rewritten atomically (a
 * temporary file in the same directory, then a rename) at every report, and one compact line per
 * report appended to {@code stats.jsonl} (the history: rates, drops, heap), moved to
 * {@code stats.jsonl.1} when it reaches {@link #STATS_LIMIT}.
 */
final class LiveStatus {
    static final String SUMMARY_JSON = "summary.json";
    static final String SUMMARY_TXT = "summary.txt";
    static final String STATS_JSONL = "stats.jsonl";
    static final String REPORT_HTML = "report.html";
    /**
     * Bytes of {@code stats.jsonl} before it is moved to {@code stats.jsonl.1}: a line is about 1.1 KB
     * (more when it lists why packets were not decoded), so 16 MiB hold about ten days at the default
     * report interval (1,440 lines a day), and the two files together at most 32 MiB.
     */
    static final long STATS_LIMIT = 16L << 20;

    private final Path dir;
    private final ObjectMapper pretty = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final ObjectMapper compact = new ObjectMapper();
    private final HeapMonitor heap = new HeapMonitor();

    /** @param dir the report directory, or null: nothing written, the snapshot only goes to stderr */
    LiveStatus(Path dir) throws IOException {
        this.dir = dir;
        if (dir != null) {
            Files.createDirectories(dir);
        }
    }

    HeapMonitor heap() {
        return heap;
    }

    /** @param open the flows open now (their section of report.html), or null */
    void write(Map<String, Object> snapshot, ReportData data, RunSummary summary, OpenFlows open) throws IOException {
        if (dir == null) {
            return;
        }
        for (int attempt = 1; ; attempt++) {
            try {
                writeOnce(snapshot, data, summary, open);
                return;
            } catch (IOException e) {
                if (attempt == 3 || Files.isDirectory(dir)) {
                    throw e;
                }
                // The directory was removed while its files were written (a clean-up job): made again, written again.
            }
        }
    }

    private void writeOnce(Map<String, Object> snapshot, ReportData data, RunSummary summary, OpenFlows open) throws IOException {
        try {
            Files.createDirectories(dir); // removed while the capture runs (a clean-up job): made again
        } catch (IOException e) {
            throw new IOException(dir + ": " + Main.describe(e), e);
        }
        // The small files a monitor reads first, the page (tens of KB at least, megabytes with its table) last; each tried
        // whatever became of the one before, the first failure thrown after. The page had been first, and a failure ended
        // the report there: on a disk that could not hold the page, summary.json stayed at the first report's (0 packets)
        // until the end, the final one included, and summary.txt and stats.jsonl were never written.
        IOException failed = null;
        try {
            replace(dir.resolve(SUMMARY_JSON), pretty.writeValueAsString(snapshot) + "\n");
        } catch (IOException e) {
            failed = e;
        }
        try {
            replace(dir.resolve(SUMMARY_TXT), text(snapshot));
        } catch (IOException e) {
            failed = first(failed, e);
        }
        try {
            appendStats(dir.resolve(STATS_JSONL), compact.writeValueAsString(history(snapshot)), STATS_LIMIT);
        } catch (IOException e) {
            failed = first(failed, e);
        }
        if (data != null) {
            Path target = dir.resolve(REPORT_HTML);
            try (AtomicFile html = AtomicFile.create(target)) {
                HtmlReport.render(data, summary, open, when(snapshot), html.writer());
                html.commit();
            } catch (IOException e) { // named by the file it replaces, not by the temporary one (a new name each time)
                String why = e.getMessage() == null ? "" : e.getMessage();
                failed = first(failed, why.startsWith(target + ": ") ? e : new IOException(target + ": " + Main.describeCreate(target, e), e));
            }
        }
        if (failed != null) {
            throw failed;
        }
    }

    private static IOException first(IOException failed, IOException e) {
        if (failed == null) {
            return e;
        }
        failed.addSuppressed(e);
        return failed;
    }

    /**
     * The snapshot as the history keeps it: the open flows' counts without their groups (up to 100 of them, with
     * their reasons, would make a line of tens of KB where it is about 1.3 KB).
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> history(Map<String, Object> snapshot) {
        Object open = snapshot.get("open_flows");
        if (!(open instanceof Map)) {
            return snapshot;
        }
        Map<String, Object> counts = map();
        for (Map.Entry<String, Object> e : ((Map<String, Object>) open).entrySet()) {
            if (!e.getKey().equals("groups") && !e.getKey().equals("groups_left_out")) {
                counts.put(e.getKey(), e.getValue());
            }
        }
        Map<String, Object> h = new LinkedHashMap<>(snapshot);
        h.put("open_flows", counts);
        return h;
    }

    /**
     * Appends one line to the history; when the line would take the file past {@code limit} bytes,
     * the file is first renamed to {@code NAME.1} (replacing the one before) and a new one begun with it, so
     * that a capture left running for weeks keeps between one and two files' worth of history.
     */
    static void appendStats(Path file, String line, long limit) throws IOException {
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        if (Files.isRegularFile(file)) {
            long size = Files.size(file);
            if (size > 0 && size + bytes.length > limit) {
                try {
                    RotatingOutput.moveAside(file, file.resolveSibling(file.getFileName() + ".1"), bytes); // neither name ever missing
                    return;
                } catch (java.nio.file.NoSuchFileException e) {
                    // removed meanwhile (a clean-up job): begun again below
                }
            }
        }
        appendWhole(file, bytes);
    }

    /**
     * Appends a line so that the file holds whole lines only: a write the disk refuses part of (full) is cut back to
     * the file's size before it, and a file found ending in the middle of a line (cut by a crash, or by a disk full
     * before this code) gets a line end first. A line the full disk had cut was left at the file's end, and the next
     * report's line, once space was freed, glued to it: a JSON reader of the history failed on both.
     */
    static void appendWhole(Path file, byte[] line) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long before = ch.size();
            ByteBuffer last = ByteBuffer.allocate(1);
            boolean cut = before > 0 && ch.read(last, before - 1) == 1 && last.get(0) != '\n';
            ByteBuffer out = ByteBuffer.allocate(line.length + (cut ? 1 : 0));
            if (cut) {
                out.put((byte) '\n');
            }
            out.put(line).flip();
            try {
                while (out.hasRemaining()) {
                    ch.write(out, before + out.position());
                }
            } catch (IOException e) {
                try {
                    ch.truncate(before);
                } catch (IOException again) {
                    e.addSuppressed(again);
                }
                throw e;
            }
        }
    }

    private static void replace(Path target, String content) throws IOException {
        Path tmp = null;
        try {
            tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
            try {
                // createTempFile makes the file owner-only; a summary is for monitoring tools too
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: its defaults apply
            }
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new IOException(target + ": " + Main.describeCreate(target, e), e); // named by the file it replaces
        } finally {
            if (tmp != null) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** "since START, running at NOW" or "since START, final report (signal) at END": when a report was taken (summary.txt, report.html). */
    static String when(Map<String, Object> s) {
        return String.format("since %s, %s at %s", s.get("started"),
                Boolean.TRUE.equals(s.get("final")) ? "final report (" + s.get("stopped_by") + ")" : "running", s.get("updated"));
    }

    /** The human-readable summary. */
    @SuppressWarnings("unchecked")
    static String text(Map<String, Object> s) {
        Map<String, Object> cap = (Map<String, Object>) s.get("capture");
        Map<String, Object> loss = (Map<String, Object>) s.get("upstream_loss");
        Map<String, Object> pk = (Map<String, Object>) s.get("packets");
        Map<String, Object> fl = (Map<String, Object>) s.get("flows");
        Map<String, Object> mem = (Map<String, Object>) s.get("memory");
        StringBuilder b = new StringBuilder();
        b.append(String.format("portmatrix live on %s %s%n", s.get("interface"), when(s)));
        b.append(String.format("  catalog: %s; topology: %s%s%n", s.get("catalog"), s.get("topology"),
                s.get("filter") == null ? "" : "; filter: " + s.get("filter")));
        b.append(String.format("  capture: received %s, analyzed %s, dropped inside the tool %s, queued %s%n", cap.get("received"),
                cap.get("analyzed"), cap.get("dropped_in_tool"), cap.get("queued")));
        b.append(String.format("  kernel: received %s, dropped %s; interface dropped %s%n", cap.get("kernel_received"),
                cap.get("kernel_dropped"), cap.get("interface_dropped")));
        if (cap.get("link") != null) {
            long events = ((Number) cap.get("link_down_events")).longValue();
            b.append(String.format("  link: %s; went down %s, down %s s in all%n", cap.get("link"),
                    events == 0 ? "never" : events == 1 ? "once" : events + " times", cap.get("link_down_seconds")));
        }
        b.append(String.format(Locale.ROOT, "  %s (TCP data ACKed but never seen): %s gaps in %s ACKs (%.3f%%), %s of %s acknowledged bytes (%.3f%%)%n",
                Boolean.TRUE.equals(loss.get("includes_drops_on_this_host"))
                        ? "loss before this host and the drops on it above" : "loss before this host", loss.get("gap_events"), loss.get("ack_events"), ((Number) loss.get("percent_by_events")).doubleValue(),
                loss.get("gap_bytes"), loss.get("acked_bytes"), ((Number) loss.get("percent_by_bytes")).doubleValue()));
        b.append(String.format("  packets decoded into flows %s, not decoded %s%n", pk.get("decoded"), pk.get("not_decoded")));
        Map<String, Object> und = (Map<String, Object>) pk.get("undecodable");
        for (Map.Entry<String, Object> e : und.entrySet()) {
            b.append(String.format("    %-60s %s%n", e.getKey(), e.getValue()));
        }
        b.append(String.format("  flows: seen %s, open %s (peak %s), closed %s (%s outside the matrix), closed early because the table was full %s%n",
                fl.get("created"), fl.get("open"), fl.get("peak_open"), fl.get("closed"), fl.get("flagged"), fl.get("evicted_early")));
        Object withDrops = fl.get("with_drops_on_this_host");
        if (withDrops instanceof Number n && n.longValue() > 0) {
            b.append(String.format("  closed flows open while packets were dropped on this host %s (marked drops_on_this_host: their verdicts"
                    + " may rest on packets missing)%n", withDrops));
        }
        StringBuilder v = new StringBuilder();
        for (Map.Entry<String, Object> e : ((Map<String, Object>) s.get("verdicts")).entrySet()) {
            v.append(v.length() == 0 ? "" : ", ").append(e.getKey()).append(' ').append(e.getValue());
        }
        b.append("  verdicts of closed flows: ").append(v).append('\n');
        Map<String, Object> open = (Map<String, Object>) s.get("open_flows");
        if (open != null && !Boolean.TRUE.equals(s.get("final"))) { // (none at the end: every flow is closed first)
            StringBuilder ov = new StringBuilder();
            for (Map.Entry<String, Object> e : ((Map<String, Object>) open.get("verdicts")).entrySet()) {
                if (((Number) e.getValue()).longValue() > 0) {
                    ov.append(ov.length() == 0 ? "" : ", ").append(e.getKey()).append(' ').append(e.getValue());
                }
            }
            b.append(String.format("  open flows now %s (%s outside the matrix, snapshot %s s), provisional verdicts from the packets seen so far%s%s%n",
                    open.get("flows"), open.get("outside_the_matrix"), open.get("seconds"), ov.length() == 0 ? "" : ": ", ov));
            List<Map<String, Object>> groups = (List<Map<String, Object>>) open.get("groups");
            for (int i = 0; i < groups.size() && i < TEXT_OPEN_GROUPS; i++) {
                Map<String, Object> g = groups.get(i);
                long n = ((Number) g.get("flows")).longValue();
                b.append(String.format("    OPEN %s %s %s: %s since %s, e.g. %s%s%n", g.get("verdict"), g.get("role_pair"), g.get("port"),
                        n == 1 ? "1 flow" : n + " flows", g.get("first_seen"), g.get("example"),
                        g.get("app_protocol") == null ? "" : " (" + g.get("app_protocol") + ")"));
            }
            long more = groups.size() - Math.min(groups.size(), TEXT_OPEN_GROUPS) + ((Number) open.get("groups_left_out")).longValue();
            if (more > 0) {
                b.append(String.format("    and %d more groups of open flows outside the matrix (report.html lists the flows)%n", more));
            }
        }
        long heap = ((Number) mem.get("heap_after_gc")).longValue();
        b.append("  heap after GC ").append(heap < 0 ? "not known yet (no collection so far)" : heap + " bytes (" + mem.get("heap_sampled_by") + ")");
        long cap2 = ((Number) mem.get("capture_thread_allocated_since_last")).longValue();
        long ana = ((Number) mem.get("analysis_thread_allocated_since_last")).longValue();
        if (cap2 >= 0 && ana >= 0) {
            b.append("; allocated since the last report: capture thread ").append(cap2).append(" bytes, analysis thread ").append(ana)
                    .append(" bytes");
        }
        b.append('\n');
        return b.toString();
    }

    /** Groups of open flows outside the matrix listed in summary.txt (summary.json has up to {@link #OPEN_GROUPS}). */
    static final int TEXT_OPEN_GROUPS = 20;
    /** Groups of open flows outside the matrix in summary.json, the most flows first. */
    static final int OPEN_GROUPS = 100;

    /**
     * {@code open_flows} of summary.json: the flows open now, counted by their verdict so far (every verdict, as
     * {@code verdicts} counts the closed flows), and those outside the matrix grouped by verdict, role pair and
     * transport/port (the most flows first, at most {@link #OPEN_GROUPS}), each with its example, the open flow of the
     * group that started first.
     */
    static Map<String, Object> open(OpenFlows open) {
        Map<String, Object> m = map();
        m.put("provisional", true);
        m.put("flows", open.all().flows());
        m.put("packets", open.all().packets());
        m.put("bytes", open.all().bytes());
        m.put("outside_the_matrix", open.outside());
        // The time the snapshot held the analysis thread: packets queue meanwhile, and past --queue-size are dropped in the
        // tool (dropped_in_tool), so a report's drops can be told from the snapshot's cost.
        m.put("seconds", Math.round(open.nanos() / 1e6) / 1e3);
        Map<String, Object> v = map();
        for (Verdict x : Verdict.values()) {
            v.put(x.id(), open.totals(x).flows());
        }
        m.put("verdicts", v);
        java.util.List<ReportData.Group> all = new java.util.ArrayList<>();
        for (ReportData.VerdictGroups vg : open.flaggedData().flaggedGroups()) {
            for (ReportData.RolePair rp : vg.rolePairs()) {
                all.addAll(rp.ports());
            }
        }
        all.sort(java.util.Comparator.<ReportData.Group>comparingLong(g -> -g.totals().flows())
                .thenComparingInt(g -> g.key().verdict().ordinal()).thenComparingLong(g -> g.totals().firstNanos()));
        java.util.List<Map<String, Object>> groups = new java.util.ArrayList<>();
        for (int i = 0; i < all.size() && i < OPEN_GROUPS; i++) {
            ReportData.Group g = all.get(i);
            FlowRecord e = g.example();
            Map<String, Object> r = map();
            r.put("verdict", g.key().verdict().id());
            r.put("role_pair", g.key().rolePair());
            r.put("port", g.key().transportPort());
            r.put("flows", g.totals().flows());
            r.put("packets", g.totals().packets());
            r.put("bytes", g.totals().bytes());
            r.put("first_seen", Timestamps.iso(g.totals().firstNanos()));
            r.put("last_seen", Timestamps.iso(g.totals().lastNanos()));
            r.put("example", e.transport() + " " + org.portmatrix.report.TextReport.endpoint(e.srcIp(), e.srcPort()) + " -> "
                    + org.portmatrix.report.TextReport.endpoint(e.dstIp(), e.dstPort()));
            r.put("app_protocol", e.appProtocol());
            r.put("reason", e.reason());
            groups.add(r);
        }
        m.put("groups", groups);
        m.put("groups_left_out", all.size() - groups.size());
        return m;
    }

    /** One line for stderr at every report. */
    @SuppressWarnings("unchecked")
    static String line(Map<String, Object> s) {
        Map<String, Object> cap = (Map<String, Object>) s.get("capture");
        Map<String, Object> loss = (Map<String, Object>) s.get("upstream_loss");
        Map<String, Object> fl = (Map<String, Object>) s.get("flows");
        return String.format(Locale.ROOT, "portmatrix live: %s received %s (%s/s), dropped in tool %s, kernel dropped %s, interface dropped %s, "
                        + "%s %.3f%%, flows open %s%s, closed %s (%s outside the matrix)",
                s.get("updated"), cap.get("received"), cap.get("received_per_second"), cap.get("dropped_in_tool"), cap.get("kernel_dropped"),
                cap.get("interface_dropped"), Boolean.TRUE.equals(loss.get("includes_drops_on_this_host")) ? "loss upstream and on this host"
                        : "upstream loss", ((Number) loss.get("percent_by_events")).doubleValue(), fl.get("open"), openOutside(s),
                fl.get("closed"), fl.get("flagged")) + linkDown(cap);
    }

    /**
     * " (N outside the matrix so far)" from the report's snapshot of the open flows, or "" without one. The line said
     * only "flows open 10, closed 0 (0 outside the matrix)" while a cleartext SIP connection to 5061, open for hours,
     * was a protocol mismatch in summary.json: the long-lived flows a mirror port is watched for close last.
     */
    @SuppressWarnings("unchecked")
    private static String openOutside(Map<String, Object> s) {
        Object open = s.get("open_flows");
        if (!(open instanceof Map) || Boolean.TRUE.equals(s.get("final"))) {
            return "";
        }
        return " (" + ((Map<String, Object>) open).get("outside_the_matrix") + " outside the matrix so far)";
    }

    /** ", LINK DOWN (STATE, N s down in all)" while the capture interface's link is down, else "". */
    private static String linkDown(Map<String, Object> cap) {
        Object state = cap.get("link");
        if (state == null || state.equals("up") || state.equals("unknown")) {
            return "";
        }
        return ", LINK DOWN (" + state + ", " + cap.get("link_down_seconds") + " s down in all)";
    }

    static String now() {
        return Timestamps.iso(System.currentTimeMillis() * 1_000_000L);
    }

    /**
     * Heap in use after the latest garbage collection, from the JVM's GC notifications. With
     * {@link #sampleNow} a full collection is requested first, so the figure is the live heap.
     */
    static final class HeapMonitor {
        private volatile long lastAfterGc = -1;

        HeapMonitor() {
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                if (gc instanceof NotificationEmitter e) {
                    e.addNotificationListener((n, h) -> {
                        if (n.getUserData() instanceof CompositeData cd
                                && "com.sun.management.gc.notification".equals(n.getType())) {
                            long used = 0;
                            var info = com.sun.management.GarbageCollectionNotificationInfo.from(cd);
                            for (Map.Entry<String, MemoryUsage> u : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                                if (isHeapPool(u.getKey())) {
                                    used += u.getValue().getUsed();
                                }
                            }
                            lastAfterGc = used;
                        }
                    }, null, null);
                }
            }
        }

        private static boolean isHeapPool(String name) {
            for (var p : ManagementFactory.getMemoryPoolMXBeans()) {
                if (p.getName().equals(name)) {
                    return p.getType() == java.lang.management.MemoryType.HEAP;
                }
            }
            return false;
        }

        long lastAfterGc() {
            return lastAfterGc;
        }

        /** A full collection, then the heap in use: the live set. */
        long sampleNow() {
            System.gc();
            return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        }

        long gcCount() {
            long n = 0;
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                n += Math.max(0, gc.getCollectionCount());
            }
            return n;
        }
    }

    static Map<String, Object> map() {
        return new LinkedHashMap<>();
    }
}
