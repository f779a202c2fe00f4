#!/usr/bin/env bash
# Records captures/hostile/separator.pcap: server names meant to start a spreadsheet cell in the middle of
# a CSV cell, where Excel's list separator is ';' (de-DE, fr-FR and most locales whose decimal separator is
# a comma: Excel opens a .csv there splitting every line at ';', not at ','). Real programs on loopback
# addresses of the sample topology (captures/sample-topology.yaml).
#
#   sudo captures/hostile/record-separator.sh [OUTPUT.pcap]   (default: captures/hostile/separator.pcap)
#
# Flows (in this order), each 127.0.10.21 (client) -> 127.0.1.10:5061 (front-end), TLS 1.2
# (openssl s_server / s_client), the server name (SNI) being:
#   1. pool01;=cmd|'/C calc'!A0;      a formula between two semicolons
#   2. pool01; "@cmd|'/C calc'!A0";   the same behind a space and a quote, with '@'
#
# Needs root (tcpdump on lo). Numeric 127.x addresses only: nothing resolves a name and nothing
# leaves the host. Every program is bounded by `timeout`; a trap ends the background jobs.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUTPUT=${1:-$HERE/separator.pcap}
readonly FRONT_END=127.0.1.10
readonly CLIENT=127.0.10.21
readonly CAPTURE_FILTER="host $CLIENT and host $FRONT_END and tcp port 5061"
readonly -a NAMES=("pool01;=cmd|'/C calc'!A0;" "pool01; \"@cmd|'/C calc'!A0\";")

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-separator "tcpdump needs root" tcpdump openssl ss timeout

openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 30 \
  -subj "/CN=pool01.contoso.test" -addext 'subjectAltName=DNS:pool01.contoso.test' \
  -keyout "$WORK/server.key" -out "$WORK/server.pem" </dev/null 2>"$WORK/pki.log"

tcpdump -i lo -s 0 -U -n --immediate-mode -w "$WORK/separator.pcap" "$CAPTURE_FILTER" >"$WORK/tcpdump.log" 2>&1 &
TCPDUMP_PID=$!
poll 5 grep -q 'listening on lo' "$WORK/tcpdump.log" || die "tcpdump did not start"

i=0
for name in "${NAMES[@]}"; do
  i=$((i + 1))
  timeout 15 openssl s_server -accept "$FRONT_END:5061" -naccept 1 -tls1_2 \
    -cert "$WORK/server.pem" -key "$WORK/server.key" < <(sleep 5) >"$WORK/tls$i.server.log" 2>&1 &
  SERVER_PID=$!
  poll 5 tcp_listening "$FRONT_END" 5061 || die "s_server does not listen"
  printf 'hello\n' | timeout 10 openssl s_client -bind "$CLIENT:0" -connect "$FRONT_END:5061" -tls1_2 \
    -servername "$name" -brief >"$WORK/tls$i.client.log" 2>&1 || true
  wait "$SERVER_PID" || true
  grep -q 'CONNECTION ESTABLISHED\|Protocol version: TLSv1.2' "$WORK/tls$i.client.log" || die "TLS handshake $i failed"
done

sleep 0.3
kill -INT "$TCPDUMP_PID"
wait "$TCPDUMP_PID" || true
grep -qx '0 packets dropped by kernel' "$WORK/tcpdump.log" || die "tcpdump dropped packets"
packets=$(tcpdump -n -r "$WORK/separator.pcap" 2>/dev/null | wc -l)
((packets > 10 && packets < 200)) || die "unexpected packet count $packets"
cp "$WORK/separator.pcap" "$OUTPUT.tmp"
mv "$OUTPUT.tmp" "$OUTPUT"
log "wrote $OUTPUT ($packets packets)"
