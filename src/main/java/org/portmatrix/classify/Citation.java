package org.portmatrix.classify;

/**
 * Where a rule comes from: a seed document (its file name in ../shared/seeds/), a table title as
 * written there, and a row number within the table (from 1, document order, empty rows not counted).
 */
public record Citation(String document, String table, int row) {
    public String shortForm() {
        return table + ", row " + row;
    }
}
