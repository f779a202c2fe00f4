#!/usr/bin/env bash
# Records captures/inspect/tls-refused.pcap: an MTLS handshake on the Front End's 5061 whose client
# certificate the server refuses (issued by a CA the server does not trust: OpenSSL's s_server ends
# the handshake with a fatal unknown_ca alert), on the sample topology's addresses
# (captures/sample-topology.yaml: 127.0.3.10 edge-internal -> 127.0.1.10 front-end).
#
#   sudo captures/inspect/record-tls-refused.sh [OUTPUT.pcap]      (default: captures/inspect/tls-refused.pcap)
#
# Runs on the loopback of a network namespace that this script creates and deletes; the test CAs
# and certificates are made anew on every run in a temporary directory. No name is resolved.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUTPUT=${1:-$HERE/tls-refused.pcap}
readonly NS=pmtlsr$$

log() { printf '[record-tls-refused] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

((EUID == 0)) || die "network namespaces and tcpdump need root: sudo $0"
for program in ip tcpdump openssl capinfos timeout; do
  command -v "$program" >/dev/null 2>&1 || die "$program is missing; run scripts/install-test-deps.sh"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/record-tls-refused.XXXXXX")
readonly WORK
cleanup() {
  local status=$? pid
  trap - EXIT INT TERM
  for pid in $(jobs -p); do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  if ((status != 0)); then
    local f
    for f in "$WORK"/*.log; do
      [[ -s "$f" ]] && { printf -- '--- %s\n' "${f##*/}" >&2; tail -n 10 "$f" >&2; }
    done
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Two CAs: the server trusts "Contoso Test Root CA"; the client's certificate comes from another.
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
leaf edge edge01.contoso.test other

ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" tcpdump -i lo -s 0 -U --immediate-mode -w "$WORK/tls-refused.pcap" 'tcp port 5061' 2>"$WORK/tcpdump.log" &
for _ in $(seq 50); do
  grep -q 'listening on' "$WORK/tcpdump.log" 2>/dev/null && break
  sleep 0.1
done
grep -q 'listening on' "$WORK/tcpdump.log" || die "tcpdump did not start"

log "edge01 (certificate from an untrusted CA) -> the Front End's 5061, TLS 1.2, client certificate required"
# s_server takes EOF on its stdin for "quit": a FIFO kept open until the handshake is over.
mkfifo "$WORK/server.in"
ip netns exec "$NS" timeout 20 openssl s_server -accept 127.0.1.10:5061 -naccept 1 -tls1_2 -Verify 1 -verify_return_error \
  -CAfile "$WORK/ca.pem" -cert "$WORK/server.pem" -key "$WORK/server.key" <"$WORK/server.in" >"$WORK/server.log" 2>&1 &
server=$!
exec {server_stdin}>"$WORK/server.in"
for _ in $(seq 50); do
  ip netns exec "$NS" ss -ltn 2>/dev/null | grep -q '127.0.1.10:5061' && break
  sleep 0.1
done
ip netns exec "$NS" timeout 10 openssl s_client -bind 127.0.3.10:0 -connect 127.0.1.10:5061 -tls1_2 \
  -servername pool01.contoso.test -CAfile "$WORK/ca.pem" -cert "$WORK/edge.pem" -key "$WORK/edge.key" \
  </dev/null >"$WORK/client.log" 2>&1 || true
wait "$server" || true
exec {server_stdin}>&-
grep -q 'unable to get local issuer certificate' "$WORK/server.log" || die "the server did not refuse the client's certificate"
sleep 0.5
kill -TERM %1
wait %1 2>/dev/null || true
cp "$WORK/tls-refused.pcap" "$OUTPUT"
capinfos -c "$OUTPUT" | sed -n 2p >&2
