package org.portmatrix.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.help.HelpFormatter;
import org.apache.commons.cli.help.TextHelpAppendable;

/** A command's {@code --help}: its synopsis, what it does, its options (Commons CLI's table), and a closing line. */
final class Help {
    private Help() {}

    static void print(PrintStream to, String synopsis, String header, Options options, String footer) {
        try {
            HelpFormatter.builder().setHelpAppendable(new TextHelpAppendable(to)).setShowSince(false).get()
                    .printHelp(synopsis, header, options, footer, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
