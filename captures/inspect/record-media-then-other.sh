#!/usr/bin/env bash
# Records captures/inspect/media-then-other.pcap: UDP flows on Lync's STUN and media ports that begin
# with STUN or RTP and then carry datagrams of another protocol, on the sample topology's addresses
# (captures/sample-topology.yaml: 127.0.1.10 front-end, 127.0.3.10 edge-internal, 127.0.10.0/24 clients).
#
#   sudo captures/inspect/record-media-then-other.sh [OUTPUT_DIR]      (default: captures/inspect)
#
#   127.0.10.21:50020 -> 127.0.3.10:3478    a STUN Binding Request answered by coturn (turnserver --stun-only),
#                                           then six datagrams of an SSH banner's text (send-after.py)
#   127.0.10.22:50030 -> 127.0.1.10:50010   GStreamer's G.711 RTP (4 packets), then from the same port six
#                                           datagrams of an HTTP request line's text (send-after.py)
#   127.0.10.23:50040 -> 127.0.1.10:50012   GStreamer's G.711 RTP (10 packets), nothing after it (the control)
# Runs on the loopback of a network namespace that this script creates and deletes. No name is resolved.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUTPUT=${1:-$HERE}
readonly NS=pmmedo$$

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-media-then-other "network namespaces and tcpdump need root" ip tcpdump turnserver socat gst-launch-1.0 \
  python3 capinfos timeout

record_netns "$NS"
in_ns() { ip netns exec "$NS" "$@"; }
ns_udp_bound() { ip netns exec "$NS" sh -c "ss -Hlun | awk -v want='$1:$2' '\$4 == want { found = 1 } END { exit !found }'"; }

ns_capture_start "$NS" other 'udp'

log "STUN to the Edge's 3478, then an SSH banner's text on the same 5-tuple"
printf '' >"$WORK/turndb"
in_ns timeout 10 turnserver -n --listening-ip=127.0.3.10 --listening-port=3478 --relay-ip=127.0.3.10 --stun-only --no-tls \
  --no-dtls --no-cli --userdb="$WORK/turndb" --no-stdout-log --simple-log --log-file="$WORK/turnserver.log" \
  --pidfile="$WORK/turnserver.pid" >"$WORK/turnserver.stdout.log" 2>&1 &
turn=$!
poll 5 ns_udp_bound 127.0.3.10 3478 || die "coturn does not listen on 127.0.3.10:3478"
in_ns timeout 5 python3 "$HERE/send-after.py" stun 127.0.10.21 50020 127.0.3.10 3478 'SSH-2.0-OpenSSH_9.2p1 tunnel' 6

# (Within the 8 datagrams a direction's protocol is told by: those after them are counted, not looked at.)
log "RTP to the Front End's 50010, then an HTTP request line's text from the same port; RTP alone to 50012"
in_ns timeout 10 socat -u UDP-RECV:50010,bind=127.0.1.10 OPEN:/dev/null >/dev/null 2>&1 &
in_ns timeout 10 socat -u UDP-RECV:50012,bind=127.0.1.10 OPEN:/dev/null >/dev/null 2>&1 &
poll 5 ns_udp_bound 127.0.1.10 50010 || die "socat does not listen on 127.0.1.10:50010"
poll 5 ns_udp_bound 127.0.1.10 50012 || die "socat does not listen on 127.0.1.10:50012"
for to in 50010:127.0.10.22:50030:4 50012:127.0.10.23:50040:10; do
  IFS=: read -r port from from_port packets <<<"$to"
  in_ns timeout 10 gst-launch-1.0 -q audiotestsrc num-buffers="$packets" samplesperbuffer=160 is-live=true ! \
    audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay pt=0 ! \
    udpsink host=127.0.1.10 port="$port" bind-address="$from" bind-port="$from_port" >"$WORK/gst-$port.log" 2>&1 ||
    die "gst-launch-1.0 failed"
done
in_ns timeout 5 python3 "$HERE/send-after.py" none 127.0.10.22 50030 127.0.1.10 50010 'GET / HTTP/1.1' 6
kill -TERM "$turn" 2>/dev/null || true
wait "$turn" 2>/dev/null || true
ns_capture_stop other

mkdir -p "$OUTPUT"
cp "$WORK/other.pcap" "$OUTPUT/media-then-other.pcap"
capinfos -c "$OUTPUT/media-then-other.pcap" | grep -i 'packets' >&2
