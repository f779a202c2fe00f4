package org.portmatrix.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The libpcap edge itself: libpcap's Linux reader returns "loop broken" (-2) from
 * {@code pcap_next_ex} even when it has just delivered a packet, if {@code pcap_breakloop} came
 * while it did. Read as a plain wake-up, that packet would be lost (it has left the kernel's ring).
 * With wake-ups arriving without pause during a replay, every packet the kernel counted must still
 * reach the reader.
 */
class PcapLiveSourceTest {
    @Test
    void wakeUpsDuringTrafficLoseNoPacket() throws Exception {
        Path mix = Workload.mixCut()[0];
        int packets = 2 * Workload.MIX_PACKETS;
        try (Netns ns = Netns.create()) {
            Process p = new ProcessBuilder(ns.inside(LiveProcess.javaMain("org.portmatrix.live.WakeupStress", ns.captureIface,
                    Integer.toString(packets)))).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                assertEquals("ready", out.readLine());
                String replay = ns.replay(mix, 25_000, 2);
                assertEquals(packets, Netns.successfulPackets(replay), replay);
                String result = out.readLine();
                assertTrue(p.waitFor(60, TimeUnit.SECONDS));
                Matcher m = Pattern.compile("received (\\d+) kernel (\\d+) dropped (\\d+) woken (\\d+)").matcher(String.valueOf(result));
                assertTrue(m.matches(), result);
                assertTrue(Long.parseLong(m.group(4)) > 10_000, "the reader was woken all the time: " + result);
                assertEquals(0, Long.parseLong(m.group(3)), result);
                assertEquals(Long.parseLong(m.group(2)), Long.parseLong(m.group(1)), "every packet the kernel counted was read: " + result);
                assertEquals(packets, Long.parseLong(m.group(1)), result);
            } finally {
                p.destroyForcibly();
            }
        }
    }
}
