#!/usr/bin/env bash
# Records captures/inspect/wan-loss.pcap and wan-mirror.pcap: Lync traffic through a router that loses one of each TCP
# connection's client segments, so that the client's TCP sends it again later, as a capture at the server's end, and a
# mirror port of the router copying both its ingress and its egress, show it.
#
#   sudo captures/inspect/record-wan-loss.sh [OUTPUT_DIR]      (default: captures/inspect)
#
#   192.0.2.21 (client)    -> 198.51.100.10:443 (front-end)   openssl s_client -tls1_2 to s_server -www; the router loses
#                                                             the ClientHello's first segment
#   192.0.2.40 (mediation) -> 198.51.100.10:5061 (front-end)  MTLS: s_server -Verify, s_client with a certificate; the
#                                                             router loses the segment of the client's Certificate that
#                                                             holds its subject (med01.contoso.test)
#   192.0.2.40 (mediation) -> 198.51.100.10:5060 (front-end)  SIPp (-t t1) INVITE, 200, ACK, BYE; the router loses the
#                                                             INVITE's first segment
#   192.0.2.21 (client)    -> 198.51.100.10:80 (front-end)    curl GET to a socat responder; the router loses the
#                                                             request's first segment
#   wan-mirror.pcap only, after those:
#   192.0.2.21 (client)    -> 198.51.100.30:3478 (edge-int.)  coturn STUN Binding (turnutils_stunclient)
#   192.0.2.21:50020       -> 198.51.100.10:50000 (front-end) GStreamer G.711 RTP, 25 packets
#
# Every certificate is RSA 4096 and made anew (a root, an issuing CA, the two leaves; each side sends its leaf and both
# CAs: about 4.5 KB). Three network namespaces that this script creates and deletes: client, router, server, joined by
# veth pairs of MTU 576 without segmentation offload, the server's route advertising an MSS of 120, so that the clients'
# messages (a ClientHello, an INVITE, an HTTP request) take two or more segments and the certificate flights dozens.
# The router drops one client segment per connection (iptables: the connection's third packet, its first with data; on
# 5061 the first segment holding the client certificate's subject). wan-loss.pcap is captured on the server's veth
# (each lost segment missing, its retransmission after the segments that followed it); wan-mirror.pcap on every
# interface of the router (tcpdump -i any: each forwarded packet twice, on the way in and on the way out; a lost one once).
# 192.0.2.0/24 and 198.51.100.0/24 are documentation ranges. No name is resolved.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUTPUT=${1:-$HERE}
readonly NS_C=pmwanc$$ NS_R=pmwanr$$ NS_S=pmwans$$
readonly CLIENT=192.0.2.21 MEDIATION=192.0.2.40 FRONT_END=198.51.100.10 EDGE_INTERNAL=198.51.100.30

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-wan-loss "network namespaces, iptables and tcpdump need root" ip iptables tcpdump openssl sipp socat curl \
  turnserver turnutils_stunclient gst-launch-1.0 capinfos timeout

log "certificates: a root, an issuing CA, pool01 and med01 (RSA 4096)"
pki() { openssl "$@" >>"$WORK/pki.log" 2>&1; }
pki req -x509 -newkey rsa:4096 -nodes -sha256 -days 30 -subj "/O=Contoso Test/CN=Contoso Test Root" \
  -addext basicConstraints=critical,CA:TRUE -keyout "$WORK/root.key" -out "$WORK/root.pem"
pki req -newkey rsa:4096 -nodes -subj "/O=Contoso Test/CN=Contoso Test Issuing" -keyout "$WORK/ca.key" -out "$WORK/ca.csr"
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign,cRLSign\n' >"$WORK/ca.ext"
pki x509 -req -in "$WORK/ca.csr" -CA "$WORK/root.pem" -CAkey "$WORK/root.key" -CAcreateserial -days 30 -sha256 \
  -extfile "$WORK/ca.ext" -out "$WORK/ca.pem"
for name in pool01 med01; do
  pki req -newkey rsa:4096 -nodes -subj "/O=Contoso Test/CN=$name.contoso.test" -keyout "$WORK/$name.key" -out "$WORK/$name.csr"
  printf 'subjectAltName=DNS:%s.contoso.test\nextendedKeyUsage=serverAuth,clientAuth\n' "$name" >"$WORK/$name.ext"
  pki x509 -req -in "$WORK/$name.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial -days 30 -sha256 \
    -extfile "$WORK/$name.ext" -out "$WORK/$name.pem"
done
cat "$WORK/ca.pem" "$WORK/root.pem" >"$WORK/chain.pem"

wan_namespaces 120 "$CLIENT $MEDIATION" "$FRONT_END $EDGE_INTERNAL"
for port in 443 5060 80; do # each connection's third packet from the client: its first with data
  in_r iptables -A FORWARD -p tcp --dport "$port" -m connbytes --connbytes 3:3 --connbytes-dir original --connbytes-mode packets -j DROP
done
in_r iptables -A FORWARD -p tcp --dport 5061 -m recent --name cert --rcheck -j ACCEPT # (once: its retransmission passes)
in_r iptables -A FORWARD -p tcp --dport 5061 -m string --algo bm --string med01.contoso.test -m recent --name cert --set -j DROP

ip netns exec "$NS_S" tcpdump -i vs -s 0 -B 32768 -U --immediate-mode -w "$WORK/loss.pcap" 'tcp' 2>"$WORK/loss.tcpdump.log" &
LOSS_PID=$!
ip netns exec "$NS_R" tcpdump -i any -s 0 -B 32768 -U --immediate-mode -w "$WORK/mirror.pcap" 'tcp or udp' \
  2>"$WORK/mirror.tcpdump.log" &
MIRROR_PID=$!
poll 5 file_has "$WORK/loss.tcpdump.log" 'listening on' || die "tcpdump (server) did not start"
poll 5 file_has "$WORK/mirror.tcpdump.log" 'listening on' || die "tcpdump (router) did not start"

log "HTTPS: client -> Front End 443, the ClientHello's first segment lost"
in_s timeout 15 openssl s_server -accept "$FRONT_END:443" -cert "$WORK/pool01.pem" -key "$WORK/pool01.key" \
  -cert_chain "$WORK/chain.pem" -tls1_2 -www -quiet >"$WORK/s443.log" 2>&1 &
ns_wait_tcp_listening "$NS_S" "$FRONT_END" 443
printf 'GET / HTTP/1.0\r\n\r\n' | in_c timeout 10 openssl s_client -connect "$FRONT_END:443" -bind "$CLIENT:0" -tls1_2 \
  -noservername -ign_eof >"$WORK/c443.log" 2>&1 || true
grep -q 'Cipher is ECDHE' "$WORK/c443.log" || die "443: the handshake did not complete"

log "MTLS: Mediation -> Front End 5061, a segment of the client certificate lost"
in_s timeout 15 openssl s_server -accept "$FRONT_END:5061" -cert "$WORK/pool01.pem" -key "$WORK/pool01.key" \
  -cert_chain "$WORK/chain.pem" -CAfile "$WORK/root.pem" -Verify 3 -tls1_2 -www -quiet >"$WORK/s5061.log" 2>&1 &
ns_wait_tcp_listening "$NS_S" "$FRONT_END" 5061
printf 'GET / HTTP/1.0\r\n\r\n' | in_c timeout 10 openssl s_client -connect "$FRONT_END:5061" -bind "$MEDIATION:0" \
  -cert "$WORK/med01.pem" -key "$WORK/med01.key" -cert_chain "$WORK/chain.pem" -tls1_2 -noservername -ign_eof \
  >"$WORK/c5061.log" 2>&1 || true
grep -q 'Cipher is ECDHE' "$WORK/c5061.log" || die "5061: the handshake did not complete"
grep -q 'HTTP/1.0 200 ok' "$WORK/c5061.log" || die "5061: the server refused the client certificate"

log "SIP: Mediation -> Front End 5060 (SIPp), the INVITE's first segment lost"
(cd "$WORK" && exec ip netns exec "$NS_S" timeout 20 sipp -sn uas -t t1 -i "$FRONT_END" -p 5060 -m 1 -nostdin \
  -timeout 15s >"$WORK/uas.log" 2>&1) &
ns_wait_tcp_listening "$NS_S" "$FRONT_END" 5060
(cd "$WORK" && exec ip netns exec "$NS_C" timeout 20 sipp -sn uac -t t1 -i "$MEDIATION" -p 35060 -m 1 -nostdin \
  -timeout 15s "$FRONT_END:5060" </dev/null >"$WORK/uac.log" 2>&1) || die "the SIPp call failed"

log "HTTP: client -> Front End 80 (curl, socat), the request's first segment lost"
printf '#!/bin/sh\nhead -c 2000 >/dev/null &\nprintf "HTTP/1.0 200 OK\\r\\nContent-Length: 3\\r\\n\\r\\nok\\n"\n' \
  >"$WORK/http-responder.sh"
in_s timeout 10 socat -T 5 "TCP-LISTEN:80,bind=$FRONT_END,reuseaddr" SYSTEM:"sh $WORK/http-responder.sh" \
  >"$WORK/http.log" 2>&1 &
ns_wait_tcp_listening "$NS_S" "$FRONT_END" 80
# (a long header: the request takes three segments of 108 bytes)
in_c timeout 10 curl -sS --noproxy '*' --interface "$CLIENT" -H "X-Lync-Test: $(printf '%0200d' 0)" \
  -o "$WORK/http.body" "http://$FRONT_END:80/lyncdiscover" || die "curl failed"
[[ "$(cat "$WORK/http.body")" == ok ]] || die "unexpected HTTP body"

in_r iptables -L FORWARD -v -n >"$WORK/drops.log"
[[ $(awk '$3 == "DROP" && $1 == 1' "$WORK/drops.log" | wc -l) == 4 ]] || die "the router did not lose one segment per connection: $(cat "$WORK/drops.log")"

# wan-loss.pcap ends here: the media below is through the router (wan-mirror.pcap) only.
sleep 0.5
kill -TERM "$LOSS_PID"
wait "$LOSS_PID" 2>/dev/null || true
grep -q '^0 packets dropped by kernel' "$WORK/loss.tcpdump.log" || die "tcpdump (server) dropped packets"

log "STUN Binding (coturn): client -> Edge 3478/udp"
in_s timeout 20 turnserver -n --listening-ip="$EDGE_INTERNAL" --listening-port=3478 --relay-ip="$EDGE_INTERNAL" \
  --stun-only --no-tls --no-dtls --no-cli --userdb="$WORK/turndb" --no-stdout-log --simple-log \
  --log-file="$WORK/turnserver.log" --pidfile="$WORK/turnserver.pid" >/dev/null 2>&1 &
poll 5 ip netns exec "$NS_S" sh -c "ss -Hlun | awk '\$4 == \"$EDGE_INTERNAL:3478\" { found = 1 } END { exit !found }'" ||
  die "nothing bound to udp $EDGE_INTERNAL:3478"
in_c timeout 10 turnutils_stunclient -L "$CLIENT" -p 3478 "$EDGE_INTERNAL" </dev/null >"$WORK/stun.log" 2>&1 ||
  die "turnutils_stunclient failed"
grep -q "UDP reflexive addr: $CLIENT:" "$WORK/stun.log" || die "no reflexive address"

log "RTP (GStreamer): client 50020 -> Front End 50000/udp"
in_s timeout 10 socat -u "UDP-RECV:50000,bind=$FRONT_END" /dev/null &
poll 5 ip netns exec "$NS_S" sh -c "ss -Hlun | awk '\$4 == \"$FRONT_END:50000\" { found = 1 } END { exit !found }'" ||
  die "nothing bound to udp $FRONT_END:50000"
in_c timeout 10 gst-launch-1.0 -q audiotestsrc num-buffers=25 samplesperbuffer=160 is-live=true ! \
  audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay pt=0 ! \
  udpsink host="$FRONT_END" port=50000 bind-address="$CLIENT" bind-port=50020 >"$WORK/gst.log" 2>&1 || die "gst-launch-1.0 failed"

sleep 0.5
kill -TERM "$MIRROR_PID"
wait "$MIRROR_PID" 2>/dev/null || true
grep -q '^0 packets dropped by kernel' "$WORK/mirror.tcpdump.log" || die "tcpdump (router) dropped packets"

mkdir -p "$OUTPUT"
cp "$WORK/loss.pcap" "$OUTPUT/wan-loss.pcap"
cp "$WORK/mirror.pcap" "$OUTPUT/wan-mirror.pcap"
capinfos -c "$OUTPUT/wan-loss.pcap" "$OUTPUT/wan-mirror.pcap" | grep -i 'packets' >&2
