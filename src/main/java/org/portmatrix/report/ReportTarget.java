package org.portmatrix.report;

import java.io.IOException;

/**
 * Where one report goes (a file, standard output): completed when the run ends, or given up when
 * writing it failed, its partial bytes discarded (a temporary file is deleted, which on a full disk
 * gives the space back to the other outputs).
 */
public interface ReportTarget {
    /** Flushes and, for a file, renames it into place. */
    void commit() throws IOException;

    /** Gives the report up: nothing more is written to it and nothing is committed. Never fails. */
    void discard();

    /**
     * Whether the report goes to a regular file (written beside and renamed into place), not to standard output, a pipe
     * or a device (/dev/stdout, a named pipe): a CSV report starts with the byte-order mark only there ({@link CsvReport}).
     */
    default boolean regularFile() {
        return false;
    }

    /**
     * A failed write as one line naming the output: {@code "out.jsonl: cannot write: No space left
     * on device"}, or the exception's own message when it names the output already.
     */
    static String failure(String name, java.io.IOException e) {
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return why.startsWith(name + ": ") ? why : name + ": cannot write: " + why;
    }
}
