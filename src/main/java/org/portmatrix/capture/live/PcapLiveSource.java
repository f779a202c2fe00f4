package org.portmatrix.capture.live;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.lang.reflect.Field;
import java.util.Locale;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface;
import org.pcap4j.core.PcapStat;

/**
 * A live capture through libpcap, set up with pcap4j and read without pcap4j's per-packet objects.
 *
 * <p>pcap4j opens the handle ({@code pcap_create}, snap length, promiscuous mode, timeout, buffer
 * size, immediate mode, nanosecond timestamps, {@code pcap_activate}), compiles the filter, reads
 * the statistics and breaks the loop. Packets are read with {@code pcap_next_ex} called directly
 * through a JNA direct mapping: the two out-pointers live in one native block allocated once, and
 * two re-pointed {@link Pointer} views read the header and copy the bytes into the caller's array.
 * Measured on a veth pair (200,000 frames of the reference workload, 2 cores): this path allocates
 * 0 bytes per packet; pcap4j's {@code loop} with a {@code RawPacketListener} 521 bytes and
 * {@code getNextRawPacketEx} 856 bytes (a byte[] per packet, a Timestamp, boxed lengths and JNA
 * callback arguments). When the pcap_t pointer cannot be reached (another pcap4j version), the
 * source falls back to {@code getNextRawPacketEx}.
 *
 * <p>libpcap is found by JNA as {@code libpcap.so} or, without the -dev package, by its versioned
 * name ({@code libpcap.so.0.8} on Debian); the system property {@value #LIB_PROPERTY} names it
 * explicitly.
 *
 * <pre>
 * struct pcap_pkthdr {            // LP64 Linux layout
 *     struct timeval ts;          //  0: tv_sec (long), 8: tv_usec (long; nanoseconds in nano precision)
 *     bpf_u_int32 caplen;         // 16
 *     bpf_u_int32 len;            // 20
 * };
 * </pre>
 */
public final class PcapLiveSource implements LiveSource {
    /** pcap4j's system property naming the libpcap library. */
    public static final String LIB_PROPERTY = "org.pcap4j.core.pcapLibName";
    private static final String[] LIB_CANDIDATES = {"pcap", "libpcap.so.1", "libpcap.so.0.8"};
    private static final int TV_SEC_OFFSET = 0;
    private static final int TV_FRAC_OFFSET = Native.LONG_SIZE;
    private static final int CAPLEN_OFFSET = 2 * Native.LONG_SIZE;
    private static final int LEN_OFFSET = CAPLEN_OFFSET + 4;
    private static final int PCAP_ERROR_BREAK = -2;

    private final PcapHandle handle;
    private final String name;
    /** The interface's index when it was opened (-1: none), to tell a rename from a deletion when it disappears. */
    private final int ifindex;
    private static final java.nio.file.Path SYS_CLASS_NET = java.nio.file.Path.of("/sys/class/net");
    private final int linkType;
    private final long fracToNanos;
    // Direct path.
    private final Pointer pcap;
    private final Memory outPointers;
    private final Pointer dataOut;
    private final Pointer header = new Pointer(0);
    private final Pointer data = new Pointer(0);
    private final Memory statBlock = new Memory(16);
    private int lastRecv;
    private int lastDrop;
    private int lastIfdrop;
    private long recvTotal;
    private long dropTotal;
    private long ifdropTotal;
    // Fallback path.
    private byte[] fallbackPacket;

    private boolean wokenPending;
    private int caplen;
    private int origLen;
    private long tsNanos;

    private PcapLiveSource(PcapHandle handle, String name, boolean nanos) throws LiveCaptureException {
        this.handle = handle;
        this.name = name;
        this.ifindex = LinkWatch.ifindex(name, SYS_CLASS_NET);
        this.linkType = handle.getDlt().value();
        this.fracToNanos = nanos ? 1 : 1000;
        this.pcap = pcapPointer(handle);
        if (pcap != null) {
            outPointers = new Memory(2L * Native.POINTER_SIZE);
            dataOut = outPointers.share(Native.POINTER_SIZE);
        } else {
            outPointers = null;
            dataOut = null;
        }
    }

    /** Opens and activates the capture. Throws with one line naming the interface when it cannot. */
    public static PcapLiveSource open(LiveCaptureConfig c) throws LiveCaptureException {
        loadLibrary();
        PcapHandle h = null;
        boolean nanos = true;
        try {
            try {
                h = builder(c).timestampPrecision(PcapHandle.TimestampPrecision.NANO).build();
            } catch (PcapNativeException e) {
                if (!String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT).contains("precision")) {
                    throw e;
                }
                nanos = false;
                h = builder(c).timestampPrecision(PcapHandle.TimestampPrecision.MICRO).build();
            }
            if (c.bpf() != null && !c.bpf().isBlank()) {
                try {
                    h.setFilter(c.bpf(), BpfProgram.BpfCompileMode.OPTIMIZE);
                } catch (PcapNativeException e) {
                    throw new LiveCaptureException("--bpf '" + c.bpf() + "': " + firstLine(e.getMessage()));
                }
            }
            PcapLiveSource s = new PcapLiveSource(h, c.iface(), nanos);
            h = null;
            return s;
        } catch (PcapNativeException | NotOpenException e) {
            throw new LiveCaptureException(describeOpenError(c.iface(), e.getMessage()));
        } finally {
            if (h != null) {
                h.close();
            }
        }
    }

    private static PcapHandle.Builder builder(LiveCaptureConfig c) {
        return new PcapHandle.Builder(c.iface())
                .snaplen(c.snaplen())
                .promiscuousMode(PcapNetworkInterface.PromiscuousMode.PROMISCUOUS)
                .timeoutMillis(c.timeoutMillis())
                .bufferSize(c.bufferBytes())
                .immediateMode(c.immediate());
    }

    /** One line for a failed open: the causes users meet are named plainly. */
    static String describeOpenError(String iface, String message) {
        String m = firstLine(message);
        String lower = m.toLowerCase(Locale.ROOT);
        if (lower.contains("permission") || lower.contains("not permitted")) {
            return "cannot capture on " + iface + ": capture needs root or CAP_NET_RAW and CAP_NET_ADMIN (" + m + ")";
        }
        if (lower.contains("no such device")) {
            return iface + ": no such network interface (" + m + ")";
        }
        if (lower.contains("not up")) {
            // PCAP_ERROR_IFACE_NOT_UP ("That device is not up"): set down by hand (ip link set IFACE down). Linux's
            // libpcap refuses to open it; a link that is up but has no carrier opens, and is watched (LinkWatch).
            return "cannot capture on " + iface + ": " + iface + " is down (administratively); bring it up with `ip link set " + iface
                    + " up` before starting live";
        }
        return "cannot capture on " + iface + ": " + m;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unknown error";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }

    /** Makes sure pcap4j will find libpcap, also without the unversioned libpcap.so of the -dev package. */
    static synchronized void loadLibrary() throws LiveCaptureException {
        String named = System.getProperty(LIB_PROPERTY);
        if (named != null) {
            try {
                NativeLibrary.getInstance(named);
                return;
            } catch (UnsatisfiedLinkError e) {
                throw new LiveCaptureException("cannot load libpcap '" + named + "' (" + LIB_PROPERTY + "): " + firstLine(e.getMessage()));
            }
        }
        for (String candidate : LIB_CANDIDATES) {
            try {
                NativeLibrary.getInstance(candidate);
                System.setProperty(LIB_PROPERTY, candidate);
                return;
            } catch (UnsatisfiedLinkError e) {
                // try the next name
            }
        }
        throw new LiveCaptureException("libpcap not found: install it (Debian/Ubuntu: apt-get install libpcap0.8) "
                + "or name the library with -D" + LIB_PROPERTY + "=/path/to/libpcap.so.N");
    }

    /** pcap4j keeps the pcap_t in a private field; null when this pcap4j version has none. */
    private static Pointer pcapPointer(PcapHandle h) {
        if (Boolean.getBoolean("portmatrix.live.pcap4jReader")) {
            return null; // for measuring pcap4j's own raw path against the direct one
        }
        try {
            Field f = PcapHandle.class.getDeclaredField("handle");
            f.setAccessible(true);
            Object p = f.get(h);
            return p instanceof Pointer ptr ? ptr : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** JNA direct mapping of the one libpcap call on the per-packet path. */
    private static final class Lib {
        static {
            Native.register(Lib.class, NativeLibrary.getInstance(System.getProperty(LIB_PROPERTY, "pcap")));
        }

        static native int pcap_next_ex(Pointer p, Pointer header, Pointer data);

        static native String pcap_geterr(Pointer p);

        static native int pcap_stats(Pointer p, Pointer stats);
    }

    public boolean direct() {
        return pcap != null;
    }

    @Override
    public int next() throws LiveCaptureException {
        if (pcap == null) {
            return nextFallback();
        }
        if (wokenPending) {
            wokenPending = false;
            return WOKEN;
        }
        // pcap_next_ex writes the data pointer only when it delivers a packet. libpcap's Linux
        // reader checks for pcap_breakloop after delivering one and then returns PCAP_ERROR_BREAK
        // (-2), not 1: the packet has left the ring all the same. A data pointer set on -2 is that
        // packet, taken now; the wake-up is reported at the next call.
        clearDataPointer();
        int r = Lib.pcap_next_ex(pcap, outPointers, dataOut);
        if (r == PCAP_ERROR_BREAK && address(Native.POINTER_SIZE) != 0) {
            wokenPending = true;
            r = 1;
        }
        if (r == 1) {
            Pointer.nativeValue(header, address(0));
            Pointer.nativeValue(data, address(Native.POINTER_SIZE));
            long sec = Native.LONG_SIZE == 8 ? header.getLong(TV_SEC_OFFSET) : header.getInt(TV_SEC_OFFSET);
            long frac = header.getInt(TV_FRAC_OFFSET) & 0xffffffffL;
            tsNanos = sec * 1_000_000_000L + frac * fracToNanos;
            caplen = header.getInt(CAPLEN_OFFSET);
            origLen = header.getInt(LEN_OFFSET);
            return PACKET;
        }
        if (r == 0) {
            return TIMEOUT;
        }
        if (r == PCAP_ERROR_BREAK) {
            return WOKEN;
        }
        throw new LiveCaptureException("capture on " + name + " failed: " + firstLine(Lib.pcap_geterr(pcap))
                + LinkWatch.renamedNote(name, ifindex, SYS_CLASS_NET));
    }

    private void clearDataPointer() {
        if (Native.POINTER_SIZE == 8) {
            outPointers.setLong(Native.POINTER_SIZE, 0);
        } else {
            outPointers.setInt(Native.POINTER_SIZE, 0);
        }
    }

    /** A pointer written by pcap_next_ex, read as a number (getPointer would allocate a Pointer). */
    private long address(long offset) {
        return Native.POINTER_SIZE == 8 ? outPointers.getLong(offset) : outPointers.getInt(offset) & 0xffffffffL;
    }

    private int nextFallback() throws LiveCaptureException {
        try {
            fallbackPacket = handle.getNextRawPacketEx();
            caplen = fallbackPacket.length;
            Integer len = handle.getOriginalLength();
            origLen = len == null ? caplen : len;
            java.sql.Timestamp ts = handle.getTimestamp();
            tsNanos = ts.getTime() / 1000 * 1_000_000_000L + ts.getNanos();
            return PACKET;
        } catch (java.util.concurrent.TimeoutException e) {
            return TIMEOUT;
        } catch (java.io.EOFException e) {
            return WOKEN;
        } catch (PcapNativeException | NotOpenException e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("-2") || m.toLowerCase(Locale.ROOT).contains("break")) {
                return WOKEN;
            }
            throw new LiveCaptureException("capture on " + name + " failed: " + firstLine(m) + LinkWatch.renamedNote(name, ifindex, SYS_CLASS_NET));
        }
    }

    @Override
    public int caplen() {
        return caplen;
    }

    @Override
    public int origLen() {
        return origLen;
    }

    @Override
    public long tsNanos() {
        return tsNanos;
    }

    @Override
    public void copyTo(byte[] dst, int offset) {
        if (pcap == null) {
            System.arraycopy(fallbackPacket, 0, dst, offset, caplen);
        } else {
            data.read(0, dst, offset, caplen);
        }
    }

    @Override
    public int linkType() {
        return linkType;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void stats(KernelStats into) throws LiveCaptureException {
        if (pcap != null) {
            // struct pcap_stat { u_int ps_recv; u_int ps_drop; u_int ps_ifdrop; }: read into a block
            // allocated once (pcap4j's getStats allocates a structure and a PcapStat per call).
            if (Lib.pcap_stats(pcap, statBlock) != 0) {
                throw new LiveCaptureException("capture statistics of " + name + ": " + firstLine(Lib.pcap_geterr(pcap)));
            }
            accumulate(statBlock.getInt(0), statBlock.getInt(4), statBlock.getInt(8), into);
            return;
        }
        try {
            PcapStat s = handle.getStats();
            accumulate((int) s.getNumPacketsReceived(), (int) s.getNumPacketsDropped(), (int) s.getNumPacketsDroppedByIf(), into);
        } catch (PcapNativeException | NotOpenException e) {
            throw new LiveCaptureException("capture statistics of " + name + ": " + firstLine(e.getMessage()));
        }
    }

    @Override
    public void nonBlocking() throws LiveCaptureException {
        try {
            handle.setBlockingMode(PcapHandle.BlockingMode.NONBLOCKING);
        } catch (PcapNativeException | NotOpenException e) {
            throw new LiveCaptureException("capture on " + name + ": " + firstLine(e.getMessage()));
        }
    }

    /** libpcap's counters are 32 bits and wrap after days on a busy port: sum the differences in 64 bits. */
    private void accumulate(int recv, int drop, int ifdrop, KernelStats into) {
        recvTotal += (recv - lastRecv) & 0xffffffffL;
        dropTotal += (drop - lastDrop) & 0xffffffffL;
        ifdropTotal += (ifdrop - lastIfdrop) & 0xffffffffL;
        lastRecv = recv;
        lastDrop = drop;
        lastIfdrop = ifdrop;
        into.set(recvTotal, dropTotal, ifdropTotal);
    }

    @Override
    public void wakeup() {
        try {
            handle.breakLoop();
        } catch (NotOpenException e) {
            // closed already: nothing waits
        }
    }

    @Override
    public void close() {
        handle.close();
    }
}
