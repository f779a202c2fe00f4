#!/usr/bin/env bash
# Records captures/inspect/ms-turn-pseudo-tls.pcap: a client's MS-TURN session with the Edge
# Server's internal interface on TCP 443 ([MS-TURN] 2.1.1: the A/V Edge's TURN over TCP), which
# opens with MS-TURN's pseudo-TLS exchange (a ClientHello; a ServerHello and a ServerHelloDone in
# one record, no certificate) and then carries an Allocate request and its 401 error response in
# MS-TURN's TCP framing (ms-turn-pseudo-tls.py plays both ends; no MS-TURN server is packaged for
# Debian). Addresses are those of lookalikes-topology.yaml, on the loopback of a network namespace
# of its own (port 443 is free there):
#
#   T1  client 127.5.10.24 -> edge-internal 127.5.3.10:443, MS-TURN over pseudo-TLS
#   T2  client 127.5.10.25 -> edge-internal 127.5.3.10:443, real TLS 1.2 whose server flight is also
#       a ServerHello and a ServerHelloDone only: a pre-shared key, no certificate (openssl s_server
#       -psk -nocert); its client goes on with a ClientKeyExchange record, and a line of data
#
#   sudo captures/inspect/record-ms-turn-pseudo-tls.sh [OUTPUT_DIR]      (default: captures/inspect)
#
# Needs root (a network namespace, tcpdump). Nothing resolves a name and nothing leaves the namespace.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUT=${1:-$HERE}
readonly NS=lc-msturn
readonly EDGE_INTERNAL=127.5.3.10
readonly CLIENT=127.5.10.24
readonly PSK_CLIENT=127.5.10.25
readonly PY=/usr/bin/python3

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-ms-turn-pseudo-tls "a network namespace needs root" tcpdump ip ss timeout openssl "$PY"
RECORD_NAMESPACES=("$NS")
record_netns "$NS"

ns_capture_start "$NS" ms-turn-pseudo-tls "tcp port 443"
log "T1 MS-TURN over pseudo-TLS: client -> Edge internal 443"
ip netns exec "$NS" timeout 15 "$PY" "$HERE/ms-turn-pseudo-tls.py" serve "$EDGE_INTERNAL" 443 >"$WORK/t1.server.log" 2>&1 &
server_pid=$!
ns_wait_tcp_listening "$NS" "$EDGE_INTERNAL" 443
ip netns exec "$NS" timeout 10 "$PY" "$HERE/ms-turn-pseudo-tls.py" connect "$EDGE_INTERNAL" 443 "$CLIENT" >"$WORK/t1.client.log" 2>&1 ||
  die "T1: the client failed"
wait_job "$server_pid" "T1's server"
file_has "$WORK/t1.client.log" 'Allocate answered with type 0x0113' || die "T1: no Allocate error response"

log "T2 TLS 1.2 with a pre-shared key, no certificate: client -> Edge internal 443"
{ sleep 3; } | ip netns exec "$NS" timeout 10 openssl s_server -accept "$EDGE_INTERNAL:443" -naccept 1 -nocert -tls1_2 \
  -psk 5e1ec7ab1e -cipher PSK-AES128-CBC-SHA >"$WORK/t2.server.log" 2>&1 &
server_pid=$!
ns_wait_tcp_listening "$NS" "$EDGE_INTERNAL" 443
{ echo "over a pre-shared key"; sleep 1; } | ip netns exec "$NS" timeout 10 openssl s_client -connect "$EDGE_INTERNAL:443" \
  -bind "$PSK_CLIENT:0" -tls1_2 -psk 5e1ec7ab1e -cipher PSK-AES128-CBC-SHA -nocommands >"$WORK/t2.client.log" 2>&1 || true
wait "$server_pid" 2>/dev/null || true
file_has "$WORK/t2.server.log" 'over a pre-shared key' || die "T2: the PSK session did not carry the line"
ns_capture_stop ms-turn-pseudo-tls

packets=$(tcpdump -r "$WORK/ms-turn-pseudo-tls.pcap" -n 2>/dev/null | wc -l)
((packets >= 16 && packets <= 60)) || die "ms-turn-pseudo-tls.pcap: $packets packets"
mkdir -p "$OUT"
install -m 0644 "$WORK/ms-turn-pseudo-tls.pcap" "$OUT/.ms-turn-pseudo-tls.pcap.tmp"
mv -f "$OUT/.ms-turn-pseudo-tls.pcap.tmp" "$OUT/ms-turn-pseudo-tls.pcap"
log "ms-turn-pseudo-tls.pcap: $packets packets, $(stat -c %s "$OUT/ms-turn-pseudo-tls.pcap") bytes"
