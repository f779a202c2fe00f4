package org.portmatrix.inspect.tls;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.portmatrix.inspect.Wire;

/**
 * Parsers of the handshake message bodies the inspector reads, each bounds-checked against the
 * bytes kept (a message may be longer than the reassembly buffer).
 *
 * <pre>
 * ClientHello (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2):
 *   legacy_version(2) random(32) session_id(1+n) cipher_suites(2+n) compression(1+n) extensions(2+n)
 * ServerHello:
 *   legacy_version(2) random(32) session_id(1+n) cipher_suite(2) compression(1) extensions(2+n)
 * extension: type(2) length(2) data
 *   server_name (0, RFC 6066 §3): list_length(2) { name_type(1)=0 host_name(2+n) }
 *   supported_versions (43, RFC 8446 §4.2.1): ClientHello versions(1+n), ServerHello selected(2)
 * Certificate (RFC 5246 §7.4.2, TLS 1.0-1.2): certificate_list(3+n) { cert(3+n) }
 * </pre>
 */
final class TlsHandshake {
    static final int EXT_SERVER_NAME = 0;
    static final int EXT_SUPPORTED_VERSIONS = 43;
    static final int SNI_HOST_NAME = 0;
    static final int RANDOM = 32;
    /** RFC 8446 §4.1.3: the random of a HelloRetryRequest is SHA-256("HelloRetryRequest"). */
    static final byte[] HELLO_RETRY_RANDOM = hex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c");

    private TlsHandshake() {}

    static void clientHello(TlsSession s, byte[] b, int len) {
        s.clientHello = true;
        if (b == null || len < 2 + RANDOM + 1) {
            return;
        }
        int p = 0;
        s.clientLegacyVersion = Wire.u16(b, p);
        s.clientMaxVersion = s.clientLegacyVersion;
        p += 2 + RANDOM;
        int sid = Wire.u8(b, p);
        if (len - p - 1 < sid) {
            return;
        }
        s.clientSessionId = Arrays.copyOfRange(b, p + 1, p + 1 + sid);
        p += 1 + sid;
        if (len - p < 2) {
            return;
        }
        p += 2 + Wire.u16(b, p); // cipher suites
        if (len - p < 1) {
            return;
        }
        p += 1 + Wire.u8(b, p); // compression methods
        if (len - p < 2) {
            return;
        }
        int extEnd = Math.min(len, p + 2 + Wire.u16(b, p));
        p += 2;
        while (extEnd - p >= 4) {
            int type = Wire.u16(b, p);
            int elen = Wire.u16(b, p + 2);
            int d = p + 4;
            if (extEnd - d < elen) {
                return;
            }
            if (type == EXT_SERVER_NAME && elen >= 5) {
                int listEnd = d + 2 + Math.min(Wire.u16(b, d), elen - 2);
                int q = d + 2;
                while (listEnd - q >= 3) {
                    int nameType = Wire.u8(b, q);
                    int nlen = Wire.u16(b, q + 1);
                    if (listEnd - q - 3 < nlen) {
                        break;
                    }
                    if (nameType == SNI_HOST_NAME && nlen > 0 && s.sni == null) {
                        s.sni = new String(b, q + 3, nlen, StandardCharsets.US_ASCII);
                    }
                    q += 3 + nlen;
                }
            } else if (type == EXT_SUPPORTED_VERSIONS && elen >= 1) {
                int n = Math.min(Wire.u8(b, d), elen - 1);
                for (int q = d + 1; q + 1 < d + 1 + n; q += 2) {
                    int v = Wire.u16(b, q);
                    if ((v & 0x0f0f) == 0x0a0a) {
                        continue; // GREASE (RFC 8701)
                    }
                    s.clientMaxVersion = Math.max(s.clientMaxVersion, v);
                }
            }
            p = d + elen;
        }
    }

    static void serverHello(TlsSession s, byte[] b, int len) {
        s.serverHello = true;
        if (b == null || len < 2 + RANDOM + 1) {
            return;
        }
        int p = 0;
        s.version = Wire.u16(b, p);
        s.helloRetry = Arrays.equals(b, 2, 2 + RANDOM, HELLO_RETRY_RANDOM, 0, RANDOM);
        p += 2 + RANDOM;
        int sid = Wire.u8(b, p);
        if (len - p - 1 < sid + 3) {
            return;
        }
        if (sid > 0 && s.clientSessionId != null && s.version < TlsSession.TLS_1_3
                && Arrays.equals(b, p + 1, p + 1 + sid, s.clientSessionId, 0, s.clientSessionId.length)) {
            s.resumed = true; // RFC 5246 §7.4.1.3: the server resumes the session the client named
        }
        p += 1 + sid;
        s.cipher = Wire.u16(b, p);
        p += 3;
        if (len - p < 2) {
            return;
        }
        int extEnd = Math.min(len, p + 2 + Wire.u16(b, p));
        p += 2;
        while (extEnd - p >= 4) {
            int type = Wire.u16(b, p);
            int elen = Wire.u16(b, p + 2);
            if (type == EXT_SUPPORTED_VERSIONS && elen == 2 && extEnd - p >= 6) {
                s.version = Wire.u16(b, p + 4);
            }
            p += 4 + elen;
        }
        if (s.version >= TlsSession.TLS_1_3) {
            s.resumed = false;
            s.forward.stopped = true;
            s.reverse.stopped = true;
        }
    }

    /**
     * A Certificate message, possibly cut at the buffer's end: {@code kept} bytes of a {@code total}-byte body.
     */
    static void certificate(TlsSession s, boolean fromClient, byte[] b, int kept, int total) {
        if (s.serverHello && s.version >= TlsSession.TLS_1_3) {
            return; // TLS 1.3 Certificate messages are encrypted; one seen in the clear is not parsed
        }
        int count = 0;
        if (b != null && kept >= 3) {
            int listEnd = Math.min(kept, 3 + Wire.u24(b, 0));
            int p = 3;
            while (listEnd - p >= 3) {
                int n = Wire.u24(b, p);
                if (listEnd - p - 3 < n) {
                    s.chainTruncated = true;
                    count++; // announced, but beyond the buffer
                    break;
                }
                byte[] der = s.buffers.certificate(b, p + 3, n);
                (fromClient ? s.clientChain : s.serverChain).add(der);
                count++;
                p += 3 + n;
            }
        } else if (total >= 3 && kept < 3) {
            count = -1;
        }
        if (fromClient) {
            s.clientCertificateMessage = true;
            s.clientCertificateCount = Math.max(count, 0);
        } else {
            s.serverCertificateMessage = true;
        }
    }

    private static byte[] hex(String h) {
        byte[] r = new byte[h.length() / 2];
        for (int i = 0; i < r.length; i++) {
            r[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        }
        return r;
    }
}
