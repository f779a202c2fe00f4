#!/usr/bin/env bash
# Records captures/inspect/start-missed.pcap: two HTTP downloads from the Front End's 80, as a mirror port that
# carries one direction alone (the server's: asymmetric routing, a SPAN of one VLAN's egress) and lost the server's
# first data segment shows them: the SYN-ACK and the answer's later segments, the request and the answer's first
# segment (its status line) not in the capture. On the sample topology's addresses (captures/sample-topology.yaml:
# 127.0.1.10 front-end, 127.0.10.0/24 clients).
#
#   sudo captures/inspect/record-start-missed.sh [OUTPUT_DIR]      (default: captures/inspect)
#
#   127.0.10.41:50071 -> 127.0.1.10:80   the loopback as it comes (MTU 65536): tcpdump sees the answer in segments of
#                                        up to 64 KiB, as a capture on a server with TSO/LSO does
#   127.0.10.42:50072 -> 127.0.1.10:80   MTU 1500 and no segmentation offload (ip link set lo mtu 1500 gso_max_segs 1):
#                                        segments of an Ethernet's size
# Each answer is a 100,000-byte body in one write (http-download.py). tcpdump's filter keeps the server's packets;
# tshark then leaves out each connection's first data segment (its relative sequence number 1), the packets kept
# written as they were captured. Runs on the loopback of a network namespace that this script creates and deletes.
# No name is resolved.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUTPUT=${1:-$HERE}
readonly NS=pmmissed$$

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-start-missed "network namespaces and tcpdump need root" ip tcpdump tshark python3 capinfos timeout

record_netns "$NS"
in_ns() { ip netns exec "$NS" "$@"; }

ns_capture_start "$NS" missed 'src host 127.0.1.10 and tcp src port 80'

log "HTTP download, segmentation offload on"
in_ns timeout 10 python3 "$HERE/http-download.py" 127.0.1.10 80 127.0.10.41 50071 100000
log "HTTP download, segmentation offload off"
in_ns ip link set lo mtu 1500 gso_max_segs 1
in_ns timeout 10 python3 "$HERE/http-download.py" 127.0.1.10 80 127.0.10.42 50072 100000
ns_capture_stop missed

mkdir -p "$OUTPUT"
tshark -r "$WORK/missed.pcap" -Y '!(tcp.seq == 1 && tcp.len > 0)' -w "$OUTPUT/start-missed.pcap"
capinfos -c "$OUTPUT/start-missed.pcap" | grep -i 'packets' >&2
