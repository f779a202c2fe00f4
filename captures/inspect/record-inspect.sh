#!/usr/bin/env bash
# Records the captures of the inspect stage's tests: real programs talking on 127.x loopback
# addresses (127.5.0.0/16) that stand for the roles in inspect-topology.yaml. Five files, one per topic:
#
#   tls.pcap     openssl s_server/s_client: MTLS with and without a client certificate, TLS 1.2
#                and 1.3, HTTPS, a weak RSA-1024/SHA-1 certificate, cleartext HTTP on 443
#   sip.pcap     SIPp over TCP and UDP, cleartext SIP to the TLS port 5061 and the MTLS port 5070
#   media.pcap   coturn (STUN over UDP 3478, TURN over TCP 443), GStreamer RTP, HTTP on a media port
#   layers.pcap  GStreamer RTP of several SSRCs taking turns on one 5-tuple (H.264 UC's layers)
#   others.pcap  curl/socat HTTP, OpenSSH client/dropbear, Impacket's RDP, SMB, DCE/RPC, TDS and
#                SSRP clients (and its SMB server), and a TCP connection that carries no payload
#
#   sudo captures/inspect/record-inspect.sh [OUTPUT_DIR]      (default: captures/inspect)
#
# Needs root (tcpdump on lo) and the programs scripts/install-test-deps.sh installs. Every
# address is numeric and inside 127.0.0.0/8; nothing resolves a name and nothing leaves the host.
# Certificates are generated afresh in a temporary directory on every run.
# KEEP_WORK=1 keeps the temporary directory (certificates, every program's log); ONLY="media sip"
# records just those files.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUT=${1:-$HERE}

readonly FRONT_END=127.5.1.10
readonly FRONT_END_2=127.5.1.11
readonly DIRECTOR=127.5.2.10
readonly EDGE_INTERNAL=127.5.3.10
readonly MEDIATION=127.5.4.10
readonly GATEWAY=127.5.6.10
readonly CLIENT_1=127.5.10.21
readonly CLIENT_2=127.5.10.22
readonly CLIENT_3=127.5.10.23
readonly CLIENT_4=127.5.10.24
readonly CLIENT_5=127.5.10.25
readonly PY=/usr/bin/python3
readonly IMPACKET=/usr/share/doc/python3-impacket/examples

# Only this script's own addresses (127.5.0.0/16), so that nothing else running on the loopback
# at the same time ends up in the files, and without the TURN server's relay traffic to itself.
readonly CAPTURE_FILTER='src net 127.5.0.0/16 and dst net 127.5.0.0/16
  and not (src host 127.5.3.10 and dst host 127.5.3.10)'

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-inspect "tcpdump needs root" tcpdump openssl sipp turnserver turnutils_stunclient turnutils_uclient socat ss \
  gst-launch-1.0 timeout curl ssh dropbear dropbearkey "$PY"
[[ -f "$IMPACKET/rdp_check.py" ]] || die "Impacket's examples are missing; run scripts/install-test-deps.sh"
TCPDUMP_PID=
# run_bounded SECONDS NAME CMD... : runs CMD in the background bounded by timeout; sets LAST_PID.
run_bounded() {
  local seconds=$1 name=$2
  shift 2
  timeout "$seconds" "$@" </dev/null >"$WORK/$name.log" 2>&1 &
  LAST_PID=$!
}
wait_quiet() { wait "$1" 2>/dev/null || true; }

# ---------------------------------------------------------------------------------------------
# Certificates
# ---------------------------------------------------------------------------------------------
PKI=$WORK/pki
readonly PKI
make_ca() {
  mkdir -p "$PKI"
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 400 \
    -subj '/O=Contoso Test/CN=Contoso Test Root CA' \
    -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' \
    -keyout "$PKI/ca.key" -out "$PKI/ca.pem" </dev/null 2>"$WORK/pki.log"
}
# make_leaf NAME CN SAN [KEY_OPTIONS...] — server+client authentication leaf signed by the CA,
# valid 365 days. With KEY_OPTIONS: the legacy profile, signed with SHA-1 and valid 7 days.
make_leaf() {
  local name=$1 cn=$2 san=$3 digest=-sha256 days=365
  shift 3
  local key=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
  if (($# > 0)); then key=("$@"); digest=-sha1; days=7; fi
  openssl req -new "${key[@]}" -nodes -subj "/O=Contoso Test/CN=$cn" \
    -keyout "$PKI/$name.key" -out "$PKI/$name.csr" </dev/null 2>>"$WORK/pki.log"
  printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' \
    'extendedKeyUsage=serverAuth,clientAuth' "subjectAltName=$san" >"$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days "$days" "$digest" -extfile "$PKI/$name.ext" \
    -out "$PKI/$name.pem" </dev/null 2>>"$WORK/pki.log"
}
make_certificates() {
  make_ca
  make_leaf pool01 pool01.contoso.test 'DNS:pool01.contoso.test,DNS:sip.contoso.test'
  make_leaf edge01 edge01.contoso.test 'DNS:edge01.contoso.test'
  make_leaf dir01 dir01.contoso.test 'DNS:dir01.contoso.test'
  make_leaf med01 med01.contoso.test 'DNS:med01.contoso.test,IP:127.5.4.10'
  # A legacy certificate: RSA 1024, SHA-1 signature, 7 days left (what the inventory must flag).
  make_leaf legacy01 legacy01.contoso.test 'DNS:legacy01.contoso.test' -newkey rsa:1024
}

# ---------------------------------------------------------------------------------------------
# Capture control
# ---------------------------------------------------------------------------------------------
start_capture() {
  CAPTURE_FILE=$WORK/$1
  tcpdump -i lo -s 0 -U -n --immediate-mode -w "$CAPTURE_FILE" "$CAPTURE_FILTER" >"$WORK/tcpdump-$1.log" 2>&1 &
  TCPDUMP_PID=$!
  poll 5 file_has "$WORK/tcpdump-$1.log" 'listening on lo' || die "tcpdump did not start"
}
stop_capture() {
  local name=$1 packets outside
  sleep 1 # let the last packets reach the file before tcpdump stops
  kill -INT "$TCPDUMP_PID"
  wait "$TCPDUMP_PID" || true
  TCPDUMP_PID=
  grep -qx '0 packets dropped by kernel' "$WORK/tcpdump-$name.log" || die "tcpdump dropped packets ($name)"
  packets=$(tcpdump -r "$CAPTURE_FILE" -n 2>/dev/null | wc -l)
  outside=$(tcpdump -r "$CAPTURE_FILE" -n 'not (ip and net 127.5.0.0/16)' 2>/dev/null | wc -l)
  ((packets > 0)) || die "$name is empty"
  ((outside == 0)) || die "$name: $outside packets outside 127.5.0.0/16"
  ((packets <= 2000)) || die "$name: $packets packets, more than planned"
  mkdir -p "$OUT"
  install -m 0644 "$CAPTURE_FILE" "$OUT/.$name.tmp" || die "cannot write $OUT"
  mv -f "$OUT/.$name.tmp" "$OUT/$name"
  log "$name: $packets packets, $(stat -c %s "$OUT/$name") bytes"
}

# ---------------------------------------------------------------------------------------------
# TLS scenarios (openssl)
# ---------------------------------------------------------------------------------------------
# tls_session NAME SERVER_ADDRESS PORT SERVER_CERT SERVER_OPTIONS CLIENT_ADDRESS CLIENT_CERT VERSION EXPECT
#   One s_server connection; the client sends a SIP OPTIONS line and closes. CLIENT_CERT: a
#   name under pki/ or "none". EXPECT: "ok" (the handshake must succeed) or "fail".
tls_session() {
  local name=$1 server=$2 port=$3 server_cert=$4 server_options=$5 client=$6 client_cert=$7 version=$8 expect=$9
  local server_pid client_status=0
  # s_server quits on EOF on stdin: keep its stdin open for the scenario.
  # shellcheck disable=SC2086
  { sleep 4; } | timeout 10 openssl s_server -accept "$server:$port" -naccept 1 "$version" \
    -cert "$PKI/$server_cert.pem" -key "$PKI/$server_cert.key" -CAfile "$PKI/ca.pem" \
    $server_options >"$WORK/$name.server.log" 2>&1 &
  server_pid=$!
  wait_tcp_listening "$server" "$port"
  local options=(-bind "$client:0" -connect "$server:$port" "$version" -CAfile "$PKI/ca.pem"
    -servername "$server_cert.contoso.test" -nocommands -brief)
  if [[ "$client_cert" != none ]]; then
    options+=(-cert "$PKI/$client_cert.pem" -key "$PKI/$client_cert.key")
  fi
  { printf 'OPTIONS sip:%s:%s;transport=tls SIP/2.0\r\nVia: SIP/2.0/TLS %s:5061\r\nContent-Length: 0\r\n\r\n' \
      "$server" "$port" "$client"; sleep 0.5; } |
    timeout 10 openssl s_client "${options[@]}" >"$WORK/$name.client.log" 2>&1 || client_status=$?
  wait_quiet "$server_pid"
  if [[ "$expect" == ok ]]; then
    ((client_status == 0)) && grep -q 'OPTIONS sip:' "$WORK/$name.server.log" ||
      die "$name: the TLS session did not carry the request"
  else
    grep -qiE 'alert|error|fail' "$WORK/$name.server.log" "$WORK/$name.client.log" ||
      die "$name: the handshake was expected to fail"
  fi
  wait_tcp_closed "$server" "$port"
}

# https_get NAME PORT CLIENT_ADDRESS CERT VERSION [EXTRA_OPTIONS] — s_server -www answers GET /.
https_get() {
  local name=$1 port=$2 client=$3 cert=$4 version=$5 extra=${6:-} server_pid
  # shellcheck disable=SC2086
  timeout 10 openssl s_server -accept "$FRONT_END:$port" -naccept 1 -www "$version" $extra \
    -cert "$PKI/$cert.pem" -key "$PKI/$cert.key" </dev/null >"$WORK/$name.server.log" 2>&1 &
  server_pid=$!
  wait_tcp_listening "$FRONT_END" "$port"
  # shellcheck disable=SC2086
  { printf 'GET / HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n' "$FRONT_END" "$port"
    poll 5 file_has "$WORK/$name.client.log" '</HTML>' || true; } |
    timeout 10 openssl s_client -bind "$client:0" -connect "$FRONT_END:$port" "$version" $extra \
      -servername "$cert.contoso.test" -nocommands -brief >"$WORK/$name.client.log" 2>&1 || true
  file_has "$WORK/$name.client.log" 'HTTP/1.0 200 ok' || die "$name: no HTTP 200 from s_server -www"
  wait_quiet "$server_pid"
  wait_tcp_closed "$FRONT_END" "$port"
}

# http_server NAME ADDRESS PORT — a socat HTTP responder for one request; sets LAST_PID.
http_server() {
  local name=$1 address=$2 port=$3
  # Reads the request up to its empty line, then answers (a file: socat's SYSTEM: would eat the escapes).
  cat >"$WORK/http-responder.sh" <<'RESPONDER'
sed -u '/^\r*$/q' >/dev/null
printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n'
RESPONDER
  timeout 10 socat -T 5 "TCP-LISTEN:$port,bind=$address,reuseaddr" SYSTEM:"sh $WORK/http-responder.sh" \
    </dev/null >"$WORK/$name.server.log" 2>&1 &
  LAST_PID=$!
  wait_tcp_listening "$address" "$port"
}

# curl_get NAME CLIENT SERVER PORT — a real HTTP client on a numeric address (no name lookup).
curl_get() {
  local name=$1 client=$2 server=$3 port=$4 server_pid
  http_server "$name" "$server" "$port"
  server_pid=$LAST_PID
  timeout 10 curl -sS --noproxy '*' --interface "$client" -o "$WORK/$name.body" "http://$server:$port/" \
    >"$WORK/$name.client.log" 2>&1 || die "$name: curl failed"
  [[ "$(cat "$WORK/$name.body")" == ok ]] || die "$name: unexpected HTTP body"
  wait_quiet "$server_pid"
  wait_tcp_closed "$server" "$port"
}

record_tls() {
  start_capture tls.pcap
  log "T1 MTLS 1.2 with a client certificate: Edge $EDGE_INTERNAL -> Front End 5061"
  tls_session t1 "$FRONT_END" 5061 pool01 "-Verify 1 -verify_return_error" "$EDGE_INTERNAL" edge01 -tls1_2 ok
  log "T2 TLS 1.2 on MTLS 5061, certificate optional, none sent: Mediation -> Front End"
  tls_session t2 "$FRONT_END" 5061 pool01 "-verify 1" "$MEDIATION" none -tls1_2 ok
  log "T3 TLS 1.2 on MTLS 5061, certificate required, none sent (the server aborts): Director -> Front End"
  tls_session t3 "$FRONT_END" 5061 pool01 "-Verify 1 -verify_return_error" "$DIRECTOR" none -tls1_2 fail
  log "T4 TLS 1.3 on MTLS 5061 with a client certificate: Director -> Front End"
  tls_session t4 "$FRONT_END" 5061 pool01 "-Verify 1 -verify_return_error" "$DIRECTOR" dir01 -tls1_3 ok
  log "T5 TLS 1.2 from a client to 5061 (TLS, no client certificate): client -> Front End"
  tls_session t5 "$FRONT_END" 5061 pool01 "-verify 1" "$CLIENT_1" none -tls1_2 ok
  log "T6 HTTPS TLS 1.3: client -> Front End 443"
  https_get t6 443 "$CLIENT_2" pool01 -tls1_3
  log "T7 HTTPS TLS 1.2 with an RSA-1024/SHA-1 certificate: Director -> Front End 444"
  https_get t7 444 "$DIRECTOR" legacy01 -tls1_2 "-cipher DEFAULT@SECLEVEL=0"
  log "T8 cleartext HTTP on the HTTPS port 443: client -> Front End"
  curl_get t8 "$CLIENT_3" "$FRONT_END" 443
  log "T9 MTLS 1.2 with a client certificate: Front End -> Mediation 5070"
  tls_session t9 "$MEDIATION" 5070 med01 "-Verify 1 -verify_return_error" "$FRONT_END" pool01 -tls1_2 ok
  stop_capture tls.pcap
}

# ---------------------------------------------------------------------------------------------
# SIP scenarios (SIPp, socat)
# ---------------------------------------------------------------------------------------------
uas_scenario() {
  sipp -sd uas >"$WORK/uas-default.xml" || true
  grep -v '<timewait milliseconds="4000"/>' "$WORK/uas-default.xml" >"$WORK/uas.xml"
}
# sipp_call NAME TRANSPORT(t1|u1) UAC_ADDRESS UAC_PORT UAS_ADDRESS UAS_PORT
sipp_call() {
  local name=$1 transport=$2 uac=$3 uac_port=$4 uas=$5 uas_port=$6 uas_pid status=0
  (cd "$WORK" && exec timeout 20 sipp -sf "$WORK/uas.xml" -t "$transport" -i "$uas" -p "$uas_port" \
    -mi "$uas" -mp 16000 -m 1 -nostdin -timeout 15s -timeout_error >"$WORK/$name.uas.log" 2>&1) &
  uas_pid=$!
  if [[ "$transport" == t1 ]]; then wait_tcp_listening "$uas" "$uas_port"; else wait_udp_bound "$uas" "$uas_port"; fi
  (cd "$WORK" && exec timeout 20 sipp -sn uac -t "$transport" -i "$uac" -p "$uac_port" -mi "$uac" -mp 16000 \
    -m 1 -nostdin -timeout 15s -timeout_error "$uas:$uas_port" </dev/null >"$WORK/$name.uac.log" 2>&1) || status=$?
  ((status == 0)) || die "$name: the SIPp call failed (status $status)"
  wait "$uas_pid" || die "$name: the SIPp UAS failed"
}

record_sip() {
  uas_scenario
  start_capture sip.pcap
  log "S1 SIPp call over TCP: Mediation $MEDIATION -> Front End 5060"
  sipp_call s1 t1 "$MEDIATION" 35060 "$FRONT_END" 5060
  log "S2 SIPp call over UDP: client $CLIENT_4 -> Front End 5060/udp"
  sipp_call s2 u1 "$CLIENT_4" 35062 "$FRONT_END" 5060
  log "S3 cleartext SIP OPTIONS (Via SIP/2.0/TLS) to the TLS port 5061: Mediation -> Front End"
  local server_pid
  { sleep 3; } | timeout 10 openssl s_server -accept "$FRONT_END:5061" -naccept 1 -tls1_2 \
    -cert "$PKI/pool01.pem" -key "$PKI/pool01.key" >"$WORK/s3.server.log" 2>&1 &
  server_pid=$!
  wait_tcp_listening "$FRONT_END" 5061
  { printf 'OPTIONS sip:pool01.contoso.test:5061;transport=tls SIP/2.0\r\nVia: SIP/2.0/TLS %s:5061;branch=z9hG4bK-s3\r\nMax-Forwards: 70\r\nFrom: <sip:med01.contoso.test>;tag=s3\r\nTo: <sip:pool01.contoso.test>\r\nCall-ID: s3\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n' "$MEDIATION"
    sleep 0.5; } | timeout 10 socat -t 2 - "TCP:$FRONT_END:5061,bind=$MEDIATION" >/dev/null 2>"$WORK/s3.client.log" || true
  wait_quiet "$server_pid"
  wait_tcp_closed "$FRONT_END" 5061
  log "S4 SIPp cleartext call to the MTLS port 5070: Front End $FRONT_END -> Mediation"
  sipp_call s4 t1 "$FRONT_END" 35070 "$MEDIATION" 5070
  stop_capture sip.pcap
}

# ---------------------------------------------------------------------------------------------
# Media scenarios (coturn, GStreamer)
# ---------------------------------------------------------------------------------------------
# rtp_stream NAME CLIENT CLIENT_PORT SERVER PORT [mux]
#   25 PCMU packets; with "mux", rtpmux's one SSRC over 13 PCMU and 13 PCMA packets
rtp_stream() {
  local name=$1 client=$2 client_port=$3 server=$4 port=$5 mux=${6:-} sink_pid
  local sink=(udpsink host="$server" port="$port" bind-address="$client" bind-port="$client_port")
  local tone=(is-live=true wave=sine ! audio/x-raw,rate=8000,channels=1)
  timeout 10 socat -u "UDP-RECV:$port,bind=$server" "OPEN:$WORK/$name.bin,creat,trunc" >"$WORK/$name.sink.log" 2>&1 &
  sink_pid=$!
  wait_udp_bound "$server" "$port"
  if [[ -n $mux ]]; then
    timeout 10 gst-launch-1.0 -q rtpmux name=mux ! "${sink[@]}" \
      audiotestsrc num-buffers=13 samplesperbuffer=160 freq=440 "${tone[@]}" ! mulawenc ! rtppcmupay pt=0 ! mux.sink_0 \
      audiotestsrc num-buffers=13 samplesperbuffer=160 freq=880 "${tone[@]}" ! alawenc ! rtppcmapay pt=8 ! mux.sink_1 \
      </dev/null >"$WORK/$name.gst.log" 2>&1 || die "$name: gst-launch-1.0 failed"
  else
    timeout 10 gst-launch-1.0 -q audiotestsrc num-buffers=25 samplesperbuffer=160 freq=440 "${tone[@]}" ! \
      mulawenc ! rtppcmupay pt=0 ! "${sink[@]}" </dev/null >"$WORK/$name.gst.log" 2>&1 || die "$name: gst-launch-1.0 failed"
  fi
  poll 2 sh -c "[ \$(stat -c %s '$WORK/$name.bin') -ge 4300 ]" || die "$name: the RTP sink got too little"
  kill -TERM "$sink_pid"
  wait_quiet "$sink_pid"
}

record_media() {
  start_capture media.pcap
  log "M1 STUN Binding over UDP (coturn): client $CLIENT_1 -> Edge 3478"
  local turn_pid
  timeout 20 turnserver -n --listening-ip="$EDGE_INTERNAL" --listening-port=3478 --relay-ip="$EDGE_INTERNAL" \
    --stun-only --no-tls --no-dtls --no-cli --userdb="$WORK/turndb1" --no-stdout-log --simple-log \
    --log-file="$WORK/turnserver1.log" --pidfile="$WORK/turnserver1.pid" >/dev/null 2>&1 &
  turn_pid=$!
  wait_udp_bound "$EDGE_INTERNAL" 3478
  timeout 10 turnutils_stunclient -L "$CLIENT_1" -p 3478 "$EDGE_INTERNAL" </dev/null >"$WORK/m1.log" 2>&1 ||
    die "turnutils_stunclient failed"
  grep -q "UDP reflexive addr: $CLIENT_1:" "$WORK/m1.log" || die "no reflexive address"
  kill -TERM "$turn_pid"
  wait_quiet "$turn_pid"

  log "M2 TURN allocations over TCP 443 (coturn, turnutils_uclient): client $CLIENT_2 -> Edge 443"
  timeout 20 turnserver -n --listening-ip="$EDGE_INTERNAL" --listening-port=443 --relay-ip="$EDGE_INTERNAL" \
    --no-tls --no-dtls --no-cli --lt-cred-mech --user=alice:secret --realm=contoso.test --allow-loopback-peers \
    --userdb="$WORK/turndb2" --no-stdout-log --simple-log --log-file="$WORK/turnserver2.log" \
    --pidfile="$WORK/turnserver2.pid" >/dev/null 2>&1 &
  turn_pid=$!
  wait_tcp_listening "$EDGE_INTERNAL" 443
  timeout 10 turnutils_uclient -t -y -c -n 2 -m 1 -u alice -w secret -L "$CLIENT_2" -p 443 "$EDGE_INTERNAL" \
    </dev/null >"$WORK/m2.log" 2>&1 || die "turnutils_uclient failed"
  grep -q 'Total lost packets 0' "$WORK/m2.log" || die "turnutils_uclient: packets lost"
  kill -TERM "$turn_pid"
  wait_quiet "$turn_pid"
  wait_tcp_closed "$EDGE_INTERNAL" 443

  log "M3 RTP (GStreamer): client $CLIENT_3:50020 -> Front End 50000/udp (audio range)"
  rtp_stream m3 "$CLIENT_3" 50020 "$FRONT_END" 50000
  log "M4 RTP (GStreamer) to an undocumented port: client $CLIENT_3:50022 -> Front End 6000/udp"
  rtp_stream m4 "$CLIENT_3" 50022 "$FRONT_END" 6000
  log "M5 HTTP on the media range: client $CLIENT_4 -> Front End 50001/tcp"
  curl_get m5 "$CLIENT_4" "$FRONT_END" 50001
  log "M6 RTP of two payload types in one SSRC (GStreamer's rtpmux: PCMU and PCMA, its two streams' packets"
  log "   leave out of sequence): client $CLIENT_3:50024 -> Front End 50002/udp (audio range)"
  rtp_stream m6 "$CLIENT_3" 50024 "$FRONT_END" 50002 mux
  log "M7 RTP from the Mediation Server's audio port to the PSTN gateway's (undocumented): Mediation $MEDIATION:50030"
  log "   -> gateway $GATEWAY:24596/udp (the Mediation end speaks first)"
  rtp_stream m7 "$MEDIATION" 50030 "$GATEWAY" 24596
  stop_capture media.pcap
}

# layered_stream NAME CLIENT CLIENT_PORT SERVER PORT SSRC...
#   One RTP stream per SSRC, 13 PCMU packets each, 20 ms apart, through GStreamer's funnel onto one
#   5-tuple: the streams' packets take turns as their clocks give them, each stream keeping its own
#   sequence numbers and timestamps, as the layers of Lync's H.264 UC video do (one SSRC per layer,
#   within the range the SDP's a=x-ssrc-range declares; MS-SDPEXT 3.1.5.31, MS-H264PF). PCMU stands in
#   for the video payload: what is checked is the RTP header.
layered_stream() {
  local name=$1 client=$2 client_port=$3 server=$4 port=$5 sink_pid branches=() i=0 ssrc
  shift 5
  for ssrc in "$@"; do
    branches+=(audiotestsrc num-buffers=13 samplesperbuffer=160 freq=$((440 + 110 * i)) is-live=true wave=sine !
      audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay pt=0 ssrc="$ssrc" ! "f.sink_$i")
    i=$((i + 1))
  done
  timeout 10 socat -u "UDP-RECV:$port,bind=$server" "OPEN:$WORK/$name.bin,creat,trunc" >"$WORK/$name.sink.log" 2>&1 &
  sink_pid=$!
  wait_udp_bound "$server" "$port"
  timeout 10 gst-launch-1.0 -q funnel name=f ! udpsink sync=false host="$server" port="$port" bind-address="$client" \
    bind-port="$client_port" "${branches[@]}" </dev/null >"$WORK/$name.gst.log" 2>&1 || die "$name: gst-launch-1.0 failed"
  poll 2 sh -c "[ \$(stat -c %s '$WORK/$name.bin') -ge $((i * 13 * 172)) ]" || die "$name: the RTP sink got too little"
  kill -TERM "$sink_pid"
  wait_quiet "$sink_pid"
}

record_layers() {
  start_capture layers.pcap
  log "L1 RTP of two SSRCs of one range taking turns (H.264 UC's layers): client $CLIENT_3:50040 -> Front End 58000/udp"
  layered_stream l1 "$CLIENT_3" 50040 "$FRONT_END" 58000 0x2c5a1e00 0x2c5a1e01
  log "L2 RTP of three SSRCs of one range (the first seen in the middle of it): client $CLIENT_3:50042 -> Front End 58002/udp"
  layered_stream l2 "$CLIENT_3" 50042 "$FRONT_END" 58002 0x2c5a1e40 0x2c5a1e00 0x2c5a1e63
  log "L3 RTP of two unrelated SSRCs taking turns (not one range): client $CLIENT_3:50044 -> Front End 58004/udp"
  layered_stream l3 "$CLIENT_3" 50044 "$FRONT_END" 58004 0x2c5a1e00 0x7b3f0001
  stop_capture layers.pcap
}

# ---------------------------------------------------------------------------------------------
# The other protocols (curl, OpenSSH, dropbear, Impacket)
# ---------------------------------------------------------------------------------------------
impacket() {
  local source=$1 script=$2
  shift 2
  "$PY" "$HERE/bind-source.py" "$source" "$IMPACKET/$script" "$@"
}

record_others() {
  dropbearkey -t ed25519 -f "$WORK/dropbear_ed25519" >"$WORK/dropbearkey.log" 2>&1
  start_capture others.pcap
  log "O1 HTTP GET (curl/socat): client $CLIENT_1 -> Front End 80"
  curl_get o1 "$CLIENT_1" "$FRONT_END" 80

  log "O2 SSH (OpenSSH client, dropbear server): client $CLIENT_5 -> Front End 22"
  local server_pid
  timeout 15 dropbear -F -E -s -p "$FRONT_END:22" -r "$WORK/dropbear_ed25519" -P "$WORK/dropbear.pid" \
    </dev/null >"$WORK/o2.server.log" 2>&1 &
  server_pid=$!
  wait_tcp_listening "$FRONT_END" 22
  timeout 10 ssh -F /dev/null -b "$CLIENT_5" -o BatchMode=yes -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null -o CheckHostIP=no \
    -o PreferredAuthentications=publickey -o IdentityFile=/dev/null -o IdentitiesOnly=yes \
    -o ConnectTimeout=5 -p 22 "nobody@$FRONT_END" true </dev/null >"$WORK/o2.client.log" 2>&1 || true
  grep -q 'Permission denied' "$WORK/o2.client.log" || die "o2: the SSH handshake did not reach authentication"
  kill -TERM "$server_pid"
  wait_quiet "$server_pid"
  wait_tcp_closed "$FRONT_END" 22

  log "O3 RDP connection request (Impacket rdp_check): client $CLIENT_2 -> Front End 3389"
  printf '\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x00\x08\x00\x02\x00\x00\x00' >"$WORK/rdp-confirm.bin"
  timeout 10 socat -T 3 "TCP-LISTEN:3389,bind=$FRONT_END,reuseaddr" \
    SYSTEM:"head -c 19 >/dev/null && cat '$WORK/rdp-confirm.bin' && sleep 1" >"$WORK/o3.server.log" 2>&1 &
  server_pid=$!
  wait_tcp_listening "$FRONT_END" 3389
  timeout 10 "$PY" "$HERE/bind-source.py" "$CLIENT_2" "$IMPACKET/rdp_check.py" "contoso/alice:secret@$FRONT_END" \
    </dev/null >"$WORK/o3.client.log" 2>&1 || true
  wait_quiet "$server_pid"
  wait_tcp_closed "$FRONT_END" 3389

  log "O4 SMB (Impacket smbclient -> Impacket smbserver): Front End $FRONT_END_2 -> Front End $FRONT_END 445"
  mkdir -p "$WORK/share" && echo hello >"$WORK/share/hello.txt"
  timeout 20 "$PY" "$IMPACKET/smbserver.py" -ip "$FRONT_END" -port 445 -smb2support SHARE "$WORK/share" \
    </dev/null >"$WORK/o4.server.log" 2>&1 &
  server_pid=$!
  wait_tcp_listening "$FRONT_END" 445
  printf 'use SHARE\nls\nexit\n' | timeout 10 "$PY" "$HERE/bind-source.py" "$FRONT_END_2" "$IMPACKET/smbclient.py" \
    -no-pass "guest@$FRONT_END" >"$WORK/o4.client.log" 2>&1 || true
  grep -q 'hello.txt' "$WORK/o4.client.log" || die "o4: smbclient did not list the share"
  kill -TERM "$server_pid"
  wait_quiet "$server_pid"
  wait_tcp_closed "$FRONT_END" 445

  log "O5 DCE/RPC bind to the endpoint mapper (Impacket rpcdump): Director -> Front End 135"
  timeout 10 socat -T 2 "TCP-LISTEN:135,bind=$FRONT_END,reuseaddr" SYSTEM:"head -c 72 >/dev/null; sleep 1" \
    >"$WORK/o5.server.log" 2>&1 &
  server_pid=$!
  wait_tcp_listening "$FRONT_END" 135
  timeout 4 "$PY" "$HERE/bind-source.py" "$DIRECTOR" "$IMPACKET/rpcdump.py" -port 135 "$FRONT_END" \
    </dev/null >"$WORK/o5.client.log" 2>&1 || true
  wait_quiet "$server_pid"
  wait_tcp_closed "$FRONT_END" 135

  log "O6 TDS PRELOGIN (Impacket mssqlclient): client $CLIENT_3 -> Front End 1433"
  timeout 10 socat -T 2 "TCP-LISTEN:1433,bind=$FRONT_END,reuseaddr" SYSTEM:"head -c 8 >/dev/null; sleep 1" \
    >"$WORK/o6.server.log" 2>&1 &
  server_pid=$!
  wait_tcp_listening "$FRONT_END" 1433
  timeout 4 "$PY" "$HERE/bind-source.py" "$CLIENT_3" "$IMPACKET/mssqlclient.py" -port 1433 "sa:secret@$FRONT_END" \
    </dev/null >"$WORK/o6.client.log" 2>&1 || true
  wait_quiet "$server_pid"
  wait_tcp_closed "$FRONT_END" 1433

  log "O7 SSRP CLNT_UCAST_EX / SVR_RESP (Impacket's SQL Browser client): Director -> Front End 1434/udp"
  local reply='ServerName;POOL01;InstanceName;RTCLOCAL;IsClustered;No;Version;11.0.2100.60;tcp;50001;;'
  # SVR_RESP: 0x05, RESP_SIZE (2 bytes, little-endian), RESP_DATA
  printf '\005\'"$(printf '%03o' ${#reply})"'\000%s' "$reply" >"$WORK/ssrp-reply.bin"
  timeout 10 socat -T 3 "UDP-RECVFROM:1434,bind=$FRONT_END" SYSTEM:"head -c 1 >/dev/null; cat '$WORK/ssrp-reply.bin'" \
    >"$WORK/o7.server.log" 2>&1 &
  server_pid=$!
  wait_udp_bound "$FRONT_END" 1434
  timeout 10 "$PY" "$HERE/bind-source.py" "$DIRECTOR" "$HERE/ssrp-query.py" "$FRONT_END" >"$WORK/o7.client.log" 2>&1 ||
    die "o7: the SQL Browser query failed"
  grep -q 'RTCLOCAL' "$WORK/o7.client.log" || die "o7: no instance in the SQL Browser reply"
  wait_quiet "$server_pid"

  log "O8 a TCP handshake without payload: Director -> Front End 5061 (the listener closes at once)"
  timeout 10 socat -T 1 "TCP-LISTEN:5061,bind=$FRONT_END,reuseaddr" SYSTEM:"true" >"$WORK/o8.server.log" 2>&1 &
  server_pid=$!
  wait_tcp_listening "$FRONT_END" 5061
  timeout 5 socat -T 1 -u /dev/null "TCP:$FRONT_END:5061,bind=$DIRECTOR" >"$WORK/o8.client.log" 2>&1 || true
  wait_quiet "$server_pid"
  wait_tcp_closed "$FRONT_END" 5061
  stop_capture others.pcap
}

# ONLY="media" (any of tls sip media layers others) records just those files.
make_certificates
for part in ${ONLY:-tls sip media layers others}; do
  case $part in tls | sip | media | layers | others) "record_$part" ;; *) die "ONLY: no such part: $part" ;; esac
done
log "done"
