package org.portmatrix.inspect;

/**
 * The application protocols the inspectors can name. {@link #id()} is what the flow record's
 * {@code app_protocol} field shows.
 *
 * <p>SRTP cannot be told from RTP by its header (RFC 3711 keeps the RTP header in the clear and
 * encrypts only the payload), so {@link #RTP} stands for RTP or SRTP.
 *
 * <p>The last five are not Lync's protocols: they are named where none of Lync's is seen, to say what is.
 */
public enum AppProtocol {
    TLS("tls"),
    SIP("sip"),
    /** RFC 5389 STUN (and TURN, ICE connectivity checks) with the magic cookie. */
    STUN("stun"),
    /** Microsoft's TURN extensions: the older framing without the cookie, multiplexed TURN, MS-TURN over TCP. */
    MS_TURN("ms-turn"),
    /** RTP or SRTP. */
    RTP("rtp"),
    /** RTCP or SRTCP. */
    RTCP("rtcp"),
    HTTP("http"),
    DCERPC("dcerpc"),
    /** SQL Server Resolution Protocol (SQL Browser, UDP 1434). */
    SSRP("ssrp"),
    DHCP("dhcp"),
    DNS("dns"),
    SSH("ssh"),
    RDP("rdp"),
    SMB("smb"),
    /** Tabular Data Stream (SQL Server). */
    TDS("tds"),
    // Not Lync's: named only where no inspector recognises a UDP flow (inspect.lookalike.Lookalikes), so that a
    // protocol_mismatch says what is on the wire. No catalog rule accepts them.
    /** QUIC (RFC 9000, RFC 9369): a long header packet of a known version. */
    QUIC("quic"),
    /** DTLS records carrying application data (RFC 6347): a DTLS session of its own, not DTLS-SRTP's keying. */
    DTLS("dtls"),
    WIREGUARD("wireguard"),
    /** NTP (RFC 5905). */
    NTP("ntp"),
    /** SNMP versions 1, 2c and 3. */
    SNMP("snmp");

    private final String id;

    AppProtocol(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }
}
