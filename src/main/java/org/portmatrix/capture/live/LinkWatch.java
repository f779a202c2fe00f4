package org.portmatrix.capture.live;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether the capture interface's link is up, from the kernel's {@code /sys/class/net/IFACE/operstate}
 * (RFC 2863's states): a mirror port whose cable is pulled, or whose switch session was removed,
 * delivers no packet, and libpcap reports nothing of it: the capture only sees traffic stop. Read
 * about once a second by the analysis thread; each change is said once.
 *
 * <p>"up" is up; "unknown" (loopback, tunnels, drivers that do not report it) counts as up, as does
 * an interface with no such file (libpcap's "any", a pseudo-device): the watch then says nothing.
 * Every other state ("down", "lowerlayerdown", "dormant", "notpresent", "testing") is down, and so
 * is an interface whose state was read before and is gone ({@link #GONE}: deleted).
 */
public final class LinkWatch {
    /** The state of an interface whose state was read before and is no longer there (deleted). */
    public static final String GONE = "gone";
    private final String iface;
    private final Path operstate;
    private String state;
    private boolean checked;
    private boolean down;
    private long downSinceNanos;
    private long downEvents;
    private long downNanos;

    /** @param sysClassNet the kernel's interface directory ({@code /sys/class/net}; another in tests) */
    public LinkWatch(String iface, Path sysClassNet) {
        this.iface = iface;
        Path p = null;
        if (iface != null && !iface.isEmpty() && !iface.contains("/") && !iface.equals(".") && !iface.equals("..")) {
            p = sysClassNet.resolve(iface).resolve("operstate");
        }
        this.operstate = p;
    }

    public LinkWatch(String iface) {
        this(iface, Path.of("/sys/class/net"));
    }

    /**
     * Reads the state; returns the sentence to say when the link went down or came back up since the
     * last check, else null. {@code wallTime} is the time to name in it (ISO-8601).
     */
    public String check(long nowNanos, String wallTime) {
        boolean first = !checked;
        checked = true;
        String s = read();
        if (s == null && state != null && operstate != null) {
            // Read before, not now: the interface was deleted (the capture says so itself, and stops). The summary then says
            // "gone", not the last state read ("link: up; went down never" after `ip link del`).
            s = GONE;
        }
        if (s == null) {
            // Said once: libpcap also opens interfaces by an alternative name (ip link property add ... altname), which
            // has no directory of its own here, and pseudo-devices that have no link at all.
            return first && operstate != null && !iface.equals("any") ? "the link state of " + iface + " cannot be watched (no "
                    + operstate + ": an alternative name, or not a network interface): a link going down will not be said" : null;
        }
        state = s;
        boolean nowDown = !(s.equals("up") || s.equals("unknown"));
        if (nowDown == down) {
            return null;
        }
        down = nowDown;
        if (nowDown) {
            downSinceNanos = nowNanos;
            if (first) {
                return iface + " is down at the start (its state is \"" + s + "\"): no packet can arrive until it is up; the capture"
                        + " goes on";
            }
            downEvents++;
            if (s.equals(GONE)) {
                return null; // (the capture's failure names it)
            }
            return iface + " went down at " + wallTime + " (its state is \"" + s + "\"): no packet can arrive until it is up again;"
                    + " the capture goes on";
        }
        long d = nowNanos - downSinceNanos;
        downNanos += d;
        return iface + " is up again at " + wallTime + ", after " + seconds(d) + " down: nothing was captured in between";
    }

    private String read() {
        if (operstate == null) {
            return null;
        }
        try {
            return Files.readString(operstate, StandardCharsets.US_ASCII).strip();
        } catch (IOException | RuntimeException e) {
            return null; // no such interface here (any, a pseudo-device), or it was deleted: the capture says so itself
        }
    }

    /** The kernel's index of the interface {@code iface} ({@code /sys/class/net/IFACE/ifindex}), or -1. */
    public static int ifindex(String iface, Path sysClassNet) {
        if (iface == null || iface.isEmpty() || iface.contains("/") || iface.equals(".") || iface.equals("..")) {
            return -1;
        }
        try {
            return Integer.parseInt(Files.readString(sysClassNet.resolve(iface).resolve("ifindex"), StandardCharsets.US_ASCII).strip());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * What became of an interface that libpcap says disappeared: ", renamed to NEW: ..." when an
     * interface with its index is there under another name (libpcap finds a device by its name again
     * after it went down, and a rename needs it down), "" otherwise (deleted).
     */
    public static String renamedNote(String iface, int ifindex, Path sysClassNet) {
        if (ifindex < 0) {
            return "";
        }
        try (java.util.stream.Stream<Path> all = Files.list(sysClassNet)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                String other = p.getFileName().toString();
                if (!other.equals(iface) && ifindex(other, sysClassNet) == ifindex) {
                    return " (it was renamed to " + other + ": start the capture on " + other + ")";
                }
            }
        } catch (IOException | RuntimeException e) {
            // nothing to say
        }
        return "";
    }

    private static String seconds(long nanos) {
        long s = Math.max(0, Math.round(nanos / 1e9));
        return s + (s == 1 ? " second" : " seconds");
    }

    /** The last state read ("up", "down", ...), or null when the interface has no state to read. */
    public String state() {
        return state;
    }

    public boolean down() {
        return down;
    }

    /** How often the link went down (being down at the start is not counted; its time down is). */
    public long downEvents() {
        return downEvents;
    }

    /** Seconds the link was down, the current stretch included. */
    public long downSeconds(long nowNanos) {
        return Math.round((downNanos + (down ? nowNanos - downSinceNanos : 0)) / 1e9);
    }
}
