package org.portmatrix.inspect;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the TLS inspector saw in one flow's handshake. Part of the flow record ({@code tls}).
 *
 * @param version the negotiated version (ServerHello, supported_versions for 1.3): "TLS 1.2", "TLS 1.3", ...
 * @param sni the server name the client asked for, or null
 * @param cipher the cipher suite chosen by the server, as its IANA name or 0xNNNN, or null
 * @param certificateRequest true when the server asked for a client certificate, false when its whole first
 *     flight was seen without one (TLS 1.0-1.2, not resumed), null when that cannot be seen (TLS 1.3 encrypts
 *     it; a capture that missed part of the handshake)
 * @param clientCertificate "present", "empty" (a Certificate message with none), "not visible" (TLS 1.3,
 *     encrypted), or "absent"
 * @param serverCertificates the server's chain, leaf first (fingerprints into the inventory)
 * @param clientCertificates the client's chain, leaf first
 * @param alert the fatal alert that ended the handshake in the clear, with its sender ("unknown_ca 48 from the
 *     server": a certificate refused), or null
 * @param handshakeMissed the capture starts after the handshake (the flow's first TLS record is not a handshake
 *     record: a connection caught in its encrypted middle), so that {@code version} is null because the handshake was
 *     not seen, not because it did not complete; not a field of the flow record (the reports say it in words)
 */
public record TlsInfo(String version, String sni, String cipher, Boolean certificateRequest, String clientCertificate,
                      List<CertificateInfo> serverCertificates, List<CertificateInfo> clientCertificates, String alert,
                      boolean handshakeMissed) {

    /** A session whose handshake the capture holds from its start. */
    public TlsInfo(String version, String sni, String cipher, Boolean certificateRequest, String clientCertificate,
                   List<CertificateInfo> serverCertificates, List<CertificateInfo> clientCertificates, String alert) {
        this(version, sni, cipher, certificateRequest, clientCertificate, serverCertificates, clientCertificates, alert, false);
    }

    /**
     * The handshake in words when no version was negotiated in the capture: "handshake not in the capture" (the capture
     * starts after it; "not complete" had been said of a session caught in its middle, whose handshake was done) or
     * "handshake not complete"; null once a version was negotiated.
     */
    public String handshakeText() {
        return version != null ? null : handshakeMissed ? "handshake not in the capture" : "handshake not complete";
    }

    /** The names of the record's JSON fields, in order: {@link #field} gives their values. */
    public static final List<String> FIELDS = List.of("version", "sni", "cipher", "certificate_request", "client_certificate",
            "server_certificates", "client_certificates", "alert");

    /** The value of field {@code i} of {@link #FIELDS}: a plain value, or a certificate chain (a list of {@link CertificateInfo}). */
    public Object field(int i) {
        return switch (i) {
            case 0 -> version;
            case 1 -> sni;
            case 2 -> cipher;
            case 3 -> certificateRequest;
            case 4 -> clientCertificate;
            case 5 -> serverCertificates;
            case 6 -> clientCertificates;
            case 7 -> alert;
            default -> throw new IndexOutOfBoundsException(i);
        };
    }

    /** The record's JSON shape (an ordered map of plain values). */
    public Map<String, Object> asMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < FIELDS.size(); i++) {
            m.put(FIELDS.get(i), i == 5 ? maps(serverCertificates) : i == 6 ? maps(clientCertificates) : field(i));
        }
        return m;
    }

    private static List<Map<String, Object>> maps(List<CertificateInfo> chain) {
        if (chain.isEmpty()) {
            return List.of();
        }
        List<Map<String, Object>> out = new java.util.ArrayList<>(chain.size());
        for (CertificateInfo c : chain) {
            out.add(c.asMap());
        }
        return out;
    }
}
