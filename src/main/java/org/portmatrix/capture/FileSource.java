package org.portmatrix.capture;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What the file readers share: the reused read buffer, the damage record and the end-of-source
 * checks. Damage that stops reading is fatal; damage that skips one record (a packet naming an
 * interface that does not exist) is kept too, the first {@link #MAX_DAMAGE_KEPT} of them, and
 * counted beyond that.
 */
abstract class FileSource implements PacketSource {
    static final int MAX_DAMAGE_KEPT = 16;

    final String name;
    final ByteInput in;
    private final long size;
    private final GuardedStream guard;
    private final List<CaptureDamage> damages = new ArrayList<>();
    private long damageNotKept;
    private long lastNotKeptOffset;
    boolean done;

    FileSource(String name, InputStream stream, long size, GuardedStream guard) {
        this.name = name;
        this.size = size;
        this.guard = guard;
        // Read ahead on another thread only where filling costs CPU: a gzip stream (guarded) is inflated there.
        this.in = new ByteInput(stream, ByteInput.chunkFor(size), guard != null && guard.compressed());
    }

    /** Why a compressed stream ended early, or null (it is not compressed, or is whole so far). */
    final String streamFailure() {
        return guard == null ? null : guard.failure();
    }

    /** Records damage at {@code offset}; a fatal one ends the source. Always returns false. */
    final boolean damage(long offset, String message, boolean fatal) {
        if (damages.size() < MAX_DAMAGE_KEPT || fatal) {
            damages.add(new CaptureDamage(name, offset, message, fatal));
        } else {
            damageNotKept++;
            lastNotKeptOffset = offset;
        }
        if (fatal) {
            done = true;
        }
        return false;
    }

    /**
     * Ends the source at the end of its stream: a damaged compressed stream, or {@code have}
     * bytes of an incomplete header left over, is damage at {@code offset}. Always returns false.
     */
    final boolean end(long offset, int have, String what) {
        done = true;
        String failure = guard == null ? null : guard.failure();
        if (failure != null) {
            // have == 0: between records, every one before it complete (a wrong trailer checksum comes at the very end)
            return damage(offset, failure + (have > 0 ? "; reading stopped in the " + what : "; every complete record before it was read"), true);
        }
        if (have > 0) {
            return damage(offset, "truncated " + what + " (" + have + " bytes); the capture was cut off", true);
        }
        return false;
    }

    /** Damage because the stream ended inside a record whose header was read. */
    final boolean cutOff(long offset, String what, long have, long need) {
        String failure = guard == null ? null : guard.failure();
        if (failure != null) {
            return damage(offset, failure + "; reading stopped in the " + what, true);
        }
        return damage(offset, "truncated " + what + " (" + have + " of " + need + " bytes); the capture was cut off", true);
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final CaptureDamage damage() {
        if (damages.isEmpty()) {
            return null;
        }
        // The fatal one if any (it is last), else the first.
        CaptureDamage last = damages.get(damages.size() - 1);
        return last.fatal() ? last : damages.get(0);
    }

    @Override
    public final List<CaptureDamage> damages() {
        if (damageNotKept == 0) {
            return Collections.unmodifiableList(damages);
        }
        List<CaptureDamage> all = new ArrayList<>(damages);
        // Its offset is the last of them: the summary line's offset belongs to it, not to the first damage above. A fatal
        // damage (always kept, always last) stays last, after the records it stopped.
        CaptureDamage summary = new CaptureDamage(name, lastNotKeptOffset, "the last of "
                + String.format(java.util.Locale.ROOT, "%,d", damageNotKept) + " more damaged records like the above", false);
        boolean fatalLast = all.get(all.size() - 1).fatal();
        all.add(fatalLast ? all.size() - 1 : all.size(), summary);
        return all;
    }

    @Override
    public final long position() {
        return in.offset();
    }

    @Override
    public final long size() {
        return size;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
