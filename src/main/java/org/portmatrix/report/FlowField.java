package org.portmatrix.report;

import java.util.List;
import java.util.function.Function;

/**
 * The ordered fields of a {@link FlowRecord}, as every output names them. JSON lines and CSV are
 * written from this one list, so they cannot drift apart: a JSON key is a CSV column, and an object
 * field (such as {@code tls}) becomes one column per key of the object.
 */
public enum FlowField {
    TS_FIRST("ts_first", r -> Timestamps.iso(r.tsFirstNanos())),
    TS_LAST("ts_last", r -> Timestamps.iso(r.tsLastNanos())),
    TRANSPORT("transport", FlowRecord::transport),
    SRC_IP("src_ip", FlowRecord::srcIp),
    SRC_PORT("src_port", r -> r.srcPort() < 0 ? null : r.srcPort()),
    DST_IP("dst_ip", FlowRecord::dstIp),
    DST_PORT("dst_port", r -> r.dstPort() < 0 ? null : r.dstPort()),
    DIRECTION_INFERRED("direction_inferred", FlowRecord::directionInferred),
    SRC_ROLES("src_roles", FlowRecord::srcRoles),
    DST_ROLES("dst_roles", FlowRecord::dstRoles),
    APP_PROTOCOL("app_protocol", FlowRecord::appProtocol),
    VERDICT("verdict", FlowRecord::verdict),
    RULE("rule", FlowRecord::rule),
    REASON("reason", FlowRecord::reason),
    PACKETS_FWD("packets_fwd", FlowRecord::packetsFwd),
    PACKETS_REV("packets_rev", FlowRecord::packetsRev),
    BYTES_FWD("bytes_fwd", FlowRecord::bytesFwd),
    BYTES_REV("bytes_rev", FlowRecord::bytesRev),
    COMMUNITY_ID("community_id", FlowRecord::communityId),
    VLAN("vlan", r -> r.vlan() < 0 ? null : r.vlan()),
    TCP_STATE("tcp_state", FlowRecord::tcpState),
    END("end", FlowRecord::end),
    FLOW_ID("flow_id", FlowRecord::flowId),
    ICMP_ERRORS("icmp_errors", FlowRecord::icmpErrors),
    FILE_FIRST("file_first", FlowRecord::fileFirst),
    FILE_LAST("file_last", FlowRecord::fileLast),
    TLS("tls", r -> r.tls() == null ? null : r.tls().asMap(), List.of("version", "sni", "cipher", "certificate_request",
            "client_certificate", "server_certificates", "client_certificates", "alert"));

    private final String key;
    private final Function<FlowRecord, Object> value;
    private final List<String> parts;

    FlowField(String key, Function<FlowRecord, Object> value) {
        this(key, value, List.of());
    }

    FlowField(String key, Function<FlowRecord, Object> value, List<String> parts) {
        this.key = key;
        this.value = value;
        this.parts = parts;
    }

    /**
     * The keys of a field whose value is an object (a map), in order: CSV gives each its own column
     * ({@code tls.sni}); empty for a plain value.
     */
    public List<String> parts() {
        return parts;
    }

    public String key() {
        return key;
    }

    public Object value(FlowRecord r) {
        return value.apply(r);
    }
}
