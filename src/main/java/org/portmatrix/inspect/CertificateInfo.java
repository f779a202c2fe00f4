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
 * @param json the JSON shape; null to make it from the other components
 */
public record CertificateInfo(String sha256, String subject, String issuer, List<String> sans, long notBeforeMillis,
                              long notAfterMillis, String keyType, int keyBits, String signatureAlgorithm,
                              List<String> weaknesses, Map<String, Object> json) {

    /**
     * The JSON shape is made once per certificate, here: a certificate presented by thousands of
     * flows is written into each of their records, and rebuilding it each time (with two
     * {@code Instant.toString}s) was a tenth of the flow thread's CPU samples on the reference workload.
     */
    public CertificateInfo {
        if (json == null) {
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
            json = java.util.Collections.unmodifiableMap(m);
        }
    }

    public CertificateInfo(String sha256, String subject, String issuer, List<String> sans, long notBeforeMillis,
                           long notAfterMillis, String keyType, int keyBits, String signatureAlgorithm, List<String> weaknesses) {
        this(sha256, subject, issuer, sans, notBeforeMillis, notAfterMillis, keyType, keyBits, signatureAlgorithm, weaknesses, null);
    }

    /** The record's JSON shape (an ordered, unmodifiable map of plain values), made once. */
    public Map<String, Object> asMap() {
        return json;
    }
}
