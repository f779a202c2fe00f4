package org.portmatrix.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A capture whose disk refuses a read in its middle (EIO: a bad sector, a disk or network file system
 * gone), for real: an ext4 file system on a loop device, the capture written to it, mounted again
 * read-only, then the loop device's backing file cut short under the capture's later blocks, so
 * that the kernel answers their reads with EIO. The run names the file and the offset where reading
 * stopped, exits 3, and reports every flow read before it, as a capture cut off there is reported.
 * (The disk's error had ended the run with "portmatrix: Input/output error": no file named, exit
 * status 2, no report.) Needs root, as CI runs; e2fsprogs and mount from scripts/install-test-deps.sh.
 */
class DiskReadErrorTest {
    @TempDir
    Path dir;

    @Test
    void aReadTheDiskRefusesIsDamageWhereItStoppedAndTheFlowsBeforeItAreReported() throws Exception {
        Path img = dir.resolve("disk.img");
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        try (var f = java.nio.channels.FileChannel.open(img, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            f.truncate(0);
            f.write(java.nio.ByteBuffer.allocate(1), (8 << 20) - 1); // an 8 MiB image, sparse
        }
        String loop = sh("losetup", "-f", "--show", img.toString()).strip();
        boolean mounted = false;
        try {
            sh("mkfs.ext4", "-q", "-F", "-O", "^has_journal", "-b", "1024", loop);
            sh("mount", loop, mnt.toString());
            mounted = true;
            Path capture = mnt.resolve("day.pcap");
            long packets = 40_000; // a SYN scan, one flow per packet: 3 MB of pcap over about 3,000 blocks of 1 KiB
            try (OutputStream out = Files.newOutputStream(capture); SynScan scan = new SynScan(packets)) {
                scan.transferTo(out);
            }
            sh("sync", capture.toString()); // (its blocks are placed when written out: before, filefrag shows them delayed, at 0)
            // The physical block of the file's 1,000th (its first extent's start + 1,000; one extent at least that long).
            Matcher m = Pattern.compile("(?m)^\\s*0:\\s+0\\.\\.\\s*(\\d+):\\s+(\\d+)\\.\\.").matcher(sh("filefrag", "-v", capture.toString()));
            assertTrue(m.find(), "filefrag's first extent");
            assertTrue(Long.parseLong(m.group(1)) >= 1000, "a first extent of 1,000 blocks at least");
            long cutAt = (Long.parseLong(m.group(2)) + 1000) * 1024;
            sh("umount", mnt.toString()); // (the file's pages go with it: the reads below go to the device)
            mounted = false;
            sh("mount", "-o", "ro", loop, mnt.toString());
            mounted = true;
            try (var f = java.nio.channels.FileChannel.open(img, java.nio.file.StandardOpenOption.WRITE)) {
                f.truncate(cutAt);
            }
            sh("losetup", "-c", loop); // the device shrinks: the capture's blocks from its 1,000th on answer EIO

            HostileCaptures.Run r = HostileCaptures.run("analyze", capture.toString(), "--no-infer", "--format", "jsonl");
            assertEquals(3, r.status(), r.err());
            Matcher d = Pattern.compile(Pattern.quote(capture.toString()) + ": offset (\\d+): read error \\(Input/output error\\)")
                    .matcher(r.err());
            assertTrue(d.find(), r.err());
            long offset = Long.parseLong(d.group(1));
            // Where the disk did: the reader's 128 KiB read that failed (from 896 KiB) is read again a page at a time, so
            // that only the pages the kernel refuses are lost: those of its failed read-ahead before the first byte cut
            // away (40 KiB here), not the whole read. (Read whole, reading stopped at 896 KiB.)
            long refused = 1000 * 1024;
            assertTrue(offset > refused - 96 * 1024 && offset <= refused, "stopped where the disk did: " + offset);
            long flows = r.out().lines().count();
            // Every record before the offset: the same flows as a copy of the capture cut there, read whole.
            long before = (offset - PcapBytes.GLOBAL_HEADER) / SynScan.RECORD;
            assertEquals(before, flows, "one flow per packet read before the damage");
            assertTrue(flows > 10_000, "flows reported: " + flows);
        } finally {
            if (mounted) {
                new ProcessBuilder("umount", "-l", mnt.toString()).start().waitFor(60, TimeUnit.SECONDS);
            }
            new ProcessBuilder("losetup", "-d", loop).start().waitFor(60, TimeUnit.SECONDS);
        }
    }

    private static String sh(String... command) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of(command));
        Process p = new ProcessBuilder(c).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", c));
        assertEquals(0, p.exitValue(), String.join(" ", c) + ": " + out);
        return out;
    }
}
