package org.portmatrix.cli;

/** What another thread failed with, raised again on the thread that waited for it. */
final class Failures {
    private Failures() {}

    /**
     * {@code t} itself when it is unchecked (an {@code Error} is thrown from here), else wrapped: for
     * {@code throw Failures.unchecked(t)} once the checked kinds the caller declares are raised.
     */
    static RuntimeException unchecked(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
