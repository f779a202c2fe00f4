package org.portmatrix.inspect.lookalike;

/**
 * An SNMP message in BER (RFC 1157 §4 for version 1, RFC 1901 and RFC 3416 for version 2c, RFC 3412 §6 for version 3):
 *
 * <pre>
 * Message ::= SEQUENCE (0x30) {
 *   version INTEGER (0x02, 1 byte: 0 v1, 1 v2c, 3 v3),
 *   v1, v2c: community OCTET STRING (0x04), data PDU ([0xA0..0xA8] GetRequest, GetNextRequest, Response, SetRequest,
 *            Trap (v1), GetBulkRequest, InformRequest, SNMPv2-Trap, Report)
 *   v3:      msgGlobalData SEQUENCE (0x30), ...
 * }
 * </pre>
 *
 * The outer SEQUENCE fills the datagram exactly; for versions 1 and 2c the PDU fills the rest of it. The community is a
 * password and is not shown.
 */
public final class Snmp {
    static final int SEQUENCE = 0x30;
    static final int INTEGER = 0x02;
    static final int OCTET_STRING = 0x04;
    static final int PDU_FIRST = 0xa0;
    static final int PDU_LAST = 0xa8;
    static final int V1 = 0, V2C = 1, V3 = 3;

    private static final String[] PDUS = {"GetRequest", "GetNextRequest", "Response", "SetRequest", "Trap", "GetBulkRequest",
        "InformRequest", "SNMPv2-Trap", "Report"};
    /** [version 0 or 1][PDU]: "SNMP (version 2c GetRequest)". */
    private static final String[][] DETAIL = new String[2][PDUS.length];
    static final String V3_MESSAGE = "SNMP (version 3 message)";

    static {
        for (int v = V1; v <= V2C; v++) {
            for (int t = 0; t < PDUS.length; t++) {
                DETAIL[v][t] = "SNMP (version " + (v == V1 ? "1 " : "2c ") + PDUS[t] + ")";
            }
        }
    }

    private Snmp() {}

    /** What the datagram shows, or null when it is not an SNMP message. */
    public static String tell(byte[] b, int off, int len) {
        int end = off + len;
        if (len < 2 || (b[off] & 0xff) != SEQUENCE) {
            return null;
        }
        long seq = length(b, off + 1, end);
        if (seq < 0 || (int) seq + (int) (seq >>> 32) != end) {
            return null;
        }
        int p = (int) seq; // the SEQUENCE's content
        if (end - p < 3 || (b[p] & 0xff) != INTEGER || b[p + 1] != 1) {
            return null;
        }
        int version = b[p + 2];
        p += 3;
        if (version == V3) {
            if (end - p < 2 || (b[p] & 0xff) != SEQUENCE) {
                return null;
            }
            long global = length(b, p + 1, end);
            return global >= 0 && (int) global + (int) (global >>> 32) <= end ? V3_MESSAGE : null;
        }
        if (version != V1 && version != V2C) {
            return null;
        }
        if (end - p < 2 || (b[p] & 0xff) != OCTET_STRING) {
            return null;
        }
        long community = length(b, p + 1, end);
        if (community < 0) {
            return null;
        }
        p = (int) community + (int) (community >>> 32);
        if (end - p < 2) {
            return null;
        }
        int pdu = b[p] & 0xff;
        if (pdu < PDU_FIRST || pdu > PDU_LAST) {
            return null;
        }
        long data = length(b, p + 1, end);
        if (data < 0 || (int) data + (int) (data >>> 32) != end) {
            return null;
        }
        return DETAIL[version][pdu - PDU_FIRST];
    }

    /**
     * A BER definite length at {@code p} (short form, or long form of 1 or 2 bytes): the content's length in the high 32
     * bits and its first byte's index in the low ones, or -1 when it is malformed or runs past {@code end}.
     */
    static long length(byte[] b, int p, int end) {
        if (p >= end) {
            return -1;
        }
        int first = b[p] & 0xff;
        int n;
        int content;
        if (first < 0x80) {
            n = first;
            content = p + 1;
        } else if (first == 0x81 && end - p >= 2) {
            n = b[p + 1] & 0xff;
            content = p + 2;
        } else if (first == 0x82 && end - p >= 3) {
            n = (b[p + 1] & 0xff) << 8 | (b[p + 2] & 0xff);
            content = p + 3;
        } else {
            return -1;
        }
        if (n > end - content) {
            return -1;
        }
        return (long) n << 32 | content;
    }
}
