package org.portmatrix.classify;

/** The classification of one flow, kept in {@code Flow.classification}: one object per flow. */
public final class Classification {
    public Verdict verdict;
    /** The catalog rule that allows the flow, or that serves its port (for a wrong role pair), or -1. */
    public int rule = CompiledCatalog.NO_RULE;
    /**
     * The rule documents the flow the other way round: UDP media, whose ends both send, and whose
     * first packet came from the end that owns the documented port (the rule's port is then the
     * initiator's, {@code srcPort}, and its roles the flow's reversed). With {@link #rule} -1, it is
     * the topology's {@code ports:} entry {@link #configured} that is read so (a media range it gives).
     */
    public boolean reversed;
    /**
     * What the classification was before the rule was read the other way round, given back when the wire
     * does not show media (or ICMP errors came back): a UDP scan from a client's high port was otherwise
     * documented as the client's media.
     */
    public Verdict unreversedVerdict;
    public int unreversedRule = CompiledCatalog.NO_RULE;
    public String unreversedReason;

    /** Gives back the classification from before the rule was read the other way round (no media was seen). */
    public void unreverse() {
        if (reversed) {
            reversed = false;
            verdict = unreversedVerdict;
            rule = unreversedRule;
            reason = unreversedReason;
            noConfigured(); // (a ports: entry read the other way round; none before)
        }
    }

    /** No topology {@code ports:} entry allows the flow: {@link #configured}, its index and where it is written, cleared. */
    public void noConfigured() {
        configured = null;
        configuredIndex = -1;
        configuredAt = null;
    }
    /**
     * The topology's {@code ports:} entry that allows the flow (no catalog rule does), or null: the first that serves it,
     * until the inspect stage takes the first of them whose protocol the wire shows.
     */
    public PortOverride configured;
    /** The index of {@link #configured} among the topology's entries ({@link Classifier#nextConfigured}), or -1. */
    public int configuredIndex = -1;
    /** Where {@link #configured} is written ("FILE:LINE: what it says"), for reasons; null without one. */
    public String configuredAt;
    public long srcRoles;
    public long dstRoles;
    /** The application protocol seen on the wire (set by the inspect stage), or null. */
    public String appProtocol;
    /** A sentence a person can act on. */
    public String reason;
}
