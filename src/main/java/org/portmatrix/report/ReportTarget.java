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
}
