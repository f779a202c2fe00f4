#!/usr/bin/env bash
# Records captures/inspect/lookalikes.pcap: UDP protocols other than STUN and RTP on the Lync media
# and STUN ports, and DTLS-SRTP (RFC 5764), whose DTLS handshake shares the 5-tuple of its SRTP.
# Real programs on 127.x loopback addresses standing for the roles of lookalikes-topology.yaml:
#
#   L1  DTLS-SRTP: two GStreamer pipelines (dtlssrtpenc/dtlssrtpdec, dtls-srtp.py), a client's
#       50040 and the Mediation Server's 50042, PCMU both ways; each end starts sending before the
#       handshake is over, so its first SRTP packets come before and among the DTLS records
#   L2  DTLS 1.2 carrying application data (openssl s_server/s_client -dtls1_2, -use_srtp offered),
#       a client's 50044 to the Mediation Server's media port 50046
#   L3  DTLS 1.2 to the Edge's STUN port 3478 (openssl), from a client's 50048
#   L4  QUIC v1 (ngtcp2's gtlsserver/gtlsclient, HTTP/0.9 over TLS 1.3) to the Mediation Server's
#       media port 50050, from 127.0.0.1
#   L6  a DTLS 1.2 handshake and no data after it (openssl s_client -use_srtp, its standard input
#       empty: the session is closed at once), a client's 50062 to the Mediation Server's 50064:
#       DTLS-SRTP's keying without its SRTP
#   L7  NTP (chronyd -Q, its acquisition port 50076) to a chronyd serving on the Edge's STUN port 3478
#   L8  SNMP v2c (net-snmp's snmpget, three requests, each from a port of its own) to an snmpd on
#       the Mediation Server's media port 50074
#   L5  WireGuard (wireguard-go, configured by wg) between 127.0.0.1:50060 and the Edge's STUN port
#       3478: each tunnel interface in a network namespace of its own (lc-look-a, lc-look-b), the
#       UDP sockets on the host's loopback; six datagrams echoed through the tunnel
#
#   sudo captures/inspect/record-lookalikes.sh [OUTPUT_DIR]      (default: captures/inspect)
#
# Needs root (tcpdump on lo) and the programs scripts/install-test-deps.sh installs. Every address
# is numeric and inside 127.0.0.0/8; nothing resolves a name and nothing leaves the host.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUT=${1:-$HERE}

readonly EDGE_INTERNAL=127.5.3.10
readonly MEDIATION=127.5.4.10
readonly CLIENT_1=127.5.10.21
readonly CLIENT_2=127.5.10.22
readonly CLIENT_3=127.5.10.23
readonly QUIC_PORT=50050
readonly WG_PORT=50060
readonly NS_A=lc-look-a NS_B=lc-look-b
readonly CAPTURE_FILTER="(src net 127.5.0.0/16 and dst net 127.5.0.0/16)
  or (host 127.0.0.1 and host $MEDIATION and udp port $QUIC_PORT)
  or (host 127.0.0.1 and host $EDGE_INTERNAL and udp port $WG_PORT and udp port 3478)"

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-lookalikes "tcpdump needs root" tcpdump openssl gtlsserver gtlsclient ss timeout wg wireguard-go ip chronyd snmpd snmpget \
  /usr/bin/python3
RECORD_NAMESPACES=("$NS_A" "$NS_B")
/usr/bin/python3 -c 'import gi; gi.require_version("Gst", "1.0"); from gi.repository import Gst; Gst.init(None)
assert Gst.ElementFactory.find("dtlssrtpenc")' 2>/dev/null ||
  die "GStreamer's Python bindings or dtlssrtpenc are missing; run scripts/install-test-deps.sh"
TCPDUMP_PID=

openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 30 \
  -subj '/O=Contoso Test/CN=med01.contoso.test' -keyout "$WORK/med01.key" -out "$WORK/med01.pem" \
  </dev/null 2>"$WORK/pki.log"

# dtls NAME CLIENT CLIENT_PORT SERVER PORT [quiet] — one DTLS 1.2 session; the client sends a line
# over it, or with "quiet" nothing (the handshake, then the client closes the session).
dtls() {
  local name=$1 client=$2 client_port=$3 server=$4 port=$5 quiet=${6:-} server_pid
  { sleep 3; } | timeout 8 openssl s_server -dtls1_2 -accept "$server:$port" -naccept 1 \
    -cert "$WORK/med01.pem" -key "$WORK/med01.key" -use_srtp SRTP_AES128_CM_SHA1_80 \
    >"$WORK/$name.server.log" 2>&1 &
  server_pid=$!
  wait_udp_bound "$server" "$port"
  { [[ -n "$quiet" ]] || { echo "hello over DTLS"; sleep 1; }; } | timeout 8 openssl s_client -dtls1_2 \
    -bind "$client:$client_port" -connect "$server:$port" -use_srtp SRTP_AES128_CM_SHA1_80 -nocommands \
    >"$WORK/$name.client.log" 2>&1 || true
  wait "$server_pid" 2>/dev/null || true
  if [[ -n "$quiet" ]]; then
    file_has "$WORK/$name.client.log" 'SRTP Extension negotiated' || die "$name: no DTLS-SRTP handshake"
  else
    file_has "$WORK/$name.server.log" 'hello over DTLS' || die "$name: the DTLS session did not carry the line"
  fi
}

tcpdump -i lo -s 0 -U -n --immediate-mode -w "$WORK/lookalikes.pcap" "$CAPTURE_FILTER" >"$WORK/tcpdump.log" 2>&1 &
TCPDUMP_PID=$!
poll 5 file_has "$WORK/tcpdump.log" 'listening on lo' || die "tcpdump did not start"

log "L1 DTLS-SRTP (GStreamer) $CLIENT_1:50040 <-> $MEDIATION:50042"
timeout 20 /usr/bin/python3 "$HERE/dtls-srtp.py" "$CLIENT_1" 50040 "$MEDIATION" 50042 1 >"$WORK/l1.log" 2>&1 ||
  die "L1: dtls-srtp.py failed"
log "L2 DTLS with application data to a media port"
dtls l2 "$CLIENT_2" 50044 "$MEDIATION" 50046
log "L3 DTLS to the Edge's STUN port 3478"
dtls l3 "$CLIENT_3" 50048 "$EDGE_INTERNAL" 3478
log "L6 a DTLS handshake and no data to a media port"
dtls l6 "$CLIENT_1" 50062 "$MEDIATION" 50064 quiet
log "L7 NTP to the Edge's STUN port 3478"
printf '%s\n' 'port 3478' "bindaddress $EDGE_INTERNAL" 'allow 127.0.0.0/8' 'local stratum 8' 'cmdport 0' \
  "pidfile $WORK/chronyd-server.pid" "driftfile $WORK/chronyd-server.drift" >"$WORK/chrony-server.conf"
timeout 10 chronyd -d -x -f "$WORK/chrony-server.conf" >"$WORK/l7.server.log" 2>&1 &
server_pid=$!
wait_udp_bound "$EDGE_INTERNAL" 3478
timeout 8 chronyd -d -Q -f /dev/null "server $EDGE_INTERNAL port 3478 iburst maxsamples 3" "acquisitionport 50076" \
  "bindacqaddress $CLIENT_1" "pidfile $WORK/chronyd-client.pid" >"$WORK/l7.client.log" 2>&1 ||
  die "L7: chronyd -Q failed"
file_has "$WORK/l7.client.log" 'System clock wrong by' || die "L7: no NTP answer"
kill -TERM "$server_pid"
wait "$server_pid" 2>/dev/null || true # (3478 is WireGuard's next)
log "L8 SNMP to a media port"
printf '%s\n' "agentAddress udp:$MEDIATION:50074" 'rocommunity public 127.0.0.0/8' >"$WORK/snmpd.conf"
timeout 10 snmpd -f -Lo -C -c "$WORK/snmpd.conf" -p "$WORK/snmpd.pid" >"$WORK/l8.server.log" 2>&1 &
server_pid=$!
wait_udp_bound "$MEDIATION" 50074
for oid in 1.3.6.1.2.1.1.1.0 1.3.6.1.2.1.1.3.0 1.3.6.1.2.1.1.5.0; do
  timeout 5 snmpget -v2c -c public -r 0 -t 2 --clientaddr="$CLIENT_2" "$MEDIATION:50074" "$oid" \
    >>"$WORK/l8.client.log" 2>&1 || die "L8: snmpget failed"
done
kill -TERM "$server_pid"
wait "$server_pid" 2>/dev/null || true
log "L4 QUIC to a media port"
timeout 10 gtlsserver -q "$MEDIATION" "$QUIC_PORT" "$WORK/med01.key" "$WORK/med01.pem" >"$WORK/l4.server.log" 2>&1 &
wait_udp_bound "$MEDIATION" "$QUIC_PORT"
timeout 8 gtlsclient -q --exit-on-all-streams-close "$MEDIATION" "$QUIC_PORT" "https://$MEDIATION:$QUIC_PORT/" \
  >"$WORK/l4.client.log" 2>&1 || die "L4: gtlsclient failed"

log "L5 WireGuard between 127.0.0.1:$WG_PORT and the Edge's 3478"
# wireguard-go in the foreground (a job of this script, ended by cleanup); its tunnel interface moved
# into a namespace of its own, so that the datagrams between 10.77.0.1 and 10.77.0.2 go through the
# tunnel, while its UDP socket stays on the host's loopback.
umask 077 # (wg warns of keys readable by others)
wg genkey >"$WORK/wg-a.key"
wg genkey >"$WORK/wg-b.key"
for end in a b; do
  ip netns add "lc-look-$end"
  WG_PROCESS_FOREGROUND=1 wireguard-go "lclook$end" >"$WORK/wireguard-go-$end.log" 2>&1 &
  poll 5 test -S "/var/run/wireguard/lclook$end.sock" || die "wireguard-go did not start"
done
wg set lclooka listen-port "$WG_PORT" private-key "$WORK/wg-a.key" \
  peer "$(wg pubkey <"$WORK/wg-b.key")" endpoint "$EDGE_INTERNAL:3478" allowed-ips 10.77.0.2/32
# (the first end's datagrams come from 127.0.0.1: its socket is bound to 0.0.0.0; the second answers
# from the address they reached, 127.5.3.10)
wg set lclookb listen-port 3478 private-key "$WORK/wg-b.key" \
  peer "$(wg pubkey <"$WORK/wg-a.key")" endpoint "127.0.0.1:$WG_PORT" allowed-ips 10.77.0.1/32
ip link set lclooka netns "$NS_A"
ip link set lclookb netns "$NS_B"
ip -n "$NS_A" addr add 10.77.0.1/24 dev lclooka
ip -n "$NS_A" link set lclooka up
ip -n "$NS_B" addr add 10.77.0.2/24 dev lclookb
ip -n "$NS_B" link set lclookb up
ip netns exec "$NS_B" timeout 8 /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.2", 9999))
for _ in range(6):
    d, a = s.recvfrom(2000)
    s.sendto(d, a)' >"$WORK/l5.echo.log" 2>&1 &
sleep 0.5
ip netns exec "$NS_A" timeout 8 /usr/bin/python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
for i in range(6):
    s.sendto(b"through the tunnel %d" % i, ("10.77.0.2", 9999))
    assert s.recvfrom(100)[0] == b"through the tunnel %d" % i
    time.sleep(0.1)' >"$WORK/l5.client.log" 2>&1 || die "L5: the datagrams did not come back through the tunnel"

sleep 1
kill -INT "$TCPDUMP_PID"
wait "$TCPDUMP_PID" || true
grep -qx '0 packets dropped by kernel' "$WORK/tcpdump.log" || die "tcpdump dropped packets"
packets=$(tcpdump -r "$WORK/lookalikes.pcap" -n 2>/dev/null | wc -l)
((packets > 0 && packets <= 2000)) || die "lookalikes.pcap: $packets packets"
mkdir -p "$OUT"
install -m 0644 "$WORK/lookalikes.pcap" "$OUT/.lookalikes.pcap.tmp"
mv -f "$OUT/.lookalikes.pcap.tmp" "$OUT/lookalikes.pcap"
log "lookalikes.pcap: $packets packets, $(stat -c %s "$OUT/lookalikes.pcap") bytes"
