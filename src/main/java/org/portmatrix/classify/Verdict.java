package org.portmatrix.classify;

/** The verdict on one flow. Order is severity for reports: the most actionable first. */
public enum Verdict {
    UNKNOWN_HOST("unknown_host"),
    UNEXPECTED_PORT("unexpected_port"),
    UNEXPECTED_ROLE_PAIR("unexpected_role_pair"),
    PROTOCOL_MISMATCH("protocol_mismatch"),
    UNVERIFIABLE("unverifiable"),
    EXPECTED("expected");

    private final String id;

    Verdict(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public boolean flagged() {
        return this != EXPECTED;
    }
}
