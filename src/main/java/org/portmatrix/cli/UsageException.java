package org.portmatrix.cli;

/** A bad command line or unusable input named by the user: one line to stderr, exit status 2. */
public final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
