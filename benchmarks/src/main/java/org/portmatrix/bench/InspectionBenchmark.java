package org.portmatrix.bench;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.portmatrix.classify.Classification;
import org.portmatrix.classify.Classifier;
import org.portmatrix.decode.Decoded;
import org.portmatrix.flow.Flow;
import org.portmatrix.flow.FlowConfig;
import org.portmatrix.flow.FlowTable;
import org.portmatrix.flow.ServicePorts;
import org.portmatrix.inspect.Inspection;

/**
 * Inspection of one flow, through the public {@link Inspection} API only (it is being rewritten;
 * this benchmark stays small on purpose): every payload packet of the flow while
 * {@link Inspection#wants} it, then {@link Inspection#finish}. Per flow: {@code tls} a TLS 1.2 ClientHello (with SNI) and a
 * ServerHello; {@code sip} a SIP REGISTER; {@code stun} a STUN Binding request (with FINGERPRINT) and
 * its success response; {@code rtp} a second of G.711 audio (50 RTP packets). The flow object comes
 * from a {@link FlowTable} in set-up and its inspection state is cleared before each operation, so an
 * operation measures the inspectors, and its bytes/op are what inspection allocates per flow (plus
 * the flow's one small classification object).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class InspectionBenchmark {
    @Param({"tls", "sip", "stun", "rtp"})
    public String protocol;

    private Inspection inspection;
    private Classifier classifier;
    private Flow flow;
    private Classification classification;
    private byte[][] payloads;
    private boolean[] forward;
    /** TCP sequence number of each payload (in order per direction), or -1 for UDP. */
    private long[] seq;

    @Setup
    public void setup() throws Exception {
        classifier = Workload.classifier();
        inspection = new Inspection(classifier.catalog());
        SplittableRandom rnd = new SplittableRandom(2013);
        List<byte[]> p = new ArrayList<>();
        List<Boolean> fwd = new ArrayList<>();
        int proto;
        int dport;
        int dst;
        switch (protocol) {
            case "tls" -> {
                proto = Frames.IPPROTO_TCP;
                dport = 5061;
                dst = 0x0a01010a;
                p.add(clientHello(rnd, "pool01.contoso.com"));
                fwd.add(true);
                p.add(serverHello(rnd));
                fwd.add(false);
            }
            case "sip" -> {
                proto = Frames.IPPROTO_TCP;
                dport = 5060;
                dst = 0x0a01010a;
                p.add(sipRegister());
                fwd.add(true);
            }
            case "stun" -> {
                proto = Frames.IPPROTO_UDP;
                dport = 3478;
                dst = 0x0a01030c;
                p.add(stun(rnd, 0x0001));
                fwd.add(true);
                p.add(stun(rnd, 0x0101));
                fwd.add(false);
            }
            case "rtp" -> {
                proto = Frames.IPPROTO_UDP;
                dport = 49200;
                dst = 0x0a01010a;
                int ssrc = rnd.nextInt();
                for (int k = 0; k < 50; k++) {
                    p.add(rtp(rnd, 0, 20000 + k, 160 * k, ssrc, 160));
                    fwd.add(true);
                }
            }
            default -> throw new IllegalArgumentException(protocol);
        }
        payloads = p.toArray(new byte[0][]);
        forward = new boolean[fwd.size()];
        seq = new long[fwd.size()];
        long nextFwd = 0x1000_0001L;
        long nextRev = 0x2000_0001L;
        for (int k = 0; k < forward.length; k++) {
            forward[k] = fwd.get(k);
            if (proto != Frames.IPPROTO_TCP) {
                seq[k] = -1;
            } else if (forward[k]) {
                seq[k] = nextFwd;
                nextFwd += payloads[k].length;
            } else {
                seq[k] = nextRev;
                nextRev += payloads[k].length;
            }
        }
        // The flow, as the pipeline makes it: first packet from the initiator (a SYN for TCP).
        FlowTable table = new FlowTable(FlowConfig.defaults().withCapacity(16), new ServicePorts(), f -> { });
        Decoded d = new Decoded();
        d.ipVersion = 4;
        d.protocol = proto;
        d.hasPorts = true;
        d.vlan = -1;
        d.srcLo = Decoded.V4_MAPPED | 0x0a020105L;
        d.dstLo = Decoded.V4_MAPPED | (dst & 0xffff_ffffL);
        d.srcPort = 50123;
        d.dstPort = dport;
        d.tcpFlags = proto == Frames.IPPROTO_TCP ? 0x02 : 0;
        flow = table.update(d, 1_700_000_000_000_000_000L, 66);
        classification = classifier.classify(flow);
    }

    @Benchmark
    public Object inspectFlow() {
        Flow f = flow;
        f.inspection = null;
        // A fresh classification per flow, as the classifier makes one per flow: finish() refines it
        // (and may append to its reason), so it must not carry over from the previous operation.
        Classification c = new Classification();
        c.verdict = classification.verdict;
        c.rule = classification.rule;
        c.srcRoles = classification.srcRoles;
        c.dstRoles = classification.dstRoles;
        c.reason = classification.reason;
        for (int k = 0; k < payloads.length && Inspection.wants(f); k++) {
            byte[] b = payloads[k];
            inspection.packet(f, forward[k], seq[k], b, 0, b.length);
        }
        inspection.finish(f, c, classifier.catalog());
        return c;
    }

    /** A TLS 1.2 ClientHello record: 32-byte session id, 17 suites, SNI, groups, point formats, signature algorithms. */
    static byte[] clientHello(SplittableRandom rnd, String sni) {
        ByteArrayOutputStream ext = new ByteArrayOutputStream();
        byte[] host = sni.getBytes(StandardCharsets.US_ASCII);
        writeExtension(ext, 0x0000, ByteBuffer.allocate(5 + host.length) // server_name: list length, type host_name, name
                .putShort((short) (3 + host.length)).put((byte) 0).putShort((short) host.length).put(host).array());
        writeExtension(ext, 0x000a, new byte[] {0, 6, 0, 0x1d, 0, 0x17, 0, 0x18}); // supported_groups: x25519, P-256, P-384
        writeExtension(ext, 0x000b, new byte[] {1, 0}); // ec_point_formats: uncompressed
        writeExtension(ext, 0x000d, new byte[] {0, 8, 4, 1, 5, 1, 8, 4, 4, 3}); // signature_algorithms
        writeExtension(ext, 0x0017, new byte[0]); // extended_master_secret
        writeExtension(ext, 0xff01, new byte[] {0}); // renegotiation_info
        int[] suites = {0xc030, 0xc02f, 0xc028, 0xc027, 0xc014, 0xc013, 0x009f, 0x009e, 0x009d, 0x009c, 0x003d, 0x003c,
            0x0035, 0x002f, 0xc02c, 0xc02b, 0x000a};
        ByteBuffer body = ByteBuffer.allocate(2 + 32 + 1 + 32 + 2 + suites.length * 2 + 2 + 2 + ext.size());
        body.putShort((short) 0x0303).put(Frames.payload(rnd, 32)); // client_version TLS 1.2, random
        body.put((byte) 32).put(Frames.payload(rnd, 32)); // session id
        body.putShort((short) (suites.length * 2));
        for (int s : suites) {
            body.putShort((short) s);
        }
        body.put((byte) 1).put((byte) 0); // compression methods: null
        body.putShort((short) ext.size()).put(ext.toByteArray());
        return record(0x0301, handshake(1, body.array()));
    }

    /** A TLS 1.2 ServerHello record choosing ECDHE-RSA-AES256-GCM-SHA384. */
    static byte[] serverHello(SplittableRandom rnd) {
        ByteArrayOutputStream ext = new ByteArrayOutputStream();
        writeExtension(ext, 0xff01, new byte[] {0});
        writeExtension(ext, 0x000b, new byte[] {1, 0});
        writeExtension(ext, 0x0017, new byte[0]);
        ByteBuffer body = ByteBuffer.allocate(2 + 32 + 1 + 32 + 2 + 1 + 2 + ext.size());
        body.putShort((short) 0x0303).put(Frames.payload(rnd, 32)).put((byte) 32).put(Frames.payload(rnd, 32));
        body.putShort((short) 0xc030).put((byte) 0).putShort((short) ext.size()).put(ext.toByteArray());
        return record(0x0303, handshake(2, body.array()));
    }

    private static void writeExtension(ByteArrayOutputStream out, int type, byte[] data) {
        out.writeBytes(ByteBuffer.allocate(4 + data.length).putShort((short) type).putShort((short) data.length).put(data).array());
    }

    private static byte[] handshake(int type, byte[] body) {
        return ByteBuffer.allocate(4 + body.length).putInt(type << 24 | body.length).put(body).array();
    }

    private static byte[] record(int version, byte[] fragment) {
        return ByteBuffer.allocate(5 + fragment.length).put((byte) 0x16).putShort((short) version) // handshake
                .putShort((short) fragment.length).put(fragment).array();
    }

    static byte[] sipRegister() {
        String m = "REGISTER sip:pool01.contoso.com SIP/2.0\r\n"
                + "Via: SIP/2.0/TCP 10.2.1.5:50123;branch=z9hG4bK5f2c1a7e\r\n"
                + "Max-Forwards: 70\r\n"
                + "From: <sip:alice@contoso.com>;tag=8a1c3e5f7b;epid=01010101\r\n"
                + "To: <sip:alice@contoso.com>\r\n"
                + "Call-ID: 3c26700f9a7d4b1f8e2a\r\n"
                + "CSeq: 1 REGISTER\r\n"
                + "Contact: <sip:10.2.1.5:50123;transport=tcp;ms-opaque=d3470f2e1d>;methods=\"INVITE, MESSAGE, INFO, OPTIONS, BYE, CANCEL, NOTIFY, ACK, REFER, BENOTIFY\";proxy=replace;+sip.instance=\"<urn:uuid:8c1ee1c4-0f3f-5f61-9e6a-4b8d5e0b2e44>\"\r\n"
                + "User-Agent: UCCAPI/15.0.4420.1017 OC/15.0.4420.1017 (Microsoft Lync)\r\n"
                + "Supported: gruu-10, adhoclist, msrtc-event-categories, com.microsoft.msrtc.presence\r\n"
                + "Event: registration\r\n"
                + "Content-Length: 0\r\n\r\n";
        return m.getBytes(StandardCharsets.US_ASCII);
    }

    /** A STUN message (RFC 5389): header with the magic cookie, SOFTWARE, then FINGERPRINT. */
    static byte[] stun(SplittableRandom rnd, int type) {
        byte[] software = "Lync 2013".getBytes(StandardCharsets.US_ASCII); // 9 bytes, padded to 12
        int attrs = 4 + 12 + 8;
        ByteBuffer b = ByteBuffer.allocate(20 + attrs);
        b.putShort((short) type).putShort((short) attrs).putInt(0x2112A442).put(Frames.payload(rnd, 12));
        b.putShort((short) 0x8022).putShort((short) software.length).put(software).put(new byte[3]); // SOFTWARE
        CRC32 crc = new CRC32();
        crc.update(b.array(), 0, b.position());
        b.putShort((short) 0x8028).putShort((short) 4).putInt((int) crc.getValue() ^ 0x5354554e); // FINGERPRINT
        return b.array();
    }

    /** An RTP packet (RFC 3550): version 2, no padding/extension/CSRC, the given payload type. */
    static byte[] rtp(SplittableRandom rnd, int payloadType, int seq, int timestamp, int ssrc, int size) {
        return ByteBuffer.allocate(12 + size).put((byte) 0x80).put((byte) payloadType).putShort((short) seq)
                .putInt(timestamp).putInt(ssrc).put(Frames.payload(rnd, size)).array();
    }
}
