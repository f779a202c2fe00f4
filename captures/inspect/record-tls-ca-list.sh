#!/usr/bin/env bash
# Records captures/inspect/tls-ca-list.pcap: an MTLS handshake to the Front End's 5061 whose server asks for
# the client certificate naming many certificate authorities in its CertificateRequest, as Windows' Schannel
# sends every root CA it trusts (SendTrustedIssuerList), from OpenSSL on the sample topology's addresses
# (captures/sample-topology.yaml: 127.0.1.10 front-end).
#
#   sudo captures/inspect/record-tls-ca-list.sh [OUTPUT_DIR]      (default: captures/inspect)
#
#   127.0.3.10 (edge-internal) -> 5061: 250 CA names of about 180 bytes (45 KB, near the 64 KB the request's list
#                                 holds) on a 1500-byte MTU: the server's first flight in about 32 segments, within
#                                 the 64 payloads a TLS handshake is followed
# (A list past 64 KB cannot be sent: OpenSSL 3.0's s_server fails with "construct_ca_names:internal error".)
# Runs on the loopback of a network namespace that this script creates and deletes; the CAs and certificates
# are made anew on every run in a temporary directory (250 CAs: some seconds). No name is resolved.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUTPUT=${1:-$HERE}
readonly NS=pmtlsca$$

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-tls-ca-list "network namespaces and tcpdump need root" ip tcpdump openssl mergecap capinfos timeout

pki() { openssl "$@" >>"$WORK/pki.log" 2>&1; }
# The test root, the server's and the clients' certificates; then the CAs the server names besides it.
pki req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 30 -subj "/O=Contoso Test/CN=Contoso Test Root CA" \
  -addext 'basicConstraints=critical,CA:TRUE' -keyout "$WORK/ca.key" -out "$WORK/ca.pem"
leaf() { # NAME CN
  pki req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=Contoso Test/CN=$2" -keyout "$WORK/$1.key" -out "$WORK/$1.csr"
  printf 'extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:%s\n' "$2" >"$WORK/$1.ext"
  pki x509 -req -in "$WORK/$1.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -set_serial "0x$(openssl rand -hex 8)" -days 30 -sha256 \
    -extfile "$WORK/$1.ext" -out "$WORK/$1.pem"
}
leaf server pool01.contoso.test
leaf edge edge01.contoso.test
for i in $(seq 1 250); do
  pki req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 30 -keyout "$WORK/other.key" -out "$WORK/other$i.pem" \
    -subj "/C=US/ST=Washington/L=Redmond/O=Contoso Trusted Root Authority Number $i/OU=Public Key Infrastructure Services Division/CN=Contoso Root Certification Authority $i"
done
cp "$WORK/ca.pem" "$WORK/names250.pem"
for i in $(seq 1 250); do
  cat "$WORK/other$i.pem" >>"$WORK/names250.pem"
done

record_netns "$NS"
in_ns() { ip netns exec "$NS" "$@"; }
in_ns ip link set lo gso_max_segs 1 # (no segmentation offload: tcpdump sees the segments the MTU makes)

# mtls NAME FROM CLIENT NAMES: s_server requiring a client certificate and naming the CAs of NAMES, one s_client from FROM
mtls() {
  local name=$1 from=$2 client=$3 names=$4 server
  ( sleep 4 ) | in_ns timeout 15 openssl s_server -accept 127.0.1.10:5061 -naccept 1 -tls1_2 -Verify 3 -CAfile "$WORK/$names.pem" \
    -cert "$WORK/server.pem" -key "$WORK/server.key" >"$WORK/$name.server.log" 2>&1 &
  server=$!
  ns_wait_tcp_listening "$NS" 127.0.1.10 5061
  { printf 'OPTIONS sip:pool01.contoso.test SIP/2.0\r\n\r\n'; sleep 0.7; } | in_ns timeout 10 openssl s_client -bind "$from:0" \
    -connect 127.0.1.10:5061 -tls1_2 -servername pool01.contoso.test -CAfile "$WORK/ca.pem" \
    -cert "$WORK/$client.pem" -key "$WORK/$client.key" >"$WORK/$name.client.log" 2>&1 || true
  wait "$server" || true
  grep -q "CN.*$client" "$WORK/$name.server.log" || die "$name: the server did not receive the client certificate"
}

log "250 CA names on a 1500-byte MTU"
in_ns ip link set lo mtu 1500
ns_capture_start "$NS" mtu1500 'tcp port 5061'
mtls mtu1500 127.0.3.10 edge names250
ns_capture_stop mtu1500

mkdir -p "$OUTPUT"
mergecap -a -F pcap -w "$OUTPUT/tls-ca-list.pcap" "$WORK/mtu1500.pcap"
capinfos -c "$OUTPUT/tls-ca-list.pcap" | grep -i 'packets' >&2
