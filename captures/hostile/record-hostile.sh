#!/usr/bin/env bash
# Records captures/hostile/hostile.pcap: wire strings meant to attack the reports, sent by real
# programs on loopback addresses of the sample topology (captures/sample-topology.yaml).
#
#   sudo captures/hostile/record-hostile.sh [OUTPUT.pcap]   (default: captures/hostile/hostile.pcap)
#
# Flows (in this order):
#   1. 127.0.99.1 (no role) -> 127.0.1.10:5061 (front-end), TLS 1.2 with mutual authentication
#      (openssl s_server -Verify 1 / s_client -cert): the server certificate's subject is
#      CN=<script>document.title='pwned-cert'</script>, the client certificate's subject is
#      CN=<img src=x onerror=document.title='pwned-img'>, and the SNI is the spreadsheet formula
#      =cmd|'/C calc'!A0. Verdict unknown_host.
#   2. 127.0.10.21 (client) -> 127.0.1.10:5060 (front-end), cleartext SIP OPTIONS over TCP (socat)
#      whose From display name is <script>document.title='pwned-sip'</script> and whose
#      User-Agent is =cmd|'/C calc'!A0; socat answers 200 OK with the same headers.
#      Verdict unexpected_role_pair (the catalog documents TCP 5060 on the Front End for
#      servers and gateways only).
#
# Needs root (tcpdump on lo). Numeric 127.x addresses only: nothing resolves a name and nothing
# leaves the host. Every program is bounded by `timeout`; a trap ends the background jobs.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUTPUT=${1:-$HERE/hostile.pcap}
readonly FRONT_END=127.0.1.10
readonly CLIENT=127.0.10.21
readonly OUTSIDER=127.0.99.1
# Only the two conversations of this script (other recordings may share the loopback interface).
readonly CAPTURE_FILTER="(host $OUTSIDER and host $FRONT_END and tcp port 5061) or (host $CLIENT and host $FRONT_END and tcp port 5060)"
readonly FORMULA="=cmd|'/C calc'!A0"

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-hostile "tcpdump needs root" tcpdump openssl socat ss timeout

# --- certificates: self-signed, hostile subjects (openssl -subj needs '/' inside a value escaped)
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 30 \
  -subj "/CN=<script>document.title='pwned-cert'<\/script>" \
  -addext 'subjectAltName=DNS:pool01.contoso.test' \
  -keyout "$WORK/server.key" -out "$WORK/server.pem" </dev/null 2>"$WORK/pki.log"
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 30 \
  -subj "/CN=<img src=x onerror=document.title='pwned-img'>" \
  -keyout "$WORK/client.key" -out "$WORK/client.pem" </dev/null 2>>"$WORK/pki.log"
openssl x509 -in "$WORK/server.pem" -noout -subject | grep -qF '<script>' || die "server subject lost its <script>"

# --- capture
tcpdump -i lo -s 0 -U -n --immediate-mode -w "$WORK/hostile.pcap" "$CAPTURE_FILTER" >"$WORK/tcpdump.log" 2>&1 &
TCPDUMP_PID=$!
poll 5 grep -q 'listening on lo' "$WORK/tcpdump.log" || die "tcpdump did not start"

# 1. TLS 1.2, mutual authentication, hostile certificates and SNI. s_server accepts any client
#    certificate (no -verify_return_error): the point is what the handshake carries. Its stdin
#    stays open for a while (EOF on stdin would make it quit before the client connects).
timeout 15 openssl s_server -accept "$FRONT_END:5061" -naccept 1 -tls1_2 -Verify 1 \
  -cert "$WORK/server.pem" -key "$WORK/server.key" < <(sleep 5) >"$WORK/tls.server.log" 2>&1 &
SERVER_PID=$!
poll 5 tcp_listening "$FRONT_END" 5061 || die "s_server does not listen"
printf 'hello\n' | timeout 10 openssl s_client -bind "$OUTSIDER:0" -connect "$FRONT_END:5061" -tls1_2 \
  -servername "$FORMULA" -cert "$WORK/client.pem" -key "$WORK/client.key" -brief \
  >"$WORK/tls.client.log" 2>&1 || true
wait "$SERVER_PID" || true
grep -q 'CONNECTION ESTABLISHED\|Protocol version: TLSv1.2' "$WORK/tls.client.log" || die "the TLS handshake failed"

# 2. SIP OPTIONS with hostile headers over TCP 5060, answered by socat with a 200 OK.
sip() {
  printf '%s\r\n' "$1" \
    "Via: SIP/2.0/TCP $CLIENT:5060;branch=z9hG4bK-hostile" \
    'Max-Forwards: 70' \
    "From: \"<script>document.title='pwned-sip'</script>\" <sip:evil@$CLIENT>;tag=1" \
    "To: <sip:pool01@$FRONT_END>" \
    'Call-ID: hostile-1' \
    'CSeq: 1 OPTIONS' \
    "User-Agent: $FORMULA" \
    'Content-Length: 0' \
    ''
}
REQUEST=$(sip "OPTIONS sip:pool01@$FRONT_END SIP/2.0"; printf x) && REQUEST=${REQUEST%x}
RESPONSE=$(sip 'SIP/2.0 200 OK'; printf x) && RESPONSE=${RESPONSE%x}
printf '%s' "$RESPONSE" >"$WORK/response.sip"
timeout 10 socat -T 3 "TCP-LISTEN:5060,bind=$FRONT_END,reuseaddr" \
  "SYSTEM:head -c 10 >/dev/null; cat $WORK/response.sip" >"$WORK/sip.server.log" 2>&1 &
SIP_PID=$!
poll 5 tcp_listening "$FRONT_END" 5060 || die "socat does not listen on 5060"
printf '%s' "$REQUEST" | timeout 10 socat -t 2 - "TCP:$FRONT_END:5060,bind=$CLIENT" >"$WORK/sip.client.out" 2>"$WORK/sip.client.log"
wait "$SIP_PID" || true
grep -q 'SIP/2.0 200 OK' "$WORK/sip.client.out" || die "no 200 OK from the SIP responder"

sleep 0.3
kill -INT "$TCPDUMP_PID"
wait "$TCPDUMP_PID" || true
grep -qx '0 packets dropped by kernel' "$WORK/tcpdump.log" || die "tcpdump dropped packets"
packets=$(tcpdump -n -r "$WORK/hostile.pcap" 2>/dev/null | wc -l)
((packets > 10 && packets < 200)) || die "unexpected packet count $packets"
cp "$WORK/hostile.pcap" "$OUTPUT.tmp"
mv "$OUTPUT.tmp" "$OUTPUT"
log "wrote $OUTPUT ($packets packets)"
