package org.portmatrix.classify.lync;

import java.io.IOException;
import java.nio.file.Path;
import org.portmatrix.hostile.Frames;
import org.portmatrix.hostile.PcapBytes;

/**
 * A hand-written capture of whole conversations for the import's tests that analyze on the wire: a TCP
 * connection (handshake, then the initiator's first bytes, sequence numbers right) or a UDP datagram.
 * Loopback addresses only (127.0.0.0/8).
 */
final class Wire {
    private final PcapBytes pcap = new PcapBytes();

    /** SYN, SYN ACK, ACK, then {@code payload} from the initiator. */
    Wire tcp(String src, int sport, String dst, int dport, byte[] payload) {
        pcap.packet(seq(Frames.tcp(src, sport, dst, dport, Frames.SYN, new byte[0]), 999, 0));
        pcap.packet(seq(Frames.tcp(dst, dport, src, sport, Frames.SYN | Frames.ACK, new byte[0]), 4999, 1000));
        pcap.packet(seq(Frames.tcp(src, sport, dst, dport, Frames.ACK, new byte[0]), 1000, 5000));
        pcap.packet(seq(Frames.tcp(src, sport, dst, dport, Frames.PSH | Frames.ACK, payload), 1000, 5000));
        return this;
    }

    Wire udp(String src, int sport, String dst, int dport, byte[] payload) {
        pcap.packet(Frames.udp(src, sport, dst, dport, payload));
        return this;
    }

    Path write(Path file) throws IOException {
        return pcap.write(file);
    }

    private static byte[] seq(byte[] frame, long seq, long ack) {
        int tcp = Frames.OFF_L4;
        for (int i = 0; i < 4; i++) {
            frame[tcp + 4 + i] = (byte) (seq >>> (24 - 8 * i));
            frame[tcp + 8 + i] = (byte) (ack >>> (24 - 8 * i));
        }
        return frame;
    }

    /** A TLS ClientHello record (TLS 1.2, one cipher suite, the server name {@code sni}). */
    static byte[] clientHello(String sni) {
        byte[] name = Frames.ascii(sni);
        byte[] list = new Frames.Bytes().u16(name.length + 3).u8(0).u16(name.length).raw(name).toArray();
        byte[] extensions = new Frames.Bytes().u16(0x0000).u16(list.length).raw(list).toArray();
        byte[] body = new Frames.Bytes().u16(0x0303).raw(new byte[32]).u8(0).u16(2).u16(0xc02f).u8(1).u8(0)
                .u16(extensions.length).raw(extensions).toArray();
        byte[] handshake = new Frames.Bytes().u8(1).u8(body.length >>> 16).u16(body.length).raw(body).toArray();
        return new Frames.Bytes().u8(0x16).u16(0x0301).u16(handshake.length).raw(handshake).toArray();
    }

    /** A STUN Allocate request (RFC 5389 header, no attributes): what a client sends its TURN server first. */
    static byte[] stunAllocate() {
        return new Frames.Bytes().u16(0x0003).u16(0).u32(0x2112A442).raw(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}).toArray();
    }

    /** A STUN message in MS-TURN's TCP framing ([MS-TURN] 2.2.1: type 2, length). */
    static byte[] msTurnTcp(byte[] stun) {
        return new Frames.Bytes().u16(0x0200).u16(stun.length).raw(stun).toArray();
    }
}
