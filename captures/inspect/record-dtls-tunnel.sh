#!/usr/bin/env bash
# Records captures/inspect/dtls-tunnel.pcap: DTLS 1.2 sessions that carry data and do not key SRTP,
# to the Mediation Server's media ports, beside lookalikes.pcap's DTLS-SRTP sessions (whose
# handshakes negotiate use_srtp, RFC 5764, and whose data may be WebRTC's data channel):
#
#   T1  openssl s_server/s_client -dtls1_2, no use_srtp on either side: a client's 50080 to the
#       Mediation Server's 50082, one line of data over the session
#   T2  the client offers use_srtp, the server (no -use_srtp) declines it: its ServerHello has no
#       use_srtp; a client's 50084 to the Mediation Server's 50086, one line of data
#
#   sudo captures/inspect/record-dtls-tunnel.sh [OUTPUT_DIR]      (default: captures/inspect)
#
# Roles: lookalikes-topology.yaml. Needs root (tcpdump on lo) and openssl; every address is numeric
# and inside 127.0.0.0/8, nothing leaves the host.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUT=${1:-$HERE}
readonly MEDIATION=127.5.4.10
readonly CLIENT_2=127.5.10.22
readonly CLIENT_3=127.5.10.23

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-dtls-tunnel "tcpdump needs root" tcpdump openssl ss timeout

openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 30 \
  -subj '/O=Contoso Test/CN=med01.contoso.test' -keyout "$WORK/med01.key" -out "$WORK/med01.pem" \
  </dev/null 2>"$WORK/pki.log"

# dtls NAME CLIENT CLIENT_PORT SERVER PORT CLIENT_OPTIONS... — one DTLS 1.2 session carrying a line;
# the server never offers use_srtp.
dtls() {
  local name=$1 client=$2 client_port=$3 server=$4 port=$5 server_pid
  shift 5
  { sleep 3; } | timeout 8 openssl s_server -dtls1_2 -accept "$server:$port" -naccept 1 \
    -cert "$WORK/med01.pem" -key "$WORK/med01.key" >"$WORK/$name.server.log" 2>&1 &
  server_pid=$!
  wait_udp_bound "$server" "$port"
  { echo "hello over DTLS"; sleep 1; } | timeout 8 openssl s_client -dtls1_2 \
    -bind "$client:$client_port" -connect "$server:$port" -nocommands "$@" >"$WORK/$name.client.log" 2>&1 || true
  wait "$server_pid" 2>/dev/null || true
  file_has "$WORK/$name.server.log" 'hello over DTLS' || die "$name: the DTLS session did not carry the line"
  ! file_has "$WORK/$name.client.log" 'SRTP Extension negotiated' || die "$name: use_srtp was negotiated"
}

tcpdump -i lo -s 0 -U -n --immediate-mode -w "$WORK/dtls-tunnel.pcap" "udp and src net 127.5.0.0/16 and dst net 127.5.0.0/16" \
  >"$WORK/tcpdump.log" 2>&1 &
poll 5 file_has "$WORK/tcpdump.log" 'listening on lo' || die "tcpdump did not start"
log "T1 DTLS without use_srtp to a media port"
dtls t1 "$CLIENT_2" 50080 "$MEDIATION" 50082
log "T2 use_srtp offered, declined by the server"
dtls t2 "$CLIENT_3" 50084 "$MEDIATION" 50086 -use_srtp SRTP_AES128_CM_SHA1_80
sleep 0.5
kill -INT %1
wait %1 2>/dev/null || true
grep -qx '0 packets dropped by kernel' "$WORK/tcpdump.log" || die "tcpdump dropped packets"
cp "$WORK/dtls-tunnel.pcap" "$OUT/dtls-tunnel.pcap"
log "wrote $OUT/dtls-tunnel.pcap ($(tcpdump -r "$OUT/dtls-tunnel.pcap" -n 2>/dev/null | wc -l) packets)"
