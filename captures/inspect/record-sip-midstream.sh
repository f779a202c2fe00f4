#!/usr/bin/env bash
# record-sip-midstream.sh - records sip-midstream.pcap: a SIP connection over TCP as a mirror port
# started in the middle of a message sees it.
#
#   SIPp (-sn uac, -t t1: one TCP connection for every call) from the Mediation Server 127.5.4.10:35060
#   to SIPp (-sn uas) on a Front End 127.5.1.10:5060, three calls, in a network namespace of its own
#   whose loopback has an MTU of 400, so that the INVITE (with its SDP) and the 200 OK take two or more
#   TCP segments each. The capture is kept from the first INVITE's second segment on (editcap): its
#   first payload is the middle of a message, as when the capture starts while a Mediation Server's
#   connection to its pool is open (they last days; INVITEs with ICE candidates run to several KB).
#   Topology: inspect-topology.yaml (its addresses).
#
# Needs root (a network namespace, tcpdump) and the programs scripts/install-test-deps.sh installs
# (sipp, tcpdump, tshark, editcap, iproute2). Every address is on the namespace's own loopback.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
cd "$HERE"
readonly FRONT_END=127.5.1.10 MEDIATION=127.5.4.10
# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-sip-midstream "network namespaces and tcpdump need root" sipp tcpdump tshark editcap ip timeout
NS=pm-sipmid-$$
record_netns "$NS"
in_ns() { ip netns exec "$NS" "$@"; }
in_ns ip link set lo mtu 400 up
in_ns ip link set lo gso_max_segs 1 # (no segmentation offload: tcpdump sees the segments the MTU makes)
in_ns ip addr add "$FRONT_END/32" dev lo
in_ns ip addr add "$MEDIATION/32" dev lo

ip netns exec "$NS" tcpdump -i lo -U -s 0 -w "$WORK/full.pcap" "tcp port 5060" </dev/null >/dev/null 2>"$WORK/tcpdump.log" &
tcpdump_pid=$!
poll 5 file_has "$WORK/tcpdump.log" "listening on" || die "tcpdump did not start"

(cd "$WORK" && exec ip netns exec "$NS" timeout 30 sipp -sn uas -t t1 -i "$FRONT_END" -p 5060 -m 3 -nostdin -timeout 25s \
  >"$WORK/uas.log" 2>&1) &
uas_pid=$!
ns_wait_tcp_listening "$NS" "$FRONT_END" 5060
(cd "$WORK" && exec ip netns exec "$NS" timeout 30 sipp -sn uac -t t1 -i "$MEDIATION" -p 35060 -m 3 -r 2 -nostdin \
  -timeout 25s -timeout_error "$FRONT_END:5060" </dev/null >"$WORK/uac.log" 2>&1) || die "the SIPp calls failed"
wait "$uas_pid" || true # (its last call may count failed: the UAC, whose three calls succeeded, closes the connection first)
sleep 0.5
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true

# The first payload that does not begin a SIP message: the INVITE's second segment.
first=$(tshark -r "$WORK/full.pcap" -Y 'tcp.len > 0' -T fields -e frame.number -e tcp.payload \
  | awk '!found && $2 !~ /^(494e56495445|5349502f322e30|41434b|425945)/ { print $1; found = 1 }')
[[ -n "$first" ]] || die "no segment in the middle of a message: every payload begins one (was the MTU set?)"
editcap -F pcap -r "$WORK/full.pcap" sip-midstream.pcap "$first-1000000" >/dev/null
log "wrote sip-midstream.pcap (from frame $first of $(tshark -r "$WORK/full.pcap" | wc -l))"
