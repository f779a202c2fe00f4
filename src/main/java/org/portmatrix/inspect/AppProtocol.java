package org.portmatrix.inspect;

/**
 * The application protocols the inspectors can name. {@link #id()} is what the flow record's
 * {@code app_protocol} field shows.
 *
 * <p>SRTP cannot be told from RTP by its header (RFC 3711 keeps the RTP header in the clear and
 * encrypts only the payload), so {@link #RTP} stands for RTP or SRTP.
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
    TDS("tds");

    private final String id;

    AppProtocol(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }
}
