package org.portmatrix.cli;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.FutureTask;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.MissingArgumentException;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;
import org.portmatrix.capture.CaptureFormatException;
import org.portmatrix.capture.Captures;
import org.portmatrix.capture.PacketSource;
import org.portmatrix.classify.Catalog;
import org.portmatrix.classify.Classifier;
import org.portmatrix.classify.CompiledCatalog;
import org.portmatrix.classify.ConfigException;
import org.portmatrix.classify.Roles;
import org.portmatrix.classify.Topology;
import org.portmatrix.flow.FlowConfig;
import org.portmatrix.flow.ServicePorts;
import org.portmatrix.report.PcapWriter;
import org.portmatrix.report.Progress;
import org.portmatrix.report.ReportContext;
import org.portmatrix.report.ReportSet;
import org.portmatrix.report.RunSummary;
import org.portmatrix.report.TextReport;

/**
 * The command line: a thin shell that parses options into a record and runs the command. Output
 * streams are parameters and the exit status is returned, so tests call {@link #run} directly;
 * {@link System#exit} is called in {@link #main} only.
 */
public final class Main {
    private final PrintStream out;
    private final PrintStream err;

    public Main(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        int status = new Main(System.out, System.err).run(args);
        System.out.flush();
        System.exit(status);
    }

    /** Runs a command; returns the exit status. Never throws for bad input. */
    public int run(String[] args) {
        try {
            if (args.length == 0) {
                throw new UsageException("no command given (commands: " + String.join(", ", COMMANDS) + "; `portmatrix help` shows"
                        + " their options)");
            }
            String command = args[0];
            String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
            return switch (command) {
                case "analyze" -> {
                    // (Loops, not streams: the JVM's first lambda takes 10-15 ms to bootstrap, and the
                    // catalog's thread would start only after it.)
                    boolean ownCatalog = false;
                    for (String a : rest) {
                        ownCatalog |= a.startsWith("--catalog");
                    }
                    if (Help.asked(rest)) {
                        usage(out);
                        yield ExitStatus.OK;
                    }
                    if (!ownCatalog) {
                        builtInCatalog = startBuiltInCatalog(); // read on its own thread while the options are read
                    }
                    yield analyze(parseAnalyze(rest));
                }
                case "catalog" -> CatalogCommand.run(rest, out);
                case "live" -> LiveCommand.run(rest, out, err);
                case "topology" -> TopologyCommand.run(rest, out, err);
                case "version", "--version" -> {
                    if (Help.asked(rest)) {
                        versionHelp(out);
                        yield ExitStatus.OK;
                    }
                    if (rest.length > 0) { // (`version foo` had printed the version: an argument meant for something else)
                        throw new UsageException("version: unexpected argument '" + rest[0] + "'");
                    }
                    out.println("portmatrix " + org.portmatrix.Version.describe() + " (Java " + Runtime.version() + ", " + System.getProperty("os.arch") + ")");
                    yield ExitStatus.OK;
                }
                case "help", "-h", "--help" -> {
                    // One topic (`help topology import` names topology's one subcommand): a word after it had been ignored,
                    // as `help live extra` printed live's help with nothing said of "extra".
                    int topicWords = rest.length > 1 && rest[0].equals("topology") && rest[1].equals("import") ? 2 : 1;
                    if (rest.length > topicWords) {
                        throw new UsageException("help: unexpected argument '" + rest[topicWords] + "' (help takes one command: portmatrix help "
                                + String.join(" ", java.util.Arrays.copyOf(rest, topicWords)) + ")");
                    }
                    if (rest.length == 0 || rest[0].equals("analyze") || rest[0].equals("help")) { // (help help: the commands' list names it)
                        usage(out);
                        yield ExitStatus.OK;
                    }
                    // `help topology` had printed analyze's options, as `help` alone does, and `help foo` had too
                    yield switch (rest[0]) {
                        case "catalog" -> CatalogCommand.run(new String[] {"--help"}, out);
                        case "live" -> LiveCommand.run(new String[] {"--help"}, out, err);
                        case "topology" -> TopologyCommand.run(new String[] {"help"}, out, err);
                        case "version" -> { // (the synopsis names it: `help version` had been refused as an unknown command)
                            versionHelp(out);
                            yield ExitStatus.OK;
                        }
                        default -> throw new UsageException("help: unknown command '" + rest[0] + "' (" + commandMeant(rest[0], false)
                                + "commands: " + String.join(", ", HELP_TOPICS) + ")");
                    };
                }
                default -> throw new UsageException("unknown command '" + command + "' (" + commandMeant(command, true)
                        + "commands: " + String.join(", ", COMMANDS) + ")");
            };
        } catch (UsageException e) {
            err.println("portmatrix: " + e.getMessage());
            return ExitStatus.USAGE;
        } catch (ConfigException | CaptureFormatException e) {
            err.println("portmatrix: " + e.getMessage());
            return ExitStatus.USAGE;
        } catch (IOException | UncheckedIOException e) {
            IOException io = e instanceof UncheckedIOException u ? u.getCause() : (IOException) e;
            err.println("portmatrix: " + describe(io));
            return ExitStatus.USAGE;
        } catch (OutOfMemoryError e) {
            return outOfMemory(args);
        } catch (RuntimeException e) {
            if (!outOfMemory(e)) {
                throw e;
            }
            return outOfMemory(args); // (a library's exception around it: Mustache's, rendering the HTML page)
        }
    }

    /** {@code version --help}, {@code help version}: what the command prints. */
    private static void versionHelp(PrintStream to) {
        to.println("usage: portmatrix version");
        to.println();
        to.println("Print portmatrix's version (the build's, pom.xml's), the git commit it was built from (\"with uncommitted");
        to.println("changes\" when the working tree had changes), and the Java it runs on, on one line.");
        to.println();
        to.println("Exit status: 0 done, 2 usage error.");
    }

    /** The commands, as the refusals list them and "did you mean" searches them. */
    private static final List<String> COMMANDS = List.of("analyze", "catalog", "live", "topology", "help", "version");
    /** The commands `help COMMAND` takes (help itself prints the synopsis). */
    private static final List<String> HELP_TOPICS = List.of("analyze", "catalog", "live", "topology", "version");

    /**
     * "did you mean analyze? " for a command one or two letters from one ("analyse", the British spelling), {@code help}
     * among them with {@code withHelp} ("hepl"); else "".
     */
    private static String commandMeant(String given, boolean withHelp) {
        String c = org.portmatrix.classify.Spelling.nearest(given.toLowerCase(java.util.Locale.ROOT), withHelp
                ? COMMANDS : HELP_TOPICS, 2);
        return c == null ? "" : "did you mean " + c + "? ";
    }

    /** One line, not a stack trace, and exit status 2 (an input the heap cannot hold). */
    private int outOfMemory(String[] args) {
        err.println("portmatrix: out of memory: the Java heap (" + (Runtime.getRuntime().maxMemory() >> 20) + " MiB) is full;"
                + " give it more with PORTMATRIX_JAVA_OPTS=-Xmx<size>" + (args.length > 0 && (args[0].equals("analyze")
                || args[0].equals("live")) ? ", or fewer open flows with --flow-capacity" : "")); // (flows: analyze and live only)
        return ExitStatus.USAGE;
    }

    /** Whether {@code t} is, or was caused by, the heap running out. */
    static boolean outOfMemory(Throwable t) {
        for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
            if (t instanceof OutOfMemoryError) {
                return true;
            }
        }
        return false;
    }

    /** The built-in catalog being read ahead (analyze), or null. */
    private FutureTask<Catalog> builtInCatalog;

    /**
     * Starts reading the built-in catalog on a thread of its own, while the options are read and
     * the paths checked. Measured reason: even from its binary form ({@code CatalogBinary}) the
     * cold read takes 25-40 ms of a start-up the whole run waits for (about 100 ms when it was
     * parsed from YAML at every start).
     */
    private static FutureTask<Catalog> startBuiltInCatalog() {
        FutureTask<Catalog> task = new FutureTask<>(new java.util.concurrent.Callable<Catalog>() { // (not a lambda: see run)
            @Override
            public Catalog call() throws ConfigException {
                return Catalog.builtIn(new Roles());
            }
        });
        Thread t = new Thread(task, "portmatrix-catalog");
        t.setDaemon(true);
        t.start();
        return task;
    }

    /** The built-in catalog (with a vocabulary of its own, which a topology may extend). */
    private Catalog builtInCatalog() throws ConfigException {
        if (builtInCatalog == null) {
            return Catalog.builtIn(new Roles());
        }
        try {
            return awaited(builtInCatalog, Catalog.BUILT_IN_NAME);
        } finally {
            builtInCatalog = null;
        }
    }

    /** What a file read ahead on a thread of its own came to: its value, or its error ({@code name}: the file). */
    private static <T> T awaited(FutureTask<T> task, String name) throws ConfigException {
        try {
            return task.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConfigException(name, 0, "interrupted while reading");
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof ConfigException ce) {
                throw ce;
            }
            throw Failures.unchecked(e.getCause());
        }
    }

    static String describe(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException n) {
            return n.getFile() + ": no such file or directory";
        }
        if (e instanceof java.nio.file.AccessDeniedException a) {
            return a.getFile() + ": permission denied";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * Why a file written under a temporary name beside {@code target} and renamed over it could not
     * be: the system's reason without the temporary file's name (the user never named it; a new
     * random one each time), and for a refused permission the directory the file is made in.
     */
    static String describeCreate(Path target, IOException e) {
        if (e instanceof java.nio.file.FileSystemException f && f.getFile() != null && !f.getFile().equals(target.toString())) {
            // The directory the temporary file was to be made in: the target's, or, for a symbolic link, that of the file
            // the link names (AtomicFile.linkedTo; the target's own directory had been named, which was not the one).
            Path made = Path.of(f.getFile()).toAbsolutePath().getParent();
            Path dir = made != null ? made : target.toAbsolutePath().getParent();
            if (e instanceof java.nio.file.NoSuchFileException) {
                // (it carries no reason: the class's name had been the message)
                return dir != null && !java.nio.file.Files.isDirectory(dir) ? "no such directory " + dir
                        : "cannot create a file in " + dir; // a directory that takes no new file (/proc)
            }
            if (e instanceof java.nio.file.AccessDeniedException) {
                return "permission denied (a file is made in " + dir + " and renamed into place)";
            }
            return f.getReason() != null ? f.getReason() : e.getClass().getSimpleName();
        }
        return describe(e);
    }

    private void usage(PrintStream to) {
        to.println("usage: portmatrix analyze CAPTURE... [--topology FILE] [--format text|jsonl|csv|html] [--output FILE]");
        to.println("                 [--report-dir DIR] [--extract FILE] [--all-flows] [--fail-on-unexpected]");
        to.println("       portmatrix catalog [--format text|json] [--catalog FILE]");
        to.println("       portmatrix topology import TOPOLOGY.xml [--hosts FILE.csv] [--resolve-from CAPTURE]... [--output FILE] [--catalog FILE]");
        to.println("       portmatrix live -i IFACE [--topology FILE] [--format text|jsonl] [--output FILE] [--report-dir DIR] [--duration S] (live --help: all options)");
        to.println("       portmatrix help [COMMAND]");
        to.println("       portmatrix version");
        to.println();
        Help.print(to, "portmatrix analyze CAPTURE...", "Classify every flow of the captures against the Lync Server 2013 port matrix.",
                analyzeOptions(), "Exit status: 0 done, 1 flows outside the matrix with --fail-on-unexpected, 2 usage error, unreadable input or an output "
                        + "that cannot be written (the other outputs are still written), 3 input damaged but read (the flows before the damage "
                        + "are reported), 128 + the signal after SIGINT/SIGTERM/SIGHUP (the reports of what was read are written).");
    }

    static Options analyzeOptions() {
        Options o = new Options();
        o.addOption(Option.builder("t").longOpt("topology").hasArg().argName("FILE")
                .desc("topology file: roles mapped to CIDRs (YAML or JSON)").get());
        o.addOption(Option.builder().longOpt("catalog").hasArg().argName("FILE")
                .desc("replace the built-in Lync Server 2013 catalog with this file").get());
        o.addOption(Option.builder().longOpt("write-topology").hasArg().argName("FILE")
                .desc("without --topology: write the roles inferred from the traffic to FILE, to correct and pass back with --topology").get());
        o.addOption(Option.builder().longOpt("no-infer")
                .desc("without --topology: do not infer roles from the traffic (a first pass over the captures); every host is unknown").get());
        o.addOption(Option.builder("f").longOpt("format").hasArg().argName("FORMAT")
                .desc("output format: " + String.join(", ", AnalyzeOptions.FORMATS) + " (default text)").get());
        o.addOption(Option.builder("o").longOpt("output").hasArg().argName("FILE")
                .desc("write the report to FILE instead of standard output").get());
        o.addOption(Option.builder().longOpt("report-dir").hasArg().argName("DIR")
                .desc("also write " + ReportSet.DIR_JSONL + ", " + ReportSet.DIR_CSV + ", " + ReportSet.DIR_HTML + " and "
                        + ReportSet.DIR_TEXT + " to DIR, made if missing (standard output then gets a one-screen summary unless --format or --output is given)").get());
        o.addOption(Option.builder().longOpt("extract").hasArg().argName("FILE")
                .desc("write every packet of every flow outside the matrix to FILE (pcap; pcapng when link types differ or times do not fit pcap's), "
                        + "during the analysis (the captures are read a second time only when that cannot be done: they must be files)").get());
        o.addOption(Option.builder().longOpt("all-flows")
                .desc("the text report lists every flow, not only the groups").get());
        o.addOption(Option.builder().longOpt("fail-on-unexpected")
                .desc("exit with status 1 when any flow is outside the matrix").get());
        o.addOption(Option.builder().longOpt("vlan-in-key")
                .desc("make the VLAN id part of the flow key (off: a mirror port that tags one direction only still pairs both)").get());
        o.addOption(Option.builder().longOpt("flow-capacity").hasArg().argName("N")
                .desc("most flows held at once; beyond it a TCP flow finished (FIN, RST) and silent for 2 s makes room, "
                        + "else the longest-idle flow is closed early and counted (default "
                        + FlowConfig.DEFAULT_CAPACITY + ")").get());
        addTimeoutOptions(o);
        o.addOption(Option.builder().longOpt("no-inspect")
                .desc("do not look at the payload: verdicts by roles, transport and port only, app_protocol empty, "
                        + "and no certificate inventory (a wrong protocol on a documented port is not found)").get());
        return o;
    }

    /** Argument names of the options whose value is a file or directory name ({@link #parse} refuses an empty one). */
    private static final java.util.Set<String> PATH_ARGUMENTS = java.util.Set.of("FILE", "DIR", "FILE.csv", "CAPTURE");

    /**
     * Commons CLI's parse of one command's options, refusing what it lets through: a single-valued
     * option given twice (Commons CLI keeps the first value and drops the second without a word:
     * {@code -t a.yaml -t b.yaml} ran against a.yaml), and an empty file name (the empty path is the
     * working directory: {@code analyze ''} read every file in it as a capture, {@code --report-dir ''}
     * wrote into it). An option without its value is said as the other mistakes are, not in Commons
     * CLI's words ("Missing argument for option: i").
     *
     * @param command the command's name, which begins every message ("analyze", "topology import")
     * @param repeatable long names of the options that may be given more than once
     * @param fileArguments whether the arguments left after the options are file names (captures, a topology XML)
     */
    static CommandLine parse(String command, Options options, String[] args, java.util.Set<String> repeatable, boolean fileArguments)
            throws UsageException {
        for (String a : args) {
            if (a.equals("--")) {
                break;
            }
            // A long option's name after one dash, misspelt: "-topolgy x" was read as -t with the value "opolgy" and ended
            // in "opolgy: no such file" (one dash and the exact name, "-topology", is read as --topology).
            if (a.length() > 4 && a.charAt(0) == '-' && Character.isLetter(a.charAt(1))) {
                int eq = a.indexOf('=');
                String name = a.substring(1, eq < 0 ? a.length() : eq);
                String meant = optionMeant(options, "--" + name);
                // (a prefix of long options after one dash is read as one, as after two: "-form csv" is --format)
                if (options.getMatchingOptions(name).isEmpty() && !options.hasShortOption(name) && !meant.equals(" (")) {
                    throw new UsageException(command + ": unknown option " + a + meant + "`portmatrix help " + command.split(" ")[0]
                            + "` lists the options)");
                }
            }
        }
        CommandLine cl;
        try {
            cl = DefaultParser.builder().get().parse(options, args);
        } catch (MissingArgumentException e) {
            throw new UsageException(command + ": option " + optionName(e.getOption()) + " needs a value (" + e.getOption().getArgName() + ")");
        } catch (org.apache.commons.cli.AmbiguousOptionException e) {
            throw new UsageException(command + ": ambiguous option " + e.getOption() + " (could be --"
                    + String.join(", --", e.getMatchingOptions()) + ")");
        } catch (org.apache.commons.cli.UnrecognizedOptionException e) {
            throw new UsageException(command + ": unknown option " + e.getOption() + optionMeant(options, e.getOption())
                    + "`portmatrix help " + command.split(" ")[0] + "` lists the options)");
        } catch (ParseException e) {
            throw new UsageException(command + ": " + e.getMessage());
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (Option given : cl.getOptions()) { // (one per occurrence, in the order given)
            if (given.hasArg() && !repeatable.contains(given.getLongOpt()) && !seen.add(given.getKey())) {
                throw new UsageException(command + ": " + optionName(given) + " given twice (it takes one value)");
            }
            if (given.hasArg() && PATH_ARGUMENTS.contains(given.getArgName()) && "".equals(given.getValue())) { // (a flag has no argument name)
                throw new UsageException(command + ": empty file name for " + optionName(given));
            }
        }
        if (fileArguments && cl.getArgList().contains("")) {
            throw new UsageException(command + ": empty file name as an argument");
        }
        return cl;
    }

    /**
     * " (did you mean --topology? " for an unknown option one or two typing slips from a long option
     * of the command (the nearest), else " (" (Commons CLI's message had named none).
     */
    private static String optionMeant(Options options, String given) {
        if (!given.startsWith("--")) {
            return " (";
        }
        String name = given.substring(2).toLowerCase(java.util.Locale.ROOT); // (--TOPOLOGY too)
        int eq = name.indexOf('=');
        name = eq < 0 ? name : name.substring(0, eq);
        List<String> longNames = new ArrayList<>();
        for (Option o : options.getOptions()) {
            if (o.getLongOpt() != null) {
                longNames.add(o.getLongOpt());
            }
        }
        String best = org.portmatrix.classify.Spelling.nearest(name, longNames, 2);
        return best == null ? " (" : " (did you mean --" + best + "? ";
    }

    private static String optionName(Option o) {
        return o.getLongOpt() != null ? "--" + o.getLongOpt() : "-" + o.getOpt();
    }

    static AnalyzeOptions parseAnalyze(String[] args) throws UsageException {
        CommandLine cl = parse("analyze", analyzeOptions(), args, java.util.Set.of(), true);
        List<Path> captures = new ArrayList<>();
        for (String a : cl.getArgList()) {
            captures.add(Path.of(a));
        }
        if (captures.isEmpty()) {
            throw new UsageException("analyze: no capture file given (portmatrix analyze CAPTURE... [--topology FILE])");
        }
        Path reportDir = pathOrNull(cl.getOptionValue("report-dir"));
        String format = cl.getOptionValue("format", reportDir != null && !cl.hasOption("output") ? null : "text");
        if (format != null && !AnalyzeOptions.FORMATS.contains(format)) {
            throw new UsageException("analyze: unknown format '" + format + "' (formats: " + String.join(", ", AnalyzeOptions.FORMATS) + ")");
        }
        int capacity = FlowConfig.DEFAULT_CAPACITY;
        if (cl.hasOption("flow-capacity")) {
            capacity = flowCapacity(cl.getOptionValue("flow-capacity"));
        }
        FlowConfig flow = flowConfig(cl, capacity);
        if (cl.hasOption("no-infer") && cl.hasOption("topology")) {
            throw new UsageException("analyze: --no-infer is for runs without --topology (with one, no role is inferred anyway)");
        }
        if (cl.hasOption("write-topology") && (cl.hasOption("topology") || cl.hasOption("no-infer"))) {
            throw new UsageException("analyze: --write-topology writes the roles inferred from the traffic; it goes without --topology and --no-infer");
        }
        for (String file : List.of("extract", "write-topology")) {
            // (`-o -` is standard output; these two are files, made beside their name and renamed into place: "-"
            // had written a file named "-")
            if ("-".equals(cl.getOptionValue(file))) {
                throw new UsageException("analyze: --" + file + " writes a file; '-' (standard output) is for --output only");
            }
        }
        return new AnalyzeOptions(captures, pathOrNull(cl.getOptionValue("topology")), pathOrNull(cl.getOptionValue("catalog")),
                format, outputPath(cl.getOptionValue("output")), cl.hasOption("fail-on-unexpected"), cl.hasOption("vlan-in-key"), capacity,
                reportDir, pathOrNull(cl.getOptionValue("extract")), cl.hasOption("all-flows"), flow,
                pathOrNull(cl.getOptionValue("write-topology")), !cl.hasOption("no-infer"), !cl.hasOption("no-inspect"));
    }

    /** The flow timeouts' options, as {@code analyze} and {@code live} take them. */
    static void addTimeoutOptions(Options o) {
        o.addOption(Option.builder().longOpt("tcp-timeout").hasArg().argName("SECONDS")
                .desc("idle timeout of an established TCP flow (default 3600)").get());
        o.addOption(Option.builder().longOpt("tcp-other-timeout").hasArg().argName("SECONDS")
                .desc("idle timeout of a TCP flow not (or no longer) established (default 120)").get());
        o.addOption(Option.builder().longOpt("udp-timeout").hasArg().argName("SECONDS")
                .desc("idle timeout of UDP, ICMP and every other transport (default 120)").get());
        o.addOption(Option.builder().longOpt("tcp-closed-timeout").hasArg().argName("SECONDS")
                .desc("how long a TCP flow finished by FIN both ways or RST waits for its last packets before it is "
                        + "closed (default 5)").get());
    }

    /** The flow table's settings: {@code capacity} and the timeouts' options ({@link #addTimeoutOptions}). */
    static FlowConfig flowConfig(CommandLine cl, int capacity) throws UsageException {
        FlowConfig flow = FlowConfig.defaults().withCapacity(capacity);
        return flow.withTimeouts(seconds(cl, "tcp-timeout", flow.tcpEstablishedTimeoutNanos()),
                seconds(cl, "tcp-other-timeout", flow.tcpOtherTimeoutNanos()), seconds(cl, "udp-timeout", flow.udpTimeoutNanos()))
                .withTcpClosedTimeout(seconds(cl, "tcp-closed-timeout", flow.tcpClosedTimeoutNanos()));
    }

    /** A timeout option in whole seconds, as nanoseconds; {@code otherwise} when not given. */
    private static long seconds(CommandLine cl, String option, long otherwise) throws UsageException {
        String v = cl.getOptionValue(option);
        return v == null ? otherwise : positiveInt("--" + option, v) * 1_000_000_000L;
    }

    /**
     * An {@code --output} value: {@code -} is standard output (null), as a capture of {@code -} is
     * standard input; it had written a file named "-".
     */
    static Path outputPath(String s) {
        return s == null || s.equals("-") ? null : Path.of(s);
    }

    private static Path pathOrNull(String s) {
        return s == null ? null : Path.of(s);
    }

    static int positiveInt(String option, String value) throws UsageException {
        return positiveInt(option, value, Integer.MAX_VALUE);
    }

    /**
     * A positive whole number of at most {@code max}. One beyond it is said to be too large, with the
     * limit: parsed as an int alone, 2147483648 had been "not a positive whole number".
     */
    static int positiveInt(String option, String value, int max) throws UsageException {
        long n = positiveLong(option, value);
        if (n > max) {
            throw new UsageException(option + ": '" + value.trim() + "' is too large (at most " + max + ")");
        }
        return (int) n;
    }

    /** A positive whole number; one of more digits than a long holds is {@link Long#MAX_VALUE} (too large for every caller). */
    private static long positiveLong(String option, String value) throws UsageException {
        String v = value.trim();
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            if (!v.matches("\\+?[0-9]+")) {
                throw new UsageException(option + ": '" + value + "' is not a positive whole number");
            }
            n = Long.MAX_VALUE;
        }
        if (n < 1) {
            throw new UsageException(option + ": '" + value + "' is not a positive whole number");
        }
        return n;
    }

    /** {@code --flow-capacity}'s value: a positive number of flows, at most {@link FlowConfig#MAX_CAPACITY}. */
    static int flowCapacity(String value) throws UsageException {
        long n = positiveLong("--flow-capacity", value);
        if (n > FlowConfig.MAX_CAPACITY) {
            throw new UsageException("--flow-capacity: '" + value.trim() + "' is more than a flow table can hold (at most "
                    + FlowConfig.MAX_CAPACITY + ")");
        }
        return (int) n;
    }

    int analyze(AnalyzeOptions o) throws UsageException, ConfigException, IOException {
        writable(o.output(), false, "cannot write output");
        writable(o.writeTopology(), false, "cannot write the topology"); // before the inference pass, which may be long
        if (o.extract() == null || o.reportDir() == null
                || !o.reportDir().toAbsolutePath().normalize().equals(o.extract().toAbsolutePath().normalize().getParent())) {
            writable(o.extract(), false, "cannot write the extract"); // one inside --report-dir is checked with that directory
        }
        writable(o.reportDir(), true, "cannot create the report directory");
        if (o.reportDir() != null) {
            for (String name : ReportSet.DIR_FILES) { // (named by the file: the directory itself is fine)
                Path f = o.reportDir().resolve(name);
                if (java.nio.file.Files.isDirectory(f)) {
                    throw new UsageException(f + ": cannot write the report: is a directory");
                }
            }
        }
        notAnInput(o);
        boolean extractToDescriptor = o.extract() != null && org.portmatrix.report.AtomicFile.descriptor(o.extract()) >= 0;
        if (o.extract() != null && (java.nio.file.Files.exists(o.extract()) && !java.nio.file.Files.isRegularFile(o.extract())
                || extractToDescriptor)) {
            // It is written under a temporary name and renamed into place, which would replace a device or a FIFO, or the
            // file a descriptor is open on (/dev/stdout redirected to a file: what the shell wrote before and after lost).
            throw new UsageException(o.extract() + ": cannot write the extract: " + (extractToDescriptor ? "an open descriptor's name"
                    : "not a regular file") + " (the extract is a file, written beside it and renamed into place)");
        }
        if (o.extract() != null) { // before anything reads the captures: a pipe could be read only once
            for (Path p : o.captures()) {
                if (!java.nio.file.Files.exists(p) && !"-".equals(p.toString())) {
                    throw new UsageException(p + ": no such file"); // (as Captures.open says it without --extract)
                }
                if (!java.nio.file.Files.isRegularFile(p) && !java.nio.file.Files.isDirectory(p)) {
                    throw new UsageException("--extract reads the captures a second time: " + p + " is not a file");
                }
            }
        }
        Phases phases = Phases.start();
        FutureTask<Topology.Parsed> topologyRead = readTopology(o.topology());
        boolean terminal = err == System.err && Progress.stderrIsTerminal();
        // Captures that are files (or directories of them) are read from as soon as the catalog is read, on a
        // thread of their own (PacketThread), while the topology is loaded and the reports opened. Not when the
        // roles are inferred, which reads the captures first (InferTopology), nor from a pipe or standard input:
        // opening one waits for its first packets, and a bad topology is reported without waiting for them.
        boolean early = !(o.topology() == null && o.infer()) && files(o.captures());
        List<PacketSource> sources = new ArrayList<>();
        IOException unopened = null;
        Progress progress = null;
        PacketThread reading = null;
        Interruption interruption = null;
        try {
            if (early) {
                try {
                    sources.addAll(openSources(o.captures())); // while the built-in catalog is read
                } catch (IOException e) {
                    unopened = e; // raised after the catalog and the topology, whose errors come first, as they always have
                }
            }
            Catalog catalog = o.catalog() == null ? builtInCatalog() : Catalog.load(o.catalog(), new Roles());
            CompiledCatalog compiled = new CompiledCatalog(catalog);
            Analyzer analyzer = new Analyzer(compiled, o.flowConfig(), o.vlanInKey());
            analyzer.inspectPayload(o.inspect());
            analyzer.reportOnOwnThread();
            reading = new PacketThread(analyzer);
            if (early && unopened == null) {
                progress = Progress.start(sources, err, terminal);
                interruption = interruptible(analyzer);
                reading.start(sources, progress, o.extract() != null);
            }
            Roles roles = catalog.roles();
            Topology topology = o.topology() != null ? Topology.load(awaited(topologyRead, o.topology().toString()), roles)
                    : o.infer() ? InferTopology.run(o, catalog, roles, err) : Topology.empty();
            for (String w : topology.warnings()) {
                err.println("portmatrix: warning: " + w);
            }
            List<Path> outputDirs = new ArrayList<>(); // (a report directory in the captures' directory, the extract in it)
            if (o.reportDir() != null) {
                outputDirs.add(o.reportDir());
            }
            if (o.extract() != null) {
                outputDirs.add(o.extract().toAbsolutePath().getParent());
            }
            for (String w : org.portmatrix.capture.Captures.subdirectoryWarnings(o.captures(), outputDirs)) {
                err.println("portmatrix: warning: " + w);
            }
            Classifier classifier = new Classifier(compiled, topology);
            analyzer.classifyWith(classifier);
            // Every capture is open before any output is, so that an unreadable one is reported first.
            if (unopened != null) {
                throw unopened;
            }
            if (!early) {
                sources.addAll(openSources(o.captures()));
                progress = Progress.start(sources, err, terminal);
            }
            ReportContext context = new ReportContext(catalog.rules(), topology.rolesHeld(), o.allFlows(),
                    ReportContext.DEFAULT_MAX_FLAGGED_RECORDS);
            if (o.reportDir() != null) {
                try {
                    java.nio.file.Files.createDirectories(o.reportDir());
                } catch (IOException e) {
                    throw new UsageException(o.reportDir() + ": cannot create the report directory: " + describe(e));
                }
            }
            // The extract first, then the read may go on (each flow is decided for the extract at its first packet),
            // then the reports. The read is a resource too: a failure stops it before the extract it writes is closed.
            try (PcapWriter pcap = openExtract(o.extract());
                    PacketThread read = reading.open(pcap == null ? null : new ExtractStream(pcap, extractQueueLimit()));
                    Output output = Output.open(o.output(), out); ReportSet reports = new ReportSet(context)) {
                ExtractStream stream = read.extract();
                Writer w = output.writer();
                if (o.format() != null) {
                    // (a file of --output is listed with the directory's among the files written: it was left out)
                    reports.add(o.format(), w, output.stream(), o.output() == null ? "standard output" : o.output().toString(), output,
                            o.output() != null);
                }
                if (o.reportDir() != null) {
                    try {
                        reports.addDirectory(o.reportDir());
                    } catch (IOException e) {
                        // (each report is made under a temporary name in the directory: not a name to show)
                        throw new UsageException(o.reportDir() + ": cannot write reports: " + describeCreate(o.reportDir().resolve(ReportSet.DIR_JSONL), e));
                    }
                }
                BitSet flaggedIds = o.extract() == null ? null : reports.trackFlaggedIds();
                FlowConfig flowConfig = o.flowConfig();
                analyzer.reportTo(reports);
                phases.mark("set-up");
                if (interruption == null) { // the roles were inferred first: the read starts now
                    interruption = interruptible(analyzer);
                }
                Interruption signal = interruption;
                // Nothing left to write (every output failed, as standard output into '| head' does, and no
                // extract): the rest of the captures would be read for the summary alone; it stops instead.
                boolean stopWithoutOutputs = o.extract() == null;
                analyzer.stopWhen(() -> signal.requested() ? Interruption.reason()
                        : stopWithoutOutputs && reports.allFailed() ? "stopped with no output left to write" : null);
                if (progress != null) {
                    progress.show(); // after the set-up's warnings, on a line of its own
                }
                if (!read.started()) { // the roles were inferred first, or the captures come through a pipe
                    read.start(sources, progress, false);
                }
                read.join();
                if (progress != null) {
                    progress.close();
                    progress = null;
                }
                if (analyzer.interrupted() != null) {
                    err.println("portmatrix: " + analyzer.interrupted() + "; writing the reports of what was read");
                    err.flush();
                }
                interruption.noticed(); // the read is over: a signal from now on waits for the reports
                phases.mark("read", read.cpuNanos());
                String refusal = analyzer.refusal();
                if (refusal != null) {
                    throw new CaptureFormatException(refusal); // nothing was readable: no output is committed
                }
                if (analyzer.interrupted() == null) {
                    interruption.readWhole(); // a signal from now on stops nothing: its exit says so
                }
                RunSummary summary = analyzer.finish(catalog.source(), topology.source()); // commits the reports
                read.finished();
                phases.mark("finish");
                if (analyzer.flowThreadCpuNanos() >= 0) {
                    phases.note(String.format("flow thread CPU %d ms (read and finish)", analyzer.flowThreadCpuNanos() / 1_000_000));
                }
                List<String> written = new ArrayList<>(reports.written());
                // A failed write of the extract (a full disk) loses the extract only: the reports above are
                // written, the summary below is printed, then the failure, and the exit status is 2.
                String extractFailure = null;
                if (o.extract() != null) {
                    try {
                        long packets;
                        if (stream.failure() != null) {
                            throw stream.failure();
                        } else if (stream.complete()) {
                            pcap.commit();
                            packets = pcap.packets();
                            phases.note("extract written in the first pass (queue peak " + stream.peakBytes() + " bytes)");
                        } else {
                            phases.note("extract: second pass (" + (stream.overflowed() ? "the queue outgrew its limit" : "a flow's verdict was not the one decided early") + ")");
                            pcap.restart();
                            packets = extract(o, flowConfig, Analyzer.servicePorts(classifier.catalog()), flaggedIds, pcap, summary.packetsRead());
                        }
                        written.add(o.extract() + " (" + TextReport.n(packets) + " packets of the flagged flows)");
                    } catch (IOException e) {
                        pcap.close(); // its temporary file is deleted; an earlier extract of that name stays as it was
                        extractFailure = o.extract() + ": cannot write the extract: " + describe(e);
                    }
                }
                if (o.format() == null) {
                    TextReport.oneScreen(reports.data(), summary, written, new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8)));
                } else if (!(o.format().equals("text") && o.output() == null)) {
                    // The report went elsewhere (JSON lines, CSV, HTML, or a file): the run's counters go to stderr.
                    TextReport.oneScreen(reports.data(), summary, written, new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8)));
                } else {
                    // The whole text report went to standard output, which names no file: the extract is said on stderr.
                    for (String file : written) {
                        err.println("portmatrix: wrote " + file);
                    }
                }
                if ((o.format() == null || (o.format().equals("text") && o.output() == null))
                        && !(out == System.out && (Progress.isTerminal(1) || Progress.stdoutIsStderr()))) {
                    // The report with the damage in it went to standard output, and that is no terminal (`> report.txt`, a
                    // pipe): the damage is said on stderr too, where a script or the one who ran it sees it beside exit status 3.
                    // Not when stderr is that same file or pipe (`2>&1 | tee`, `> log 2>&1`): the report there says it already.
                    for (String d : summary.damage()) {
                        err.println("portmatrix: damaged input: " + d);
                    }
                }
                phases.mark("summary");
                phases.print(err);
                long flows = reports.data().all().flows();
                if (o.topology() != null && flows > 0 && reports.data().flowsBetweenUnknownHosts() == flows) {
                    // (every flow was unknown_host, each group advising to add its host: the topology was likely another network's)
                    err.println("portmatrix: warning: no address of the " + TextReport.n(flows)
                            + (flows == 1 ? " flow" : " flows") + " is in the topology " + o.topology()
                            + ": is it the topology of the network captured?");
                }
                if (summary.flowsEvictedEarly() > 0) {
                    // (the counters say it; what it does to the verdicts they do not: a flow cut in two is checked as two)
                    long evicted = summary.flowsEvictedEarly();
                    err.println("portmatrix: warning: " + TextReport.n(evicted) + (evicted == 1 ? " flow was" : " flows were")
                            + " closed early because the flow table was full (--flow-capacity " + TextReport.n(
                            o.flowConfig().capacity()) + "): the packets of such a flow after that made a flow of their own, seen without its"
                            + " start (which end initiated inferred, its protocol often unverifiable); a larger --flow-capacity keeps them whole");
                }
                // An output that could not be written (a full disk, a closed pipe) lost only itself: the
                // other reports and the extract are written, and the summary above is printed.
                List<String> failures = new ArrayList<>(reports.failures());
                if (extractFailure != null) {
                    failures.add(extractFailure);
                }
                for (String f : failures) {
                    err.println("portmatrix: " + f);
                }
                if (!failures.isEmpty()) {
                    return ExitStatus.USAGE;
                }
                if (analyzer.damaged()) {
                    return ExitStatus.DAMAGED;
                }
                if (o.failOnUnexpected() && analyzer.flagged() > 0) {
                    return ExitStatus.UNEXPECTED;
                }
                return ExitStatus.OK;
            }
        } finally {
            if (reading != null) {
                reading.close(); // unless the analysis finished: the set-up failed, or the read did; nothing is reported
            }
            if (progress != null) {
                progress.close();
            }
            for (PacketSource s : sources) {
                s.close();
            }
            if (interruption != null) {
                interruption.noticed(); // (the read is over, if it was not already: a failed set-up stopped it)
                interruption.close(); // after the summary and the reports: a signal's exit may go on now
            }
        }
    }

    /** Reads and parses the topology file on a thread of its own ({@link Topology#read}); null without one. */
    private static FutureTask<Topology.Parsed> readTopology(Path file) {
        if (file == null) {
            return null;
        }
        FutureTask<Topology.Parsed> task = new FutureTask<>(() -> Topology.read(file));
        Thread t = new Thread(task, "portmatrix-topology");
        t.setDaemon(true);
        t.start();
        return task;
    }

    /** True when every capture is a regular file or a directory (of files): opening them does not wait for a writer. */
    private static boolean files(List<Path> captures) {
        for (Path p : captures) {
            if (!java.nio.file.Files.isRegularFile(p) && !java.nio.file.Files.isDirectory(p)) {
                return false;
            }
        }
        return true;
    }

    /**
     * From the read's start, a SIGINT, SIGTERM or SIGHUP stops it and the reports of what was read are written
     * ({@link Interruption}), even when it comes while the set-up is still opening them; before, it
     * ends the run as any exit does, and no report is replaced.
     */
    private static Interruption interruptible(Analyzer analyzer) {
        Interruption signal = Interruption.install();
        signal.wakeWith(Captures::wakePipeReads); // a read blocked on a quiet pipe stops too
        analyzer.stopWhen(() -> signal.requested() ? Interruption.reason() : null); // the reports' own check once they are open
        return signal;
    }

    /**
     * The most frame bytes {@code --extract}'s first-pass queue holds before the second pass is used
     * instead ({@link ExtractStream}): {@code -Dportmatrix.extract.queueMiB}, 256 by default.
     */
    private static int extractQueueLimit() {
        long mib = Long.getLong("portmatrix.extract.queueMiB", 256);
        return (int) Math.max(0, Math.min(mib << 20, Integer.MAX_VALUE - 16));
    }

    /**
     * The second pass of {@code --extract}, when the first could not write it ({@link ExtractStream}):
     * the packets of the flagged flows, written as they are read again.
     */
    private static long extract(AnalyzeOptions o, FlowConfig flowConfig, ServicePorts servicePorts, BitSet flaggedIds, PcapWriter pcap,
                                long packets) throws IOException {
        ExtractPass pass = new ExtractPass(flowConfig, o.vlanInKey(), servicePorts, flaggedIds, pcap, packets);
        List<PacketSource> again = openSources(o.captures());
        try {
            for (PacketSource s : again) {
                pass.read(s);
            }
        } finally {
            for (PacketSource s : again) {
                s.close();
            }
        }
        pcap.commit();
        return pcap.packets();
    }

    /**
     * The packet sources of an analysis, in the order the analyzer reads them. The second pass of
     * {@code --extract} opens them again through this same method: both passes must see the same
     * packets in the same order.
     */
    static List<PacketSource> openSources(List<Path> captures) throws IOException {
        // One source: a single capture as it is; several files, directories (a dumpcap ring buffer)
        // and "-" (standard input) merged in time order. Every capture is opened and its first
        // packet read here, so an unreadable one is refused before any output.
        boolean stdin = false;
        for (Path p : captures) {
            stdin |= p.toString().equals(Captures.STDIN);
        }
        // (Standard input's channel only when it is read: a wake on a signal closes every pipe it knows.)
        return List.of(Captures.openAll(captures, stdin ? Captures.standardInput() : InputStream.nullInputStream()));
    }

    private static PcapWriter openExtract(Path file) throws UsageException {
        if (file == null) {
            return null;
        }
        try {
            return new PcapWriter(file);
        } catch (IOException e) {
            throw new UsageException(file + ": cannot write the extract: " + describeCreate(file, e));
        }
    }

    /**
     * Refuses an output that is one of the inputs (a capture, the topology, the catalog): it would be
     * replaced by the report. Checked for files that exist, as the same file (links included).
     */
    private static void notAnInput(AnalyzeOptions o) throws UsageException {
        List<Path> inputs = new ArrayList<>();
        for (Path c : o.captures()) {
            if (java.nio.file.Files.isRegularFile(c)) {
                inputs.add(c);
            }
        }
        if (o.topology() != null) {
            inputs.add(o.topology());
        }
        if (o.catalog() != null) {
            inputs.add(o.catalog());
        }
        List<Path> outputs = new ArrayList<>();
        java.util.Collections.addAll(outputs, o.output(), o.extract(), o.writeTopology());
        if (o.reportDir() != null) {
            for (String name : ReportSet.DIR_FILES) {
                outputs.add(o.reportDir().resolve(name));
            }
        }
        for (Path out : outputs) {
            if (out == null) {
                continue;
            }
            for (Path c : o.captures()) {
                // A capture directory (a ring buffer's files) is read whole, but for hidden files: a report in it
                // would replace one of its captures, or be read as one the next time.
                if (java.nio.file.Files.isDirectory(c) && !out.getFileName().toString().startsWith(".") && inside(out, c)) {
                    throw new UsageException(out + ": not written: it is inside the capture directory " + c + ", whose files are read as captures");
                }
            }
        }
        outputsApart(outputs, inputs);
    }

    /**
     * Refuses one file named for two outputs (the same path, or a link to the same file), and an
     * output that is one of {@code inputs} ({@link #notAnInput(Path, List)}): the last output to be
     * written would win silently (for {@code live}, the summary renamed over the flow lines at every
     * report), or the input would be replaced. Null outputs are skipped.
     */
    static void outputsApart(List<Path> outputs, List<Path> inputs) throws UsageException {
        java.util.Set<Path> named = new java.util.HashSet<>();
        List<Path> existing = new ArrayList<>();
        for (Path out : outputs) {
            if (out == null) {
                continue;
            }
            if (!named.add(out.toAbsolutePath().normalize())) {
                throw new UsageException(out + ": not written: named for two outputs");
            }
            if (java.nio.file.Files.isRegularFile(out)) {
                for (Path other : existing) {
                    try {
                        if (java.nio.file.Files.isSameFile(out, other)) {
                            throw new UsageException(out + ": not written: named for two outputs (it is the same file as " + other + ")");
                        }
                    } catch (IOException e) {
                        // unreadable: writing it reports that
                    }
                }
                existing.add(out);
            }
            notAnInput(out, inputs);
        }
    }

    /** Refuses {@code out} when it exists and is one of {@code inputs} (links included): writing it would replace that input. */
    static void notAnInput(Path out, List<Path> inputs) throws UsageException {
        if (out == null || !java.nio.file.Files.isRegularFile(out)) {
            return;
        }
        for (Path in : inputs) {
            try {
                if (in != null && java.nio.file.Files.isSameFile(out, in)) {
                    throw new UsageException(out + ": not written: it is the same file as the input " + in);
                }
            } catch (IOException e) {
                // unreadable: opening it reports that
            }
        }
    }

    /** Whether {@code file} is directly in {@code dir} (links resolved), where a capture directory's files are read (not below it). */
    private static boolean inside(Path file, Path dir) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            return parent != null && java.nio.file.Files.isDirectory(parent) && parent.toRealPath().equals(dir.toRealPath());
        } catch (IOException e) {
            return false; // unreadable: opening it reports that
        }
    }

    /**
     * Refuses, before any work (an inference pass or a long capture), an output path that cannot be
     * written: a file path that is a directory or whose directory does not exist, a directory path
     * that is a file, or one whose nearest existing ancestor is not a directory.
     */
    static void writable(Path target, boolean directory, String what) throws UsageException {
        if (target == null) {
            return;
        }
        Path abs = target.toAbsolutePath();
        if (java.nio.file.Files.exists(abs) && java.nio.file.Files.isDirectory(abs) != directory) {
            throw new UsageException(target + ": " + what + ": " + (directory ? "not a directory" : "is a directory"));
        }
        Path p = abs.getParent();
        while (p != null && !java.nio.file.Files.exists(p)) {
            if (!directory) {
                throw new UsageException(target + ": " + what + ": no such directory " + p);
            }
            p = p.getParent();
        }
        if (p != null && !java.nio.file.Files.isDirectory(p)) {
            throw new UsageException(target + ": " + what + ": " + p + " is not a directory");
        }
    }

    /**
     * Standard output, or a file written through {@link org.portmatrix.report.AtomicFile}: under a
     * temporary name with ordinary permissions, renamed into place on success (a device or a pipe
     * is written in place).
     */
    static final class Output implements AutoCloseable, org.portmatrix.report.ReportTarget {
        private final Writer writer;
        private final OutputStream stream;
        private final org.portmatrix.report.AtomicFile file;
        private boolean committed;
        private boolean discarded;

        private Output(Writer writer, OutputStream stream, org.portmatrix.report.AtomicFile file) {
            this.writer = writer;
            this.stream = stream;
            this.file = file;
        }

        static Output open(Path target, OutputStream stdout) throws UsageException {
            if (target == null) {
                OutputStream s = new NonClosing(stdout);
                return new Output(new BufferedWriter(new OutputStreamWriter(s, StandardCharsets.UTF_8), 1 << 16), s, null);
            }
            try {
                org.portmatrix.report.AtomicFile f = org.portmatrix.report.AtomicFile.create(target);
                return new Output(f.writer(), f.stream(), f);
            } catch (IOException e) {
                throw new UsageException(target + ": cannot write output: " + describeCreate(target, e));
            }
        }

        Writer writer() {
            return writer;
        }

        @Override
        public boolean regularFile() {
            return file != null && file.regularFile();
        }

        /** The bytes under {@link #writer()}: for a report written as UTF-8 directly, when the writer is not used too. */
        OutputStream stream() {
            return stream;
        }

        @Override
        public void commit() throws IOException {
            writer.flush();
            stream.flush();
            if (file != null) {
                file.commit();
            }
            committed = true;
        }

        /** Its report could not be written: a file's temporary bytes are deleted; nothing more is flushed. */
        @Override
        public void discard() {
            discarded = true;
            if (file != null) {
                file.discard();
            }
        }

        @Override
        public void close() throws IOException {
            if (discarded) {
                return;
            }
            if (file == null) {
                writer.close(); // standard output is wrapped so that this only flushes it
            } else if (!committed) {
                file.close(); // deletes the temporary file
            }
        }
    }

    /** Standard output under a report: closing it only flushes it, and a write error its PrintStream kept to itself is thrown. */
    static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        /** Asked after each write too (the writers above hand over 8-64 KiB at a time): a reader gone is seen at once. */
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            failIfKept();
        }

        @Override
        public void flush() throws IOException {
            out.flush();
            failIfKept();
        }

        /** PrintStream keeps write errors to itself: asked here, so that a full disk or a closed pipe is not a silent success. */
        private void failIfKept() throws IOException {
            if (out instanceof PrintStream ps && ps.checkError()) {
                throw new IOException("standard output: cannot write (a full disk or a closed pipe); the report is incomplete");
            }
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
