#!/usr/bin/env bash
# Records captures/inspect/tls-no-request.pcap: a TLS 1.2 handshake on the MTLS port 5061 in which
# the server never asks for a client certificate, from OpenSSL's s_server and s_client, on the
# sample topology's addresses (captures/sample-topology.yaml: 127.0.3.10 edge-internal -> 127.0.1.10
# front-end).
#
#   sudo captures/inspect/record-tls-no-request.sh [OUTPUT_DIR]      (default: captures/inspect)
#
# s_server runs without -verify/-Verify: its first flight has no CertificateRequest. s_client has
# the Edge's certificate and key, and sends no Certificate message since none was asked for. The
# end not doing mutual TLS is the server (the responder), not the client.
# Runs on the loopback of a network namespace that this script creates and deletes; the test CA
# and certificates are made anew on every run in a temporary directory. No name is resolved.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUTPUT=${1:-$HERE}
readonly NS=pmtlsn$$

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-tls-no-request "network namespaces and tcpdump need root" ip tcpdump openssl capinfos timeout

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
leaf server pool01.contoso.test ca
leaf edge edge01.contoso.test ca

record_netns "$NS"
in_ns() { ip netns exec "$NS" "$@"; }

ns_capture_start "$NS" no-request 'tcp port 5061'

log "tls-no-request: edge01 -> the Front End's 5061, TLS 1.2, the server asks for no client certificate"
# s_server takes EOF on its stdin for "quit": a FIFO kept open until the handshake is over.
mkfifo "$WORK/server.in"
ip netns exec "$NS" timeout 20 openssl s_server -accept 127.0.1.10:5061 -naccept 1 -tls1_2 -cert "$WORK/server.pem" \
  -key "$WORK/server.key" <"$WORK/server.in" >"$WORK/server.log" 2>&1 &
server=$!
exec {server_stdin}>"$WORK/server.in"
ns_wait_tcp_listening "$NS" 127.0.1.10 5061
in_ns timeout 10 openssl s_client -bind 127.0.3.10:0 -connect 127.0.1.10:5061 -tls1_2 -servername pool01.contoso.test \
  -CAfile "$WORK/ca.pem" -cert "$WORK/edge.pem" -key "$WORK/edge.key" </dev/null >"$WORK/client.log" 2>&1 || true
sleep 0.3
exec {server_stdin}>&-
wait "$server" || true
grep -q 'Verification: OK\|Verify return code: 0' "$WORK/client.log" || die "the handshake did not complete"
grep -q 'No client certificate CA names sent' "$WORK/client.log" || die "the server asked for a client certificate"
ns_capture_stop no-request

mkdir -p "$OUTPUT"
cp "$WORK/no-request.pcap" "$OUTPUT/tls-no-request.pcap"
capinfos -c "$OUTPUT/tls-no-request.pcap" | grep -i 'packets' >&2
