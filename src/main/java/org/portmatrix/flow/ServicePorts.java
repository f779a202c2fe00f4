package org.portmatrix.flow;

/**
 * Which ports are service ports, per transport: used to infer the responder of a flow whose start
 * was not captured. Filled from the catalog by the caller, so the flow stage depends on nothing
 * downstream.
 */
public final class ServicePorts {
    private final long[] tcp = new long[1024];
    private final long[] udp = new long[1024];

    public ServicePorts add(int protocol, int port) {
        long[] set = protocol == 6 ? tcp : protocol == 17 ? udp : null;
        if (set != null && port >= 0 && port < 65536) {
            set[port >>> 6] |= 1L << port;
        }
        return this;
    }

    public boolean isService(int protocol, int port) {
        long[] set = protocol == 6 ? tcp : protocol == 17 ? udp : null;
        return set != null && (set[port >>> 6] & (1L << port)) != 0;
    }
}
