#!/usr/bin/env bash
# Records captures/inspect/tls-edges.pcap: three MTLS handshakes to the Front End's 5061 whose client
# certificate the capture cannot show, each for another reason, from OpenSSL (and socat) on the sample
# topology's addresses (captures/sample-topology.yaml: 127.0.1.10 front-end).
#
#   sudo captures/inspect/record-tls-edges.sh [OUTPUT_DIR]      (default: captures/inspect)
#
#   127.0.2.10 (director)      -> 5061: the server answers the ClientHello with a cleartext line (socat)
#   127.0.4.10 (mediation)     -> 5061: TLS 1.2, a client certificate of 19 KB (RSA 4096, 300 SANs) on a
#                                 1500-byte MTU without segmentation offload: its flight spans more than
#                                 the 8 payloads a protocol is told by (within the 64 a TLS handshake is followed)
#   127.0.3.10 (edge-internal) -> 5061: TLS 1.2, a client chain of three certificates on a 1280-byte MTU,
#                                 its flight in two segments (InspectCapturesTest swaps them)
# Runs on the loopback of a network namespace that this script creates and deletes; the test CAs and
# certificates are made anew on every run in a temporary directory. No name is resolved.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUTPUT=${1:-$HERE}
readonly NS=pmtlse$$

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-tls-edges "network namespaces and tcpdump need root" ip tcpdump openssl socat mergecap capinfos timeout

ca() { # NAME SUBJECT [SIGNER]: a CA certificate, self-signed or issued by SIGNER
  if [[ $# -eq 2 ]]; then
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 30 -subj "$2" \
      -addext 'basicConstraints=critical,CA:TRUE' -keyout "$WORK/$1.key" -out "$WORK/$1.pem" >>"$WORK/pki.log" 2>&1
  else
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$2" -keyout "$WORK/$1.key" \
      -out "$WORK/$1.csr" >>"$WORK/pki.log" 2>&1
    printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$WORK/$1.ext"
    openssl x509 -req -in "$WORK/$1.csr" -CA "$WORK/$3.pem" -CAkey "$WORK/$3.key" -set_serial "0x$(openssl rand -hex 8)" \
      -days 30 -sha256 -extfile "$WORK/$1.ext" -out "$WORK/$1.pem" >>"$WORK/pki.log" 2>&1
  fi
}
leaf() { # NAME CN SANS SIGNER [KEY OPTIONS...]
  local name=$1 cn=$2 sans=$3 signer=$4
  shift 4
  local key=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
  (($#)) && key=("$@")
  openssl req -new "${key[@]}" -nodes -subj "/O=Contoso Test/CN=$cn" -keyout "$WORK/$name.key" -out "$WORK/$name.csr" \
    >>"$WORK/pki.log" 2>&1
  printf 'extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\n' "$sans" >"$WORK/$name.ext"
  openssl x509 -req -in "$WORK/$name.csr" -CA "$WORK/$signer.pem" -CAkey "$WORK/$signer.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days 30 -sha256 -extfile "$WORK/$name.ext" -out "$WORK/$name.pem" >>"$WORK/pki.log" 2>&1
}
ca ca "/O=Contoso Test/CN=Contoso Test Root CA"
ca int1 "/O=Contoso Test/CN=Contoso Issuing CA 1" ca
ca int2 "/O=Contoso Test/CN=Contoso Issuing CA 2" int1
leaf server pool01.contoso.test DNS:pool01.contoso.test ca
sans=$(for i in $(seq 1 300); do printf 'DNS:host%03d.very-long-subdomain-name-for-testing.contoso.test,' "$i"; done)
leaf big med01.contoso.test "DNS:med01.contoso.test,${sans%,}" ca -newkey rsa:4096
leaf chained edge01.contoso.test DNS:edge01.contoso.test int2
cat "$WORK/int2.pem" "$WORK/int1.pem" >"$WORK/intermediates.pem"

record_netns "$NS"
in_ns() { ip netns exec "$NS" "$@"; }
in_ns ip link set lo gso_max_segs 1 # (no segmentation offload: tcpdump sees the segments the MTU makes)

# mtls NAME FROM "CLIENT OPTIONS": s_server requiring a client certificate, one s_client connection from FROM
mtls() {
  local name=$1 from=$2 client_options=$3 server
  ( sleep 4 ) | in_ns timeout 15 openssl s_server -accept 127.0.1.10:5061 -naccept 1 -tls1_2 -Verify 3 -CAfile "$WORK/ca.pem" \
    -cert "$WORK/server.pem" -key "$WORK/server.key" >"$WORK/$name.server.log" 2>&1 &
  server=$!
  ns_wait_tcp_listening "$NS" 127.0.1.10 5061
  # shellcheck disable=SC2086
  { printf 'OPTIONS sip:pool01.contoso.test SIP/2.0\r\n\r\n'; sleep 0.7; } | in_ns timeout 10 openssl s_client -bind "$from:0" \
    -connect 127.0.1.10:5061 -tls1_2 -servername pool01.contoso.test -CAfile "$WORK/ca.pem" $client_options \
    >"$WORK/$name.client.log" 2>&1 || true
  wait "$server" || true
}

log "banner: the server answers the ClientHello with a cleartext line"
in_ns ip link set lo mtu 1500
ns_capture_start "$NS" banner 'tcp port 5061'
# (The line goes out once the ClientHello's first byte is in: sent at the connection, it raced the ClientHello.)
printf 'HELLO banner\r\n' >"$WORK/banner.txt"
in_ns timeout 5 socat TCP-LISTEN:5061,bind=127.0.1.10,reuseaddr SYSTEM:"head -c 1 >/dev/null; cat '$WORK/banner.txt'; sleep 1" \
  >/dev/null 2>&1 &
banner_server=$!
ns_wait_tcp_listening "$NS" 127.0.1.10 5061
in_ns timeout 10 openssl s_client -bind 127.0.2.10:0 -connect 127.0.1.10:5061 -tls1_2 </dev/null >"$WORK/banner.client.log" 2>&1 || true
wait "$banner_server" || true
ns_capture_stop banner

log "large: a 19 KB client certificate on a 1500-byte MTU"
ns_capture_start "$NS" large 'tcp port 5061'
mtls large 127.0.4.10 "-cert $WORK/big.pem -key $WORK/big.key"
ns_capture_stop large
grep -q 'CN.*med01' "$WORK/large.server.log" || die "the server did not receive the large client certificate"

log "chain: a client chain of three certificates on a 1280-byte MTU"
in_ns ip link set lo mtu 1280
ns_capture_start "$NS" chain 'tcp port 5061'
mtls chain 127.0.3.10 "-cert $WORK/chained.pem -key $WORK/chained.key -cert_chain $WORK/intermediates.pem"
ns_capture_stop chain
grep -q 'CN.*edge01' "$WORK/chain.server.log" || die "the server did not receive the chained client certificate"

mkdir -p "$OUTPUT"
mergecap -a -F pcap -w "$OUTPUT/tls-edges.pcap" "$WORK/banner.pcap" "$WORK/large.pcap" "$WORK/chain.pcap"
capinfos -c "$OUTPUT/tls-edges.pcap" | grep -i 'packets' >&2
