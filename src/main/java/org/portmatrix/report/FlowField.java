package org.portmatrix.report;

import java.util.function.Function;

/**
 * The ordered fields of a {@link FlowRecord}, as every output names them. JSON lines and CSV are
 * written from this one list, so they cannot drift apart.
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
    TLS("tls", r -> r.tls() == null ? null : r.tls().asMap());

    private final String key;
    private final Function<FlowRecord, Object> value;

    FlowField(String key, Function<FlowRecord, Object> value) {
        this.key = key;
        this.value = value;
    }

    public String key() {
        return key;
    }

    public Object value(FlowRecord r) {
        return value.apply(r);
    }
}
