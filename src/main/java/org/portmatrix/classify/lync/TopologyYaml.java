package org.portmatrix.classify.lync;

import java.util.List;
import java.util.Map;
import org.portmatrix.classify.Cidr;
import org.portmatrix.classify.PortOverride.PortRange;

/**
 * Writes a topology file in the project's format as plain text lines, so that every address can
 * carry a comment (where it comes from, how sure the inference is). The output parses back with
 * {@code Topology.load}.
 */
final class TopologyYaml {
    private final StringBuilder out = new StringBuilder(4096);

    /** A header comment line ("# ..."), or an empty line for null. */
    TopologyYaml comment(String text) {
        if (text == null) {
            out.append('\n');
        } else {
            out.append("# ").append(oneLine(text).stripTrailing()).append('\n');
        }
        return this;
    }

    /** One address line of a role's list, with its comment. */
    record Address(Cidr address, String comment) {}

    /** The {@code roles:} mapping, one block list per role. */
    TopologyYaml roles(Map<String, List<Address>> roles) {
        out.append("roles:\n");
        for (Map.Entry<String, List<Address>> e : roles.entrySet()) {
            if (e.getValue().isEmpty()) {
                out.append("  ").append(e.getKey()).append(": []\n");
                continue;
            }
            out.append("  ").append(e.getKey()).append(":\n");
            for (Address a : e.getValue()) {
                String addr = a.address().toString();
                out.append("    - ").append(addr);
                if (a.comment() != null && !a.comment().isBlank()) {
                    out.append(" ".repeat(Math.max(1, 24 - addr.length()))).append("# ").append(oneLine(a.comment()));
                }
                out.append('\n');
            }
        }
        return this;
    }

    /** The {@code ports:} list, or nothing when there is no entry. */
    TopologyYaml ports(List<TopologyImport.PortEntry> ports) {
        if (ports.isEmpty()) {
            return this;
        }
        out.append("ports:\n");
        for (TopologyImport.PortEntry p : ports) {
            out.append("  - role: ").append(p.role()).append('\n');
            out.append("    transport: ").append(p.transports().size() == 1 ? p.transports().get(0) : p.transports().toString()).append('\n');
            out.append("    port: ").append(quote(p.ports().toString())).append('\n');
            if (p.protocol() != null) {
                out.append("    protocol: ").append(p.protocol()).append('\n');
            }
            if (!p.insteadOf().isEmpty()) {
                out.append("    instead_of: [");
                for (int i = 0; i < p.insteadOf().size(); i++) {
                    PortRange r = p.insteadOf().get(i);
                    out.append(i == 0 ? "" : ", ").append(quote(r.toString()));
                }
                out.append("]\n");
            }
            if (!p.hosts().isEmpty()) {
                out.append("    hosts: [");
                for (int i = 0; i < p.hosts().size(); i++) {
                    out.append(i == 0 ? "" : ", ").append(quote(p.hosts().get(i).text()));
                }
                out.append("]\n");
            }
            if (!p.from().isEmpty()) {
                out.append("    from: [").append(String.join(", ", p.from())).append("]\n");
            }
            if (p.note() != null) {
                out.append("    note: ").append(quote(p.note())).append('\n');
            }
        }
        return this;
    }

    @Override
    public String toString() {
        return out.toString();
    }

    static String oneLine(String s) {
        return s.replaceAll("[\\r\\n\\t]+", " ");
    }

    /** A double-quoted YAML scalar. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\x%02x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
