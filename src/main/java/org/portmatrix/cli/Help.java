package org.portmatrix.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Options;

/**
 * A command's {@code --help}: its synopsis, what it does, its options (Commons CLI's table), and a closing line.
 * Commons CLI's classic formatter: the newer {@code help.TextHelpAppendable} (1.10) centred a heading over the table,
 * padded lines with trailing spaces, and indented some wrapped lines of a description one column less than the others.
 */
final class Help {
    /** Columns of the help: a terminal's 80. */
    private static final int WIDTH = 80;

    private Help() {}

    static void print(PrintStream to, String synopsis, String header, Options options, String footer) {
        HelpFormatter f = new HelpFormatter();
        f.setOptionComparator(null); // in the order the command declares them (the ones most used first), not sorted
        PrintWriter w = new PrintWriter(to);
        f.printHelp(w, WIDTH, synopsis, "\n" + header + "\n\n", options, 1, 3, "\n" + footer, false);
        w.flush();
    }

    /** True when {@code args} asks for help ({@code --help} or {@code -h} anywhere). */
    static boolean asked(String[] args) {
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h")) {
                return true;
            }
        }
        return false;
    }
}
