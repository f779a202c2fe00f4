package org.portmatrix.inspect;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One distinct certificate of the certificate inventory: every certificate any TLS handshake of
 * the run showed in the clear, with who presented it and what is wrong with it.
 *
 * @param certificate the parsed certificate
 * @param presentedBy the endpoints that sent it, "address:port (roles)" for servers and
 *     "address (roles)" for clients, in order of first appearance
 * @param asServer presented in a server's Certificate message
 * @param asClient presented in a client's Certificate message (mutual TLS)
 * @param flows handshakes it appeared in
 * @param firstSeenNanos first flow start in which it appeared (epoch nanoseconds)
 * @param lastSeenNanos last flow end in which it appeared: the capture time that expiry is measured from
 * @param daysToExpiry whole days from {@code lastSeenNanos} to notAfter; negative when expired
 * @param findings the certificate's weaknesses plus "expired", "not yet valid", "expires within 30 days"
 */
public record CertificateRecord(CertificateInfo certificate, List<String> presentedBy, boolean asServer, boolean asClient,
                                long flows, long firstSeenNanos, long lastSeenNanos, long daysToExpiry,
                                List<String> findings) {

    public Map<String, Object> asMap() {
        Map<String, Object> m = new LinkedHashMap<>(certificate.asMap());
        m.put("presented_by", presentedBy);
        m.put("as_server", asServer);
        m.put("as_client", asClient);
        m.put("flows", flows);
        m.put("first_seen", Instant.ofEpochSecond(0, firstSeenNanos).toString());
        m.put("last_seen", Instant.ofEpochSecond(0, lastSeenNanos).toString());
        m.put("days_to_expiry", daysToExpiry);
        m.put("findings", findings);
        return m;
    }
}
