#!/usr/bin/env bash
# Records captures/ipv6/dual-stack.pcap: a dual-stack Lync deployment's traffic, each scenario over IPv6
# (ULA addresses, fd00:6::/32) and most of them over IPv4 too (127.6.0.0/16), between real programs:
# openssl s_server/s_client (TLS and MTLS, certificates generated afresh), SIPp (cleartext SIP over TCP),
# socat and curl (HTTP), coturn (STUN), GStreamer (RTP), pings, the kernel's ICMP/ICMPv6 port unreachables and an
# iptables/ip6tables REJECT's "administratively prohibited" (rules in the namespace only).
# The roles are those of dual-stack-topology.yaml beside it; see README.md there.
#
#   sudo captures/ipv6/record-dual-stack.sh [OUTPUT_DIR]      (default: captures/ipv6)
#
# Everything runs on the loopback of a network namespace this script creates and deletes: the addresses
# (fd00:6::/32 with nodad, 127.6.0.0/16) exist there only, nothing is routed and no name is resolved.
# KEEP_WORK=1 keeps the temporary directory (certificates, every program's log).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUT=${1:-$HERE}

readonly FE6=fd00:6:1::10 FE4=127.6.1.10  # one Front End, both families
readonly FE2_6=fd00:6:1::11               # a second Front End, IPv6 only
readonly DIR6=fd00:6:2::10                # Director
readonly EDGE6=fd00:6:3::10               # Edge, internal interface (coturn)
readonly MED6=fd00:6:4::10 MED4=127.6.4.10
readonly GW6=fd00:6:6::10 GW4=127.6.6.10
readonly CL1_6=fd00:6:10::21 CL2_6=fd00:6:10::22 CL3_6=fd00:6:10:0:a:b:c:23 # clients: a /64
readonly CL1_4=127.6.10.21 CL2_4=127.6.10.22                                 # clients: a /24
readonly STRANGER6=fd00:6:99::5           # in no role

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
readonly TOOLS=(ip iptables ip6tables tcpdump capinfos openssl sipp turnserver turnutils_stunclient socat curl ss gst-launch-1.0 timeout python3)

if [[ "${1:-}" != --inside ]]; then
  # The outer run: makes the namespace, runs this script inside it, keeps the file.
  record_begin record-dual-stack "network namespaces and tcpdump need root" "${TOOLS[@]}"
  NS=pmdual$$
  record_netns "$NS"
  for a in $FE6 $FE2_6 $DIR6 $EDGE6 $MED6 $GW6 $CL1_6 $CL2_6 $CL3_6 $STRANGER6; do
    ip netns exec "$NS" ip -6 addr add "$a/128" dev lo nodad
  done
  ip netns exec "$NS" "$0" --inside "$WORK"
  packets=$(capinfos -c -M "$WORK/dual-stack.pcap" | awk '/Number of packets/ { print $NF }')
  outside=$(tcpdump -r "$WORK/dual-stack.pcap" -n 'not (net 127.6.0.0/16 or net fd00:6::/32)' 2>/dev/null | wc -l)
  ((outside == 0)) || die "$outside packets outside 127.6.0.0/16 and fd00:6::/32"
  ((packets <= 1500)) || die "$packets packets, more than planned"
  mkdir -p "$OUT"
  install -m 0644 "$WORK/dual-stack.pcap" "$OUT/.dual-stack.tmp"
  mv -f "$OUT/.dual-stack.tmp" "$OUT/dual-stack.pcap"
  log "dual-stack.pcap: $packets packets, $(stat -c %s "$OUT/dual-stack.pcap") bytes"
  exit 0
fi

# The inner run, inside the namespace: every program below sees only its addresses.
record_begin record-dual-stack-inside "network namespaces and tcpdump need root" "${TOOLS[@]}"
readonly OUTER=$2
ip link set lo up

# hp ADDRESS PORT — ADDRESS:PORT, an IPv6 address in brackets (as ss and the URL syntax write it)
hp() { if [[ $1 == *:* ]]; then printf '[%s]:%s' "$1" "$2"; else printf '%s:%s' "$1" "$2"; fi; }
listening() { ss -Hltn | awk -v want="$(hp "$1" "$2")" '$4 == want { found = 1 } END { exit !found }'; }
bound() { ss -Hlun | awk -v want="$(hp "$1" "$2")" '$4 == want { found = 1 } END { exit !found }'; }
wait_listening() { poll 5 listening "$1" "$2" || die "nothing listens on tcp $(hp "$1" "$2")"; }
wait_bound() { poll 5 bound "$1" "$2" || die "nothing bound to udp $(hp "$1" "$2")"; }
wait_closed() { poll 5 sh -c "! ss -Hltn | awk '{print \$4}' | grep -qxF '$(hp "$1" "$2")'" || die "still listening: $(hp "$1" "$2")"; }
wait_quiet() { wait "$1" 2>/dev/null || true; }

# Certificates
PKI=$WORK/pki
mkdir -p "$PKI"
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 400 \
  -subj '/O=Contoso Test/CN=Contoso Test Root CA' -addext 'basicConstraints=critical,CA:TRUE' \
  -addext 'keyUsage=critical,keyCertSign,cRLSign' -keyout "$PKI/ca.key" -out "$PKI/ca.pem" </dev/null 2>"$WORK/pki.log"
leaf() { # NAME SAN
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=Contoso Test/CN=$1.contoso.test" \
    -keyout "$PKI/$1.key" -out "$PKI/$1.csr" </dev/null 2>>"$WORK/pki.log"
  printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' \
    'extendedKeyUsage=serverAuth,clientAuth' "subjectAltName=$2" >"$PKI/$1.ext"
  openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days 365 -sha256 -extfile "$PKI/$1.ext" -out "$PKI/$1.pem" </dev/null 2>>"$WORK/pki.log"
}
leaf pool01 "DNS:pool01.contoso.test,IP:$FE6,IP:$FE4"
leaf dir01 'DNS:dir01.contoso.test'
leaf med01 "DNS:med01.contoso.test,IP:$MED6"

tcpdump -i lo -s 0 -B 32768 -U -n --immediate-mode -w "$OUTER/dual-stack.pcap" \
  'net 127.6.0.0/16 or net fd00:6::/32' 2>"$WORK/tcpdump.log" &
TCPDUMP_PID=$!
poll 5 file_has "$WORK/tcpdump.log" 'listening on' || die "tcpdump did not start"

# tls NAME SERVER PORT CERT SERVER_OPTIONS CLIENT CLIENT_CERT(or none) EXPECT(ok|fail)
#   one s_server connection (TLS 1.2); the client sends a SIP OPTIONS request and closes
tls() {
  local name=$1 server=$2 port=$3 cert=$4 server_options=$5 client=$6 client_cert=$7 expect=$8 pid status=0
  # shellcheck disable=SC2086
  { sleep 4; } | timeout 10 openssl s_server -accept "$(hp "$server" "$port")" -naccept 1 -tls1_2 \
    -cert "$PKI/$cert.pem" -key "$PKI/$cert.key" -CAfile "$PKI/ca.pem" $server_options >"$WORK/$name.server.log" 2>&1 &
  pid=$!
  wait_listening "$server" "$port"
  local options=(-bind "$(hp "$client" 0)" -connect "$(hp "$server" "$port")" -tls1_2 -CAfile "$PKI/ca.pem"
    -servername "$cert.contoso.test" -nocommands -brief)
  [[ $client_cert == none ]] || options+=(-cert "$PKI/$client_cert.pem" -key "$PKI/$client_cert.key")
  { printf 'OPTIONS sip:%s SIP/2.0\r\nVia: SIP/2.0/TLS %s\r\nContent-Length: 0\r\n\r\n' "$(hp "$server" "$port")" \
      "$(hp "$client" 5061)"; sleep 0.5; } | timeout 10 openssl s_client "${options[@]}" >"$WORK/$name.client.log" 2>&1 || status=$?
  wait_quiet "$pid"
  if [[ $expect == ok ]]; then
    ((status == 0)) && grep -q 'OPTIONS sip:' "$WORK/$name.server.log" || die "$name: the TLS session did not carry the request"
  fi
  wait_closed "$server" "$port"
}

# https NAME SERVER PORT CERT CLIENT — s_server -www answers a GET
https() {
  local name=$1 server=$2 port=$3 cert=$4 client=$5 pid
  timeout 10 openssl s_server -accept "$(hp "$server" "$port")" -naccept 1 -www -tls1_3 \
    -cert "$PKI/$cert.pem" -key "$PKI/$cert.key" </dev/null >"$WORK/$name.server.log" 2>&1 &
  pid=$!
  wait_listening "$server" "$port"
  { printf 'GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$(hp "$server" "$port")"
    poll 5 file_has "$WORK/$name.client.log" '</HTML>' || true; } |
    timeout 10 openssl s_client -bind "$(hp "$client" 0)" -connect "$(hp "$server" "$port")" -tls1_3 \
      -servername "$cert.contoso.test" -nocommands -brief >"$WORK/$name.client.log" 2>&1 || true
  file_has "$WORK/$name.client.log" 'HTTP/1.0 200 ok' || die "$name: no HTTP 200 from s_server -www"
  wait_quiet "$pid"
  wait_closed "$server" "$port"
}

# http NAME SERVER PORT CLIENT — socat answers one request, curl asks (numeric addresses only)
cat >"$WORK/http-responder.sh" <<'RESPONDER'
sed -u '/^\r*$/q' >/dev/null
printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n'
RESPONDER
http() {
  local name=$1 server=$2 port=$3 client=$4 pid listen=TCP4-LISTEN bind=$2
  [[ $server == *:* ]] && { listen=TCP6-LISTEN; bind="[$server]"; }
  timeout 10 socat -T 5 "$listen:$port,bind=$bind,reuseaddr" SYSTEM:"sh $WORK/http-responder.sh" \
    </dev/null >"$WORK/$name.server.log" 2>&1 &
  pid=$!
  wait_listening "$server" "$port"
  timeout 10 curl -sS -g --noproxy '*' --interface "$client" -o "$WORK/$name.body" "http://$(hp "$server" "$port")/" \
    >"$WORK/$name.client.log" 2>&1 || die "$name: curl failed"
  [[ "$(cat "$WORK/$name.body")" == ok ]] || die "$name: unexpected HTTP body"
  wait_quiet "$pid"
  wait_closed "$server" "$port"
}

# sip NAME UAC UAC_PORT UAS UAS_PORT — one SIPp call over TCP
{ sipp -sd uas || true; } | grep -v '<timewait milliseconds="4000"/>' >"$WORK/uas.xml"
sip() {
  local name=$1 uac=$2 uac_port=$3 uas=$4 uas_port=$5 pid status=0
  (cd "$WORK" && exec timeout 20 sipp -sf "$WORK/uas.xml" -t t1 -i "$uas" -p "$uas_port" -mi "$uas" -mp 16000 \
    -m 1 -nostdin -timeout 15s -timeout_error >"$WORK/$name.uas.log" 2>&1) &
  pid=$!
  wait_listening "$uas" "$uas_port"
  (cd "$WORK" && exec timeout 20 sipp -sn uac -t t1 -i "$uac" -p "$uac_port" -mi "$uac" -mp 16000 -m 1 -nostdin \
    -timeout 15s -timeout_error "$(hp "$uas" "$uas_port")" </dev/null >"$WORK/$name.uac.log" 2>&1) || status=$?
  ((status == 0)) || die "$name: the SIPp call failed (status $status)"
  wait "$pid" || die "$name: the SIPp UAS failed"
}

# rtp NAME CLIENT CLIENT_PORT SERVER PORT — 25 PCMU packets from GStreamer, a socat sink
rtp() {
  local name=$1 client=$2 client_port=$3 server=$4 port=$5 pid recv=UDP4-RECV bind=$4
  [[ $server == *:* ]] && { recv=UDP6-RECV; bind="[$server]"; }
  timeout 10 socat -u "$recv:$port,bind=$bind" "OPEN:$WORK/$name.bin,creat,trunc" >"$WORK/$name.sink.log" 2>&1 &
  pid=$!
  wait_bound "$server" "$port"
  timeout 10 gst-launch-1.0 -q audiotestsrc num-buffers=25 samplesperbuffer=160 freq=440 is-live=true wave=sine ! \
    audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay pt=0 ! \
    udpsink host="$server" port="$port" bind-address="$client" bind-port="$client_port" \
    </dev/null >"$WORK/$name.gst.log" 2>&1 || die "$name: gst-launch-1.0 failed"
  poll 2 sh -c "[ \$(stat -c %s '$WORK/$name.bin') -ge 4300 ]" || die "$name: the RTP sink got too little"
  kill -TERM "$pid"
  wait_quiet "$pid"
}

log "1 TLS, client -> Front End 5061 (fe-sip-tls-5061-client): IPv6, then IPv4"
tls t1v6 "$FE6" 5061 pool01 "-verify 1" "$CL1_6" none ok
tls t1v4 "$FE4" 5061 pool01 "-verify 1" "$CL1_4" none ok
log "2 MTLS, Director -> second Front End 5061 (IPv6 only)"
tls t2v6 "$FE2_6" 5061 pool01 "-Verify 1 -verify_return_error" "$DIR6" dir01 ok
log "3 MTLS, Front End -> Mediation 5070: IPv6, then IPv4"
tls t3v6 "$MED6" 5070 med01 "-Verify 1 -verify_return_error" "$FE6" pool01 ok
tls t3v4 "$MED4" 5070 med01 "-Verify 1 -verify_return_error" "$FE4" pool01 ok
log "4 TLS without a client certificate on the MTLS port 5070 (protocol_mismatch): IPv6, then IPv4"
tls t4v6 "$MED6" 5070 med01 "-verify 1" "$FE6" none ok
tls t4v4 "$MED4" 5070 med01 "-verify 1" "$FE4" none ok
log "5 HTTPS, client -> Front End 443: IPv6, then IPv4"
https h5v6 "$FE6" 443 pool01 "$CL2_6"
https h5v4 "$FE4" 443 pool01 "$CL2_4"
log "6 HTTPS, client -> Front End 4443 (unexpected_role_pair): IPv6, then IPv4; Director -> Front End 4443 (IPv6)"
https h6v6 "$FE6" 4443 pool01 "$CL3_6"
https h6v4 "$FE4" 4443 pool01 "$CL1_4"
https h6d6 "$FE6" 4443 pool01 "$DIR6"
log "7 HTTP, client -> Front End 80: IPv6, then IPv4"
http w7v6 "$FE6" 80 "$CL1_6"
http w7v4 "$FE4" 80 "$CL1_4"
log "8 SIP over TCP (SIPp), gateway -> Mediation 5068: IPv6, then IPv4; gateway -> Front End 5060 (IPv6)"
sip s8v6 "$GW6" 35068 "$MED6" 5068
sip s8v4 "$GW4" 35068 "$MED4" 5068
sip s8f6 "$GW6" 35060 "$FE6" 5060
log "9 cleartext SIP on the TLS port 5061 (protocol_mismatch): client -> Front End, IPv6"
{ printf 'OPTIONS sip:pool01.contoso.test:5061;transport=tls SIP/2.0\r\nVia: SIP/2.0/TLS [%s]:5061;branch=z9hG4bK-s9\r\nMax-Forwards: 70\r\nFrom: <sip:alice@contoso.test>;tag=s9\r\nTo: <sip:pool01.contoso.test>\r\nCall-ID: s9\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n' "$CL2_6"
  sleep 0.5; } >"$WORK/s9.request"
timeout 10 socat -T 3 "TCP6-LISTEN:5061,bind=[$FE6],reuseaddr" SYSTEM:"head -c 200 >/dev/null" >"$WORK/s9.server.log" 2>&1 &
pid=$!
wait_listening "$FE6" 5061
timeout 10 socat -t 2 "OPEN:$WORK/s9.request" "TCP6:[$FE6]:5061,bind=[$CL2_6]" 2>"$WORK/s9.client.log" || true
wait_quiet "$pid"
wait_closed "$FE6" 5061
log "10 STUN Binding (coturn, UDP 3478): client -> Edge, IPv6"
timeout 20 turnserver -n --listening-ip="$EDGE6" --listening-port=3478 --relay-ip="$EDGE6" --stun-only --no-tls \
  --no-dtls --no-cli --userdb="$WORK/turndb" --no-stdout-log --simple-log --log-file="$WORK/turnserver.log" \
  --pidfile="$WORK/turnserver.pid" >/dev/null 2>&1 &
pid=$!
wait_bound "$EDGE6" 3478
timeout 10 turnutils_stunclient -L "$CL1_6" -p 3478 "$EDGE6" </dev/null >"$WORK/u10.log" 2>&1 || die "turnutils_stunclient failed"
grep -qi "reflexive addr: .*$CL1_6" "$WORK/u10.log" || die "no reflexive address"
kill -TERM "$pid"
wait_quiet "$pid"
log "11 RTP (GStreamer), client -> Mediation 49200/udp (internal audio range): IPv6, then IPv4"
rtp r11v6 "$CL1_6" 50020 "$MED6" 49200
rtp r11v4 "$CL1_4" 50020 "$MED4" 49200
log "12 UDP to a closed port, answered by port unreachables: client -> Front End 50002, IPv6 and IPv4"
cat >"$WORK/udp.py" <<PYEOF
import socket, time
for family, src, dst in ((socket.AF_INET6, "$CL2_6", "$FE6"), (socket.AF_INET, "$CL2_4", "$FE4")):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((src, 0))
    for i in range(2):
        s.sendto(b"portmatrix dual-stack test %d" % i, (dst, 50002))
        time.sleep(0.05)
    s.close()
PYEOF
timeout 10 python3 "$WORK/udp.py"
log "13 TLS from a host in no role: $STRANGER6 -> Front End 5061 (unknown_host)"
tls t13v6 "$FE6" 5061 pool01 "-verify 1" "$STRANGER6" none ok
log "14 a ping (echo request and reply, raw sockets): client -> Front End, IPv6, then IPv4"
cat >"$WORK/ping.py" <<PYEOF
import socket, time
def checksum(b):
    c = sum((b[i] << 8) + b[i + 1] for i in range(0, len(b), 2))
    c = (c & 0xffff) + (c >> 16)
    return ~(c + (c >> 16)) & 0xffff
# ICMPv6: the kernel fills in the checksum (over the pseudo-header); ICMP: computed here.
p = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
p.bind(("$CL3_6", 0))
p.sendto(bytes([128, 0, 0, 0, 0x70, 0x6d, 0, 1]) + b"portmatrix", ("$FE6", 0))
echo = bytearray([8, 0, 0, 0, 0x70, 0x6d, 0, 1]) + b"portmatrix"
c = checksum(echo)
echo[2], echo[3] = c >> 8, c & 0xff
q = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
q.bind(("$CL2_4", 0))
q.sendto(bytes(echo), ("$FE4", 0))
time.sleep(0.2)
PYEOF
timeout 10 python3 "$WORK/ping.py"
log "15 TCP to the Front End's 5061 refused by a REJECT rule (administratively prohibited): client, IPv6, then IPv4"
ip6tables -A INPUT -p tcp -s "$CL3_6" -d "$FE2_6" --dport 5061 -j REJECT --reject-with icmp6-adm-prohibited
iptables -A INPUT -p tcp -s "$CL2_4" -d "$FE4" --dport 5061 -j REJECT --reject-with icmp-admin-prohibited
cat >"$WORK/refused.py" <<PYEOF
import socket
for family, src, dst in ((socket.AF_INET6, "$CL3_6", "$FE2_6"), (socket.AF_INET, "$CL2_4", "$FE4")):
    t = socket.socket(family, socket.SOCK_STREAM)
    t.bind((src, 0))
    t.settimeout(3)
    try:
        t.connect((dst, 5061))
        raise SystemExit("the connection was not refused")
    except OSError:
        pass
    t.close()
PYEOF
timeout 10 python3 "$WORK/refused.py"

sleep 0.5
kill -TERM "$TCPDUMP_PID"
wait "$TCPDUMP_PID" 2>/dev/null || true
grep -q '^0 packets dropped by kernel' "$WORK/tcpdump.log" || die "tcpdump dropped packets"
