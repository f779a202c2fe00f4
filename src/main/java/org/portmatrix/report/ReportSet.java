package org.portmatrix.report;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Every output of one run, fed once per flow: the aggregates shared by the text and HTML views, the
 * streamed outputs (JSON lines, CSV), the files of {@code --report-dir}, and the ids of the flagged
 * flows for {@code --extract}. Files are written under temporary names and renamed into place when
 * the run finishes; {@link #close()} removes whatever was not finished.
 *
 * <p>An output that cannot be written (a full disk, a closed pipe) is given up alone: its partial
 * file is deleted, the others go on and are completed, and {@link #failures()} says which failed and
 * why, for the caller to report after the run's summary.
 */
public final class ReportSet implements FlowReport, AutoCloseable {
    public static final List<String> FORMATS = List.of("text", "jsonl", "csv", "html");
    public static final String DIR_JSONL = "flows.jsonl";
    public static final String DIR_CSV = "flows.csv";
    public static final String DIR_HTML = "report.html";
    public static final String DIR_TEXT = "summary.txt";
    /** Every file {@code --report-dir} writes. */
    public static final List<String> DIR_FILES = List.of(DIR_JSONL, DIR_CSV, DIR_HTML, DIR_TEXT);

    private final ReportData data;
    private final List<Output> outputs = new ArrayList<>();
    private final List<AtomicFile> files = new ArrayList<>();
    private final List<String> written = new ArrayList<>();
    private BitSet flaggedIds;

    /** One report and where it goes. */
    private static final class Output {
        final FlowReport report;
        /** Its name in messages: a file's path, or "standard output". */
        final String name;
        /** How it is completed or given up; null when the caller does that. */
        final ReportTarget target;
        /** Named among the files written when completed. */
        final boolean listed;
        IOException failure;

        Output(FlowReport report, String name, ReportTarget target, boolean listed) {
            this.report = report;
            this.name = name;
            this.target = target;
            this.listed = listed;
        }
    }

    public ReportSet(ReportContext context) {
        this.data = new ReportData(context);
    }

    public ReportData data() {
        return data;
    }

    /** The report of one format over {@code out}: text, jsonl, csv or html. */
    public void add(String format, Writer out) throws IOException {
        add(format, out, null, "output", null);
    }

    /**
     * The report of one format over {@code out}, or for JSON lines over {@code bytes} (the stream
     * under {@code out}, unbuffered by it) when given: JSON lines is then written as UTF-8 directly.
     * {@code name} names it in a failure; {@code target}, when given, is committed when the run
     * finishes, or discarded if writing the report fails.
     */
    public void add(String format, Writer out, java.io.OutputStream bytes, String name, ReportTarget target) throws IOException {
        add(format, out, bytes, name, target, false);
    }

    /**
     * As {@link #add(String, Writer, java.io.OutputStream, String, ReportTarget)}; {@code listed}: a file of its own, named in
     * {@link #written()} once written (a CSV report to a regular file starts with the byte-order mark; to standard output,
     * a pipe or a device, such as --output /dev/stdout piped to a script, it does not: {@link CsvReport}).
     */
    public void add(String format, Writer out, java.io.OutputStream bytes, String name, ReportTarget target, boolean listed) throws IOException {
        outputs.add(new Output(report(format, out, bytes, listed && target != null && target.regularFile()), name, target, listed));
    }

    /** {@code file}: a regular file, not standard output or a pipe (a CSV file then starts with the byte-order mark: {@link CsvReport}). */
    private FlowReport report(String format, Writer out, java.io.OutputStream bytes, boolean file) throws IOException {
        return switch (format) {
            case "text" -> new TextReport(out, data, false);
            case "jsonl" -> bytes != null ? new JsonLinesReport(bytes) : new JsonLinesReport(out);
            case "csv" -> new CsvReport(out, file);
            case "html" -> new HtmlReport(out, data, false);
            default -> throw new IllegalArgumentException("unknown format " + format);
        };
    }

    /** flows.jsonl, flows.csv, report.html and summary.txt in {@code dir} (created if missing). */
    public void addDirectory(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String[] f : new String[][] {{DIR_JSONL, "jsonl"}, {DIR_CSV, "csv"}, {DIR_HTML, "html"}, {DIR_TEXT, "text"}}) {
            AtomicFile file = AtomicFile.create(dir.resolve(f[0]));
            files.add(file);
            outputs.add(new Output(report(f[1], file.writer(), file.stream(), file.regularFile()), file.target().toString(), file, true));
        }
    }

    /** Keeps the ids of flagged flows (one bit per flow id) for a second pass over the captures. */
    public BitSet trackFlaggedIds() {
        if (flaggedIds == null) {
            flaggedIds = new BitSet();
        }
        return flaggedIds;
    }

    @Override
    public void flow(FlowRecord r) {
        data.add(r);
        if (flaggedIds != null && r.flagged() && r.flowId() >= 0 && r.flowId() < Integer.MAX_VALUE) {
            flaggedIds.set((int) r.flowId());
        }
        for (int i = 0; i < outputs.size(); i++) { // indexed: no iterator per flow
            Output o = outputs.get(i);
            if (o.failure == null) {
                try {
                    o.report.flow(r);
                } catch (IOException e) {
                    fail(o, e);
                }
            }
        }
    }

    @Override
    public void finish(RunSummary summary) {
        boolean html = false;
        for (Output o : outputs) {
            html |= o.report instanceof HtmlReport;
        }
        data.htmlTable(html); // (the text report's count of flows not kept for the HTML table, only when there is one)
        for (Output o : outputs) {
            if (o.failure != null) {
                continue;
            }
            try {
                o.report.finish(summary);
                if (o.target != null) {
                    o.target.commit();
                }
                if (o.listed) {
                    written.add(o.name);
                }
            } catch (IOException e) {
                fail(o, e);
            }
        }
    }

    private static void fail(Output o, IOException e) {
        o.failure = e;
        if (o.target != null) {
            o.target.discard();
        }
    }

    /** The files written (after {@link #finish}). */
    public List<String> written() {
        return List.copyOf(written);
    }

    /** True when there are outputs and writing each of them has failed: nothing is left to write but the summary. */
    public boolean allFailed() {
        for (int i = 0; i < outputs.size(); i++) {
            if (outputs.get(i).failure == null) {
                return false;
            }
        }
        return !outputs.isEmpty();
    }

    /**
     * One line per output that could not be written ("out.jsonl: cannot write: No space left on
     * device"), in the order they were added; empty when all were.
     */
    public List<String> failures() {
        List<String> lines = new ArrayList<>();
        for (Output o : outputs) {
            if (o.failure != null) {
                lines.add(ReportTarget.failure(o.name, o.failure));
            }
        }
        return lines;
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (AtomicFile f : files) {
            try {
                f.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
