package org.portmatrix.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.capture.live.LinkWatch;

/** The link watch over a directory laid out as /sys/class/net is (the netns test uses the kernel's own). */
class LinkWatchTest {
    @TempDir
    Path sys;

    private void state(String iface, String s) throws Exception {
        Files.createDirectories(sys.resolve(iface));
        Files.writeString(sys.resolve(iface).resolve("operstate"), s + "\n");
    }

    @Test
    void eachChangeIsSaidOnceAndTheTimeDownAddsUp() throws Exception {
        state("eth1", "up");
        LinkWatch w = new LinkWatch("eth1", sys);
        assertNull(w.check(0, "T0"));
        assertEquals("up", w.state());
        state("eth1", "lowerlayerdown");
        assertEquals("eth1 went down at T1 (its state is \"lowerlayerdown\"): no packet can arrive until it is up again; the capture goes on",
                w.check(1_000_000_000L, "T1"));
        assertNull(w.check(2_000_000_000L, "T2"), "said once");
        assertEquals(2, w.downSeconds(3_000_000_000L), "the current stretch counts");
        state("eth1", "up");
        assertEquals("eth1 is up again at T4, after 3 seconds down: nothing was captured in between", w.check(4_000_000_000L, "T4"));
        assertEquals(1, w.downEvents());
        assertEquals(3, w.downSeconds(9_000_000_000L));
        state("eth1", "unknown"); // loopback, tunnels: as up
        assertNull(w.check(10_000_000_000L, "T10"));
    }

    @Test
    void anInterfaceDeletedIsGoneAndDown() throws Exception {
        state("eth3", "up");
        LinkWatch w = new LinkWatch("eth3", sys);
        assertNull(w.check(0, "T0"));
        Files.delete(sys.resolve("eth3").resolve("operstate"));
        Files.delete(sys.resolve("eth3"));
        assertNull(w.check(1_000_000_000L, "T1"), "the capture's failure names it");
        assertEquals(LinkWatch.GONE, w.state());
        assertTrue(w.down());
        assertEquals(1, w.downEvents());
        assertEquals(2, w.downSeconds(3_000_000_000L));
    }

    @Test
    void anInterfaceWithoutAStateIsSaidOnceExceptAny() throws Exception {
        LinkWatch any = new LinkWatch("any", sys);
        assertNull(any.check(0, "T0"));
        assertNull(any.state());
        LinkWatch alt = new LinkWatch("capalt", sys); // an alternative name: libpcap opens it, sysfs has no directory for it
        assertEquals("the link state of capalt cannot be watched (no " + sys.resolve("capalt").resolve("operstate")
                + ": an alternative name, or not a network interface): a link going down will not be said", alt.check(0, "T0"));
        assertNull(alt.check(1_000_000_000L, "T1"), "said once");
        LinkWatch odd = new LinkWatch("../etc", sys);
        assertNull(odd.check(0, "T0"));
        assertTrue(!odd.down());
    }

    @Test
    void downAtTheStartIsNotALinkThatWentDown() throws Exception {
        state("eth2", "down");
        LinkWatch w = new LinkWatch("eth2", sys);
        assertEquals("eth2 is down at the start (its state is \"down\"): no packet can arrive until it is up; the capture goes on",
                w.check(0, "T0"));
        assertEquals(0, w.downEvents());
        state("eth2", "up");
        assertEquals("eth2 is up again at T5, after 5 seconds down: nothing was captured in between", w.check(5_000_000_000L, "T5"));
        assertEquals(5, w.downSeconds(6_000_000_000L));
    }
}
