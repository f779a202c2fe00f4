package org.portmatrix.classify.lync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.portmatrix.cli.Runs;

/** Runs the command line in-process, as the user would. */
final class Cli {
    private Cli() {}

    record Run(int status, String out, String err) {
        List<JsonNode> records() throws Exception {
            ObjectMapper m = new ObjectMapper();
            List<JsonNode> l = new ArrayList<>();
            for (String line : out.split("\n")) {
                if (!line.isBlank()) {
                    l.add(m.readTree(line));
                }
            }
            return l;
        }
    }

    static Run run(String... args) {
        Runs.Ran r = Runs.main(args);
        return new Run(r.status(), r.out(), r.err());
    }
}
