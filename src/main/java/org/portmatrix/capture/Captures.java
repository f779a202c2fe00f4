package org.portmatrix.capture;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Opens captures: a file of any supported format (classic pcap, pcapng, either gzip-compressed),
 * standard input ({@code -}), a directory (every capture in it, such as a dumpcap ring buffer), or
 * several of these read as one in time order.
 */
public final class Captures {
    private static final int GZIP_MAGIC = 0x1f8b;
    /** The name that stands for standard input on the command line. */
    public static final String STDIN = "-";
    static final String STDIN_NAME = "(standard input)";
    /** Kuznetzov's and other modified pcap variants that tcpdump never wrote: refused by name. */
    private static final int MAGIC_PCAP_MODIFIED = 0xa1b2cd34;
    private static final int MAGIC_PCAP_MODIFIED_SWAPPED = 0x34cdb2a1;

    private Captures() {}

    /**
     * Standard input for {@link #openAll}: read through its channel, so that a signal can end a read
     * blocked on a writer that has gone quiet ({@link PipeInput}).
     */
    public static InputStream standardInput() {
        return PipeInput.standardInput();
    }

    /**
     * Ends every read blocked on a pipe, a FIFO or standard input that brings nothing (a SIGINT or
     * SIGTERM whose read must stop): the pipe is closed, and the read throws {@link
     * java.nio.channels.ClosedChannelException} (a blocked one its {@link java.nio.channels.AsynchronousCloseException}).
     */
    public static void wakePipeReads() {
        PipeInput.wakeReaders();
    }

    public static PacketSource open(Path path) throws IOException {
        return open(path, false);
    }

    /**
     * @param oneOfSeveral read with others at once ({@link MergedSource}): a regular file's descriptor is held
     *     within the open-files limit ({@link OpenFiles})
     */
    private static PacketSource open(Path path, boolean oneOfSeveral) throws IOException {
        String name = path.toString();
        if (!Files.exists(path)) {
            throw new CaptureFormatException(name + (Files.isSymbolicLink(path)
                    ? ": a symbolic link to nothing (its target is missing, or links loop)" : ": no such file"));
        }
        if (Files.isDirectory(path)) {
            throw new CaptureFormatException(name + ": is a directory");
        }
        if (!Files.isReadable(path)) {
            throw new CaptureFormatException(name + ": not readable (permission denied)");
        }
        long size = Files.isRegularFile(path) ? Files.size(path) : -1; // a pipe has no size
        InputStream raw;
        try {
            // FileInputStream, not Files.newInputStream: the latter's available() seeks, which a
            // named pipe refuses ("Illegal seek") as soon as a buffered read asks it.
            if (size >= 0 && oneOfSeveral) {
                raw = OpenFiles.open(path);
            } else {
                java.io.FileInputStream file = new java.io.FileInputStream(path.toFile());
                raw = size < 0 ? new PipeInput(file) : file; // a FIFO or a device: a read that waits can be ended (PipeInput)
            }
        } catch (java.io.FileNotFoundException | java.nio.file.NoSuchFileException e) {
            throw new CaptureFormatException(name + ": no such file");
        }
        if (size >= 0) {
            raw = GuardedStream.file(raw); // a read the disk refuses is damage where it stopped, not the end of the run
        }
        return open(name, raw, size);
    }

    /** Opens a stream (a file's or standard input's); detects gzip and the capture format. */
    public static PacketSource open(String name, InputStream raw, long size) throws IOException {
        return open(name, raw, size, null);
    }

    private static PacketSource open(String name, InputStream raw, long size, GuardedStream guard) throws IOException {
        BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
        in.mark(4);
        int magic = 0;
        int got = 0;
        for (; got < 4; got++) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            magic = (magic << 8) | c;
        }
        in.reset();
        if (got == 0) {
            in.close();
            GuardedStream g = guard != null ? guard : raw instanceof GuardedStream file ? file : null;
            throw new CaptureFormatException(name, 0, g != null && g.failure() != null ? g.failure() : "empty file");
        }
        if (got >= 2 && (magic >>> ((got - 2) * 8)) == GZIP_MAGIC && guard == null) {
            InputStream gz;
            try {
                gz = new GzipMembers(new NextMemberAhead(in));
            } catch (java.io.EOFException e) {
                in.close();
                throw new CaptureFormatException(name, 0, "gzip header cut off");
            } catch (IOException e) {
                in.close();
                throw new CaptureFormatException(name, 0, "damaged gzip header: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            }
            GuardedStream g = GuardedStream.inflated(gz, in, raw instanceof GuardedStream f ? f : null);
            return open(name, g, -1, g);
        }
        if (got < 4) {
            in.close();
            throw new CaptureFormatException(name, 0, "too short for a capture (" + got + " bytes)");
        }
        if (guard == null && raw instanceof GuardedStream file) {
            guard = file; // a regular file's: a read the disk refuses, or one not there again (OpenFiles), is damage where it stopped
        }
        switch (magic) {
            case PcapngReader.BLOCK_SHB:
                return new PcapngReader(name, in, size, guard);
            case PcapReader.MAGIC_MICRO, PcapReader.MAGIC_NANO, PcapReader.MAGIC_MICRO_SWAPPED, PcapReader.MAGIC_NANO_SWAPPED:
                return new PcapReader(name, in, size, guard);
            case MAGIC_PCAP_MODIFIED, MAGIC_PCAP_MODIFIED_SWAPPED:
                in.close();
                throw new CaptureFormatException(name, 0, "a modified (Kuznetzov) pcap file; not supported (convert it with editcap -F pcap)");
            default:
                in.close();
                String known = foreign(magic);
                if (known == null && name.toLowerCase(java.util.Locale.ROOT).endsWith(".etl")) {
                    known = ETL; // (an ETL file starts with its first buffer's size: no magic of its own)
                }
                throw new CaptureFormatException(name, 0, known != null ? known
                        : "not a pcap or pcapng capture (magic " + String.format("0x%08x", magic) + ")");
        }
    }

    /**
     * What a file named {@code .etl} that is no capture is said to be: a Windows event trace, as {@code netsh trace
     * start capture=yes} and {@code pktmon start -c} write them, the captures a Lync server gives without Wireshark.
     */
    static final String ETL = "a Windows event trace (.etl: netsh trace, pktmon), not a capture; convert it on Windows: "
            + "pktmon etl2pcap FILE.etl --out FILE.pcapng (pktmon's), etl2pcapng FILE.etl FILE.pcapng (netsh trace's)";

    /**
     * What a file that is not pcap or pcapng is, by its first four bytes, and how to read it anyway; null for an
     * unknown magic. The captures a Lync administrator is handed come from Windows tools too (Network Monitor's
     * .cap, which editcap converts), in archives (zip), and compressed by other programs than gzip.
     */
    static String foreign(int magic) {
        String convert = "; not read: convert it with Wireshark's editcap (editcap -F pcapng FILE FILE.pcapng)";
        String pipe = ": decompress it first, or through a pipe: %s -dc FILE | portmatrix analyze -";
        return switch (magic) {
            case 0x52545353 -> "a Microsoft Network Monitor 1.x capture" + convert; // "RTSS"
            case 0x474d4255 -> "a Microsoft Network Monitor 2.x capture (.cap)" + convert; // "GMBU"
            case 0x736e6f6f -> "a Sun snoop capture" + convert; // "snoo(p)"
            case 0x504b0304 -> "a ZIP archive, not a capture: unzip it and give the captures it holds";
            case 0xfd377a58 -> "an xz-compressed file; of the compressed formats only gzip is read" + String.format(pipe, "xz");
            case 0x28b52ffd -> "a zstd-compressed file; of the compressed formats only gzip is read" + String.format(pipe, "zstd");
            case 0x04224d18 -> "an lz4-compressed file; of the compressed formats only gzip is read" + String.format(pipe, "lz4");
            default -> (magic >>> 8) == 0x425a68 // "BZh" and the block size
                    ? "a bzip2-compressed file; of the compressed formats only gzip is read" + String.format(pipe, "bzip2") : null;
        };
    }

    /**
     * Opens what the command line names, as one source: each argument is a capture file, a
     * directory of captures (its regular files, by name, hidden ones left out) or {@code -} for
     * {@code stdin}. One file is read as it is; several are merged in time order. Every file is
     * opened and its first packet read here, so an unreadable one is reported before any output.
     */
    public static PacketSource openAll(List<Path> args, InputStream stdin) throws IOException {
        List<Path> files = new ArrayList<>();
        java.util.Set<Path> inDirectories = new java.util.HashSet<>();
        boolean sawStdin = false;
        for (Path a : args) {
            if (a.toString().equals(STDIN)) {
                if (sawStdin) {
                    throw new CaptureFormatException("standard input (-) given more than once");
                }
                sawStdin = true;
                files.add(a);
            } else if (Files.isDirectory(a)) {
                List<Path> inDir = directory(a);
                if (inDir.isEmpty()) {
                    String sub = subdirectoriesNotRead(a, false, named(args), args);
                    throw new CaptureFormatException(a + ": directory without capture files" + (sub == null ? "" : "; " + sub));
                }
                files.addAll(inDir);
                inDirectories.addAll(inDir);
            } else {
                files.add(a);
            }
        }
        if (files.isEmpty()) {
            throw new CaptureFormatException("no capture given");
        }
        refuseTwice(files);
        if (files.size() == 1) {
            return openOne(files.get(0), stdin);
        }
        int n = files.size();
        String[] names = new String[n];
        MergedSource.Opener[] openers = new MergedSource.Opener[n];
        long[] firstTs = new long[n];
        PacketSource[] opened = new PacketSource[n];
        PacketRef[] firstRefs = new PacketRef[n];
        List<CaptureDamage> setupDamage = new ArrayList<>();
        long size = 0;
        CaptureFormatException firstSkipped = null;
        int readable = 0;
        try {
            for (int i = 0; i < n; i++) {
                Path f = files.get(i);
                names[i] = display(f);
                openers[i] = () -> openOne(f, stdin, true);
                PacketSource s;
                try {
                    s = openOne(f, stdin, true);
                } catch (CaptureFormatException e) {
                    if (!inDirectories.contains(f)) {
                        throw e; // a file named on the command line: refused, as it always was
                    }
                    // A file of a directory that is no capture (a README beside the ring buffer, a zero-byte file, a file cut
                    // inside its header when tcpdump was killed right after rotating): skipped as damage, exit status 3; it
                    // refused the whole day's run.
                    setupDamage.add(skipped(names[i], e));
                    firstTs[i] = Long.MIN_VALUE;
                    if (firstSkipped == null) {
                        firstSkipped = e;
                    }
                    continue;
                }
                readable++;
                size = size < 0 || s.size() < 0 ? -1 : size + s.size();
                PacketRef r = new PacketRef();
                if (!s.next(r)) {
                    firstTs[i] = Long.MIN_VALUE;
                    setupDamage.addAll(s.damages());
                    s.close();
                } else if (f.toString().equals(STDIN) || !Files.isRegularFile(f)) {
                    // Standard input, a FIFO or a device cannot be read twice: it stays open (a FIFO closed here lost what its
                    // writer had sent, and opening it again waited for a writer that never came: the run hung).
                    firstTs[i] = r.tsNanos;
                    opened[i] = s;
                    firstRefs[i] = r;
                } else {
                    firstTs[i] = r.tsNanos;
                    s.close();
                }
            }
            if (readable == 0 && firstSkipped != null) {
                throw firstSkipped; // nothing of the directories is a capture
            }
        } catch (IOException | RuntimeException e) {
            for (PacketSource s : opened) {
                if (s != null) {
                    s.close();
                }
            }
            throw e;
        }
        String name = args.size() == 1 ? args.get(0).toString() : inDirectories.isEmpty() ? joined(inTimeOrder(names, firstTs))
                : joined(args.stream().map(Captures::display).toList());
        return new MergedSource(name, names, openers, firstTs, opened, firstRefs, setupDamage, size);
    }

    /**
     * The names of captures given one by one, in the order of their first packets (those without one last): a
     * shell's glob lists tcpdump -C's cap.pcap10 before cap.pcap2, and a day's 39 files were named "cap.pcap,
     * cap.pcap1, cap.pcap10 and 36 more, to cap.pcap9", the last named not the last read.
     */
    private static List<String> inTimeOrder(String[] names, long[] firstTs) {
        Integer[] order = new Integer[names.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> {
            boolean noneA = firstTs[a] == Long.MIN_VALUE;
            boolean noneB = firstTs[b] == Long.MIN_VALUE;
            if (noneA != noneB) {
                return noneA ? 1 : -1;
            }
            int c = Long.compare(firstTs[a], firstTs[b]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        List<String> sorted = new ArrayList<>(names.length);
        for (int i : order) {
            sorted.add(names[i]);
        }
        return sorted;
    }

    /** The most captures named one by one in the name of several ({@link #joined}). */
    static final int NAMED = 3;

    /**
     * The name of several captures given one by one: "a.pcap, b.pcap, c.pcap", or with many (a glob
     * of a day's 1,440 files, whose name filled a 50 KB line of the summary) the first ones and how
     * many more.
     */
    static String joined(List<String> names) {
        if (names.size() <= NAMED + 1) {
            return String.join(", ", names);
        }
        return String.join(", ", names.subList(0, NAMED)) + String.format(java.util.Locale.ROOT, " and %,d more, to %s", names.size() - NAMED,
                names.get(names.size() - 1));
    }

    /** A file of a directory that could not be opened as a capture, as damage: its name, offset and why, and that it was skipped. */
    private static CaptureDamage skipped(String name, CaptureFormatException e) {
        String m = e.detail();
        if (e.offset() < 0 && m.startsWith(name + ": ")) {
            m = m.substring(name.length() + 2); // ("NAME: not readable (permission denied)")
        }
        return new CaptureDamage(name, Math.max(0, e.offset()), m + "; the file was skipped", true);
    }

    /**
     * Refuses a capture named twice (a glob and its own directory, a file and a link to it, the same
     * path given again): read twice, every packet and byte of its flows was counted twice, without a
     * word. Files are told apart by their device and inode, so that links are recognised: a map of
     * their keys, not {@code Files.isSameFile} pair by pair as {@code Main.notAnInput} does for a few
     * outputs (a day's 1,440 files would be a million comparisons, two file lookups each).
     */
    private static void refuseTwice(List<Path> files) throws IOException {
        Map<Object, Path> seen = new HashMap<>();
        for (Path f : files) {
            Object key;
            try {
                // (Standard input by what it is: `analyze - x.pcap < x.pcap` read the file twice.)
                key = Files.readAttributes(f.toString().equals(STDIN) ? Path.of("/dev/stdin") : f, BasicFileAttributes.class).fileKey();
            } catch (IOException e) {
                continue; // (opening it says what is wrong)
            }
            if (key == null) {
                continue;
            }
            Path before = seen.putIfAbsent(key, f);
            if (before != null) {
                throw new CaptureFormatException(f.equals(before) ? f + ": named twice; give each capture once"
                        : display(f) + " and " + display(before) + " are the same file; give each capture once");
            }
        }
    }

    private static String display(Path p) {
        return p.toString().equals(STDIN) ? STDIN_NAME : p.toString();
    }

    private static PacketSource openOne(Path p, InputStream stdin) throws IOException {
        return openOne(p, stdin, false);
    }

    private static PacketSource openOne(Path p, InputStream stdin, boolean oneOfSeveral) throws IOException {
        if (p.toString().equals(STDIN)) {
            return open(STDIN_NAME, stdin, -1);
        }
        return open(p, oneOfSeveral);
    }

    /**
     * What is said of the directories that captures named on the command line hold: a directory of
     * captures is read without its subdirectories (a report directory may be written there), and a
     * day's captures of two mirror ports kept as {@code day/portA} and {@code day/portB}, with a few
     * files in {@code day} itself, were read without the ports' files and not a word. One warning for
     * each directory named that holds both captures and subdirectories; the subdirectories of one
     * without captures are named in its error.
     *
     * @param args the captures named
     * @param outputDirs directories this run writes into ({@code --report-dir}, the extract's): not named, whatever they
     *     hold (the extract is a capture of packets the directory's files already hold)
     */
    public static List<String> subdirectoryWarnings(List<Path> args, List<Path> outputDirs) {
        List<String> warnings = new ArrayList<>();
        java.util.Set<Path> named = named(args);
        named.addAll(named(outputDirs));
        for (Path a : args) {
            try {
                if (!a.toString().equals(STDIN) && Files.isDirectory(a) && !directory(a).isEmpty()) {
                    String sub = subdirectoriesNotRead(a, true, named, args);
                    if (sub != null) {
                        warnings.add(a + ": " + sub);
                    }
                }
            } catch (IOException e) {
                // (opening it says what is wrong)
            }
        }
        return warnings;
    }

    /**
     * "its subdirectories a, b are not read; to read them too: portmatrix analyze DIR DIR/a DIR/b", or null
     * when it has none ({@code withDir}: the directory's own captures are named in the command too). The command is
     * the one given with the subdirectories beside the directory: {@code analyze day day/portA} was told "to read it
     * too: portmatrix analyze day day/portB", which left portA out (and warned of it in turn).
     */
    private static String subdirectoriesNotRead(Path dir, boolean withDir, java.util.Set<Path> named, List<Path> args) {
        List<Path> subs = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (Files.isDirectory(p) && !p.getFileName().toString().startsWith(".") && !named.contains(p.toAbsolutePath().normalize())
                        && holdsCaptures(p)) {
                    subs.add(p);
                }
            }
        } catch (IOException e) {
            return null;
        }
        // A link to a subdirectory, to the directory itself or to one named (day/latest -> portA, day/self -> .) is
        // not another one: named too, the command read their files twice and was refused ("are the same file").
        // The subdirectory itself is named rather than a link to it.
        subs.sort(java.util.Comparator.comparing((Path p) -> Files.isSymbolicLink(p)).thenComparing(java.util.Comparator.naturalOrder()));
        java.util.Set<Path> seen = new java.util.HashSet<>();
        for (Path a : named) {
            seen.add(real(a));
        }
        seen.add(real(dir));
        subs.removeIf(p -> !seen.add(real(p)));
        if (subs.isEmpty()) {
            return null;
        }
        subs.sort(null);
        boolean one = subs.size() == 1;
        StringBuilder command = new StringBuilder("portmatrix analyze");
        boolean added = false;
        for (Path a : args) {
            if (!a.equals(dir) || added) {
                command.append(' ').append(a);
                continue;
            }
            added = true;
            if (withDir) {
                command.append(' ').append(dir);
            }
            for (int i = 0; i < subs.size() && i < NAMED; i++) {
                command.append(' ').append(subs.get(i));
            }
            if (subs.size() > NAMED) {
                command.append(" ...");
            }
        }
        return (one ? "its subdirectory " : "its subdirectories ") + joined(subs.stream().map(p -> p.getFileName().toString()).toList())
                + (one ? " is" : " are") + " not read (a directory's captures are the files in it); to read " + (one ? "it" : "them")
                + (withDir ? " too" : "") + ": " + command;
    }

    /** Where a path leads, links followed (as it is when it cannot be resolved). */
    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }

    /** The captures named on the command line, as absolute paths (a subdirectory named is read). */
    private static java.util.Set<Path> named(List<Path> args) {
        java.util.Set<Path> named = new java.util.HashSet<>();
        for (Path a : args) {
            named.add(a.toAbsolutePath().normalize());
        }
        return named;
    }

    /**
     * A file that every report directory holds ({@code analyze --report-dir}'s and {@code live --report-dir}'s
     * summary.txt, ReportSet.DIR_TEXT): a directory holding it is a report directory, whose extract (a capture of
     * packets its parent's files already hold) is not one to read with them.
     */
    public static final String REPORT_FILE = "summary.txt";

    /**
     * Whether one of the first files of {@code dir} begins as a capture does (pcap, pcapng or gzip), and it is not a
     * report directory (its extract, read with the captures it came from, would count its packets twice).
     */
    private static boolean holdsCaptures(Path dir) {
        if (Files.isRegularFile(dir.resolve(REPORT_FILE))) {
            return false;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            int looked = 0;
            for (Path p : ds) {
                if (looked++ == 100) {
                    break;
                }
                if (!Files.isRegularFile(p) || p.getFileName().toString().startsWith(".")) {
                    continue;
                }
                byte[] head = new byte[4];
                int n;
                try (InputStream in = Files.newInputStream(p)) {
                    n = in.readNBytes(head, 0, 4);
                }
                int magic = java.nio.ByteBuffer.wrap(head).getInt();
                if (n == 4 && (magic == PcapngReader.BLOCK_SHB || magic == PcapReader.MAGIC_MICRO || magic == PcapReader.MAGIC_NANO
                        || magic == PcapReader.MAGIC_MICRO_SWAPPED || magic == PcapReader.MAGIC_NANO_SWAPPED || (magic >>> 16) == GZIP_MAGIC)) {
                    return true;
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /** The regular, non-hidden files of a directory, sorted by name (dumpcap's ring buffer order). */
    static List<Path> directory(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (Files.isRegularFile(p) && !p.getFileName().toString().startsWith(".")) {
                    files.add(p);
                }
            }
        }
        files.sort(null);
        return files;
    }

    /**
     * The compressed bytes as {@link GZIPInputStream} reads them, saying more are available until
     * their end: at the end of a member it reads the next member's header only when its stream says
     * bytes are available (JDK-7036144), and a pipe whose writer is between two members (files of a
     * ring buffer sent one after another through ssh) has none at hand for a moment, so the members
     * after it were dropped without a word. Told there are, it waits for the next header; at the real
     * end its read of the header finds none and the stream ends as before.
     *
     * <p>It asks only there, once at the end of every member (after the member's trailer, before the
     * next header), so this stream also counts what is read after the last member's end, whether it
     * was all zeros, and a failure of the read of a next header, which the JDK takes for the end of
     * the stream ({@link GzipMembers}).
     */
    private static final class NextMemberAhead extends java.io.FilterInputStream {
        private long read;
        /** {@link #read} when the last member's trailer had been read, or -1 before the end of the first. */
        private long atMemberEnd = -1;
        /** Whether a byte read since the last member's end was not zero. */
        private boolean nonZeroSinceMemberEnd;
        /** A read that failed after the last member's end (a pipe closed for SIGINT or SIGTERM, a read error), or null. */
        private IOException failedSinceMemberEnd;

        NextMemberAhead(InputStream in) {
            super(in);
        }

        @Override
        public int available() throws IOException {
            atMemberEnd = read;
            nonZeroSinceMemberEnd = false;
            failedSinceMemberEnd = null;
            return Math.max(1, in.available());
        }

        @Override
        public int read() throws IOException {
            int c;
            try {
                c = in.read();
            } catch (IOException e) {
                throw failed(e);
            }
            if (c >= 0) {
                read++;
                nonZeroSinceMemberEnd |= c != 0;
            }
            return c;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int r;
            try {
                r = in.read(b, off, len);
            } catch (IOException e) {
                throw failed(e);
            }
            if (r > 0) {
                read += r;
                for (int i = off; i < off + r && !nonZeroSinceMemberEnd && atMemberEnd >= 0; i++) {
                    nonZeroSinceMemberEnd = b[i] != 0;
                }
            }
            return r;
        }

        private IOException failed(IOException e) {
            if (atMemberEnd >= 0 && failedSinceMemberEnd == null) {
                failedSinceMemberEnd = e;
            }
            return e;
        }

        /** Bytes read since the last member's trailer (none before the first member ended). */
        long readSinceMemberEnd() {
            return atMemberEnd < 0 ? 0 : read - atMemberEnd;
        }
    }

    /**
     * Gzip members one after another, as {@link GZIPInputStream} reads them, with what it leaves
     * unsaid: bytes after the last whole member that are not a member (a next member's header cut
     * off, or anything else appended) ended the stream there without a word, so the packets they held
     * were lost and the capture counted as whole (exit 0; {@code gzip -t} says "unexpected end of
     * file" or "trailing garbage"). At the end they are damage, the capture read up to them.
     */
    private static final class GzipMembers extends GZIPInputStream {
        private static final int TRAILER = 8;
        private final NextMemberAhead source;
        private boolean ended;

        GzipMembers(NextMemberAhead source) throws IOException {
            super(source, 1 << 16);
            this.source = source;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int r = super.read(b, off, len);
            if (r < 0 && !ended) {
                ended = true;
                if (source.failedSinceMemberEnd != null) {
                    // The read of a next member's header failed (the pipe closed for a signal while its writer was
                    // between two members): the JDK took it for the end; it is what it is.
                    throw source.failedSinceMemberEnd;
                }
                // After the last trailer: what its buffer held beyond the trailer (the inflater keeps its
                // input's count at the end), and what was read from the stream after it. Zeros only are
                // padding (a tape's or dd's block), which gzip ignores too. (this.len: the buffer's fill, not
                // the length asked for.)
                int inBuffer = Math.max(0, inf.getRemaining() - TRAILER);
                long after = inBuffer + source.readSinceMemberEnd();
                if (after > 0 && (source.nonZeroSinceMemberEnd || !zeros(buf, this.len - inBuffer, this.len) || !restIsZeros())) {
                    throw new java.util.zip.ZipException("bytes after the last whole gzip member that are not one: a member cut off, or not gzip");
                }
            }
            return r;
        }

        private static boolean zeros(byte[] b, int from, int to) {
            for (int i = from; i < to; i++) {
                if (b[i] != 0) {
                    return false;
                }
            }
            return true;
        }

        /** Reads the stream to its end: true when all of it is zeros. */
        private boolean restIsZeros() throws IOException {
            byte[] rest = new byte[8192];
            for (int n; (n = source.read(rest, 0, rest.length)) >= 0; ) {
                if (!zeros(rest, 0, n)) {
                    return false;
                }
            }
            return true;
        }
    }
}
