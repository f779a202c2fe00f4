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

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-icmp "network namespaces, iptables and tcpdump need root" ip iptables tcpdump capinfos timeout "$PY"

in_ns() { ip netns exec "$NS" "$@"; }

record_netns "$NS"
in_ns ip -6 addr add fd00:44::10/128 dev lo nodad
in_ns ip -6 addr add fd00:44::21/128 dev lo nodad
# A firewall's answer: TCP to the Front End's 5061 from one client refused with ICMP
# "communication administratively prohibited" (type 3 code 13), as a REJECT rule sends it.
in_ns iptables -A INPUT -p tcp -s 127.0.10.23 -d 127.0.1.10 --dport 5061 -j REJECT --reject-with icmp-admin-prohibited
# Pings from that client to the Front End refused as well ("host administratively prohibited", 3/10):
# the errors about the ICMP flow's own echo requests, beside the port unreachables it carries for UDP 50004.
in_ns iptables -A INPUT -p icmp --icmp-type echo-request -s 127.0.10.21 -d 127.0.1.10 -j REJECT --reject-with icmp-host-prohibited

# The datagrams to UDP 50004 are left out of the file: their port unreachables then quote a flow
# the capture does not hold.
readonly FILTER='not (udp and dst port 50004)'
ns_capture_start "$NS" icmp-errors "$FILTER"

log "UDP to closed ports (port unreachable), IPv4 and IPv6; TCP and pings refused by REJECT rules"
# The Python program says "rule" on its standard output when the REJECT rule for UDP 50006 is to be added.
cat >"$WORK/traffic.py" <<'PYEOF'
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
# 4. client -> Front End, UDP 50006: a port unreachable, then (the rule added by the script meanwhile) a
#    "host administratively prohibited": two kinds of error about one flow.
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.10.22", 0))
s.sendto(b"portmatrix icmp test: nobody listens", ("127.0.1.10", 50006))
time.sleep(0.1)
print("rule", flush=True)
time.sleep(1.0)  # the script adds the REJECT rule for UDP 50006
s.sendto(b"portmatrix icmp test: filtered", ("127.0.1.10", 50006))
time.sleep(0.1)
s.close()
# 5. IPv6 with a destination options header (PadN), fd00:44::21 -> fd00:44::10, UDP 50008: the port
#    unreachable quotes the extension header before UDP.
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("fd00:44::21", 0))
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, bytes([0, 0, 1, 4, 0, 0, 0, 0]))
s.sendto(b"portmatrix icmp test: destination options", ("fd00:44::10", 50008))
time.sleep(0.1)
s.close()
# 6. client -> Front End, pings (the ICMP flow between them), each refused with 3/10 by the filter.
p = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
p.bind(("127.0.10.21", 0))
for seq in range(2):
    echo = bytearray([8, 0, 0, 0, 0x12, 0x34, 0, seq]) + b"portmatrix"
    c = sum((echo[i] << 8) + echo[i + 1] for i in range(0, len(echo), 2))
    c = (c & 0xffff) + (c >> 16)
    c = ~(c + (c >> 16)) & 0xffff
    echo[2], echo[3] = c >> 8, c & 0xff
    p.sendto(bytes(echo), ("127.0.1.10", 0))
    time.sleep(0.05)
p.close()
# 7. client -> Front End, TCP 5061, refused by the filter (each SYN answered with type 3 code 13).
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.bind(("127.0.10.23", 0))
t.settimeout(3)
try:
    t.connect(("127.0.1.10", 5061))
except OSError:
    pass
t.close()
PYEOF
in_ns timeout 20 "$PY" "$WORK/traffic.py" | while read -r line; do
  if [[ "$line" == rule ]]; then
    in_ns iptables -A INPUT -p udp -d 127.0.1.10 --dport 50006 -j REJECT --reject-with icmp-host-prohibited
  fi
done
ns_capture_stop icmp-errors
mkdir -p "$OUTPUT"
cp "$WORK/icmp-errors.pcap" "$OUTPUT/icmp-errors.pcap"
capinfos -c "$OUTPUT/icmp-errors.pcap" | sed -n 2p >&2
