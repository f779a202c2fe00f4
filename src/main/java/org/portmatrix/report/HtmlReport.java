package org.portmatrix.report;

import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.Mustache;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.portmatrix.classify.Citation;
import org.portmatrix.classify.Verdict;
import org.portmatrix.inspect.CertificateInfo;
import org.portmatrix.inspect.CertificateRecord;

/**
 * One self-contained HTML page (no request leaves it: CSS and script are inlined, and its Content
 * Security Policy forbids loading anything): the role matrix coloured by verdict, the flagged flows
 * grouped and one by one in tables that sort and filter, the certificates seen, the catalog's
 * coverage, a timeline, and the counters.
 *
 * <p>The page is rendered by Mustache (Mustache.java) from {@code report.html.mustache}: every value
 * goes through the template's HTML escaping ({@code {{value}}}); the only unescaped insertions are
 * the project's own stylesheet and script resources, and the flagged-flow table's rows, each
 * rendered by {@code report-flow-row.mustache} with the same escaping. The script only sorts, hides and shows
 * existing rows; it never builds markup from text. The policy admits that one script by its
 * SHA-256 hash, so even markup that escaped escaping could not run a script.
 */
public final class HtmlReport implements FlowReport {
    static final String TEMPLATE = "report.html.mustache";
    /** Certificates that expire within this many days of the capture's end are flagged. */
    static final long WARN_DAYS = org.portmatrix.inspect.CertificateInventory.EXPIRY_WARNING_DAYS;
    /** Group rows in the grouped table: each role pair's ports in order of flows, so a port scan does not flood the page. */
    static final int MAX_GROUP_ROWS = 2_000;
    private static final int TIMELINE_BARS = 120;
    private static final int TIMELINE_SPANS = 30;
    private static final int WIDTH = 1300;
    private static final int LEFT = 330;
    private static final int RIGHT = 1290;
    private static final int TOP = 24;
    private static final int CHART = 120;

    static final String ROW_TEMPLATE = "report-flow-row.mustache";

    private final Writer out;
    private final ReportData data;
    private final boolean ownsData;
    /**
     * The flagged-flow table's rows, rendered as their flows end (on the thread that reports them),
     * in the order the data kept their records. Measured reason (reference workload, 10,000 rows):
     * rendered at the end, after the read, the rows were 130 ms of the HTML page's 190 ms there
     * (the end of the run 198 → 66 ms without them); while the capture is read, the thread that
     * reports flows has the time (it waits for flows half of the read). The HTML run: wall -6%, +1%,
     * -6%, +3% and -7% in five paired sets of 8-12 rounds, both orders (median -6%); its CPU -2% to
     * +16% (median +5%: rows rendered early in the read run partly interpreted); {@code --report-dir}:
     * paired 0.99 wall, 0.98 CPU.
     */
    private final List<Row> rows = new ArrayList<>();
    /** Compiled at the first row, on the thread that reports flows (not during the set-up). */
    private Mustache rowTemplate;
    private final java.io.StringWriter rowText = new java.io.StringWriter(1024);

    /** A row of the flagged-flow table and the record it shows. */
    private record Row(FlowRecord record, String html) {}

    /** An HTML report that aggregates the flows it is given. */
    public HtmlReport(Writer out, ReportContext context) {
        this(out, new ReportData(context), true);
    }

    /** An HTML report over aggregates the caller feeds ({@code ownsData} false). */
    public HtmlReport(Writer out, ReportData data, boolean ownsData) {
        this.out = out;
        this.data = data;
        this.ownsData = ownsData;
    }

    @Override
    public void flow(FlowRecord record) {
        if (ownsData) {
            data.add(record);
        }
        if (data.flaggedKept() > rows.size()) { // the data kept this record (its add comes just before this call)
            if (rowTemplate == null) {
                rowTemplate = factory().compile(ROW_TEMPLATE);
            }
            rows.add(new Row(record, row(rowTemplate, record, rowText)));
        }
    }

    @Override
    public void finish(RunSummary summary) throws IOException {
        render(data, summary, out, renderedRows());
        out.flush();
    }

    /**
     * The rows rendered so far in the table's order, or null when they are not exactly the records
     * the data kept (then the page renders its rows itself, as a snapshot does).
     */
    private List<String> renderedRows() {
        List<FlowRecord> kept = data.flaggedKeptInOrder();
        if (kept.size() != rows.size()) {
            return null;
        }
        for (int i = 0; i < rows.size(); i++) {
            if (kept.get(i) != rows.get(i).record()) {
                return null;
            }
        }
        List<Row> sorted = new ArrayList<>(rows);
        sorted.sort(Comparator.comparing(Row::record, ReportData.FLAGGED_ORDER)); // stable, as flaggedRecords() sorts
        List<String> html = new ArrayList<>(sorted.size());
        for (Row r : sorted) {
            html.add(r.html());
        }
        return html;
    }

    /** Renders the page for the flows aggregated so far (also usable for a snapshot of a running capture). */
    public static void render(ReportData data, RunSummary s, Writer out) throws IOException {
        render(data, s, null, false, null, out, null);
    }

    /**
     * The page of a running capture ({@code portmatrix live}): the flows closed so far ({@code data}), and the flows open
     * now ({@code open}; null for the final page, every flow closed), those outside the matrix listed apart, marked open
     * and provisional, at most {@link ReportContext#maxFlaggedRecords()} of them. Its header counts the flows closed and
     * names the interface ({@code s.sources()}), and its sections of flows outside the matrix say "no closed flow" when
     * they have none: the page had said "10 flows, 182 packets, 44,861 bytes in" and nothing after, and "No flow outside
     * the matrix." above the open flows outside it.
     */
    public static void render(ReportData data, RunSummary s, OpenFlows open, Writer out) throws IOException {
        render(data, s, open, null, out);
    }

    /**
     * {@link #render(ReportData, RunSummary, OpenFlows, Writer)}, the page saying under its header when the report was taken
     * ({@code when}, as summary.txt says it: "since START, running at NOW"; null for none): a page passed on from a running
     * capture had not said when it was written, and its open flows are those of that moment.
     */
    public static void render(ReportData data, RunSummary s, OpenFlows open, String when, Writer out) throws IOException {
        render(data, s, open, true, when, out, null);
    }

    private static void render(ReportData data, RunSummary s, Writer out, List<String> renderedRows) throws IOException {
        render(data, s, null, false, null, out, renderedRows);
    }

    /** @param renderedRows the flagged-flow table's rows already rendered, in its order; null to render them here */
    private static void render(ReportData data, RunSummary s, OpenFlows open, boolean live, String when, Writer out,
                               List<String> renderedRows) throws IOException {
        DefaultMustacheFactory factory = factory();
        Mustache template = factory.compile(TEMPLATE);
        Map<String, Object> m = model(data, s);
        if (live) {
            m.put("live", true);
            if (when != null) {
                m.put("when", when);
            }
            // Its header counts the flows closed; the counters' flows are every flow seen, the open ones too.
            List<Map<String, Object>> counters = new ArrayList<>();
            for (Object o : (List<?>) m.get("counters")) {
                @SuppressWarnings("unchecked")
                Map<String, Object> row = (Map<String, Object>) o;
                counters.add(row.get("name").equals("flows") ? Map.of("name", "flows seen, open and closed", "value", row.get("value")) : row);
            }
            m.put("counters", counters);
        }
        if (open != null) {
            m.put("open", open(open, data.context().maxFlaggedRecords()));
        }
        if (renderedRows != null) {
            m.put("flowRows", renderedRows);
        } else {
            Mustache rowTemplate = factory.compile(ROW_TEMPLATE);
            java.io.StringWriter text = new java.io.StringWriter(1024);
            List<FlowRecord> records = data.flaggedRecords();
            // Each row rendered as the page's template reaches it: no copy of the whole table in memory.
            m.put("flowRows", new java.util.AbstractList<String>() {
                @Override
                public String get(int i) {
                    return row(rowTemplate, records.get(i), text);
                }

                @Override
                public int size() {
                    return records.size();
                }
            });
        }
        try {
            template.execute(out, m).flush();
        } catch (com.github.mustachejava.MustacheException e) {
            // The template engine wraps the writer's failure (a full disk) in an unchecked exception of its own,
            // which went past every handler of write failures: a stack trace, exit status 1, and in live the
            // capture ended without its final report.
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof IOException io) {
                    throw io;
                }
            }
            throw e;
        }
    }

    private static DefaultMustacheFactory factory() {
        DefaultMustacheFactory factory = new DefaultMustacheFactory("org/portmatrix/report") {
            @Override
            public void encode(String value, Writer writer) {
                super.encode(visible(value), writer);
            }
        };
        // The model is maps, lists and plain values only: looked up directly instead of by reflection.
        // Measured reason: the default handler's reflective calls were half of the rendering time of a
        // page with 10,000 flagged flows (the same page, byte for byte).
        factory.setObjectHandler(new com.github.mustachejava.reflect.SimpleObjectHandler());
        return factory;
    }

    /**
     * Control characters from the wire (an ESC in a server name, a CR in a SIP header) shown as "\\xNN", as
     * the CSV report shows them: HTML escaping leaves them raw, and the page read in a terminal (cat, less -r)
     * would pass an escape sequence on. Tab and newline are kept. The common value has none: returned as it is.
     */
    static String visible(String s) {
        return CsvReport.escapeControls(s, false);
    }

    /** One row of the flagged-flow table ({@link #ROW_TEMPLATE}, every value escaped), as text. */
    private static String row(Mustache rowTemplate, FlowRecord r, java.io.StringWriter text) {
        text.getBuffer().setLength(0);
        rowTemplate.execute(text, new FlowRow(r));
        return text.toString();
    }

    static String resource(String name) {
        try (InputStream in = HtmlReport.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String sha256Base64(String s) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String n(long v) {
        return TextReport.n(v);
    }

    static Map<String, Object> model(ReportData data, RunSummary s) {
        Map<String, Object> m = new LinkedHashMap<>();
        String script = resource("report.js");
        m.put("css", resource("report.css"));
        m.put("script", script);
        m.put("csp", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-" + sha256Base64(script) + "'");
        ReportData.Totals all = data.all();
        m.put("flowsText", TextReport.plural(all.flows(), "flow"));
        m.put("packetsText", TextReport.plural(all.packets(), "packet"));
        m.put("bytesText", TextReport.plural(all.bytes(), "byte"));
        m.put("sources", s.sources());
        if (all.flows() > 0) {
            m.put("span", Map.of("first", Timestamps.iso(all.firstNanos()), "last", Timestamps.iso(all.lastNanos()),
                    "duration", TextReport.duration(all.lastNanos() - all.firstNanos())));
        }
        m.put("catalog", s.catalogSource());
        m.put("version", org.portmatrix.Version.describe());
        m.put("topology", s.topologySource());
        List<Map<String, Object>> badges = new ArrayList<>();
        List<Map<String, Object>> legend = new ArrayList<>();
        List<String> flaggedVerdicts = new ArrayList<>();
        for (Verdict v : Verdict.values()) {
            legend.add(Map.of("id", v.id()));
            long c = data.totals(v).flows();
            if (c > 0) {
                badges.add(Map.of("id", v.id(), "flows", c, "flowsText", n(c)));
                if (v.flagged()) {
                    flaggedVerdicts.add(v.id());
                }
            }
        }
        m.put("badges", badges);
        m.put("legend", legend);
        m.put("flaggedVerdicts", flaggedVerdicts);
        m.put("matrix", matrix(data));
        groups(data, m);
        flows(data, m);
        certificates(data, s, m);
        coverage(data, m);
        Map<String, Object> timeline = timeline(data);
        if (timeline != null) {
            m.put("timeline", timeline);
        }
        counters(data, s, m);
        return m;
    }

    private static Map<String, Object> matrix(ReportData data) {
        List<String> axis = data.matrixAxis();
        List<String> srcs = new ArrayList<>();
        List<String> dsts = new ArrayList<>();
        for (String a : axis) {
            boolean asSrc = false;
            boolean asDst = false;
            for (String b : axis) {
                asSrc |= data.matrixCell(a, b) != null;
                asDst |= data.matrixCell(b, a) != null;
            }
            if (asSrc) {
                srcs.add(a);
            }
            if (asDst) {
                dsts.add(a);
            }
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String src : srcs) {
            List<Map<String, Object>> cells = new ArrayList<>();
            for (String dst : dsts) {
                long[] c = data.matrixCell(src, dst);
                Map<String, Object> cell = new LinkedHashMap<>();
                if (c == null) {
                    cell.put("empty", true);
                } else {
                    long flows = 0;
                    long flagged = 0;
                    Verdict worst = Verdict.EXPECTED;
                    StringBuilder title = new StringBuilder(src + " -> " + dst + ":");
                    for (Verdict v : Verdict.values()) {
                        long k = c[v.ordinal()];
                        if (k == 0) {
                            continue;
                        }
                        flows += k;
                        if (v.flagged()) {
                            flagged += k;
                            if (v.ordinal() < worst.ordinal()) {
                                worst = v;
                            }
                        }
                        title.append(' ').append(v.id()).append(' ').append(n(k)).append(';');
                    }
                    title.append(' ').append(n(c[ReportData.VERDICTS])).append(" packets, ").append(n(c[ReportData.VERDICTS + 1]))
                            .append(" bytes");
                    cell.put("src", src);
                    cell.put("dst", dst);
                    cell.put("flows", flows);
                    cell.put("flowsText", TextReport.plural(flows, "flow"));
                    cell.put("flagged", flagged);
                    cell.put("hasFlagged", flagged > 0);
                    cell.put("flaggedText", n(flagged));
                    cell.put("verdict", worst.id());
                    cell.put("title", title.toString());
                }
                cells.add(cell);
            }
            rows.add(Map.of("src", src, "cells", cells));
        }
        return Map.of("dsts", dsts, "rows", rows);
    }

    private static String example(FlowRecord e) {
        return e.transport() + " " + TextReport.endpoint(e.srcIp(), e.srcPort()) + " -> " + TextReport.endpoint(e.dstIp(), e.dstPort());
    }

    private static void groups(ReportData data, Map<String, Object> m) {
        List<Map<String, Object>> rows = new ArrayList<>();
        int total = 0;
        for (ReportData.VerdictGroups vg : data.flaggedGroups()) {
            for (ReportData.RolePair rp : vg.rolePairs()) {
                for (ReportData.Group g : rp.ports()) {
                    if (total++ >= MAX_GROUP_ROWS && !data.context().allFlows()) {
                        continue;
                    }
                    ReportData.Totals t = g.totals();
                    Map<String, Object> r = new LinkedHashMap<>();
                    r.put("verdict", vg.verdict().id());
                    r.put("rolePair", rp.label());
                    r.put("port", g.key().transportPort());
                    r.put("flows", t.flows());
                    r.put("flowsText", n(t.flows()));
                    r.put("packets", t.packets());
                    r.put("packetsText", n(t.packets()));
                    r.put("bytes", t.bytes());
                    r.put("bytesText", n(t.bytes()));
                    r.put("first", Timestamps.iso(t.firstNanos()));
                    r.put("last", Timestamps.iso(t.lastNanos()));
                    r.put("example", example(g.example()));
                    r.put("reason", g.example().reason());
                    rows.add(r);
                }
            }
        }
        m.put("groups", rows);
        m.put("hasGroups", !rows.isEmpty());
        m.put("hasGroupsOmitted", total > rows.size());
        m.put("groupsOmittedText", TextReport.plural(total - rows.size(), "group"));
        m.put("flaggedText", TextReport.plural(data.flaggedFlows(), "flagged flow"));
        m.put("groupCountText", TextReport.plural(total, "group"));
    }

    /**
     * The section of the flows open now: their counts by verdict, and those outside the matrix whose records were kept
     * (the first {@code max}, and the first of each verdict in each role pair that has none among them).
     */
    private static Map<String, Object> open(OpenFlows open, int max) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("flowsText", TextReport.plural(open.all().flows(), "flow"));
        List<Map<String, Object>> verdicts = new ArrayList<>();
        for (Verdict v : Verdict.values()) {
            long c = open.totals(v).flows();
            if (c > 0) {
                verdicts.add(Map.of("id", v.id(), "flows", c, "flowsText", n(c)));
            }
        }
        m.put("verdicts", verdicts);
        m.put("hasVerdicts", !verdicts.isEmpty());
        // Every record kept (OpenFlows keeps the first {@code max} and, past them, the first of each verdict in each role pair
        // that has none among them, as the closed flows' table does): cut at {@code max} after sorting, the most severe
        // first, the open protocol mismatch behind a thousand open flows from hosts outside the topology had no row.
        List<FlowRecord> records = open.records();
        List<FlowRow> rows = new ArrayList<>(records.size());
        for (FlowRecord r : records) {
            rows.add(new FlowRow(r));
        }
        long outside = open.outside();
        m.put("outsideText", TextReport.plural(outside, "open flow") + " outside the matrix");
        m.put("outside", outside);
        m.put("rows", rows);
        m.put("hasRows", !rows.isEmpty());
        m.put("hasOmitted", outside > rows.size());
        m.put("omitted", outside - rows.size());
        m.put("omittedText", n(outside - rows.size()));
        m.put("keptText", n(max));
        return m;
    }

    /** The flagged-flow table's counts; its rows ({@code flowRows}) are rendered by {@link #render}. */
    private static void flows(ReportData data, Map<String, Object> m) {
        int kept = data.flaggedKept();
        m.put("hasFlows", kept > 0);
        m.put("flowRowsText", n(kept) + " of " + n(kept));
        m.put("hasOmitted", data.flaggedOmitted() > 0);
        m.put("omitted", data.flaggedOmitted());
        m.put("omittedText", n(data.flaggedOmitted()));
        m.put("keptText", n(data.context().maxFlaggedRecords()));
    }

    /**
     * One flagged flow's row of the table, read from its record as the template asks for each value.
     * Measured reason (reference workload, 10,000 rows): a map of twenty entries per row, with its
     * boxed numbers, was 13-16 MB made at the end of the run, which started a young collection there
     * (23-40 ms) and took 50-80 ms to build; the page is the same, byte for byte.
     */
    private static final class FlowRow extends java.util.AbstractMap<String, Object> {
        private static final java.util.Set<String> KEYS = java.util.Set.of("id", "verdict", "first", "firstSort", "last",
                "lastSort", "transport", "src", "inferred", "srcRoles", "dst", "dstRoles", "app", "packets", "packetsText",
                "bytes", "bytesText", "rule", "reason");
        private final FlowRecord r;

        FlowRow(FlowRecord r) {
            this.r = r;
        }

        @Override
        public boolean containsKey(Object key) {
            return "sni".equals(key) ? r.tls() != null && r.tls().sni() != null
                    : "files".equals(key) ? r.fileFirst() != null : KEYS.contains(key);
        }

        @Override
        public Object get(Object key) {
            if (!(key instanceof String k)) {
                return null;
            }
            return switch (k) {
                case "id" -> r.flowId();
                case "verdict" -> r.verdict();
                case "first" -> Timestamps.iso(r.tsFirstNanos());
                case "firstSort" -> r.tsFirstNanos();
                case "last" -> Timestamps.iso(r.tsLastNanos());
                case "lastSort" -> r.tsLastNanos();
                case "transport" -> r.transport();
                case "src" -> TextReport.endpoint(r.srcIp(), r.srcPort());
                case "inferred" -> r.directionInferred();
                case "srcRoles" -> ReportData.roleLabel(r.srcRoles());
                case "dst" -> TextReport.endpoint(r.dstIp(), r.dstPort());
                case "dstRoles" -> ReportData.roleLabel(r.dstRoles());
                case "app" -> r.appProtocol() == null ? "" : r.appProtocol();
                case "sni" -> r.tls() == null ? null : r.tls().sni();
                case "files" -> r.files();
                case "packets" -> r.packets();
                case "packetsText" -> n(r.packets());
                case "bytes" -> r.bytes();
                case "bytesText" -> n(r.bytes());
                case "rule" -> r.rule() == null ? "" : r.rule();
                case "reason" -> r.reason();
                default -> null;
            };
        }

        /** Every value, made when asked for (the template never asks: it looks values up one by one). */
        @Override
        public java.util.Set<Entry<String, Object>> entrySet() {
            Map<String, Object> all = new LinkedHashMap<>();
            for (String k : KEYS) {
                all.put(k, get(k));
            }
            if (containsKey("sni")) {
                all.put("sni", get("sni"));
            }
            if (containsKey("files")) {
                all.put("files", get("files"));
            }
            return all.entrySet();
        }
    }

    private static void certificates(ReportData data, RunSummary s, Map<String, Object> m) {
        List<Map<String, Object>> rows = certificateRows(s.certificates());
        m.put("certificates", rows);
        m.put("hasCertificates", !rows.isEmpty());
        m.put("warnDays", WARN_DAYS);
    }

    /** The certificate inventory's rows: expired and soon-expiring certificates marked for the eye. */
    static List<Map<String, Object>> certificateRows(List<CertificateRecord> inventory) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (CertificateRecord c : inventory) {
            CertificateInfo i = c.certificate();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("sha256", i.sha256());
            row.put("subject", i.subject());
            row.put("issuer", i.issuer());
            row.put("sans", String.join(", ", i.sans()));
            row.put("hosts", String.join(", ", c.presentedBy()));
            row.put("notAfter", java.time.Instant.ofEpochMilli(i.notAfterMillis()).toString());
            row.put("days", c.daysToExpiry());
            row.put("daysText", n(c.daysToExpiry()));
            row.put("key", i.keyType() + " " + i.keyBits() + " bits, " + i.signatureAlgorithm());
            row.put("findings", String.join(", ", c.findings()));
            boolean expired = i.notAfterMillis() * 1_000_000L < c.lastSeenNanos(); // (hours past it are 0 whole days)
            row.put("rowClass", expired ? "expired" : c.daysToExpiry() < WARN_DAYS ? "warn" : "ok");
            rows.add(row);
        }
        return rows;
    }

    private static void coverage(ReportData data, Map<String, Object> m) {
        Coverage c = data.coverage();
        m.put("hasCoverage", !c.isEmpty());
        if (c.isEmpty()) {
            return;
        }
        List<Coverage.RuleRow> rules = c.rows();
        List<Coverage.Candidate> candidates = c.candidates();
        long seen = rules.stream().filter(Coverage.RuleRow::seen).count();
        long applies = rules.stream().filter(Coverage.RuleRow::applies).count();
        m.put("coverageSummary", n(seen) + " of " + TextReport.plural(rules.size(), "rule") + " carried traffic; " + n(applies)
                + " apply to roles of this topology; " + (c.assessed() ? TextReport.plural(candidates.size(), "documented port")
                + " on those roles saw no flow." : "unused ports not assessed (no TCP or UDP flow reached a host of the topology).")
                + (c.flowsUnderSeveralRules() > 0 ? " " + TextReport.severalRules(c) + "." : ""));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Coverage.RuleRow r : rules) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", r.rule().id());
            row.put("port", r.transportPort());
            row.put("from", r.sources());
            row.put("to", r.destinations());
            row.put("seen", r.seen() ? "yes" : r.applies() ? "no" : "no (role not in topology)");
            row.put("rowClass", r.seen() ? "seen" : "unused");
            row.put("flows", r.flows());
            // As the text report says it: a flow the rule matched but whose protocol on the wire was wrong is counted here too.
            row.put("flowsText", r.flaggedFlows() > 0 ? n(r.flows()) + " (" + n(r.flaggedFlows()) + " flagged anyway: protocol_mismatch or unverifiable)" : n(r.flows()));
            row.put("packets", r.packets());
            row.put("packetsText", n(r.packets()));
            row.put("bytes", r.bytes());
            row.put("bytesText", n(r.bytes()));
            row.put("otherPorts", r.otherPortsText());
            row.put("portFlows", r.portFlows());
            row.put("portFlowsText", n(r.portFlows()));
            List<String> seeds = new ArrayList<>();
            for (Citation ci : r.rule().citations()) {
                seeds.add(ci.document() + ": " + ci.shortForm());
            }
            row.put("seed", String.join("; ", seeds));
            rows.add(row);
        }
        m.put("coverage", rows);
        List<Map<String, Object>> cand = new ArrayList<>();
        for (Coverage.Candidate k : candidates) {
            cand.add(Map.of("port", k.transportPort(), "on", k.destinations(), "rules", String.join(", ", k.ruleIds()),
                    "service", k.service() == null ? "" : k.service()));
        }
        m.put("candidates", cand);
        m.put("hasCandidates", !cand.isEmpty());
        m.put("notAssessed", !c.assessed());
    }

    private static Map<String, Object> timeline(ReportData data) {
        List<Timeline.Bucket> bars = data.timeline().bars(TIMELINE_BARS);
        if (bars.isEmpty()) {
            return null;
        }
        long t0 = bars.get(0).startNanos();
        Timeline.Bucket lastBar = bars.get(bars.size() - 1);
        long t1 = Math.max(lastBar.startNanos() + lastBar.widthNanos(), data.all().lastNanos());
        double span = Math.max(1, t1 - t0);
        double plot = RIGHT - LEFT;
        long max = 1;
        for (Timeline.Bucket b : bars) {
            max = Math.max(max, b.total());
        }
        List<Map<String, Object>> barRows = new ArrayList<>();
        int base = TOP + CHART;
        for (int i = 0; i < bars.size(); i++) {
            Timeline.Bucket b = bars.get(i);
            if (b.total() == 0) {
                continue;
            }
            // On the axis of the spans below and of the labels, t0 to t1: the bars end where flows stop starting, which
            // can be well before the last packet of a long flow. Spread over the whole width (plot / bars), a start
            // was drawn later than it was, up to the width of the plot: one bucket of 1 ms filled a 5 ms axis.
            double x = LEFT + (b.startNanos() - t0) / span * plot;
            double barWidth = b.widthNanos() / span * plot;
            double y = base;
            List<Map<String, Object>> segs = new ArrayList<>();
            StringBuilder title = new StringBuilder(Timestamps.iso(b.startNanos())).append(":");
            for (int v = Verdict.values().length - 1; v >= 0; v--) { // expected at the bottom, most severe on top
                long k = b.counts()[v];
                if (k == 0) {
                    continue;
                }
                double h = Math.max(1, (double) k / max * CHART);
                y -= h;
                segs.add(Map.of("verdict", Verdict.values()[v].id(), "x", f(x + 0.5), "y", f(y), "w", f(Math.max(1, barWidth - 1)),
                        "h", f(h)));
                title.append(' ').append(Verdict.values()[v].id()).append(' ').append(n(k)).append(';');
            }
            barRows.add(Map.of("segments", segs, "title", title.toString()));
        }
        List<ReportData.Group> top = new ArrayList<>();
        for (ReportData.VerdictGroups vg : data.flaggedGroups()) {
            for (ReportData.RolePair rp : vg.rolePairs()) {
                top.addAll(rp.ports());
            }
        }
        top.sort(Comparator.<ReportData.Group>comparingLong(g -> -g.totals().flows()).thenComparingInt(g -> g.key().verdict().ordinal()));
        List<ReportData.Group> shown = top.subList(0, Math.min(TIMELINE_SPANS, top.size()));
        shown.sort(Comparator.comparingLong(g -> g.totals().firstNanos()));
        List<Map<String, Object>> spans = new ArrayList<>();
        int y0 = base + 34;
        for (int i = 0; i < shown.size(); i++) {
            ReportData.Group g = shown.get(i);
            ReportData.Totals t = g.totals();
            double x1 = LEFT + (t.firstNanos() - t0) / span * plot;
            double x2 = LEFT + (t.lastNanos() - t0) / span * plot;
            int y = y0 + i * 14;
            String label = g.key().verdict().id() + " " + g.key().transportPort() + " " + g.key().rolePair();
            spans.add(Map.of("verdict", g.key().verdict().id(), "x", f(x1), "y", y, "w", f(Math.max(3, x2 - x1)), "textY", y + 9,
                    "labelX", LEFT - 6, "label", TextReport.abbreviate(label, 52),
                    "title", label + ": " + TextReport.plural(t.flows(), "flow") + " from " + Timestamps.iso(t.firstNanos()) + " to "
                            + Timestamps.iso(t.lastNanos())));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("width", WIDTH);
        m.put("height", y0 + spans.size() * 14 + 8);
        m.put("left", LEFT);
        m.put("right", RIGHT);
        m.put("base", base);
        m.put("labelY", base + 14);
        m.put("start", Timestamps.iso(t0));
        m.put("end", Timestamps.iso(t1));
        m.put("maxText", TextReport.plural(max, "flow"));
        m.put("bucket", bucketText(bars.get(0).widthNanos()));
        m.put("bars", barRows);
        m.put("spans", spans);
        return m;
    }

    /**
     * {@code String.format(Locale.ROOT, "%.1f", v)}, the same text: the shortest decimal digits of
     * {@code v} rounded half up to one place, as the formatter rounds them. Measured reason (reference
     * workload): the timeline's few thousand coordinates through the formatter, its pattern parsed at
     * each call and its code run once so mostly interpreted, took 30 ms at the end of the run.
     */
    static String f(double v) {
        if (!(v >= 0) || Double.isInfinite(v) || (v == 0 && 1 / v < 0)) {
            return String.format(Locale.ROOT, "%.1f", v); // negative, or not a number: not in a chart; as the formatter writes them
        }
        return new java.math.BigDecimal(Double.toString(v)).setScale(1, java.math.RoundingMode.HALF_UP).toPlainString();
    }

    private static void counters(ReportData data, RunSummary s, Map<String, Object> m) {
        List<Map<String, Object>> rows = new ArrayList<>();
        rows.add(Map.of("name", "packets read", "value", n(s.packetsRead())));
        rows.add(Map.of("name", "packets decoded into flows", "value", n(s.packetsDecoded())));
        if (s.icmpErrorsOnFlows() > 0) {
            rows.add(Map.of("name", "of those, ICMP errors counted on the flow they quote", "value", n(s.icmpErrorsOnFlows()), "indent", true));
        }
        rows.add(Map.of("name", "packets not decoded", "value", n(s.packetsRead() - s.packetsDecoded())));
        for (Map.Entry<String, Long> e : s.undecodable().entrySet()) {
            rows.add(Map.of("name", e.getKey(), "value", n(e.getValue()), "indent", true));
        }
        rows.add(Map.of("name", "flows", "value", n(s.flows())));
        rows.add(Map.of("name", "flows open at the peak", "value", n(s.peakFlows())));
        rows.add(Map.of("name", "flows closed early (flow table full)", "value", n(s.flowsEvictedEarly())));
        rows.add(Map.of("name", "flagged flows not kept for the table", "value", n(data.flaggedOmitted())));
        m.put("counters", rows);
        m.put("damage", s.damage());
        m.put("interrupted", s.interrupted());
    }

    /**
     * The timeline's interval as the page names it: exact to the millisecond below two minutes ("2.048 s", "512 ms"), as
     * the intervals are powers of two of a millisecond; "per 2 s" had stood for 2.048 s. Longer ones as the text report
     * rounds durations ("17.5 min").
     */
    static String bucketText(long nanos) {
        if (nanos >= 120_000_000_000L || nanos % 1_000_000 != 0) {
            return TextReport.duration(nanos).replace(".0 ", " ");
        }
        long ms = nanos / 1_000_000;
        if (ms < 1000) {
            return ms + " ms";
        }
        return java.math.BigDecimal.valueOf(ms, 3).stripTrailingZeros().toPlainString() + " s";
    }
}
