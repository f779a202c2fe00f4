#!/usr/bin/env bash
# Records captures/inspect/tls-server-lost.pcap: an HTTPS handshake whose server's first segment is lost on the way
# and sent again, as a capture at the client's end shows it: the server's second segment (the middle of its handshake
# record) comes first, then the first one again.
#
#   sudo captures/inspect/record-tls-server-lost.sh [OUTPUT_DIR]      (default: captures/inspect)
#
#   192.0.2.21 (client) -> 198.51.100.10:443 (server)   openssl s_client -tls1_2 to openssl s_server -www (an RSA 4096
#                                                       certificate made anew), through a router namespace whose
#                                                       iptables drops the server's first full-sized segment once
# Three network namespaces that this script creates and deletes: client, router, server, joined by veth pairs of MTU
# 1280 (the server's veth with GSO segments of at most 1200 bytes, so that its first flight goes out in two segments);
# 192.0.2.0/24 and 198.51.100.0/24 are documentation ranges. Captured on the client's veth. No name is resolved.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUTPUT=${1:-$HERE}
readonly NS_C=pmtlslc$$ NS_R=pmtlslr$$ NS_S=pmtlsls$$

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-tls-server-lost "network namespaces, iptables and tcpdump need root" ip iptables tcpdump openssl capinfos \
  timeout

openssl req -x509 -newkey rsa:4096 -nodes -sha256 -days 30 -subj "/O=Contoso Test/CN=pool01.contoso.test" \
  -keyout "$WORK/server.key" -out "$WORK/server.pem" >"$WORK/pki.log" 2>&1

for ns in "$NS_C" "$NS_R" "$NS_S"; do record_netns "$ns"; done
ip -n "$NS_C" link add vc type veth peer name vrc netns "$NS_R"
ip -n "$NS_S" link add vs type veth peer name vrs netns "$NS_R"
ip -n "$NS_C" addr add 192.0.2.21/24 dev vc
ip -n "$NS_R" addr add 192.0.2.1/24 dev vrc
ip -n "$NS_R" addr add 198.51.100.1/24 dev vrs
ip -n "$NS_S" addr add 198.51.100.10/24 dev vs
for link in "$NS_C vc" "$NS_R vrc" "$NS_R vrs" "$NS_S vs"; do
  read -r ns dev <<<"$link"
  ip -n "$ns" link set "$dev" mtu 1280 up
done
ip -n "$NS_S" link set vs gso_max_size 1200
ip -n "$NS_C" route add default via 192.0.2.1
ip -n "$NS_S" route add default via 198.51.100.1
ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1
# The server's first full-sized segment is dropped once (recent: the server is remembered); its retransmission passes.
ip netns exec "$NS_R" iptables -A FORWARD -p tcp --sport 443 -m recent --name lost --rcheck -j ACCEPT
ip netns exec "$NS_R" iptables -A FORWARD -p tcp --sport 443 -m length --length 1000:1500 -m recent --name lost --set -j DROP

ip netns exec "$NS_C" tcpdump -i vc -s 0 -B 32768 -U --immediate-mode -w "$WORK/lost.pcap" 'tcp port 443' \
  2>"$WORK/lost.tcpdump.log" &
CAPTURE_PID=$!
poll 5 file_has "$WORK/lost.tcpdump.log" 'listening on' || die "tcpdump did not start"

log "the client's HTTPS handshake, the server's first segment lost and sent again"
ip netns exec "$NS_S" timeout 15 openssl s_server -accept 198.51.100.10:443 -cert "$WORK/server.pem" -key "$WORK/server.key" \
  -tls1_2 -www -quiet >"$WORK/server.log" 2>&1 &
ns_wait_tcp_listening "$NS_S" 198.51.100.10 443
printf 'GET / HTTP/1.0\r\n\r\n' | ip netns exec "$NS_C" timeout 10 openssl s_client -connect 198.51.100.10:443 -tls1_2 \
  -noservername -ign_eof >"$WORK/client.log" 2>&1 || true
grep -q 'Cipher is ECDHE' "$WORK/client.log" || die "the handshake did not complete"
ip netns exec "$NS_R" iptables -L FORWARD -v -n | grep -q '^ *1 .*DROP' || die "the router did not drop the segment"
ns_capture_stop lost

mkdir -p "$OUTPUT"
cp "$WORK/lost.pcap" "$OUTPUT/tls-server-lost.pcap"
capinfos -c "$OUTPUT/tls-server-lost.pcap" | grep -i 'packets' >&2
