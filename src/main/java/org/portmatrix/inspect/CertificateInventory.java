package org.portmatrix.inspect;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Every distinct certificate seen over a run, keyed by its SHA-256 fingerprint. Filled once per TLS flow. */
public final class CertificateInventory {
    /** Certificates expiring sooner than this are flagged. */
    public static final long EXPIRY_WARNING_DAYS = 30;
    private static final long NANOS_PER_DAY = 86_400_000_000_000L;

    private static final class Entry {
        final CertificateInfo info;
        final Set<String> presenters = new LinkedHashSet<>();
        boolean asServer;
        boolean asClient;
        long flows;
        /** The flow last counted: a certificate both sides of one flow present counts that flow once. */
        long lastFlow = -1;
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;

        Entry(CertificateInfo info) {
            this.info = info;
        }
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>();

    /** Records that {@code presenter} sent {@code info} in flow {@code flowId}, spanning the given times. */
    public void add(CertificateInfo info, String presenter, boolean fromServer, long flowId, long firstNanos, long lastNanos) {
        Entry e = entries.computeIfAbsent(info.sha256(), k -> new Entry(info));
        e.presenters.add(presenter);
        if (fromServer) {
            e.asServer = true;
        } else {
            e.asClient = true;
        }
        if (e.lastFlow != flowId) { // (a flow's chains are added together, the server's then the client's)
            e.flows++;
            e.lastFlow = flowId;
        }
        e.first = Math.min(e.first, firstNanos);
        e.last = Math.max(e.last, lastNanos);
    }

    public int size() {
        return entries.size();
    }

    /** The inventory, soonest expiry first. */
    public List<CertificateRecord> records() {
        List<CertificateRecord> out = new ArrayList<>(entries.size());
        for (Entry e : entries.values()) {
            long notAfterNanos = e.info.notAfterMillis() * 1_000_000L;
            long notBeforeNanos = e.info.notBeforeMillis() * 1_000_000L;
            // Whole days, toward zero: expired 10 days and 3 s before is -10, as 10 days and 3 s after is 10.
            long days = (notAfterNanos - e.last) / NANOS_PER_DAY;
            List<String> findings = new ArrayList<>(e.info.weaknesses());
            if (notAfterNanos < e.last) {
                findings.add("expired");
            } else if (days < EXPIRY_WARNING_DAYS) {
                findings.add("expires within " + EXPIRY_WARNING_DAYS + " days");
            }
            if (notBeforeNanos > e.first) {
                findings.add("not yet valid");
            }
            out.add(new CertificateRecord(e.info, List.copyOf(e.presenters), e.asServer, e.asClient, e.flows, e.first,
                    e.last, days, List.copyOf(findings)));
        }
        out.sort(Comparator.comparingLong(CertificateRecord::daysToExpiry)
                .thenComparing(r -> r.certificate().subject()));
        return out;
    }
}
