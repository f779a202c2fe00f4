#!/usr/bin/env bash
# Records captures/inspect/wan-held-done.pcap: a connection whose inspection ends on the server's bytes while the client's
# bytes after a lost segment are held, and a long transfer on another connection meanwhile.
#
#   sudo captures/inspect/record-wan-held-done.sh [OUTPUT_DIR]      (default: captures/inspect)
#
#   192.0.2.21 (client)    -> 198.51.100.10:443 (front-end)   stream-first.py: a ClientHello in two segments, the first
#                                                             lost by the router until the server has streamed 40,000
#                                                             bytes of cleartext lines (a program that writes as soon as
#                                                             it accepts, not the TLS server the port documents); the
#                                                             server's acknowledgments stay below the gap meanwhile
#   192.0.2.40 (mediation) -> 198.51.100.10:8080 (front-end)  while the ClientHello's first segment is still lost,
#                                                             120,000 bytes (socat), a port documented from clients, not
#                                                             from a Mediation Server: unexpected_role_pair, every packet
#                                                             of it for --extract
#
# Then the router lets the ClientHello's first segment through: the client's TCP sends it again (its retransmission
# timer's), the server reads it and closes. Three network namespaces that this script creates and deletes: client,
# router, server, joined by veth pairs of MTU 576 without segmentation offload; the server's route to the client
# advertises an MSS of 300 (the 517-byte ClientHello takes two segments), its route to the Mediation Server the veth's
# 536. The router drops with iptables the client's segments on 443 that begin with a TLS record's header (the first one,
# and each time it is sent again) until the rule is deleted. Captured on the server's veth. 192.0.2.0/24 and
# 198.51.100.0/24 are documentation ranges; no name is resolved.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUTPUT=${1:-$HERE}
readonly NS_C=pmheldc$$ NS_R=pmheldr$$ NS_S=pmhelds$$
readonly CLIENT=192.0.2.21 MEDIATION=192.0.2.40 FRONT_END=198.51.100.10

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-wan-held-done "network namespaces, iptables and tcpdump need root" ip iptables tcpdump python3 socat \
  capinfos timeout

wan_namespaces 300 "$CLIENT $MEDIATION" "$FRONT_END"
ip -n "$NS_S" route add "$MEDIATION/32" via 198.51.100.1
# (IP header 20 bytes, TCP header with timestamps 32: the payload's first bytes at 52)
readonly LOSE=(FORWARD -p tcp --dport 443 -m string --algo bm --from 52 --to 55 --hex-string '|160301|' -j DROP)
in_r iptables -A "${LOSE[@]}"

ip netns exec "$NS_S" tcpdump -i vs -s 0 -B 32768 -U --immediate-mode -w "$WORK/held.pcap" 'tcp' 2>"$WORK/held.tcpdump.log" &
CAPTURE_PID=$!
poll 5 file_has "$WORK/held.tcpdump.log" 'listening on' || die "tcpdump did not start"

log "443: the server streams, the ClientHello's first segment lost"
in_s timeout 20 python3 "$HERE/stream-first.py" server "$FRONT_END" 443 40000 >"$WORK/s443.log" 2>&1 &
server443=$!
in_s timeout 15 socat -u "TCP-LISTEN:8080,bind=$FRONT_END" OPEN:/dev/null >"$WORK/s8080.log" 2>&1 &
ns_wait_tcp_listening "$NS_S" "$FRONT_END" 443
ns_wait_tcp_listening "$NS_S" "$FRONT_END" 8080
in_c timeout 20 python3 "$HERE/stream-first.py" client "$FRONT_END" 443 "$CLIENT" >"$WORK/c443.log" 2>&1 &
client443=$!
poll 5 file_has "$WORK/c443.log" 'received 40000' || die "443: the stream did not arrive"

log "8080: mediation -> Front End, 120,000 bytes, the ClientHello's first segment still lost"
head -c 120000 /dev/zero | in_c timeout 10 socat -u STDIN "TCP:$FRONT_END:8080,bind=$MEDIATION" || die "8080: socat failed"
file_has "$WORK/s443.log" request && die "443: the ClientHello came through before the transfer"

log "443: the router lets the ClientHello's first segment through"
in_r iptables -L FORWARD -v -n >"$WORK/drops.log"
in_r iptables -D "${LOSE[@]}"
[[ $(awk '$3 == "DROP" { print $1 }' "$WORK/drops.log") -ge 1 ]] || die "the router lost nothing: $(cat "$WORK/drops.log")"
wait "$server443" || die "443: the server failed"
wait "$client443" || die "443: the client failed"
file_has "$WORK/s443.log" request || die "443: the server did not get the ClientHello"

ns_capture_stop held

mkdir -p "$OUTPUT"
cp "$WORK/held.pcap" "$OUTPUT/wan-held-done.pcap"
capinfos -c "$OUTPUT/wan-held-done.pcap" | grep -i 'packets' >&2
cat "$WORK/drops.log" >&2
