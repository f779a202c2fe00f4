#!/usr/bin/env bash
# Records captures/icmp/icmp-errors.pcap: ICMP and ICMPv6 errors sent by the Linux kernel in answer
# to real packets, on the sample topology's addresses (captures/sample-topology.yaml), for the
# tests of errors counted on the flow they quote. See README.md beside it.
#
#   sudo captures/icmp/record-icmp.sh [OUTPUT_DIR]      (default: captures/icmp)
#
# Everything runs on the loopback of a network namespace that this script creates and deletes
# (no other program's packets can end up in the file); iptables rules live in that namespace only.
# Addresses: 127.0.0.0/8 and fd00:44::/64 (ULA) on that loopback. No name is resolved.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUTPUT=${1:-$HERE}
readonly PY=/usr/bin/python3
readonly NS=pmicmp$$

log() { printf '[record-icmp] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

((EUID == 0)) || die "network namespaces, iptables and tcpdump need root: sudo $0"
for program in ip iptables tcpdump capinfos timeout "$PY"; do
  command -v "$program" >/dev/null 2>&1 || die "$program is missing; run scripts/install-test-deps.sh"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/record-icmp.XXXXXX")
readonly WORK
cleanup() {
  local status=$? pid
  trap - EXIT INT TERM
  for pid in $(jobs -p); do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

in_ns() { ip netns exec "$NS" "$@"; }

ip netns add "$NS"
in_ns ip link set lo up
in_ns ip -6 addr add fd00:44::10/128 dev lo nodad
in_ns ip -6 addr add fd00:44::21/128 dev lo nodad
# A firewall's answer: TCP to the Front End's 5061 from one client refused with ICMP
# "communication administratively prohibited" (type 3 code 13), as a REJECT rule sends it.
in_ns iptables -A INPUT -p tcp -s 127.0.10.23 -d 127.0.1.10 --dport 5061 -j REJECT --reject-with icmp-admin-prohibited

# The datagrams to UDP 50004 are left out of the file: their port unreachables then quote a flow
# the capture does not hold.
readonly FILTER='not (udp and dst port 50004)'
# (ip netns exec itself, not the in_ns function: the job is then tcpdump's own process, which the kill must reach)
ip netns exec "$NS" tcpdump -i lo -s 0 -U --immediate-mode -w "$WORK/icmp-errors.pcap" "$FILTER" 2>"$WORK/tcpdump.log" &
capture=$!
for _ in $(seq 50); do
  grep -q 'listening on' "$WORK/tcpdump.log" 2>/dev/null && break
  sleep 0.1
done
grep -q 'listening on' "$WORK/tcpdump.log" || die "tcpdump did not start"

log "UDP to closed ports (port unreachable), IPv4 and IPv6; TCP refused by the REJECT rule"
in_ns timeout 20 "$PY" - <<'PYEOF'
import socket, time

def udp(family, src, dst, port, count):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((src, 0))
    for i in range(count):
        s.sendto(b"portmatrix icmp test %d" % i, (dst, port))
        time.sleep(0.05)
    s.close()

# 1. client -> Front End, UDP 50002 (the A/V conferencing media range): nothing listens, 3 datagrams.
udp(socket.AF_INET, "127.0.10.21", "127.0.1.10", 50002, 3)
# 2. client -> Front End, UDP 50004: not captured (the filter), its 2 port unreachables are.
udp(socket.AF_INET, "127.0.10.21", "127.0.1.10", 50004, 2)
# 3. IPv6, outside the topology: fd00:44::21 -> fd00:44::10, UDP 50002, 2 datagrams.
udp(socket.AF_INET6, "fd00:44::21", "fd00:44::10", 50002, 2)
# 4. client -> Front End, TCP 5061, refused by the filter (each SYN answered with type 3 code 13).
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.bind(("127.0.10.23", 0))
t.settimeout(3)
try:
    t.connect(("127.0.1.10", 5061))
except OSError:
    pass
t.close()
PYEOF
sleep 0.5
kill -TERM "$capture"  # (SIGTERM: a script's background jobs ignore SIGINT; tcpdump writes out what it holds)
wait "$capture" 2>/dev/null || true
mkdir -p "$OUTPUT"
cp "$WORK/icmp-errors.pcap" "$OUTPUT/icmp-errors.pcap"
capinfos -c "$OUTPUT/icmp-errors.pcap" | sed -n 2p >&2
