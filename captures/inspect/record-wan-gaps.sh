#!/usr/bin/env bash
# Records captures/inspect/wan-gaps.pcap: TCP connections through a router that loses client segments, captured at the
# server's end, for what record-wan-loss.sh's captures do not show: two segments lost apart in one message, and a
# connection that stays open while other traffic passes.
#
#   sudo captures/inspect/record-wan-gaps.sh [OUTPUT_DIR]      (default: captures/inspect)
#
#   192.0.2.21 (client)    -> 198.51.100.10:443 (front-end)   openssl s_client -tls1_2 to s_server, the connection open
#                                                             3 s after its handshake; the router loses the ClientHello's
#                                                             first segment
#   192.0.2.40 (mediation) -> 198.51.100.10:8080 (front-end)  meanwhile, 120,000 bytes (socat), a port documented from
#                                                             clients, not from a Mediation Server: unexpected_role_pair,
#                                                             every packet of it for --extract
#   192.0.2.21 (client)    -> 198.51.100.10:80 (front-end)    curl GET of four segments to a socat responder; the router
#                                                             loses the first and the third
#
# Three network namespaces that this script creates and deletes: client, router, server, joined by veth pairs of MTU 576
# without segmentation offload; the server's route to the client advertises an MSS of 120 (a ClientHello takes two
# segments, the request four), its route to the Mediation Server the veth's 536. The router drops with iptables: on 443
# the connection's third packet from the client (its first with data), on 80 its third and fifth. Each lost segment is
# sent again by the client's TCP after the segments that followed it (SACK's retransmissions of both on 80). Captured on
# the server's veth. The certificate is RSA 2048, made anew. 192.0.2.0/24 and 198.51.100.0/24 are documentation
# ranges; no name is resolved.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUTPUT=${1:-$HERE}
readonly NS_C=pmgapc$$ NS_R=pmgapr$$ NS_S=pmgaps$$
readonly CLIENT=192.0.2.21 MEDIATION=192.0.2.40 FRONT_END=198.51.100.10

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-wan-gaps "network namespaces, iptables and tcpdump need root" ip iptables tcpdump openssl socat curl \
  capinfos timeout

log "certificate: pool01 (RSA 2048, self-signed)"
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 -subj "/O=Contoso Test/CN=pool01.contoso.test" \
  -keyout "$WORK/pool01.key" -out "$WORK/pool01.pem" >"$WORK/pki.log" 2>&1

wan_namespaces 120 "$CLIENT $MEDIATION" "$FRONT_END"
ip -n "$NS_S" route add "$MEDIATION/32" via 198.51.100.1
drop() { # PORT PACKET: the client's PACKETth packet of each connection to PORT
  in_r iptables -A FORWARD -p tcp --dport "$1" -m connbytes --connbytes "$2:$2" --connbytes-dir original \
    --connbytes-mode packets -j DROP
}
drop 443 3
drop 80 3
drop 80 5

ip netns exec "$NS_S" tcpdump -i vs -s 0 -B 32768 -U --immediate-mode -w "$WORK/gaps.pcap" 'tcp' 2>"$WORK/gaps.tcpdump.log" &
CAPTURE_PID=$!
poll 5 file_has "$WORK/gaps.tcpdump.log" 'listening on' || die "tcpdump did not start"

log "HTTPS: client -> Front End 443, the ClientHello's first segment lost, open 3 s; meanwhile 8080"
# (s_server echoes; its standard input held open, or it ends the connection at once)
sleep 20 | in_s timeout 15 openssl s_server -accept "$FRONT_END:443" -cert "$WORK/pool01.pem" -key "$WORK/pool01.key" \
  -tls1_2 -quiet >"$WORK/s443.log" 2>&1 &
in_s timeout 15 socat -u "TCP-LISTEN:8080,bind=$FRONT_END" OPEN:/dev/null >"$WORK/s8080.log" 2>&1 &
ns_wait_tcp_listening "$NS_S" "$FRONT_END" 443
ns_wait_tcp_listening "$NS_S" "$FRONT_END" 8080
sleep 3 | in_c timeout 10 openssl s_client -connect "$FRONT_END:443" -bind "$CLIENT:0" -tls1_2 -noservername \
  >"$WORK/c443.log" 2>&1 &
client443=$!
poll 5 file_has "$WORK/c443.log" 'Cipher is ECDHE' || die "443: the handshake did not complete"
head -c 120000 /dev/zero | in_c timeout 10 socat -u STDIN "TCP:$FRONT_END:8080,bind=$MEDIATION" || die "8080: socat failed"
wait "$client443" || true

log "HTTP: client -> Front End 80 (curl, socat), the request's first and third segments lost"
printf '#!/bin/sh\nhead -c 2000 >/dev/null &\nprintf "HTTP/1.0 200 OK\\r\\nContent-Length: 3\\r\\n\\r\\nok\\n"\n' \
  >"$WORK/http-responder.sh"
in_s timeout 10 socat -T 5 "TCP-LISTEN:80,bind=$FRONT_END,reuseaddr" SYSTEM:"sh $WORK/http-responder.sh" \
  >"$WORK/http.log" 2>&1 &
ns_wait_tcp_listening "$NS_S" "$FRONT_END" 80
# (a long header: the request takes four segments of 108 bytes)
in_c timeout 10 curl -sS --noproxy '*' --interface "$CLIENT" -H "X-Lync-Test: $(printf '%0300d' 0)" \
  -o "$WORK/http.body" "http://$FRONT_END:80/lyncdiscover" || die "curl failed"
[[ "$(cat "$WORK/http.body")" == ok ]] || die "unexpected HTTP body"

in_r iptables -L FORWARD -v -n >"$WORK/drops.log"
[[ $(awk '$3 == "DROP" && $1 == 1' "$WORK/drops.log" | wc -l) == 3 ]] || die "the router did not lose three segments: $(cat "$WORK/drops.log")"

ns_capture_stop gaps

mkdir -p "$OUTPUT"
cp "$WORK/gaps.pcap" "$OUTPUT/wan-gaps.pcap"
capinfos -c "$OUTPUT/wan-gaps.pcap" | grep -i 'packets' >&2
