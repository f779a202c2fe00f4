#!/usr/bin/env bash
# Records the captures of captures/decode/ from real programs: the Linux kernel's TCP/IP stack,
# VXLAN and IP fragmentation driven by traffic.py (Python sockets), captured by tcpdump and
# dumpcap, and rewritten by tcprewrite/tshark/mergecap for the VLAN variants. See README.md.
#
#   sudo captures/decode/record-decode.sh [OUTPUT_DIR]      (default: captures/decode)
#   sudo ONLY=veth captures/decode/record-decode.sh         (just veth-fragments-vxlan.pcap; the parts:
#                                                           loopback midstream veth vlan carriers, vlan
#                                                           needing loopback)
#
# Everything runs inside network namespaces that this script creates and deletes: loopback
# traffic in its own namespace (no other program's packets can end up in the files), and a veth
# pair with an MTU of 1280 and a VXLAN tunnel between two more. Addresses: 127.0.44.0/24 and ::1
# on that loopback; 192.0.2.0/24 and fd00:44::/64 (documentation and ULA ranges) on the veth;
# 198.51.100.0/24 inside the tunnel; 203.0.113.0/24 inside the VXLAN-GBP tunnel of the
# carriers part. Nothing leaves the namespaces; no name is resolved.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUTPUT=${1:-$HERE}
readonly PY=/usr/bin/python3
readonly NS_LO=pmdec$$lo NS_A=pmdec$$a NS_B=pmdec$$b NS_C=pmdec$$c NS_D=pmdec$$d

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-decode "network namespaces and tcpdump need root" ip tcpdump dumpcap tshark tcprewrite mergecap capinfos timeout "$PY"
RECORD_NAMESPACES=("$NS_LO" "$NS_A" "$NS_B" "$NS_C" "$NS_D")

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# Starts a capture in the background and waits until it listens. Args: NAME NS PROGRAM ARGS...
CAPTURE_PIDS=()
start_capture() {
  local name=$1 ns=$2; shift 2
  : >"$WORK/$name.log"
  # Started directly (not through a shell function) so that $! is the capture's own process.
  ip netns exec "$ns" timeout 60 "$@" >"$WORK/$name.log" 2>&1 &
  CAPTURE_PIDS+=("$!")
  local i
  for i in $(seq 1 100); do
    grep -qE 'listening on|Capturing on' "$WORK/$name.log" && return 0
    sleep 0.05
  done
  die "$name did not start"
}

stop_captures() {
  sleep 0.5
  local pid
  # SIGTERM: timeout passes it on, and tcpdump and dumpcap end by writing out what they hold.
  for pid in "${CAPTURE_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${CAPTURE_PIDS[@]}"; do
    wait "$pid" || true
  done
  CAPTURE_PIDS=()
  if grep -h 'dropped by kernel' "$WORK"/*.log | grep -qv '^0 packets'; then
    die "a capture dropped packets: $(grep -h 'dropped by kernel' "$WORK"/*.log | tr '\n' ' ')"
  fi
}

count() { capinfos -c -M "$1" | awk '/Number of packets/ {print $NF}'; }

readonly PARTS=${ONLY:-loopback midstream veth vlan carriers}
wanted() { [[ " $PARTS " == *" $1 "* ]]; }
for part in $PARTS; do
  case $part in loopback | midstream | veth | vlan | carriers) ;; *) die "ONLY: no such part: $part" ;; esac
done
if wanted vlan && ! wanted loopback; then die "ONLY: vlan is made from loopback's lo.pcap"; fi

# 1. Loopback, four ways at once: Ethernet (tcpdump -i lo), Linux cooked v2 (tcpdump -i any,
#    tcpdump's default there) and v1 (-y LINUX_SLL), and one pcapng from dumpcap with two
#    interfaces of different link types and snap lengths (lo: UDP only, 200 bytes; any: TCP only).
ip netns add "$NS_LO"
in_ns "$NS_LO" ip link set lo up
if wanted loopback; then
log "loopback"
start_capture lo "$NS_LO" tcpdump -i lo -s 0 -U --immediate-mode -B 8192 -w "$WORK/lo.pcap"
start_capture any "$NS_LO" tcpdump -i any -s 0 -U --immediate-mode -B 8192 -w "$WORK/any-sll2.pcap"
start_capture sll "$NS_LO" tcpdump -i any -y LINUX_SLL -s 0 -U --immediate-mode -B 8192 -w "$WORK/any-sll.pcap"
start_capture dumpcap "$NS_LO" dumpcap -i lo -f udp -s 200 -i any -f tcp -s 0 -w "$WORK/two-interfaces.pcapng"
in_ns "$NS_LO" timeout 30 "$PY" "$HERE/traffic.py" loopback
stop_captures
fi

# 2. A TCP connection opened before the capture started: the capture sees it mid-stream.
if wanted midstream; then
log "midstream"
mkfifo "$WORK/midstream.fifo"
MIDSTREAM_FIFO=$WORK/midstream.fifo in_ns "$NS_LO" timeout 30 "$PY" "$HERE/traffic.py" midstream-open
start_capture mid "$NS_LO" tcpdump -i lo -s 0 -U --immediate-mode -B 8192 -w "$WORK/midstream.pcap"
MIDSTREAM_FIFO=$WORK/midstream.fifo in_ns "$NS_LO" timeout 10 "$PY" "$HERE/traffic.py" midstream-rest
for _ in $(seq 1 50); do
  [[ -z "$(ip netns pids "$NS_LO")" ]] || { sleep 0.1; continue; }
  break
done
stop_captures
fi

# 3. Two namespaces joined by a veth pair (MTU 1280) with a VXLAN tunnel (VNI 42, UDP 4789)
#    over it: IPv4 and IPv6 UDP datagrams of 3072 bytes go as fragments; TCP and UDP go through
#    the tunnel. Captured on the veth, as a mirror port of that link would see it.
if wanted veth; then
log "veth, fragments and VXLAN"
ip netns add "$NS_A"
ip netns add "$NS_B"
ip -n "$NS_A" link add vpa type veth peer name vpb netns "$NS_B"
for side in A B; do
  if [[ $side == A ]]; then ns=$NS_A dev=vpa me=1 peer=2; else ns=$NS_B dev=vpb me=2 peer=1; fi
  in_ns "$ns" ip link set lo up
  in_ns "$ns" ip link set "$dev" mtu 1280 up
  in_ns "$ns" ip addr add "192.0.2.$me/24" dev "$dev"
  in_ns "$ns" ip -6 addr add "fd00:44::$me/64" dev "$dev" nodad
  in_ns "$ns" ip link add vx42 type vxlan id 42 dstport 4789 local "192.0.2.$me" remote "192.0.2.$peer" dev "$dev"
  in_ns "$ns" ip addr add "198.51.100.$me/24" dev vx42
  in_ns "$ns" ip link set vx42 up
done
ip netns exec "$NS_B" timeout 30 "$PY" "$HERE/traffic.py" serve >"$WORK/serve.log" 2>&1 &
SERVE=$!
for _ in $(seq 1 100); do
  in_ns "$NS_B" ss -lnt | grep -q '198.51.100.2:5061' && break
  sleep 0.05
done
start_capture veth "$NS_A" tcpdump -i vpa -s 0 -U --immediate-mode -B 8192 -w "$WORK/veth-fragments-vxlan.pcap"
in_ns "$NS_A" timeout 30 "$PY" "$HERE/traffic.py" tunnel 192.0.2.2 fd00:44::2
wait "$SERVE" || die "the tunnel servers failed"
stop_captures
fi

# 4. VLAN variants of the Ethernet loopback capture, rewritten by tcprewrite: every frame tagged
#    with VLAN 44, and only the server's replies tagged (a mirror port that tags one direction).
if wanted vlan; then
log "VLAN variants"
tcprewrite --enet-vlan=add --enet-vlan-tag=44 --enet-vlan-pri=0 --enet-vlan-cfi=0 \
  -i "$WORK/lo.pcap" -o "$WORK/vlan-both.pcap"
readonly SERVER_SIDE='ip.src == 127.0.44.1 || (ipv6.src == ::1 && (tcp.srcport == 8443 || udp.srcport == 5354))'
tshark -n -r "$WORK/lo.pcap" -Y "$SERVER_SIDE" -F pcap -w "$WORK/replies.pcap" 2>/dev/null
tshark -n -r "$WORK/lo.pcap" -Y "!($SERVER_SIDE)" -F pcap -w "$WORK/requests.pcap" 2>/dev/null
tcprewrite --enet-vlan=add --enet-vlan-tag=44 --enet-vlan-pri=0 --enet-vlan-cfi=0 \
  -i "$WORK/replies.pcap" -o "$WORK/replies-vlan.pcap"
mergecap -F pcap -w "$WORK/vlan-replies-only.pcap" "$WORK/requests.pcap" "$WORK/replies-vlan.pcap"
fi

# 5. A tunnel whose carrier goes in fragments: VXLAN with the Group Policy extension (Linux's gbp:
#    the packet mark is sent as the group, with the G flag, flags 0x88) between two namespaces on a
#    veth of MTU 1280, the tunnel's MTU 1476 (no lower device named, which would cap it) and the outer DF unset, so that the kernel fragments the
#    outer packet of every large inner one. Captured on the veth. (GRE and IP-in-IP carriers in
#    fragments are made by craft-carriers.py: this machine's kernel had neither module.)
if wanted carriers; then
log "VXLAN-GBP carriers in fragments"
ip netns add "$NS_C"
ip netns add "$NS_D"
ip -n "$NS_C" link add vpc type veth peer name vpd netns "$NS_D"
for side in C D; do
  if [[ $side == C ]]; then ns=$NS_C dev=vpc me=1 peer=2; else ns=$NS_D dev=vpd me=2 peer=1; fi
  in_ns "$ns" ip link set lo up
  in_ns "$ns" ip link set "$dev" mtu 1280 up
  in_ns "$ns" ip addr add "192.0.2.$me/24" dev "$dev"
  in_ns "$ns" ip link add vxg43 type vxlan id 43 dstport 4789 local "192.0.2.$me" remote "192.0.2.$peer" gbp df unset
  in_ns "$ns" ip link set vxg43 mtu 1476 up
  in_ns "$ns" ip addr add "203.0.113.$me/24" dev vxg43
done
ip netns exec "$NS_D" timeout 30 "$PY" "$HERE/traffic.py" serve-carriers >"$WORK/serve-carriers.log" 2>&1 &
SERVE=$!
for _ in $(seq 1 100); do
  in_ns "$NS_D" ss -lnt | grep -q '203.0.113.2:5061' && break
  sleep 0.05
done
start_capture carriers "$NS_C" tcpdump -i vpc -s 0 -U --immediate-mode -B 8192 -w "$WORK/veth-vxlan-gbp-fragments.pcap"
in_ns "$NS_C" timeout 30 "$PY" "$HERE/traffic.py" carriers
wait "$SERVE" || die "the carriers' servers failed"
stop_captures
fi

# Checks: every file was written, has packets, and holds no more than a few hundred.
FILES=()
wanted loopback && FILES+=(lo.pcap any-sll2.pcap any-sll.pcap two-interfaces.pcapng)
wanted midstream && FILES+=(midstream.pcap)
wanted veth && FILES+=(veth-fragments-vxlan.pcap)
wanted vlan && FILES+=(vlan-both.pcap vlan-replies-only.pcap)
wanted carriers && FILES+=(veth-vxlan-gbp-fragments.pcap)
for f in "${FILES[@]}"; do
  n=$(count "$WORK/$f")
  log "$f: $n packets"
  ((n > 5 && n < 500)) || die "$f has $n packets"
done
if wanted vlan; then
  [[ "$(count "$WORK/lo.pcap")" == "$(count "$WORK/vlan-both.pcap")" ]] || die "vlan-both.pcap lost packets"
  [[ "$(count "$WORK/lo.pcap")" == "$(count "$WORK/vlan-replies-only.pcap")" ]] || die "vlan-replies-only.pcap lost packets"
fi

mkdir -p "$OUTPUT"
for f in "${FILES[@]}"; do
  cp "$WORK/$f" "$OUTPUT/.$f.tmp"
  mv -f "$OUTPUT/.$f.tmp" "$OUTPUT/$f"
done
log "wrote ${#FILES[@]} captures to $OUTPUT"
