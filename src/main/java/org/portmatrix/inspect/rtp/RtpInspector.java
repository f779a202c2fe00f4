package org.portmatrix.inspect.rtp;

import org.portmatrix.inspect.AppProtocol;
import org.portmatrix.inspect.FlowInspection;
import org.portmatrix.inspect.MediaInspector;
import org.portmatrix.inspect.Wire;
import org.portmatrix.inspect.stun.StunInspector;

/**
 * RTP and RTCP (RFC 3550), and so SRTP/SRTCP, whose headers are the same (RFC 3711 §3.1).
 *
 * <pre>
 * RTP  §5.1:  V=2(2) P(1) X(1) CC(4) | M(1) PT(7) | sequence(2) | timestamp(4) | SSRC(4) | CSRC(4*CC)
 * RTCP §6.4:  V=2(2) P(1) RC(5) | PT(8) 200..207 | length(2) in 32-bit words minus one | ...
 * </pre>
 * One byte pattern proves nothing for RTP (any byte 0x80-0xBF starts "version 2"), so RTP is
 * decided over several packets of one direction: {@link #AGREEING} packets in sequence, each after
 * the previous packet of its SSRC, the
 * sequence number advancing by 1 to {@link #MAX_SEQ_STEP} and the timestamp not going back by more
 * than {@link #MAX_TS_BACK}. Several SSRCs may take turns in one direction when they are of one SSRC
 * range ({@link #SSRC_RANGE}): Lync's H.264 UC video sends each layer as a stream of its own SSRC
 * within the range its SDP declares (MS-SDPEXT §3.1.5.31, {@code a=x-ssrc-range}; MS-H264PF); an SSRC
 * outside the range of the first rules RTP out, as random bytes would. A
 * packet seen again (two mirror sessions give every packet twice) or arriving after a later one (up
 * to {@link #MAX_SEQ_STEP} behind) is passed over, neither counted nor held against the flow; the
 * payload type may change within the stream (comfort noise, DTMF events, a codec switch: RFC 3550
 * §5.1 leaves it to the profile), and the detail names each one seen. An RTCP compound packet whose lengths add up is decided at once, and so is an SRTCP one
 * whose packets after the first header are encrypted ({@link #srtcpIndex}). Over TCP the
 * RFC 4571 framing (a 2-byte length before each packet) is expected.
 */
public final class RtpInspector extends MediaInspector {
    static final int VERSION = 2;
    static final int HEADER = 12;
    static final int RTCP_FIRST = 200;
    static final int RTCP_LAST = 207;
    /** Packets of one direction that must agree before the flow is called RTP. */
    public static final int AGREEING = 3;
    /** Packets passed over (duplicates, late ones) in one direction before RTP is ruled out: every one twice takes two. */
    public static final int MAX_SKIPPED = 2 * AGREEING;
    /** Largest sequence step still taken as progress (packets lost in between). */
    static final int MAX_SEQ_STEP = 16;
    /**
     * Most a timestamp may go back between packets in sequence: streams muxed into one SSRC
     * (GStreamer's rtpmux, audio beside DTMF events, RFC 4733 §2.3.1: an event's packets keep its
     * start time) step back a little; 65,536 is 8 s at 8 kHz, 0.7 s at 90 kHz.
     */
    static final long MAX_TS_BACK = 1 << 16;
    /**
     * Size of one SSRC range: every SSRC of a direction lies within it (MS-SDPEXT §3.1.5.31.2: a range
     * of 100 for video, 1 for audio). Random datagrams pass this with a chance of 2<sup>-25</sup>.
     */
    static final int SSRC_RANGE = 100;
    /** Most SSRCs followed in one direction (within the inspection budget at most a few take turns). */
    static final int MAX_SOURCES = 8;
    /** SRTCP trailer: E flag and index (4) before an authentication tag (RFC 3711 §3.4). */
    static final int SRTCP_INDEX = 4;

    public RtpInspector() {
        super("rtp", true, true, new int[0], new int[0]);
    }

    /** The pure byte test for one RTP header; returns the header length, or -1. */
    public static int rtpHeader(byte[] b, int off, int len) {
        if (len < HEADER || (b[off] & 0xc0) >> 6 != VERSION) {
            return -1;
        }
        int pt = b[off + 1] & 0x7f;
        if (pt >= 72 && pt <= 76) {
            return -1; // RFC 5761 §4: these payload types collide with RTCP
        }
        int h = HEADER + 4 * (b[off] & 0x0f);
        return len < h ? -1 : h;
    }

    /**
     * The pure byte test for RTCP: a compound packet whose lengths cover the datagram exactly, or
     * leave an SRTCP trailer. Returns the number of RTCP packets, or 0.
     */
    public static int rtcpCompound(byte[] b, int off, int len) {
        int p = off;
        int end = off + len;
        int n = 0;
        while (end - p >= 4) {
            if ((b[p] & 0xc0) >> 6 != VERSION) {
                break;
            }
            int pt = b[p + 1] & 0xff;
            if (pt < RTCP_FIRST || pt > RTCP_LAST) {
                break;
            }
            int size = (Wire.u16(b, p + 2) + 1) * 4;
            if (end - p < size) {
                return 0;
            }
            p += size;
            n++;
        }
        if (n == 0) {
            return 0;
        }
        int rest = end - p;
        if (rest == 0) {
            return n;
        }
        // SRTCP: E(1) index(31), then the authentication tag (4 to 16 bytes)
        return rest >= SRTCP_INDEX + 4 && rest <= SRTCP_INDEX + 16 && (b[p] & 0x80) != 0 ? n : 0;
    }

    /** RTCP sender report and receiver report: the packet types a compound packet begins with (RFC 3550 §6.1). */
    static final int RTCP_SR = 200;
    static final int RTCP_RR = 201;
    /** Readable header of an SRTCP packet: RFC 3711 §3.4 encrypts from the 9th byte on (after the first SSRC). */
    static final int SRTCP_CLEAR = 8;
    /**
     * SRTCP authentication tags looked for after the index: 80 bits (HMAC-SHA1, RFC 3711 §5.2, the SDES suites'
     * tag for SRTCP), 32 bits, and none after the index (AES-GCM, RFC 7714 §9.3, whose tag is inside the
     * encrypted part, before the index).
     */
    private static final int[] SRTCP_TAGS = {10, 4, 0};
    /** Most bytes of the optional MKI between the index and the tag (RFC 3711 §3.4; SDES keys give 1 to 4). */
    static final int SRTCP_MKI_MAX = 4;
    /**
     * Highest SRTCP index believed: it starts at 0 and counts each compound packet the sender sent (RFC 3711
     * §3.4), so 2^24 is years of a session at the RFC 3550 interval, months at the shortest a video call uses.
     */
    static final long SRTCP_INDEX_MAX = 1L << 24;

    /**
     * The pure byte test for an encrypted SRTCP compound packet (RFC 3711 §3.4), of which only the first RTCP
     * packet's header is readable: that packet is a sender or receiver report (V=2, no padding: only the last
     * packet of a compound may be padded, RFC 3550 §A.2), long enough for its report blocks, and its length
     * fits in the datagram; after the encrypted part, a whole number of 32-bit words as every RTCP packet is,
     * come the E flag (set) and the SRTCP index (small: it counts from 0), then an MKI of 0 to 4 bytes and an
     * authentication tag of 10, 4 or 0 bytes. Returns the SRTCP index, or -1.
     */
    public static long srtcpIndex(byte[] b, int off, int len) {
        if (len < SRTCP_CLEAR + SRTCP_INDEX || (b[off] & 0xc0) >> 6 != VERSION || (b[off] & 0x20) != 0) {
            return -1;
        }
        int pt = b[off + 1] & 0xff;
        int rc = b[off] & 0x1f;
        int words = Wire.u16(b, off + 2);
        // SR: SSRC and 20 bytes of sender info (6 words after the first); RR: the SSRC (1); 6 words per report block
        int least = (pt == RTCP_SR ? 6 : pt == RTCP_RR ? 1 : -1);
        if (least < 0 || words < least + 6 * rc) {
            return -1;
        }
        int first = (words + 1) * 4;
        for (int mki = 0; mki <= SRTCP_MKI_MAX; mki++) {
            for (int tag : SRTCP_TAGS) {
                int rtcp = len - SRTCP_INDEX - mki - tag; // the RTCP packets' bytes, encrypted after the first 8
                if (rtcp < first || rtcp % 4 != 0) {
                    continue;
                }
                long e = Wire.u32(b, off + rtcp);
                if ((e & 0x8000_0000L) != 0 && (e & 0x7fff_ffffL) < SRTCP_INDEX_MAX) {
                    return e & 0x7fff_ffffL;
                }
            }
        }
        return -1;
    }

    /** DTLS record header (RFC 6347 §4.1): type(1) version(2) epoch(2) sequence number(6) length(2). */
    static final int DTLS_RECORD_HEADER = 13;
    static final int DTLS_CHANGE_CIPHER_SPEC = 20;
    static final int DTLS_HANDSHAKE = 22;

    /**
     * The pure byte test for a datagram of a DTLS handshake (RFC 6347 §4.1, RFC 5764 §4.1: DTLS-SRTP's keying):
     * one or more DTLS 1.0 or 1.2 records (version 0xFEFF or 0xFEFD) of a change_cipher_spec, an alert or a
     * handshake message, their lengths filling the datagram exactly.
     */
    public static boolean dtlsHandshake(byte[] b, int off, int len) {
        return dtlsHandshake(b, off, len, false);
    }

    /**
     * {@link #dtlsHandshake(byte[], int, int)}, or, when {@code cut} (the payload is only the start of the datagram: a
     * snap length, a first IP fragment), its first records: whole headers of the same kinds, the last of which may run past
     * the bytes captured, or a last header cut short. (A handshake datagram cut by tcpdump -s 128 ruled RTP out, and a
     * DTLS-SRTP call was protocol_mismatch where the whole capture says rtp.)
     */
    public static boolean dtlsHandshake(byte[] b, int off, int len, boolean cut) {
        return dtlsRecords(b, off, len, cut, DTLS_HANDSHAKE);
    }

    /**
     * The pure byte test for a datagram of DTLS records carrying data ({@link #dtlsHandshake}'s records, and application
     * data, type 23), whole or, when {@code cut}, as far as it goes.
     */
    public static boolean dtlsData(byte[] b, int off, int len, boolean cut) {
        return dtlsRecords(b, off, len, cut, DTLS_APPLICATION_DATA);
    }

    private static boolean dtlsRecords(byte[] b, int off, int len, boolean cut, int lastType) {
        int p = off;
        int end = off + len;
        if (len < DTLS_RECORD_HEADER) {
            return false;
        }
        while (p < end) {
            if (end - p < DTLS_RECORD_HEADER) {
                return cut;
            }
            int type = b[p] & 0xff;
            int version = Wire.u16(b, p + 1);
            int length = Wire.u16(b, p + 11);
            if (type < DTLS_CHANGE_CIPHER_SPEC || type > lastType || (version != 0xfeff && version != 0xfefd)) {
                return false;
            }
            if (length > end - p - DTLS_RECORD_HEADER) {
                return cut;
            }
            p += DTLS_RECORD_HEADER + length;
        }
        return true;
    }

    static final int DTLS_APPLICATION_DATA = 23;
    /** DTLS handshake message header (RFC 6347 §4.2.2): msg_type(1) length(3) message_seq(2) fragment_offset(3) fragment_length(3). */
    static final int DTLS_MESSAGE_HEADER = 12;
    static final int CLIENT_HELLO = 1;
    static final int SERVER_HELLO = 2;
    /** RFC 5764 §4.1.1: the extension by which a DTLS handshake keys SRTP. */
    static final int USE_SRTP = 14;
    /** A hello's version (2) and random (32), before its session id. */
    private static final int HELLO_FIXED = 2 + 32;

    /**
     * Notes in {@link FlowInspection#useSrtp} whether the datagram's whole ClientHello or ServerHello (unencrypted: epoch 0)
     * offers use_srtp; a ServerHello's answer stands over a ClientHello's offer. Reads only whole records and messages.
     */
    static void useSrtp(FlowInspection fi, byte[] b, int off, int len) {
        int p = off;
        int end = off + len;
        while (end - p >= DTLS_RECORD_HEADER) {
            int epoch = Wire.u16(b, p + 3);
            int length = Wire.u16(b, p + 11);
            int q = p + DTLS_RECORD_HEADER;
            if (length > end - q) {
                return;
            }
            if ((b[p] & 0xff) == DTLS_HANDSHAKE && epoch == 0 && length >= DTLS_MESSAGE_HEADER) {
                int type = b[q] & 0xff;
                int body = Wire.u24(b, q + 1);
                if ((type == CLIENT_HELLO || type == SERVER_HELLO) && Wire.u24(b, q + 6) == 0 && Wire.u24(b, q + 9) == body
                        && body <= length - DTLS_MESSAGE_HEADER) {
                    int offers = helloOffersUseSrtp(b, q + DTLS_MESSAGE_HEADER, q + DTLS_MESSAGE_HEADER + body, type == CLIENT_HELLO);
                    if (offers >= 0 && (type == SERVER_HELLO || fi.useSrtp == FlowInspection.USE_SRTP_UNKNOWN)) {
                        fi.useSrtp = offers == 1 ? FlowInspection.USE_SRTP_OFFERED : FlowInspection.USE_SRTP_NONE;
                    }
                }
            }
            p = q + length;
        }
    }

    /** 1 when the hello in {@code b[p..end)} carries the use_srtp extension, 0 when it does not, -1 when it is malformed. */
    static int helloOffersUseSrtp(byte[] b, int p, int end, boolean client) {
        p += HELLO_FIXED;
        if (end - p < 1) {
            return -1;
        }
        p += 1 + (b[p] & 0xff); // session_id
        if (client) {
            if (end - p < 1) {
                return -1;
            }
            p += 1 + (b[p] & 0xff); // cookie
            if (end - p < 2) {
                return -1;
            }
            p += 2 + Wire.u16(b, p); // cipher_suites
            if (end - p < 1) {
                return -1;
            }
            p += 1 + (b[p] & 0xff); // compression_methods
        } else {
            p += 2 + 1; // cipher_suite, compression_method
        }
        if (p == end) {
            return 0; // no extensions
        }
        if (end - p < 2) {
            return -1;
        }
        int extensions = Wire.u16(b, p);
        p += 2;
        if (extensions > end - p) {
            return -1;
        }
        int last = p + extensions;
        while (last - p >= 4) {
            if (Wire.u16(b, p) == USE_SRTP) {
                return 1;
            }
            p += 4 + Wire.u16(b, p + 2);
        }
        return 0;
    }

    private static final int[] NONE = new int[0];

    private static final long[] NO_SSRC = new long[0];

    /** Per-direction state of the multi-packet RTP check. */
    static final class Direction {
        /** The SSRCs seen, the first first; per SSRC its last sequence number and timestamp. */
        long[] ssrcs = NO_SSRC;
        int[] seqs = NONE;
        long[] tss = NO_SSRC;
        /** The lowest and highest SSRC seen, as offsets from the first. */
        int low, high;
        /** The payload types seen, in order (a stream rarely has more than two or three). */
        int[] pts = NONE;
        /** Packets in sequence: the first, and each one that followed its SSRC's previous packet. */
        int agreeing;
        /** Packets passed over (seen again, or late) before the stream was decided. */
        int skipped;

        /** The index of the SSRC, or -1. */
        int source(long ssrc) {
            for (int i = 0; i < ssrcs.length; i++) {
                if (ssrcs[i] == ssrc) {
                    return i;
                }
            }
            return -1;
        }

        /** Whether an SSRC of the direction was last at this sequence number and timestamp. */
        boolean sharesPosition(int seq, long ts) {
            for (int i = 0; i < ssrcs.length; i++) {
                if (seqs[i] == seq && tss[i] == ts) {
                    return true;
                }
            }
            return false;
        }

        /** Adds an SSRC when it keeps every SSRC of the direction within one range; returns its index, or -1. */
        int add(long ssrc) {
            int n = ssrcs.length;
            if (n > 0) {
                long d = (ssrc - ssrcs[0]) & 0xffffffffL;
                long off = d >= 0x8000_0000L ? d - 0x1_0000_0000L : d;
                long lo = Math.min(low, off);
                long hi = Math.max(high, off);
                if (n == MAX_SOURCES || hi - lo >= SSRC_RANGE) {
                    return -1;
                }
                low = (int) lo;
                high = (int) hi;
            }
            ssrcs = java.util.Arrays.copyOf(ssrcs, n + 1);
            seqs = java.util.Arrays.copyOf(seqs, n + 1);
            tss = java.util.Arrays.copyOf(tss, n + 1);
            ssrcs[n] = ssrc;
            return n;
        }

        void payloadType(int p) {
            for (int q : pts) {
                if (q == p) {
                    return;
                }
            }
            pts = java.util.Arrays.copyOf(pts, pts.length + 1);
            pts[pts.length - 1] = p;
        }
    }

    static final class State {
        final Direction fwd = new Direction();
        final Direction rev = new Direction();
    }

    @Override
    public int inspect(FlowInspection fi, int slot, boolean forward, long seq, byte[] b, int off, int len) {
        int o = off;
        int l = len;
        if (fi.tcp) {
            if (len < 2 + 4 || Wire.u16(b, off) != len - 2) {
                return NOT_THIS; // RFC 4571: one framed packet per segment at the start of a stream
            }
            o += 2;
            l -= 2;
        }
        if (!fi.tcp && StunInspector.classify(b, o, l) != StunInspector.NONE) {
            // RFC 7983 §7: STUN (first byte 0-3) shares the media 5-tuple (ICE checks, consent freshness): passed over,
            // neither counted nor held against the stream. A STUN message is told exactly (its length covers the
            // datagram, its magic cookie), so this passes over nothing else.
            return NEED_MORE;
        }
        if (!fi.tcp && dtlsHandshake(b, o, l, fi.payloadCut())) {
            // RFC 5764 §5.1.2, RFC 7983 §7: DTLS-SRTP keys the media in a DTLS handshake on the media 5-tuple, and
            // its SRTP follows (or comes before it: a sender that starts before the keys are agreed). Passed over as
            // STUN is, and not counted in the budget: a handshake in small datagrams may take more than 8 of them.
            useSrtp(fi, b, o, l);
            fi.passOver(forward);
            return NEED_MORE;
        }
        if (!fi.tcp && (fi.payloadsPassedOver > 0 && fi.useSrtp != FlowInspection.USE_SRTP_NONE || fi.state(slot) != null)
                && dtlsData(b, o, l, fi.payloadCut())) {
            // The association that keys SRTP may carry data too: WebRTC's data channel (SCTP over DTLS, RFC 8261, RFC 8831
            // §6) shares the 5-tuple of the call's SRTP, and its first records may come before the SRTP. Passed over as
            // the handshake is, unless the handshake's hellos went without use_srtp (a DTLS session of its own: a tunnel);
            // amid RTP (a capture that starts in the middle of the call, after the handshake), passed over and counted.
            if (fi.payloadsPassedOver > 0) {
                fi.passOver(forward);
            }
            return NEED_MORE;
        }
        if (l < 8) {
            return NOT_THIS;
        }
        int pt = b[o + 1] & 0xff;
        if (pt >= RTCP_FIRST && pt <= RTCP_LAST) {
            int n = rtcpCompound(b, o, l);
            if (n == 0) {
                long index = srtcpIndex(b, o, l);
                if (index < 0) {
                    return NOT_THIS;
                }
                fi.detected(AppProtocol.RTCP, "SRTCP compound packet (first PT " + pt + ", encrypted, SRTCP index " + index + ")");
                return DETECTED;
            }
            fi.detected(AppProtocol.RTCP, "RTCP compound packet (" + n + " packet" + (n == 1 ? "" : "s") + ", first PT " + pt + ")");
            return DETECTED;
        }
        if (rtpHeader(b, o, l) < 0) {
            return NOT_THIS;
        }
        State s = (State) fi.state(slot);
        if (s == null) {
            s = new State();
            fi.state(slot, s);
        }
        Direction d = forward ? s.fwd : s.rev;
        long ssrc = Wire.u32(b, o + 8);
        int sq = Wire.u16(b, o + 2);
        long ts = Wire.u32(b, o + 4);
        int p = pt & 0x7f;
        int i = d.source(ssrc);
        if (i < 0) {
            // The direction's first SSRC, or another of its range (a layer of H.264 UC video): a stream starts. Not
            // one whose sequence number and timestamp are another SSRC's last: streams of their own do not share
            // both; a header of another protocol with a small counter where RTP has its SSRC does (AFS's Rx: its call
            // number there, its epoch and connection id where RTP has the sequence number and timestamp).
            if (d.sharesPosition(sq, ts)) {
                return NOT_THIS;
            }
            i = d.add(ssrc);
            if (i < 0) {
                return NOT_THIS;
            }
            if (i == 0) {
                d.agreeing = 1;
            }
        } else {
            int step = (sq - d.seqs[i]) & 0xffff;
            if (step == 0 || step >= 0x10000 - MAX_SEQ_STEP) {
                // Seen again, or late: passed over (the newest packet stays the reference), a few times only: a
                // datagram repeated over and over (a keepalive) is not a stream that never gets to its third packet.
                return ++d.skipped > MAX_SKIPPED ? NOT_THIS : NEED_MORE;
            }
            long tstep = (ts - d.tss[i]) & 0xffffffffL;
            if (step > MAX_SEQ_STEP || (tstep >= 0x80000000L && tstep < 0x1_0000_0000L - MAX_TS_BACK)) {
                return NOT_THIS;
            }
            d.agreeing++;
        }
        d.payloadType(p);
        d.seqs[i] = sq;
        d.tss[i] = ts;
        if (d.agreeing >= AGREEING) {
            // Built without String.format: this runs on the packet thread once per RTP flow, and the
            // formatter (its pattern parsed each time, interpreted at first) was 1.7% of that thread's
            // CPU samples on the reference workload.
            StringBuilder sb = new StringBuilder(80).append(d.pts.length == 1 ? "RTP, payload type " : "RTP, payload types ");
            for (int k = 0; k < d.pts.length; k++) {
                sb.append(k == 0 ? "" : ", ").append(d.pts[k]);
            }
            int n = d.ssrcs.length;
            sb.append(n == 1 ? ", SSRC " : ", SSRCs ");
            for (int k = 0; k < n; k++) {
                sb.append(k == 0 ? "" : k == n - 1 ? " and " : ", ");
                hex(sb, d.ssrcs[k]);
            }
            if (n > 1) {
                sb.append(" (one SSRC range)");
            }
            sb.append(", ").append(d.agreeing).append(" packets in sequence");
            fi.detected(AppProtocol.RTP, fi.tcp ? sb.append(", RFC 4571 framing").toString() : sb.toString());
            return DETECTED;
        }
        return NEED_MORE;
    }

    /** Appends 0x and the SSRC's eight hex digits. */
    private static void hex(StringBuilder sb, long ssrc) {
        String hex = Long.toHexString(ssrc);
        sb.append("0x");
        for (int k = hex.length(); k < 8; k++) {
            sb.append('0');
        }
        sb.append(hex);
    }
}
