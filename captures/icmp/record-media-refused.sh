#!/usr/bin/env bash
# Records captures/icmp/media-refused.pcap: RTP sent from a client's UDP 3478 to a port of the Edge where
# nothing listens, on the sample topology's addresses (captures/sample-topology.yaml: 127.0.3.10 edge-internal,
# 127.0.10.0/24 clients). Sent from a service port (STUN's 3478) to a port that is none, its first datagram
# reads as an answer, which makes the Edge the initiator; the Edge's ICMP port unreachable for every datagram
# shows it never sent from UDP 50000.
#
#   sudo captures/icmp/record-media-refused.sh [OUTPUT_DIR]      (default: captures/icmp)
#
#   127.0.10.22:3478 -> 127.0.3.10:50000   GStreamer's G.711 RTP (10 packets), one way; nothing listens on
#                                          127.0.3.10:50000, and the kernel answers each with ICMP port unreachable
# Runs on the loopback of a network namespace that this script creates and deletes. No name is resolved.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUTPUT=${1:-$HERE}
readonly NS=pmmedr$$

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-media-refused "network namespaces and tcpdump need root" ip tcpdump gst-launch-1.0 capinfos timeout

record_netns "$NS"
in_ns() { ip netns exec "$NS" "$@"; }

ns_capture_start "$NS" refused 'udp or icmp'

log "RTP from a client's 3478 to the Edge's 50000, where nothing listens"
in_ns timeout 10 gst-launch-1.0 -q audiotestsrc num-buffers=10 samplesperbuffer=160 is-live=true ! \
  audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay pt=0 ! \
  udpsink host=127.0.3.10 port=50000 bind-address=127.0.10.22 bind-port=3478 >"$WORK/gst.log" 2>&1 ||
  die "gst-launch-1.0 failed"
ns_capture_stop refused

mkdir -p "$OUTPUT"
cp "$WORK/refused.pcap" "$OUTPUT/media-refused.pcap"
capinfos -c "$OUTPUT/media-refused.pcap" | grep -i 'packets' >&2
