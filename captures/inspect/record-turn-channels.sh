#!/usr/bin/env bash
# Records captures/inspect/turn-channels.pcap: RTP relayed through coturn on the Edge's 3478 in TURN ChannelData
# messages (RFC 5766), on the sample topology's addresses (captures/sample-topology.yaml: 127.0.3.10 edge-internal,
# 127.0.10.0/24 clients).
#
#   sudo captures/inspect/record-turn-channels.sh [OUTPUT_DIR]      (default: captures/inspect)
#
#   127.0.10.24:50060 -> 127.0.3.10:3478    an Allocate and a ChannelBind of channel 0x6f28 (turn-channel.py), then
#                                           ten RTP packets in ChannelData on it, each echoed back by turnutils_peer
#                                           on 127.0.10.50:3480 and relayed back on the channel
#   127.0.10.25:50062 -> 127.0.3.10:3478    the same on channel 0x4001 (RFC 8656's range, 0x4000-0x4FFF)
# Channels 0x5000-0x7FFF are RFC 5766's (coturn binds them; its turnutils_uclient picks any of 0x4000-0x7FFF):
# their ChannelData's first byte is 0x50-0x7f, past RFC 7983's 64-79.
# Runs on the loopback of a network namespace that this script creates and deletes. No name is resolved.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUTPUT=${1:-$HERE}
readonly NS=pmturnc$$

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-turn-channels "network namespaces and tcpdump need root" ip tcpdump turnserver turnutils_peer python3 \
  capinfos timeout

record_netns "$NS"
in_ns() { ip netns exec "$NS" "$@"; }
ns_udp_bound() { ip netns exec "$NS" sh -c "ss -Hlun | awk -v want='$1:$2' '\$4 == want { found = 1 } END { exit !found }'"; }

ns_capture_start "$NS" channels 'udp'

log "coturn on the Edge's 3478 (no credentials asked), relaying from 50000-50100; turnutils_peer echoing on 127.0.10.50:3480"
in_ns timeout 20 turnserver -n --listening-ip=127.0.3.10 --listening-port=3478 --relay-ip=127.0.3.10 --min-port=50000 \
  --max-port=50100 --no-auth --realm=contoso.test --no-tls --no-dtls --no-cli --allow-loopback-peers --no-multicast-peers \
  --no-stdout-log --simple-log --log-file="$WORK/turnserver.log" --pidfile="$WORK/turnserver.pid" \
  >"$WORK/turnserver.stdout.log" 2>&1 &
turn=$!
in_ns timeout 20 turnutils_peer -L 127.0.10.50 -p 3480 >"$WORK/peer.log" 2>&1 &
peer=$!
poll 5 ns_udp_bound 127.0.3.10 3478 || die "coturn does not listen on 127.0.3.10:3478"
poll 5 ns_udp_bound 127.0.10.50 3480 || die "turnutils_peer does not listen on 127.0.10.50:3480"

log "RTP in ChannelData on channel 0x6f28, then on 0x4001"
in_ns timeout 10 python3 "$HERE/turn-channel.py" 127.0.10.24 50060 127.0.3.10 3478 127.0.10.50 3480 0x6f28 10
in_ns timeout 10 python3 "$HERE/turn-channel.py" 127.0.10.25 50062 127.0.3.10 3478 127.0.10.50 3480 0x4001 10
kill -TERM "$turn" "$peer" 2>/dev/null || true
wait "$turn" "$peer" 2>/dev/null || true
ns_capture_stop channels

mkdir -p "$OUTPUT"
cp "$WORK/channels.pcap" "$OUTPUT/turn-channels.pcap"
capinfos -c "$OUTPUT/turn-channels.pcap" | grep -i 'packets' >&2
# The same capture begun in the middle of the first call: its first 7 packets (Allocate, ChannelBind, their answers, the
# first ChannelData and its relaying) left out, as a capture started during the call lacks them.
editcap -r "$OUTPUT/turn-channels.pcap" "$OUTPUT/turn-midsession.pcap" 8-88
capinfos -c "$OUTPUT/turn-midsession.pcap" | grep -i 'packets' >&2
