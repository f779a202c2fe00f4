package org.portmatrix.live;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace of the test's own with a veth pair inside it: frames written onto {@link #sendIface}
 * arrive on {@link #captureIface}. Nothing is routed: no address, IPv6 off (no router solicitations
 * or MLD reports of the kernel's own), and the namespace's loopback stays down. {@link #close}
 * deletes the namespace and with it both ends. Needs root (CI runs as root).
 */
final class Netns implements AutoCloseable {
    final String name;
    final String sendIface;
    final String captureIface;

    private Netns(String id) {
        this.name = "pmtest-" + id;
        this.sendIface = "pm" + id + "s";
        this.captureIface = "pm" + id + "c";
    }

    static Netns create() throws IOException, InterruptedException {
        byte[] b = new byte[3];
        new SecureRandom().nextBytes(b);
        Netns n = new Netns(HexFormat.of().formatHex(b));
        boolean ok = false;
        try {
            run("ip", "netns", "add", n.name);
            n.exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
            run("ip", "-n", n.name, "link", "add", n.sendIface, "type", "veth", "peer", "name", n.captureIface);
            for (String i : List.of(n.sendIface, n.captureIface)) {
                run("ip", "-n", n.name, "link", "set", i, "mtu", "9000", "up");
            }
            ok = true;
            return n;
        } finally {
            if (!ok) {
                n.close();
            }
        }
    }

    /** The command run inside the namespace. */
    List<String> inside(List<String> command) {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", name));
        c.addAll(command);
        return c;
    }

    void exec(String... command) throws IOException, InterruptedException {
        run(inside(List.of(command)).toArray(new String[0]));
    }

    /** Writes a capture onto {@link #sendIface} at a fixed rate; returns tcpreplay's output. */
    String replay(java.nio.file.Path pcap, int pps, int loops) throws IOException, InterruptedException {
        return run(inside(List.of("tcpreplay", "-i", sendIface, "--pps", Integer.toString(pps), "--loop", Integer.toString(loops),
                pcap.toString())).toArray(new String[0]));
    }

    /** Writes a capture onto {@link #sendIface} as fast as it can; returns tcpreplay's output. */
    String replayTopSpeed(java.nio.file.Path pcap) throws IOException, InterruptedException {
        return run(inside(List.of("tcpreplay", "-i", sendIface, "--topspeed", pcap.toString())).toArray(new String[0]));
    }

    /** "Successful packets: N" of tcpreplay's report. */
    static long successfulPackets(String tcpreplayOutput) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("Successful packets:\\s+(\\d+)").matcher(tcpreplayOutput);
        if (!m.find()) {
            throw new AssertionError("no packet count in tcpreplay's output: " + tcpreplayOutput);
        }
        return Long.parseLong(m.group(1));
    }

    /** tcpreplay started in the background (for stopping the tool in the middle of a replay). */
    Process replayInBackground(java.nio.file.Path pcap, int pps, int loops, java.nio.file.Path log) throws IOException {
        return new ProcessBuilder(inside(List.of("tcpreplay", "-i", sendIface, "--pps", Integer.toString(pps), "--loop",
                Integer.toString(loops), pcap.toString()))).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + ": timed out");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + ": exit " + p.exitValue() + ": " + out.strip());
        }
        return out;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ip", "netns", "del", name).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        p.waitFor(60, TimeUnit.SECONDS);
    }
}
