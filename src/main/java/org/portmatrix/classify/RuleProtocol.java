package org.portmatrix.classify;

import java.util.Locale;

/** What a catalog rule says must be on the wire. */
public enum RuleProtocol {
    /** TLS with a client certificate (mutual TLS). */
    MTLS,
    TLS,
    /** HTTP inside TLS. */
    HTTPS,
    /** Cleartext HTTP. */
    HTTP,
    /** Cleartext SIP. */
    SIP,
    /** Persistent Shared Object Model, inside TLS. */
    PSOM,
    /** STUN or MS-TURN. */
    STUN,
    /** RTP, RTCP, SRTP, or the STUN/ICE checks that set media up. */
    MEDIA,
    /** DCOM / DCE-RPC (endpoint mapper on 135). */
    DCERPC,
    /** SQL Server Resolution Protocol (SQL Browser). */
    SSRP,
    DHCP,
    SMB,
    /** The seed names only the transport: anything on TCP. */
    TCP,
    /** The seed names only the transport: anything on UDP. */
    UDP;

    private final String id = name().toLowerCase(Locale.ROOT);

    /** The catalog's spelling ("mtls"); {@link #name()} is the one reasons print ("MTLS"). */
    public String id() {
        return id;
    }

    public static RuleProtocol parse(String s) {
        for (RuleProtocol p : values()) {
            if (p.id().equals(s)) {
                return p;
            }
        }
        return null;
    }
}
