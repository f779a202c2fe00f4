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
 */
public final class ReportSet implements FlowReport, AutoCloseable {
    public static final List<String> FORMATS = List.of("text", "jsonl", "csv", "html");
    public static final String DIR_JSONL = "flows.jsonl";
    public static final String DIR_CSV = "flows.csv";
    public static final String DIR_HTML = "report.html";
    public static final String DIR_TEXT = "summary.txt";

    private final ReportData data;
    private final List<FlowReport> reports = new ArrayList<>();
    private final List<AtomicFile> files = new ArrayList<>();
    private final List<String> written = new ArrayList<>();
    private BitSet flaggedIds;

    public ReportSet(ReportContext context) {
        this.data = new ReportData(context);
    }

    public ReportData data() {
        return data;
    }

    /** The report of one format over {@code out}: text, jsonl, csv or html. */
    public void add(String format, Writer out) throws IOException {
        add(format, out, null);
    }

    /**
     * The report of one format over {@code out}, or for JSON lines over {@code bytes} (the stream
     * under {@code out}, unbuffered by it) when given: JSON lines is then written as UTF-8 directly.
     */
    public void add(String format, Writer out, java.io.OutputStream bytes) throws IOException {
        reports.add(switch (format) {
            case "text" -> new TextReport(out, data, false);
            case "jsonl" -> bytes != null ? new JsonLinesReport(bytes) : new JsonLinesReport(out);
            case "csv" -> new CsvReport(out);
            case "html" -> new HtmlReport(out, data, false);
            default -> throw new IllegalArgumentException("unknown format " + format);
        });
    }

    /** flows.jsonl, flows.csv, report.html and summary.txt in {@code dir} (created if missing). */
    public void addDirectory(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String[] f : new String[][] {{DIR_JSONL, "jsonl"}, {DIR_CSV, "csv"}, {DIR_HTML, "html"}, {DIR_TEXT, "text"}}) {
            AtomicFile file = AtomicFile.create(dir.resolve(f[0]));
            files.add(file);
            add(f[1], file.writer(), file.stream());
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
    public void flow(FlowRecord r) throws IOException {
        data.add(r);
        if (flaggedIds != null && r.flagged() && r.flowId() >= 0 && r.flowId() < Integer.MAX_VALUE) {
            flaggedIds.set((int) r.flowId());
        }
        for (int i = 0; i < reports.size(); i++) { // indexed: no iterator per flow
            reports.get(i).flow(r);
        }
    }

    @Override
    public void finish(RunSummary summary) throws IOException {
        for (FlowReport report : reports) {
            report.finish(summary);
        }
        for (AtomicFile f : files) {
            f.commit();
            written.add(f.target().toString());
        }
    }

    /** The files written (after {@link #finish}). */
    public List<String> written() {
        return List.copyOf(written);
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
