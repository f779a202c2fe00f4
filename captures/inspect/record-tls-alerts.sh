#!/usr/bin/env bash
# Records captures/inspect/tls-refused.pcap and captures/inspect/tls-alerts.pcap: TLS handshakes
# ended by alerts, from OpenSSL's s_server and s_client, on the sample topology's addresses
# (captures/sample-topology.yaml: 127.0.3.10 edge-internal -> 127.0.1.10 front-end).
#
#   sudo captures/inspect/record-tls-alerts.sh [OUTPUT_DIR]      (default: captures/inspect)
#
# tls-refused.pcap: an MTLS handshake on 5061 whose client certificate the server refuses (issued
#   by a CA the server does not trust): s_server ends it with a fatal unknown_ca alert.
# tls-alerts.pcap, three flows:
#   5061  an SNI the server does not know: a warning unrecognized_name, then a fatal handshake_failure
#         (the server requires a client certificate, the client has none);
#   5062  a TLS 1.1 client sending the fallback SCSV to a TLS 1.3 server: inappropriate_fallback;
#   5070  the end of a TLS 1.2 ChaCha20-Poly1305 session caught mid-stream (the capture cut to its
#         encrypted close_notify alerts and FINs, tshark), chosen among many sessions as one whose
#         encrypted alert begins with the byte 0x02, the level of a fatal alert in the clear.
# Runs on the loopback of a network namespace that this script creates and deletes; the test CAs
# and certificates are made anew on every run in a temporary directory. No name is resolved.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUTPUT=${1:-$HERE}
readonly NS=pmtlsa$$
readonly SESSIONS_MAX=4000

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-tls-alerts "network namespaces and tcpdump need root" ip tcpdump openssl tshark mergecap capinfos timeout

# Two CAs: the server trusts "Contoso Test Root CA"; the refused client certificate comes from another.
ca() { # NAME SUBJECT
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 30 \
    -subj "$2" -keyout "$WORK/$1.key" -out "$WORK/$1.pem" >>"$WORK/pki.log" 2>&1
}
leaf() { # NAME CN CA
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -subj "/O=Contoso Test/CN=$2" \
    -keyout "$WORK/$1.key" -out "$WORK/$1.csr" >>"$WORK/pki.log" 2>&1
  printf 'subjectAltName=DNS:%s\n' "$2" >"$WORK/$1.ext"
  openssl x509 -req -in "$WORK/$1.csr" -CA "$WORK/$3.pem" -CAkey "$WORK/$3.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days 30 -sha256 -extfile "$WORK/$1.ext" -out "$WORK/$1.pem" >>"$WORK/pki.log" 2>&1
}
ca ca "/O=Contoso Test/CN=Contoso Test Root CA"
ca other "/O=Somewhere Else/CN=Untrusted Test CA"
leaf server pool01.contoso.test ca
leaf server2 other.contoso.test ca
leaf edge edge01.contoso.test other

record_netns "$NS"
in_ns() { ip netns exec "$NS" "$@"; }


# handshake NAME PORT "SERVER OPTIONS" "CLIENT OPTIONS": one s_server connection and one s_client from the Edge.
# s_server takes EOF on its stdin for "quit": a FIFO kept open until the handshake is over.
handshake() {
  local name=$1 port=$2 server_options=$3 client_options=$4 server server_stdin
  mkfifo "$WORK/$name.in"
  # shellcheck disable=SC2086 # the options are words
  ip netns exec "$NS" timeout 20 openssl s_server -accept "127.0.1.10:$port" -naccept 1 $server_options -cert "$WORK/server.pem" \
    -key "$WORK/server.key" <"$WORK/$name.in" >"$WORK/$name.server.log" 2>&1 &
  server=$!
  exec {server_stdin}>"$WORK/$name.in"
  ns_wait_tcp_listening "$NS" 127.0.1.10 "$port"
  # shellcheck disable=SC2086
  in_ns timeout 10 openssl s_client -bind 127.0.3.10:0 -connect "127.0.1.10:$port" $client_options \
    </dev/null >"$WORK/$name.client.log" 2>&1 || true
  sleep 0.3
  exec {server_stdin}>&-
  wait "$server" || true
}

log "tls-refused: edge01 (certificate from an untrusted CA) -> the Front End's 5061, TLS 1.2, client certificate required"
ns_capture_start "$NS" tls-refused 'tcp port 5061'
handshake refused 5061 "-tls1_2 -Verify 1 -verify_return_error -CAfile $WORK/ca.pem" \
  "-tls1_2 -servername pool01.contoso.test -CAfile $WORK/ca.pem -cert $WORK/edge.pem -key $WORK/edge.key"
ns_capture_stop tls-refused
grep -q 'unable to get local issuer certificate' "$WORK/refused.server.log" || die "the server did not refuse the client's certificate"

log "tls-alerts: an unknown SNI (warning, then fatal), a TLS 1.1 fallback"
ns_capture_start "$NS" handshakes 'tcp port 5061 or tcp port 5062'
handshake sni 5061 "-tls1_2 -Verify 1 -verify_return_error -CAfile $WORK/ca.pem -servername pool01.contoso.test \
  -cert2 $WORK/server2.pem -key2 $WORK/server2.key" "-tls1_2 -servername nomatch.contoso.test -CAfile $WORK/ca.pem"
handshake fallback 5062 "" "-tls1_1 -fallback_scsv -cipher DEFAULT@SECLEVEL=0 -CAfile $WORK/ca.pem"
ns_capture_stop handshakes

log "tls-alerts: TLS 1.2 ChaCha20 sessions until one's encrypted alert begins with 0x02 (at most $SESSIONS_MAX)"
ns_capture_start "$NS" sessions 'tcp port 5070'
ip netns exec "$NS" timeout 900 openssl s_server -accept 127.0.1.10:5070 -tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305 \
  -cert "$WORK/server.pem" -key "$WORK/server.key" -quiet </dev/null >"$WORK/sessions.server.log" 2>&1 &
sessions_server=$!
ns_wait_tcp_listening "$NS" 127.0.1.10 5070
stream=""
for ((i = 1; i <= SESSIONS_MAX; i++)); do
  echo hello | in_ns timeout 5 openssl s_client -quiet -bind 127.0.3.10:0 -connect 127.0.1.10:5070 -tls1_2 \
    -CAfile "$WORK/ca.pem" >/dev/null 2>&1 || true
  if ((i % 100 == 0)); then
    stream=$(tshark -n -r "$WORK/sessions.pcap" -Y 'tls.record.content_type == 21 && tcp.payload[5:1] == 02' \
      -T fields -e tcp.stream 2>/dev/null | head -n 1)
    [[ -n "$stream" ]] && break
  fi
done
kill -TERM "$sessions_server" 2>/dev/null || true
ns_capture_stop sessions
[[ -n "$stream" ]] || die "no session's encrypted alert began with 0x02 in $SESSIONS_MAX sessions"
tshark -n -r "$WORK/sessions.pcap" -Y "tcp.stream == $stream && (tls.record.content_type == 21 || tcp.flags.fin == 1)" \
  -w "$WORK/midstream.pcap" 2>/dev/null

mkdir -p "$OUTPUT"
cp "$WORK/tls-refused.pcap" "$OUTPUT/tls-refused.pcap"
mergecap -a -w "$OUTPUT/tls-alerts.pcap" "$WORK/handshakes.pcap" "$WORK/midstream.pcap"
capinfos -c "$OUTPUT/tls-refused.pcap" "$OUTPUT/tls-alerts.pcap" | grep -i 'packets' >&2
