package org.portmatrix.capture;

import java.io.IOException;
import java.util.List;

/** A source that passes every call to another: a wrapper overrides what it adds (counting, a limit). */
public abstract class ForwardingPacketSource implements PacketSource {
    protected final PacketSource in;

    protected ForwardingPacketSource(PacketSource in) {
        this.in = in;
    }

    @Override
    public boolean next(PacketRef ref) throws IOException {
        return in.next(ref);
    }

    @Override
    public String name() {
        return in.name();
    }

    @Override
    public String nameOf(PacketRef ref) {
        return in.nameOf(ref);
    }

    @Override
    public int files() {
        return in.files();
    }

    @Override
    public String fileName(int index) {
        return in.fileName(index);
    }

    @Override
    public CaptureDamage damage() {
        return in.damage();
    }

    @Override
    public List<CaptureDamage> damages() {
        return in.damages();
    }

    @Override
    public long position() {
        return in.position();
    }

    @Override
    public long size() {
        return in.size();
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
