package org.portmatrix.classify;

import java.util.List;

/**
 * A port this deployment configured differently from the catalog, from the topology file's
 * {@code ports:} section (written by {@code portmatrix topology import} from the Lync topology's
 * {@code Port} elements). The responder's {@code role} serves {@code transport}/{@code portMin..portMax}
 * to the initiator roles of {@code from} (when it is empty, to any host of the topology), and — when {@code insteadOf} is not empty — no longer serves those
 * catalog ports (the administrator moved the service, for example a media range set with
 * {@code Set-CsConferencingServer}).
 *
 * @param roleSet the role as a role set (one bit)
 * @param transport IP protocol number (6 or 17)
 * @param protocol what the topology says is on the wire (mtls, tls, https, http, tcp, udp), or null
 * @param note where the port comes from (service, component, pool), or null
 * @param hosts the hosts of the role it applies to (one pool of several, as {@code topology import} scopes a port that
 *              one pool changed); empty for every host of the role
 * @param from the initiator roles the port is served to (a PSTN gateway's SIP port: the Mediation Servers); empty for
 *             any host of the topology
 * @param fromSet {@code from} as a role set; 0 for any
 * @param line the line of the entry in the topology file
 */
public record PortOverride(String role, long roleSet, int transport, int portMin, int portMax, String protocol,
                           List<PortRange> insteadOf, String note, List<Cidr> hosts, List<String> from, long fromSet, int line) {

    /** An entry served to any initiator (no {@code from}). */
    public PortOverride(String role, long roleSet, int transport, int portMin, int portMax, String protocol,
                        List<PortRange> insteadOf, String note, List<Cidr> hosts, int line) {
        this(role, roleSet, transport, portMin, portMax, protocol, insteadOf, note, hosts, List.of(), 0, line);
    }

    /** An inclusive range of ports. */
    public record PortRange(int min, int max) {
        public boolean contains(int port) {
            return port >= min && port <= max;
        }

        @Override
        public String toString() {
            return min == max ? Integer.toString(min) : min + "-" + max;
        }
    }

    /**
     * What the entry's protocol requires on the wire, as a rule's protocol would; null when it names
     * none, or only the transport (tcp, udp: anything).
     */
    public RuleProtocol checked() {
        RuleProtocol rp = protocol == null ? null : RuleProtocol.parse(protocol.trim().toLowerCase(java.util.Locale.ROOT));
        return rp == RuleProtocol.TCP || rp == RuleProtocol.UDP ? null : rp;
    }

    /** True when the entry applies to the host {@code dstHi:dstLo} (it has no {@link #hosts}, or holds it). */
    public boolean appliesTo(long dstHi, long dstLo) {
        for (int i = 0; i < hosts.size(); i++) {
            if (hosts.get(i).contains(dstHi, dstLo)) {
                return true;
            }
        }
        return hosts.isEmpty();
    }

    public boolean serves(int proto, int port, long dstRoles, long dstHi, long dstLo) {
        return transport == proto && port >= portMin && port <= portMax && (roleSet & dstRoles) != 0 && appliesTo(dstHi, dstLo);
    }

    /** True when the entry serves its port to an initiator of the roles {@code srcRoles} (it has no {@link #from}, or one of them). */
    public boolean servesFrom(long srcRoles) {
        return fromSet == 0 || (fromSet & srcRoles) != 0;
    }

    /** True when this entry moved {@code port} away from the role (on the host {@code dstHi:dstLo}). */
    public boolean moves(int proto, int port, long dstRoles, long dstHi, long dstLo) {
        return appliesTo(dstHi, dstLo) && movesOnSomeHost(proto, port, dstRoles);
    }

    /** Whether the entry moves the catalog's {@code proto}/{@code port} away from a role of {@code dstRoles}, on any of its hosts. */
    public boolean movesOnSomeHost(int proto, int port, long dstRoles) {
        if (transport != proto || (roleSet & dstRoles) == 0) {
            return false;
        }
        for (PortRange r : insteadOf) {
            if (r.contains(port)) {
                return true;
            }
        }
        return false;
    }

    /** "pstn-gateway tcp 5067 tls from mediation, survivable-branch-appliance (PstnGateway on gw01.contoso.com)". */
    public String describe() {
        StringBuilder sb = new StringBuilder(role).append(' ').append(transport == 6 ? "tcp" : "udp").append(' ')
                .append(new PortRange(portMin, portMax));
        if (protocol != null && !protocol.equals(transport == 6 ? "tcp" : "udp")) {
            sb.append(' ').append(protocol);
        }
        if (!hosts.isEmpty()) {
            sb.append(" on ");
            for (int i = 0; i < hosts.size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(hosts.get(i).text());
            }
        }
        if (!from.isEmpty()) {
            sb.append(hosts.isEmpty() ? "" : ",").append(" from ").append(String.join(", ", from));
        }
        if (note != null && !note.isBlank()) {
            sb.append(" (").append(note).append(')');
        }
        return sb.toString();
    }
}
