package org.portmatrix.classify.lync;

import java.util.Locale;
import java.util.Map;

/**
 * The ports Lync Server 2013 uses when nobody changed them, per {@code Port} element (owner
 * component, usage, interface side class, protocol), as Topology Builder writes them into a new
 * topology. An imported port that differs from its default here was moved by the administrator
 * (Topology Builder, or {@code Set-CsConferencingServer} / {@code Set-CsMediationServer} /
 * {@code Set-CsApplicationServer} for the media ranges); the catalog then documents the default,
 * which this deployment no longer uses. Ports not listed here are compared with the catalog only.
 */
final class LyncDefaults {
    private LyncDefaults() {}

    /** A default: {@code range} ports from {@code port} (one port when 0). */
    record Default(int port, int range) {
        int last() {
            return range <= 1 ? port : port + range - 1;
        }
    }

    // key: owner|usage|side|protocol, lower case; side is "internal" for Primary, Internal and Pstn.
    private static final Map<String, Default> DEFAULTS = Map.ofEntries(
            e("Registrar", "SipServer", "internal", "Mtls", 5061, 0),
            e("Registrar", "WebServer", "internal", "Mtls", 444, 0),
            e("IMConf", "SipServer", "internal", "Mtls", 5062, 0),
            e("DataConf", "PsomClient", "internal", "Tls", 8057, 0),
            e("AVConf", "SipServer", "internal", "Mtls", 5063, 0),
            e("AppSharingConf", "SipServer", "internal", "Mtls", 5065, 0),
            // Conferencing, application and Mediation Server media: 8348 audio ports from 49152, 8034 video
            // ports from 57501, 16383 application sharing ports from 49152 (Set-CsConferencingServer's defaults).
            e("MediaComp", "AudioCommunication", "internal", "TcpOrUdp", 49152, 8348),
            e("MediaComp", "VideoCommunication", "internal", "TcpOrUdp", 57501, 8034),
            e("MediaComp", "AppSharingCommunication", "internal", "TcpOrUdp", 49152, 16383),
            e("MediationServer", "AudioCommunication", "internal", "TcpOrUdp", 49152, 8348),
            e("OCSWebSite", "WebSite", "internal", "Http", 80, 0),
            e("OCSWebSite", "WebSite", "internal", "Https", 443, 0),
            e("OCSWebSite", "WebSite", "external", "Http", 8080, 0),
            e("OCSWebSite", "WebSite", "external", "Https", 4443, 0),
            e("Reach", "PsomServer", "internal", "Mtls", 8060, 0),
            e("Reach", "PsomServer", "external", "Mtls", 8061, 0),
            e("McxService", "SipServer", "internal", "Mtls", 5086, 0),
            e("McxServiceExternal", "SipServer", "internal", "Mtls", 5087, 0),
            e("MediationServer", "SipServer", "internal", "Mtls", 5070, 0),
            e("Mediation", "SipServer", "internal", "Mtls", 5070, 0),
            e("MediationServerGatewayPeer", "SipServer", "internal", "Tls", 5067, 0),
            e("Mediation", "SipClient", "internal", "Tls", 5067, 0),
            e("RGS", "SipServer", "internal", "Mtls", 5071, 0),
            e("RGS", "WcfMtls", "internal", "Mtls", 8404, 0),
            e("Cps", "SipServer", "internal", "Mtls", 5075, 0),
            e("testbot", "SipServer", "internal", "Mtls", 5076, 0),
            e("PDP", "SipServer", "internal", "Mtls", 5080, 0),
            e("PDP", "TURNServer", "internal", "Tcp", 448, 0),
            e("AccessEdge", "SipServer", "internal", "Mtls", 5061, 0),
            e("DataEdge", "PsomServer", "internal", "Mtls", 8057, 0),
            e("MediaRelayAuthenticationEdge", "SipServer", "internal", "Mtls", 5062, 0),
            e("MediaRelayEdge", "TURNServer", "internal", "Tcp", 443, 0),
            e("MediaRelayEdge", "TURNServer", "internal", "Udp", 3478, 0),
            // A PSTN gateway: Topology Builder proposes 5067 (TLS) as its listening port.
            e("PstnGateway", "SipServer", "internal", "Tls", 5067, 0));

    private static Map.Entry<String, Default> e(String owner, String usage, String side, String protocol, int port, int range) {
        return Map.entry(key(owner, usage, side, protocol), new Default(port, range));
    }

    private static String key(String owner, String usage, String side, String protocol) {
        return (owner + "|" + usage + "|" + side + "|" + protocol).toLowerCase(Locale.ROOT);
    }

    /** The default of a port element, or null when unknown. */
    static Default of(LyncTopology.PortSpec p) {
        String side = "External".equalsIgnoreCase(p.side()) ? "external" : "internal";
        return DEFAULTS.get(key(p.ownerName(), p.usage(), side, p.protocol()));
    }
}
