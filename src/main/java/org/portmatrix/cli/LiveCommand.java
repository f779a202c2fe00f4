package org.portmatrix.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.portmatrix.capture.LinkType;
import org.portmatrix.capture.live.CaptureLoop;
import org.portmatrix.capture.live.CaptureLossEstimator;
import org.portmatrix.capture.live.KernelStats;
import org.portmatrix.capture.live.LinkWatch;
import org.portmatrix.capture.live.LiveCaptureConfig;
import org.portmatrix.capture.live.LiveCaptureException;
import org.portmatrix.capture.live.LiveSource;
import org.portmatrix.capture.live.PacketBatch;
import org.portmatrix.capture.live.PcapLiveSource;
import org.portmatrix.classify.Catalog;
import org.portmatrix.classify.Classifier;
import org.portmatrix.classify.CompiledCatalog;
import org.portmatrix.classify.ConfigException;
import org.portmatrix.classify.Roles;
import org.portmatrix.classify.Topology;
import org.portmatrix.decode.Decoded;
import org.portmatrix.decode.IpProtocol;
import org.portmatrix.flow.Flow;
import org.portmatrix.flow.FlowConfig;
import org.portmatrix.classify.Rule;
import org.portmatrix.report.ReportContext;
import org.portmatrix.report.ReportData;
import org.portmatrix.report.RunSummary;

/**
 * {@code portmatrix live -i IFACE ...}: captures on an interface (a switch mirror port) and
 * classifies continuously.
 *
 * <p>Two threads: the capture thread ({@link CaptureLoop}) copies packets into batches and never
 * waits; this (the calling) thread analyses the batches, writes closed flows as they close,
 * closes idle flows on a wall-clock timer when no packet comes, and rewrites the summary every
 * {@code --report-every}. SIGINT/SIGTERM (a shutdown hook) and {@code --duration} stop the capture;
 * the capture thread then reads what the kernel still holds, this thread drains the queue, closes
 * every open flow and writes the final summary, and only then lets the JVM exit.
 *
 * <p>Exit status: 0 done; 2 bad options, or the capture cannot start (no such interface, no
 * permission, bad filter, no libpcap), or an output could not be written (flow lines: the capture
 * stops; the final report is still written); 3 the capture failed mid-run (everything before the
 * failure is reported). Ended by a signal, the JVM exits with 128 + the signal number after the final report.
 */
final class LiveCommand {
    /** Packets queued this long behind the wall clock may still arrive: idle expiry by the clock leaves them this margin. */
    private static final long IDLE_SLACK_NANOS = 2_000_000_000L;
    private static final long IDLE_CHECK_NANOS = 1_000_000_000L;
    /** How often the capture interface's link state is read (a file of sysfs: a few microseconds). */
    private static final long LINK_CHECK_NANOS = 1_000_000_000L;
    private static final long MAX_PARK_NANOS = 50_000_000L;
    private static final int MIN_BATCH_BYTES = 512 * 1024;
    private static final int MIN_FRAME = 64;
    /** The largest snap length accepted (libpcap's own maximum). */
    private static final int MAX_SNAPLEN = 262144;
    private static final int LOSS_SLOTS = 1 << 17;
    private static final long HOOK_WAIT_SECONDS = 120;

    private final LiveOptions o;
    private final PrintStream out;
    private final PrintStream err;
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean signalled;
    private volatile Thread captureThread;

    private LiveCommand(LiveOptions o, PrintStream out, PrintStream err) {
        this.o = o;
        this.out = out;
        this.err = err;
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws UsageException, ConfigException, IOException {
        if (Help.asked(args)) {
            Help.print(out, "portmatrix live -i IFACE", "Capture on an interface (a mirror port) and classify every flow as it closes.",
                            options(), "Stops at --duration or SIGINT/SIGTERM, after the final report. Exit status: 0 done, "
                                    + "2 bad options, the capture cannot start, or an output that cannot be written (the capture stops; the final "
                                    + "report is written), 3 the capture failed mid-run (reported up to the failure), 128 + the signal after "
                                    + "SIGINT/SIGTERM.");
            return ExitStatus.OK;
        }
        return new LiveCommand(parse(args), out, err).run();
    }

    static Options options() {
        Options o = new Options();
        o.addOption(Option.builder("i").longOpt("interface").hasArg().argName("IFACE").desc("the interface to capture on (required)").get());
        o.addOption(Option.builder().longOpt("bpf").hasArg().argName("EXPR").desc("capture filter, pcap-filter(7) syntax").get());
        o.addOption(Option.builder().longOpt("snaplen").hasArg().argName("N")
                .desc("bytes kept of each packet (default " + LiveCaptureConfig.DEFAULT_SNAPLEN + ")").get());
        o.addOption(Option.builder().longOpt("buffer-size").hasArg().argName("MiB")
                .desc("kernel capture buffer (default " + LiveCaptureConfig.DEFAULT_BUFFER_MIB + ")").get());
        o.addOption(Option.builder().longOpt("queue-size").hasArg().argName("MiB")
                .desc("packets queued between the capture and the analysis thread (default " + LiveOptions.DEFAULT_QUEUE_MIB + ")").get());
        o.addOption(Option.builder().longOpt("immediate").desc("deliver every packet at once (lower latency, more CPU)").get());
        o.addOption(Option.builder().longOpt("duration").hasArg().argName("SECONDS").desc("stop after this long (default: until SIGINT/SIGTERM)").get());
        o.addOption(Option.builder().longOpt("report-every").hasArg().argName("SECONDS")
                .desc("rewrite the summary this often (default " + LiveOptions.DEFAULT_REPORT_EVERY + ")").get());
        o.addOption(Option.builder("t").longOpt("topology").hasArg().argName("FILE").desc("topology file: roles mapped to CIDRs (YAML or JSON)").get());
        o.addOption(Option.builder().longOpt("catalog").hasArg().argName("FILE").desc("replace the built-in Lync Server 2013 catalog with this file").get());
        o.addOption(Option.builder("f").longOpt("format").hasArg().argName("FORMAT").desc("closed-flow lines: text or jsonl (default text)").get());
        o.addOption(Option.builder("o").longOpt("output").hasArg().argName("FILE").desc("append closed flows to FILE instead of standard output").get());
        o.addOption(Option.builder().longOpt("report-dir").hasArg().argName("DIR")
                .desc("write summary.json, summary.txt and report.html (rewritten atomically) and stats.jsonl (one line per report) here, made if missing").get());
        o.addOption(Option.builder().longOpt("report-flagged").hasArg().argName("N")
                .desc("flagged flows kept whole for report.html's table, and the open flows outside the matrix it lists, past them the first of each verdict in each role pair (default "
                        + LiveOptions.DEFAULT_REPORT_FLAGGED + "; every flow is in the flow lines)").get());
        o.addOption(Option.builder().longOpt("rotate-size").hasArg().argName("MiB").desc("rotate --output past this size (fractions allowed: 0.5)").get());
        o.addOption(Option.builder().longOpt("rotate-every").hasArg().argName("SECONDS").desc("rotate --output past this age").get());
        o.addOption(Option.builder().longOpt("rotate-keep").hasArg().argName("N")
                .desc("keep the newest N rotated files of --output, deleting older ones at each rotation (default: all)").get());
        o.addOption(Option.builder().longOpt("vlan-in-key").desc("make the VLAN id part of the flow key").get());
        o.addOption(Option.builder().longOpt("flow-capacity").hasArg().argName("N")
                .desc("most flows held at once (default " + FlowConfig.DEFAULT_CAPACITY + ")").get());
        Main.addTimeoutOptions(o);
        o.addOption(Option.builder().longOpt("heap-sample")
                .desc("diagnostic: a full GC before each summary, so memory.heap_after_gc is the live heap").get());
        return o;
    }

    static LiveOptions parse(String[] args) throws UsageException {
        CommandLine cl = Main.parse("live", options(), args, java.util.Set.of(), false);
        if (!cl.getArgList().isEmpty()) {
            throw new UsageException("live: unexpected argument '" + cl.getArgList().get(0) + "' (the interface goes after -i)");
        }
        String iface = cl.getOptionValue("interface");
        if (iface == null || iface.isBlank()) {
            throw new UsageException("live: no interface given (portmatrix live -i IFACE)");
        }
        String format = cl.getOptionValue("format", "text");
        if (!LiveOptions.FORMATS.contains(format)) {
            throw new UsageException("live: unknown format '" + format + "' (formats: " + String.join(", ", LiveOptions.FORMATS) + ")");
        }
        int snaplen = intOption(cl, "snaplen", LiveCaptureConfig.DEFAULT_SNAPLEN, MAX_SNAPLEN);
        if (snaplen < MIN_FRAME) {
            throw new UsageException("--snaplen: " + snaplen + " is outside " + MIN_FRAME + ".." + MAX_SNAPLEN);
        }
        int buffer = intOption(cl, "buffer-size", LiveCaptureConfig.DEFAULT_BUFFER_MIB, 2047);
        int queue = intOption(cl, "queue-size", LiveOptions.DEFAULT_QUEUE_MIB, 4096);
        long duration = cl.hasOption("duration") ? intOption(cl, "duration", 0) : 0;
        long every = intOption(cl, "report-every", (int) LiveOptions.DEFAULT_REPORT_EVERY);
        long rotateBytes = cl.hasOption("rotate-size") ? mebibytes("--rotate-size", cl.getOptionValue("rotate-size")) : 0;
        long rotateSeconds = cl.hasOption("rotate-every") ? intOption(cl, "rotate-every", 0) : 0;
        Path output = Main.outputPath(cl.getOptionValue("output"));
        if ((rotateBytes > 0 || rotateSeconds > 0) && output == null) {
            throw new UsageException("--rotate-size and --rotate-every need --output FILE");
        }
        int rotateKeep = cl.hasOption("rotate-keep") ? intOption(cl, "rotate-keep", 0) : 0;
        if (rotateKeep > 0 && rotateBytes == 0 && rotateSeconds == 0) {
            throw new UsageException("--rotate-keep needs --rotate-size or --rotate-every");
        }
        int capacity = cl.hasOption("flow-capacity") ? Main.flowCapacity(cl.getOptionValue("flow-capacity")) : FlowConfig.DEFAULT_CAPACITY;
        int reportFlagged = LiveOptions.DEFAULT_REPORT_FLAGGED;
        if (cl.hasOption("report-flagged")) {
            try {
                reportFlagged = Integer.parseInt(cl.getOptionValue("report-flagged").trim());
                if (reportFlagged < 0) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                throw new UsageException("--report-flagged: '" + cl.getOptionValue("report-flagged") + "' is not a whole number >= 0");
            }
        }
        return new LiveOptions(iface, cl.getOptionValue("bpf"), snaplen, buffer, queue, cl.hasOption("immediate"), duration, every,
                path(cl.getOptionValue("topology")), path(cl.getOptionValue("catalog")), format, output,
                path(cl.getOptionValue("report-dir")), rotateBytes, rotateSeconds, rotateKeep, cl.hasOption("vlan-in-key"), Main.flowConfig(cl, capacity),
                cl.hasOption("heap-sample"), reportFlagged);
    }

    private static int intOption(CommandLine cl, String name, int dflt) throws UsageException {
        return intOption(cl, name, dflt, Integer.MAX_VALUE);
    }

    private static int intOption(CommandLine cl, String name, int dflt, int max) throws UsageException {
        String v = cl.getOptionValue(name);
        return v == null ? dflt : Main.positiveInt("--" + name, v, max);
    }

    /** A size in MiB, fractions allowed ("0.5"), as bytes. */
    private static long mebibytes(String option, String v) throws UsageException {
        try {
            double mib = Double.parseDouble(v.trim());
            if (!(mib > 0) || mib > 1 << 20) {
                throw new NumberFormatException();
            }
            return Math.max(1, (long) (mib * (1 << 20)));
        } catch (NumberFormatException e) {
            throw new UsageException(option + ": '" + v + "' is not a positive size in MiB");
        }
    }

    private static Path path(String s) {
        return s == null ? null : Path.of(s);
    }

    private int run() throws ConfigException, IOException, UsageException {
        Main.outputsApart(outputs(o), java.util.Arrays.asList(o.topology(), o.catalog())); // before anything is read or captured
        // Then, as analyze does, outputs that cannot be written: the flow file's directory missing had been said only once the
        // capture was open ("cannot write the live output: ...: no such file or directory").
        Main.writable(o.output(), false, "cannot write output");
        Main.writable(o.reportDir(), true, "cannot create the report directory");
        Roles roles = new Roles();
        Catalog catalog = o.catalog() == null ? Catalog.builtIn(roles) : Catalog.load(o.catalog(), roles);
        Topology topology = o.topology() == null ? Topology.empty() : Topology.load(o.topology(), roles);
        for (String w : topology.warnings()) {
            err.println("portmatrix: warning: " + w);
        }
        Classifier classifier = new Classifier(new CompiledCatalog(catalog), topology);
        LiveCaptureConfig cfg = new LiveCaptureConfig(o.iface(), o.bpf(), o.snaplen(), o.bufferMiB() << 20,
                LiveCaptureConfig.DEFAULT_TIMEOUT_MILLIS, o.immediate());
        LiveSource source = PcapLiveSource.open(cfg);
        try {
            return capture(source, classifier, catalog.source(), topology.source(), catalog.rules(),
                    topology.rolesHeld());
        } finally {
            Thread t = captureThread;
            if (t == null || !t.isAlive()) { // never close the handle under a thread still inside libpcap
                source.close();
            }
        }
    }

    /**
     * Every file a run writes: the flow lines, and the report directory's files. Appended to, the
     * topology had flow lines at its end (renamed away by {@code --rotate-size}); {@code -o
     * DIR/summary.txt --report-dir DIR} had each report renamed over the flow lines.
     */
    static List<Path> outputs(LiveOptions o) {
        List<Path> outputs = new ArrayList<>();
        outputs.add(o.output());
        if (o.reportDir() != null) {
            for (String name : List.of(LiveStatus.SUMMARY_JSON, LiveStatus.SUMMARY_TXT, LiveStatus.REPORT_HTML, LiveStatus.STATS_JSONL,
                    LiveStatus.STATS_JSONL + ".1")) {
                outputs.add(o.reportDir().resolve(name));
            }
        }
        return outputs;
    }

    private int capture(LiveSource source, Classifier classifier, String catalogSource, String topologySource, List<Rule> rules,
                        List<String> topologyRoles) throws IOException {
        int batchBytes = Math.max(MIN_BATCH_BYTES, o.snaplen());
        int batches = (int) Math.max(4, ((long) o.queueMiB() << 20) / batchBytes);
        CaptureLoop loop = new CaptureLoop(source, batches, batchBytes, batchBytes / MIN_FRAME);
        LiveStatus status;
        RotatingOutput output;
        try {
            status = new LiveStatus(o.reportDir());
            output = o.output() == null ? RotatingOutput.stdout(out)
                    : RotatingOutput.file(o.output(), o.rotateBytes(), o.rotateSeconds() * 1_000_000_000L, o.rotateKeep());
        } catch (IOException e) {
            throw new LiveCaptureException("cannot write the live output: " + Main.describe(e));
        }
        if (output.endedMidLine()) {
            err.println("portmatrix live: " + o.output() + " ended in the middle of a line (a run before stopped while writing it): "
                    + "the new flow lines begin on the next line");
        }
        ReportData data = o.reportDir() == null ? null
                : new ReportData(new ReportContext(rules, topologyRoles, false, o.reportFlagged()));
        LiveFlowLog flows = new LiveFlowLog(output, o.format(), data);
        FlowConfig flowConfig = o.flows();
        Analyzer analyzer = new Analyzer(classifier, flowConfig, o.vlanInKey(), flows);
        analyzer.named(source.name());
        Run run = new Run(source, loop, analyzer, flows, status, catalogSource, topologySource);

        captureThread = new Thread(loop, "portmatrix-capture");
        captureThread.setDaemon(true);
        Thread hook = new Thread(() -> {
            signalled = true;
            loop.requestStop();
            try {
                finished.await(HOOK_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "portmatrix-live-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            captureThread.start();
            err.printf("portmatrix live: capturing on %s (%s, snap length %d, kernel buffer %d MiB%s); closed flows to %s%s%n", source.name(),
                    LinkType.name(source.linkType()), o.snaplen(), o.bufferMiB(), o.bpf() == null ? "" : ", filter '" + o.bpf() + "'",
                    o.output() == null ? "standard output" : o.output(),
                    o.reportDir() == null ? "" : "; summary every " + o.reportEverySeconds() + " s in " + o.reportDir());
            err.flush();
            run.analyse();
            join(captureThread);
            if (loop.dropsNotHandedOver() > 0) { // (learnt of after the last batch: the kernel's counters read at the end)
                flows.dropped(loop.lastDropNotHandedOver());
            }
            RunSummary s = analyzer.finish(catalogSource, topologySource);
            org.portmatrix.report.OpenFlows none = run.openFlows(); // (none open now: counted all the same, zero)
            Map<String, Object> last = run.snapshot(true, s, none);
            // What could not be written is said after the final summary, which is printed whatever failed.
            List<String> unwritten = new ArrayList<>();
            try {
                status.write(last, data, s, null); // (the page of every flow closed, as before: no section of open flows)
            } catch (IOException e) {
                unwritten.add("cannot write the summary: " + Main.describe(e));
            }
            try {
                output.close();
            } catch (IOException e) {
                if (flows.failure() == null) {
                    unwritten.add(output.failure(e));
                }
            }
            if (flows.failure() != null) {
                unwritten.add(0, flows.failure() + " (flows closed after it are counted in the summary, not written)");
            }
            err.print(LiveStatus.text(last));
            err.flush();
            out.flush();
            LiveCaptureException failure = loop.failure();
            if (failure != null) {
                err.println("portmatrix: " + failure.getMessage() + " (every packet received before it is in the report)");
            }
            for (String u : unwritten) {
                err.println("portmatrix: " + u);
            }
            if (!unwritten.isEmpty()) {
                return ExitStatus.USAGE;
            }
            return failure != null ? ExitStatus.DAMAGED : ExitStatus.OK;
        } finally {
            loop.requestStop();
            // The source is closed after this returns: the capture thread must be out of libpcap first.
            try {
                captureThread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // shutting down: the hook is running and returns now that the report is written
            }
        }
    }

    private static void join(Thread t) {
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The analysis side of one run. */
    private final class Run {
        private final LiveSource source;
        private final CaptureLoop loop;
        private final Analyzer analyzer;
        private final LiveFlowLog flows;
        private final LiveStatus status;
        private final String catalogSource;
        private final String topologySource;
        private final CaptureLossEstimator loss = new CaptureLossEstimator(LOSS_SLOTS);
        private final KernelStats kernel = new KernelStats();
        private final Decoded d = new Decoded();
        private final long startNanos = System.nanoTime();
        private final String started = LiveStatus.now();
        private final long analysisThread = Thread.currentThread().getId();
        private long analyzed;
        private long lastReportNanos = startNanos;
        /** The capture interface's link, read about once a second ({@link LinkWatch}). */
        private final LinkWatch link = new LinkWatch(o.iface());
        private long nextLinkCheck = Long.MIN_VALUE;
        private long lastReportReceived;
        private String stoppedBy;
        /** The last failure to write the report directory during the run, said once until it changes. */
        private String statusFailure;
        private long lastCaptureAlloc = -1;
        private long lastAnalysisAlloc = -1;

        Run(LiveSource source, CaptureLoop loop, Analyzer analyzer, LiveFlowLog flows, LiveStatus status, String catalogSource,
            String topologySource) {
            this.source = source;
            this.loop = loop;
            this.analyzer = analyzer;
            this.flows = flows;
            this.status = status;
            this.catalogSource = catalogSource;
            this.topologySource = topologySource;
        }

        /** Until the capture has ended and its last batch is analysed. */
        void analyse() throws IOException {
            long every = o.reportEverySeconds() * 1_000_000_000L;
            long endAt = o.durationSeconds() > 0 ? startNanos + o.durationSeconds() * 1_000_000_000L : Long.MAX_VALUE;
            long nextReport = startNanos + every;
            long nextIdle = startNanos + IDLE_CHECK_NANOS;
            try {
                while (true) {
                    PacketBatch b = loop.poll();
                    if (b == null) {
                        boolean done = loop.finished();
                        b = loop.poll(); // the capture hands over its last batch before it says it is done
                        if (b == null && done) {
                            break;
                        }
                    }
                    long now;
                    if (b != null) {
                        process(b);
                        loop.recycle(b);
                        flows.flush();
                        now = System.nanoTime();
                    } else {
                        flows.flush();
                        now = System.nanoTime();
                        if (now >= nextIdle) {
                            // Caught up: close flows idle by the wall clock, as packets would have.
                            analyzer.expireIdle(System.currentTimeMillis() * 1_000_000L - IDLE_SLACK_NANOS);
                            flows.flush();
                            nextIdle = now + IDLE_CHECK_NANOS;
                        }
                        loop.nudge(now);
                        loop.awaitBatch(Math.max(1, Math.min(MAX_PARK_NANOS, Math.min(nextReport, nextIdle) - now)));
                    }
                    if (flows.failure() != null && !"output_error".equals(stoppedBy)) {
                        // The flows cannot be written (a full disk, a closed pipe): the capture stops, and
                        // everything captured until then is closed, counted and summarised.
                        stoppedBy = "output_error";
                        loop.requestStop();
                        err.println("portmatrix live: " + flows.failure() + "; stopping the capture");
                        err.flush();
                    }
                    if (now >= nextLinkCheck) {
                        String change = link.check(now, LiveStatus.now());
                        if (change != null) {
                            err.println("portmatrix live: " + change);
                            err.flush();
                        }
                        nextLinkCheck = now + LINK_CHECK_NANOS;
                    }
                    if (now >= endAt && !loop.stopRequested()) {
                        stoppedBy = "duration";
                        loop.requestStop();
                    }
                    if (now >= nextReport) {
                        report();
                        nextReport = now + every;
                    }
                }
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            if (stoppedBy == null) {
                stoppedBy = loop.failure() != null ? "capture_error" : signalled ? "signal" : "stopped";
            }
        }

        private void process(PacketBatch b) {
            Analyzer a = analyzer;
            Decoded dd = d;
            int n = b.count;
            if (b.dropsBefore > 0) { // before the batch's packets: a flow they close may have lost packets in the window
                flows.dropped(b.lastDropNanos);
            }
            for (int i = 0; i < n; i++) {
                Flow f = a.packet(b.data, b.offset[i], b.caplen[i], b.origLen[i], b.tsNanos[i], b.linkType, dd);
                if (f != null && dd.protocol == IpProtocol.TCP && dd.fragment != 2) {
                    loss.segment(f.id, a.lastForward(), dd.tcpFlags, dd.tcpSeq, dd.tcpAck, dd.payloadLength);
                }
            }
            analyzed += n;
        }

        /**
         * The rolling summary: a line on stderr, and the report directory's files. Those failing to be
         * written (a full disk) do not stop the capture: said once on stderr, tried again at the next
         * report (the previous files stay as they were: each is replaced whole).
         */
        private void report() {
            RunSummary summary = analyzer.snapshot(catalogSource, topologySource);
            org.portmatrix.report.OpenFlows open = openFlows();
            Map<String, Object> s = snapshot(false, summary, open);
            try {
                status.write(s, flows.data(), summary, open);
                statusFailure = null;
            } catch (IOException e) {
                String why = "cannot write the summary: " + Main.describe(e);
                if (!why.equals(statusFailure)) {
                    err.println("portmatrix live: " + why + " (tried again at the next report)");
                }
                statusFailure = why;
            }
            long lost = flows.lostWithRemovedFile();
            if (lost > lostSaid) {
                err.println("portmatrix live: " + o.output() + " was removed while it was written: " + (lost - lostSaid)
                        + " flow lines went with it; writing a new " + o.output());
                lostSaid = lost;
            }
            if (flows.moves() > movedSaid) {
                err.println("portmatrix live: " + o.output() + " was moved away while it was written, and no file took its name: "
                        + (flows.linesInMoved() - movedLinesSaid) + " flow lines stay in the file moved away; writing a new " + o.output());
                movedSaid = flows.moves();
                movedLinesSaid = flows.linesInMoved();
            }
            if (flows.replacements() > replacedSaid) {
                err.println("portmatrix live: another file is under the name " + o.output() + " (log rotation moved it away?): "
                        + (flows.linesInReplaced() - replacedLinesSaid) + " flow lines stay in the file moved away; writing the new "
                        + o.output());
                replacedSaid = flows.replacements();
                replacedLinesSaid = flows.linesInReplaced();
            }
            err.println(LiveStatus.line(s));
            err.flush();
        }

        /** {@link LiveFlowLog#lostWithRemovedFile} when stderr last said it. */
        private long lostSaid;
        /** {@link LiveFlowLog#replacements} and {@link LiveFlowLog#linesInReplaced} when stderr last said them. */
        private long replacedSaid;
        private long replacedLinesSaid;
        /** {@link LiveFlowLog#moves} and {@link LiveFlowLog#linesInMoved} when stderr last said them. */
        private long movedSaid;
        private long movedLinesSaid;

        /**
         * The flows open now, each classified with what has been seen of it so far, for the report directory (null
         * without one: nothing is done). Here, on the analysis thread, between batches of packets: the flows are this
         * thread's, and none is changed ({@link Analyzer#openFlows}).
         */
        org.portmatrix.report.OpenFlows openFlows() {
            ReportData data = flows.data();
            if (data == null) {
                return null;
            }
            long start = System.nanoTime();
            org.portmatrix.report.OpenFlows open = new org.portmatrix.report.OpenFlows(data.context());
            try {
                analyzer.openFlows(open);
            } catch (RuntimeException e) {
                // A flaw in classifying a flow half-way through must not end a capture of days: this report goes without
                // its open flows (said once on stderr), and the flows are reported as they close. What a snapshot changes
                // of a flow is put back in finally blocks (Analyzer.describe, Inspection.finishOpen).
                if (!openFlowsFailed) {
                    err.println("portmatrix live: the open flows could not be classified for the report (" + e
                            + "); the capture goes on, and flows are reported as they close");
                    openFlowsFailed = true;
                }
                return null;
            }
            open.took(System.nanoTime() - start);
            return open;
        }

        /** Whether a snapshot of the open flows failed (said once). */
        private boolean openFlowsFailed;

        /** @param open the flows open now, or null (no report directory) */
        Map<String, Object> snapshot(boolean last, RunSummary summary, org.portmatrix.report.OpenFlows open) {
            long now = System.nanoTime();
            long received = loop.received();
            long dropped = loop.droppedInTool();
            loop.kernelStats(kernel);
            Map<String, Object> s = LiveStatus.map();
            s.put("interface", source.name());
            s.put("link_type", LinkType.name(source.linkType()));
            s.put("filter", o.bpf());
            s.put("started", started);
            s.put("updated", LiveStatus.now());
            s.put("uptime_seconds", (now - startNanos) / 1_000_000_000L);
            s.put("final", last);
            s.put("stopped_by", last ? stoppedBy : null);
            s.put("catalog", catalogSource);
            s.put("topology", topologySource);
            Map<String, Object> cap = LiveStatus.map();
            cap.put("received", received);
            cap.put("analyzed", analyzed);
            cap.put("dropped_in_tool", dropped);
            cap.put("queued", Math.max(0, received - dropped - analyzed));
            cap.put("kernel_received", kernel.received);
            cap.put("kernel_dropped", kernel.dropped);
            cap.put("interface_dropped", kernel.interfaceDropped);
            double secs = Math.max(1e-9, (now - lastReportNanos) / 1e9);
            cap.put("received_per_second", Math.round((received - lastReportReceived) / secs));
            cap.put("reader", source instanceof PcapLiveSource p && p.direct() ? "pcap_next_ex (direct)" : "pcap4j getNextRawPacketEx");
            if (last) {
                link.check(now, LiveStatus.now()); // as it is at the end (a capture that failed as its interface was deleted)
            }
            cap.put("link", link.state()); // the interface's operstate (up, down, lowerlayerdown, ..., gone), null where it has none
            cap.put("link_down_events", link.downEvents());
            cap.put("link_down_seconds", link.downSeconds(now));
            lastReportNanos = now;
            lastReportReceived = received;
            s.put("capture", cap);
            Map<String, Object> l = LiveStatus.map();
            l.put("ack_events", loss.ackEvents());
            l.put("acked_bytes", loss.ackedBytes());
            l.put("gap_events", loss.gapEvents());
            l.put("gap_bytes", loss.gapBytes());
            l.put("percent_by_events", loss.lossPercentByEvents());
            l.put("percent_by_bytes", loss.lossPercentByBytes());
            // The gaps cannot tell where a packet was lost: with drops on this host, theirs are among them.
            l.put("includes_drops_on_this_host", dropped + kernel.dropped + kernel.interfaceDropped > 0);
            s.put("upstream_loss", l);
            Map<String, Object> p = LiveStatus.map();
            p.put("read", summary.packetsRead());
            p.put("decoded", summary.packetsDecoded());
            p.put("not_decoded", summary.packetsRead() - summary.packetsDecoded());
            p.put("icmp_errors_on_flows", summary.icmpErrorsOnFlows());
            p.put("undecodable", summary.undecodable());
            s.put("packets", p);
            Map<String, Object> f = LiveStatus.map();
            f.put("created", summary.flows());
            f.put("open", analyzer.openFlows());
            f.put("peak_open", summary.peakFlows());
            f.put("closed", flows.closed());
            f.put("written", flows.written());
            f.put("lost_with_removed_output", flows.lostWithRemovedFile());
            f.put("flagged", flows.flagged());
            f.put("with_drops_on_this_host", flows.withDrops());
            f.put("evicted_early", summary.flowsEvictedEarly());
            s.put("flows", f);
            s.put("verdicts", flows.verdicts());
            if (open != null) {
                s.put("open_flows", LiveStatus.open(open));
            }
            Map<String, Object> m = LiveStatus.map();
            LiveStatus.HeapMonitor heap = status.heap();
            if (o.heapSample()) {
                m.put("heap_after_gc", heap.sampleNow());
                m.put("heap_sampled_by", "full GC before this report");
            } else {
                m.put("heap_after_gc", heap.lastAfterGc());
                m.put("heap_sampled_by", "latest GC");
            }
            m.put("gc_count", heap.gcCount());
            long capAlloc = allocated(loop.threadId());
            long anaAlloc = allocated(analysisThread);
            m.put("capture_thread_allocated", capAlloc);
            m.put("analysis_thread_allocated", anaAlloc);
            m.put("capture_thread_allocated_since_last", capAlloc < 0 || lastCaptureAlloc < 0 ? -1 : capAlloc - lastCaptureAlloc);
            m.put("analysis_thread_allocated_since_last", anaAlloc < 0 || lastAnalysisAlloc < 0 ? -1 : anaAlloc - lastAnalysisAlloc);
            lastCaptureAlloc = capAlloc;
            lastAnalysisAlloc = anaAlloc;
            s.put("memory", m);
            return s;
        }

        private long allocated(long threadId) {
            if (threadId < 0 || !(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t)) {
                return -1;
            }
            return t.getThreadAllocatedBytes(threadId);
        }
    }
}
