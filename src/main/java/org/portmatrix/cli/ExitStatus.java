package org.portmatrix.cli;

/** The exit statuses of the public contract. */
public final class ExitStatus {
    /** Done. */
    public static final int OK = 0;
    /** Flows outside the matrix were found and --fail-on-unexpected was given. */
    public static final int UNEXPECTED = 1;
    /** Usage error or unreadable input. */
    public static final int USAGE = 2;
    /** Input damaged but read: results for what was readable were written. */
    public static final int DAMAGED = 3;

    private ExitStatus() {}
}
