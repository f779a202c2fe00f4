package org.portmatrix.classify;

import java.util.List;

/**
 * One catalog rule: the responder's roles serve {@code transport}/{@code portMin..portMax} to
 * initiators of {@code srcRoles}, with {@code protocol} on the wire.
 *
 * @param index position in the catalog (rules are tried in this order)
 * @param srcRoles role ids, group names expanded; empty when {@code srcAny}
 * @param srcMask the source roles as a role set
 * @param srcAny any host of the topology may initiate
 * @param transport IP protocol number (6 or 17)
 * @param reading the interpretation chosen where the seed row is ambiguous, else null
 * @param line the line of the rule in its catalog file
 */
public record Rule(int index, String id, List<String> srcRoles, long srcMask, boolean srcAny,
                   List<String> dstRoles, long dstMask, boolean dstAny, int transport, int portMin, int portMax,
                   RuleProtocol protocol, String service, String note, String reading, List<Citation> citations, int line) {

    public boolean servesDestination(long dstRoles) {
        return dstRoles != 0 && (dstAny || (dstMask & dstRoles) != 0);
    }

    public boolean allowsSource(long srcRolesSet) {
        return srcRolesSet != 0 && (srcAny || (srcMask & srcRolesSet) != 0);
    }

    public String portText() {
        return portMin == portMax ? Integer.toString(portMin) : portMin + "-" + portMax;
    }

    public String transportName() {
        return transport == 6 ? "tcp" : "udp";
    }
}
