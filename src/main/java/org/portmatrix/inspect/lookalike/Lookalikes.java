package org.portmatrix.inspect.lookalike;

import org.portmatrix.inspect.AppProtocol;
import org.portmatrix.inspect.FlowInspection;

/**
 * Names the protocol of a UDP flow that none of the inspectors recognises, where its bytes are unambiguous: QUIC, DTLS
 * carrying application data, WireGuard, NTP and SNMP. None of them is a protocol of the catalog: naming them changes no
 * verdict (the flow stays a {@code protocol_mismatch} where a rule documents another protocol), it says what to look for.
 *
 * <p>Asked once per flow, with the payload on which the last inspector gave the flow up (so never of a flow an inspector
 * named, nor of one whose protocol is still undecided), and only of a whole datagram: each test reads one datagram and
 * needs all of it (lengths that fill it, fixed sizes). The tests are tried in this order; each is a pure byte test in its
 * protocol's class, and none allocates.
 */
public final class Lookalikes {
    private Lookalikes() {}

    /**
     * Sets the flow's protocol and detail when {@code b[off..off+len)}, a whole UDP datagram on which no inspector is left,
     * is one of these protocols; else leaves the flow unnamed. Returns whether it named it.
     */
    public static boolean name(FlowInspection fi, byte[] b, int off, int len) {
        String d;
        if ((d = Quic.tell(b, off, len)) != null) {
            fi.detected(AppProtocol.QUIC, d);
        } else if ((d = Dtls.tell(b, off, len, fi.payloadsPassedOver > 0 && fi.useSrtp == FlowInspection.USE_SRTP_NONE)) != null) {
            fi.detected(AppProtocol.DTLS, d);
        } else if ((d = WireGuard.tell(b, off, len)) != null) {
            fi.detected(AppProtocol.WIREGUARD, d);
        } else if ((d = Ntp.tell(b, off, len)) != null) {
            fi.detected(AppProtocol.NTP, d);
        } else if ((d = Snmp.tell(b, off, len)) != null) {
            fi.detected(AppProtocol.SNMP, d);
        } else {
            return false;
        }
        return true;
    }
}
