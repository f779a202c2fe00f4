package org.portmatrix.inspect;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A certificate seen in a TLS handshake, parsed with Bouncy Castle.
 *
 * @param sha256 hex fingerprint of the DER encoding (the inventory's key)
 * @param subject RFC 4514 subject
 * @param issuer RFC 4514 issuer
 * @param sans subject alternative names (DNS names and IP addresses)
 * @param notBeforeMillis validity start, epoch milliseconds
 * @param notAfterMillis validity end, epoch milliseconds
 * @param keyType RSA, EC, Ed25519, ...
 * @param keyBits key size in bits
 * @param signatureAlgorithm e.g. SHA256WITHRSA
 * @param weaknesses short findings: "SHA-1 signature", "RSA key below 2048 bits", ...
 */
public record CertificateInfo(String sha256, String subject, String issuer, List<String> sans, long notBeforeMillis,
                              long notAfterMillis, String keyType, int keyBits, String signatureAlgorithm,
                              List<String> weaknesses) {

    public Map<String, Object> asMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sha256", sha256);
        m.put("subject", subject);
        m.put("issuer", issuer);
        m.put("sans", sans);
        m.put("not_before", java.time.Instant.ofEpochMilli(notBeforeMillis).toString());
        m.put("not_after", java.time.Instant.ofEpochMilli(notAfterMillis).toString());
        m.put("key_type", keyType);
        m.put("key_bits", keyBits);
        m.put("signature_algorithm", signatureAlgorithm);
        m.put("weaknesses", weaknesses);
        return m;
    }
}
