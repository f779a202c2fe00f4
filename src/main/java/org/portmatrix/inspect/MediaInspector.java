package org.portmatrix.inspect;

/**
 * An inspector of a protocol that decides a UDP media flow (STUN, RTP): once it has, the flow's next datagrams are read,
 * within the budget, for one that is no protocol sharing a media 5-tuple ({@link MediaDemux}).
 */
public abstract class MediaInspector extends Inspector {
    /** As {@link Inspector#Inspector}. */
    protected MediaInspector(String name, boolean tcp, boolean udp, int[] tcpPorts, int[] udpPorts) {
        super(name, tcp, udp, tcpPorts, udpPorts);
    }

    @Override
    public boolean wantsMore(FlowInspection fi, int slot) {
        return MediaDemux.watching(fi);
    }

    @Override
    public void follow(FlowInspection fi, int slot, boolean forward, long seq, byte[] b, int off, int len) {
        MediaDemux.follow(fi, b, off, len);
    }
}
