#!/usr/bin/env bash
# Records captures/inspect/start-seen.pcap: the same exchanges of text that is none of Lync's protocols
# on documented ports, twice each, once with the flow's start as the capture usually has it and once as
# a capture that tells the flow's start otherwise has it, on the sample topology's addresses
# (captures/sample-topology.yaml: 127.0.1.10 front-end, 127.0.3.10 edge-internal, 127.0.4.10 mediation,
# 127.0.10.0/24 clients).
#
#   sudo captures/inspect/record-start-seen.sh [OUTPUT_DIR]      (default: captures/inspect)
#
#   127.0.10.31:50060 -> 127.0.3.10:3478    UDP: the client sends a line of text, the Edge's port answers one
#   127.0.3.10:3478 -> 127.0.10.32:50062    UDP: the same two lines, the Edge's port speaking first (its first
#                                           datagram comes from a service port: the client is inferred the initiator)
#   127.0.4.10:45061 -> 127.0.1.10:5061     TCP: the server greets as an SMTP server does (220 ...), the client
#                                           answers EHLO; captured whole
#   127.0.4.10:45062 -> 127.0.1.10:5061     TCP: the same, its SYN left out by tcpdump's filter, as a capture
#                                           begun between the SYN and the SYN-ACK (or a mirror port that lost the
#                                           SYN) has it: the SYN-ACK and every payload are in the capture
# Both ends of each exchange are speak-first.py. Runs on the loopback of a network namespace that this
# script creates and deletes. No name is resolved.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUTPUT=${1:-$HERE}
readonly NS=pmstart$$

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-start-seen "network namespaces and tcpdump need root" ip tcpdump python3 capinfos timeout

record_netns "$NS"
in_ns() { ip netns exec "$NS" "$@"; }

ns_capture_start "$NS" start \
  'udp port 3478 or (tcp port 5061 and not (tcp src port 45062 and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn))'

log "UDP 3478: the client speaks first, then the Edge's port first"
in_ns timeout 5 python3 "$HERE/speak-first.py" udp 127.0.10.31 50060 127.0.3.10 3478 'STATUS agent=42 ok' 'STATUS ack'
in_ns timeout 5 python3 "$HERE/speak-first.py" udp 127.0.3.10 3478 127.0.10.32 50062 'STATUS agent=42 ok' 'STATUS ack'

log "TCP 5061: an SMTP greeting and EHLO, captured whole, then without the SYN"
in_ns timeout 5 python3 "$HERE/speak-first.py" tcp 127.0.1.10 5061 127.0.4.10 45061 '220 mail.contoso.test ESMTP' \
  'EHLO med01.contoso.test'
in_ns timeout 5 python3 "$HERE/speak-first.py" tcp 127.0.1.10 5061 127.0.4.10 45062 '220 mail.contoso.test ESMTP' \
  'EHLO med01.contoso.test'
ns_capture_stop start

mkdir -p "$OUTPUT"
cp "$WORK/start.pcap" "$OUTPUT/start-seen.pcap"
capinfos -c "$OUTPUT/start-seen.pcap" | grep -i 'packets' >&2
