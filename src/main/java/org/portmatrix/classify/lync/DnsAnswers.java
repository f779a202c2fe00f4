package org.portmatrix.classify.lync;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.portmatrix.capture.CaptureDamage;
import org.portmatrix.capture.Captures;
import org.portmatrix.capture.PacketRef;
import org.portmatrix.capture.PacketSource;
import org.portmatrix.classify.Cidr;
import org.portmatrix.decode.DecodeStats;
import org.portmatrix.decode.Decoded;
import org.portmatrix.decode.PacketDecoder;

/**
 * The names and addresses that DNS answered inside a capture: A and AAAA records of the responses
 * (RFC 1035 section 4.1; AAAA from RFC 3596), with CNAME chains followed. Read with the project's own
 * capture and decode classes; nothing is ever sent to a DNS server.
 *
 * <pre>
 *  header (12 bytes): ID | QR OPCODE AA TC RD RA Z RCODE | QDCOUNT | ANCOUNT | NSCOUNT | ARCOUNT
 *  question:          QNAME (labels or a pointer) | QTYPE (2) | QCLASS (2)
 *  resource record:   NAME | TYPE (2) | CLASS (2) | TTL (4) | RDLENGTH (2) | RDATA
 * </pre>
 *
 * A malformed message is counted and skipped. Over TCP only a message that starts a segment with its
 * two-byte length and fits in it is read (zone transfers and split answers are not needed here).
 */
final class DnsAnswers {
    static final int DNS_PORT = 53;
    static final int HEADER_LENGTH = 12;
    static final int FLAG_RESPONSE = 0x8000;
    static final int RCODE_MASK = 0x000f;
    static final int TYPE_A = 1;
    static final int TYPE_CNAME = 5;
    static final int TYPE_AAAA = 28;
    static final int CLASS_IN = 1;
    static final int POINTER_MASK = 0xc0;
    static final int MAX_POINTER_HOPS = 16;
    static final int MAX_CNAME_CHAIN = 8;

    private final Map<String, Set<Cidr>> addresses = new LinkedHashMap<>();
    private final Map<String, String> aliases = new LinkedHashMap<>();
    private long responses;
    private long malformed;
    private final StringBuilder name = new StringBuilder(64);
    private String damage;

    /** Reads every DNS response of the capture. */
    static DnsAnswers read(Path capture) throws IOException {
        DnsAnswers d = new DnsAnswers();
        try (PacketSource src = Captures.open(capture)) {
            d.read(src);
        }
        return d;
    }

    void read(PacketSource src) throws IOException {
        PacketDecoder decoder = new PacketDecoder();
        Decoded d = new Decoded();
        PacketRef ref = new PacketRef();
        while (src.next(ref)) {
            if (decoder.decode(ref.buf, ref.offset, ref.caplen, ref.linkType, d) != DecodeStats.OK || d.srcPort != DNS_PORT) {
                continue;
            }
            if (d.isUdp()) {
                message(ref.buf, d.payloadOffset, d.payloadLength);
            } else if (d.isTcp() && d.payloadLength > 2) {
                int len = ((ref.buf[d.payloadOffset] & 0xff) << 8) | (ref.buf[d.payloadOffset + 1] & 0xff);
                if (len <= d.payloadLength - 2) {
                    message(ref.buf, d.payloadOffset + 2, len);
                }
            }
        }
        CaptureDamage dmg = src.damage();
        if (dmg != null) {
            damage = dmg.describe();
        }
    }

    /** Parses one DNS message; returns false (and counts it) when it is malformed. */
    boolean message(byte[] b, int off, int len) {
        int limit = off + len;
        if (len < HEADER_LENGTH) {
            malformed++;
            return false;
        }
        int flags = u16(b, off + 2);
        if ((flags & FLAG_RESPONSE) == 0) {
            return true; // a query: nothing to learn
        }
        responses++;
        if ((flags & RCODE_MASK) != 0) {
            return true; // NXDOMAIN, SERVFAIL, REFUSED...: no answer
        }
        int qd = u16(b, off + 4);
        int an = u16(b, off + 6);
        int p = off + HEADER_LENGTH;
        for (int i = 0; i < qd; i++) {
            p = skipName(b, p, limit);
            if (p < 0 || limit - p < 4) {
                malformed++;
                return false;
            }
            p += 4;
        }
        for (int i = 0; i < an; i++) {
            int afterName = readName(b, off, p, limit);
            if (afterName < 0 || limit - afterName < 10) {
                malformed++;
                return false;
            }
            String owner = name.toString();
            int type = u16(b, afterName);
            int cls = u16(b, afterName + 2);
            int rdlen = u16(b, afterName + 8);
            int rdata = afterName + 10;
            if (limit - rdata < rdlen) {
                malformed++;
                return false;
            }
            if (cls == CLASS_IN) {
                if (type == TYPE_A && rdlen == 4) {
                    long a = ((b[rdata] & 0xffL) << 24) | ((b[rdata + 1] & 0xff) << 16) | ((b[rdata + 2] & 0xff) << 8) | (b[rdata + 3] & 0xff);
                    add(owner, Cidr.parse(((a >>> 24) & 0xff) + "." + ((a >>> 16) & 0xff) + "." + ((a >>> 8) & 0xff) + "." + (a & 0xff)));
                } else if (type == TYPE_AAAA && rdlen == 16) {
                    StringBuilder sb = new StringBuilder(39);
                    for (int g = 0; g < 8; g++) {
                        sb.append(g == 0 ? "" : ":").append(Integer.toHexString(u16(b, rdata + 2 * g)));
                    }
                    add(owner, Cidr.parse(sb.toString()));
                } else if (type == TYPE_CNAME) {
                    if (readName(b, off, rdata, rdata + rdlen) < 0) {
                        malformed++;
                        return false;
                    }
                    aliases.put(owner, name.toString());
                }
            }
            p = rdata + rdlen;
        }
        return true;
    }

    private void add(String owner, Cidr c) {
        // 0.0.0.0 and :: (a sinkholed name's answer) are no host's address, as in a hosts file.
        if (c != null && !TopologyImport.allAddresses(c)) {
            addresses.computeIfAbsent(owner, k -> new LinkedHashSet<>()).add(c);
        }
    }

    /** Skips a name at p (labels, possibly ending in a pointer); returns the offset after it or -1. */
    private static int skipName(byte[] b, int p, int limit) {
        while (p < limit) {
            int l = b[p] & 0xff;
            if ((l & POINTER_MASK) == POINTER_MASK) {
                return limit - p < 2 ? -1 : p + 2;
            }
            if ((l & POINTER_MASK) != 0) {
                return -1;
            }
            if (l == 0) {
                return p + 1;
            }
            p += 1 + l;
        }
        return -1;
    }

    /**
     * Reads the name at p into {@link #name} (lower case, no trailing dot), following compression
     * pointers relative to the message start; returns the offset after the name where it was read, or -1.
     */
    private int readName(byte[] b, int msg, int p, int limit) {
        name.setLength(0);
        int after = -1;
        int hops = 0;
        int msgLimit = Math.max(limit, p);
        while (true) {
            if (p >= msgLimit) {
                return -1;
            }
            int l = b[p] & 0xff;
            if ((l & POINTER_MASK) == POINTER_MASK) {
                if (msgLimit - p < 2 || ++hops > MAX_POINTER_HOPS) {
                    return -1;
                }
                if (after < 0) {
                    after = p + 2;
                }
                p = msg + (((l & 0x3f) << 8) | (b[p + 1] & 0xff));
                continue;
            }
            if ((l & POINTER_MASK) != 0) {
                return -1;
            }
            if (l == 0) {
                return after >= 0 ? after : p + 1;
            }
            if (msgLimit - p - 1 < l) {
                return -1;
            }
            if (name.length() > 0) {
                name.append('.');
            }
            for (int i = 1; i <= l; i++) {
                name.append(Character.toLowerCase((char) (b[p + i] & 0xff)));
            }
            p += 1 + l;
        }
    }

    private static int u16(byte[] b, int p) {
        return ((b[p] & 0xff) << 8) | (b[p + 1] & 0xff);
    }

    /** The addresses DNS gave for a name, following CNAMEs; empty when it never answered for it. */
    Set<Cidr> resolve(String fqdn) {
        String n = HostsFile.normalize(fqdn);
        Set<Cidr> out = new LinkedHashSet<>();
        for (int i = 0; i <= MAX_CNAME_CHAIN && n != null; i++) {
            Set<Cidr> a = addresses.get(n);
            if (a != null) {
                out.addAll(a);
            }
            n = aliases.get(n);
        }
        return out;
    }

    long responses() {
        return responses;
    }

    long malformed() {
        return malformed;
    }

    /** The capture's damage, or null. */
    String damage() {
        return damage;
    }

    Map<String, Set<Cidr>> all() {
        return addresses;
    }
}
