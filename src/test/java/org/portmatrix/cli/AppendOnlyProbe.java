package org.portmatrix.cli;

import java.nio.file.Path;

/** Run by {@link RotatingOutputTest} without the capabilities that override file permissions: opens the file as the live output does, writes one line. */
final class AppendOnlyProbe {
    public static void main(String[] args) throws Exception {
        RotatingOutput out = RotatingOutput.file(Path.of(args[0]), 0, 0, 0);
        out.writer().write("{\"b\":2}\n");
        out.flush();
        out.close();
    }
}
