#!/usr/bin/env bash
# Records captures/sample.pcap: real programs (openssl, sipp, coturn, socat, GStreamer) talking
# to each other on distinct 127.x loopback addresses that stand for the roles of a Lync Server
# 2013 deployment (see sample-topology.yaml and README.md next to this script).
#
#   sudo captures/record-sample.sh [OUTPUT.pcap]        (default: captures/sample.pcap)
#
# Needs root (tcpdump on lo), Linux, and the programs that scripts/install-test-deps.sh
# installs. Every address is numeric and inside 127.0.0.0/8; nothing resolves a name and
# nothing leaves the host. Certificates are generated afresh into a temporary directory on
# every run, so two recordings never have the same bytes.
#
# Environment: KEEP_WORK=1 keeps the temporary directory (certificates, every program's log).
# KEYLOG_OUT=FILE also writes the TLS key log (NSS format) of every TLS session,
# so that `tshark -o tls.keylog_file:FILE` can show the SIP and HTTP inside the TLS records.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUTPUT=${1:-$HERE/sample.pcap}

# Addresses of the sample topology (captures/sample-topology.yaml).
readonly FRONT_END=127.0.1.10
readonly DIRECTOR=127.0.2.10
readonly EDGE_INTERNAL=127.0.3.10
readonly MEDIATION=127.0.4.10
readonly CLIENT_1=127.0.10.21
readonly CLIENT_2=127.0.10.22
readonly CLIENT_3=127.0.10.23
readonly OUTSIDER=127.0.99.1

# Loopback only; 127.0.0.0/24 (127.0.0.1, the stub resolver on 127.0.0.53) is left out so
# that unrelated local services never end up in the sample.
readonly CAPTURE_FILTER='net 127.0.0.0/8 and not net 127.0.0.0/24 and not port 53'

# shellcheck source=record-lib.sh
source "$HERE/record-lib.sh"
[[ "$OUTPUT" == *.pcap ]] || die "the output name must end in .pcap: $OUTPUT"
record_begin record-sample "tcpdump needs root" tcpdump openssl sipp turnserver turnutils_stunclient socat ss gst-launch-1.0 timeout
TCPDUMP_PID=
STAGED=
remove_staged() { [[ -z "$STAGED" ]] || rm -f "$STAGED"; }
RECORD_ON_EXIT=remove_staged
readonly PKI_DIR_NAME=pki
readonly KEYLOG=$WORK/tls.keylog

# ---------------------------------------------------------------------------------------------
# Throwaway PKI: a test CA, the pool certificate and an Edge client certificate
# ---------------------------------------------------------------------------------------------

# make_leaf NAME CN SAN — a leaf certificate signed by the test CA, for server and client
# authentication (as Lync's MTLS certificates are).
make_leaf() {
  local pki=$WORK/$PKI_DIR_NAME
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
    -subj "/O=Contoso Test/CN=$2" -keyout "$pki/$1.key" -out "$pki/$1.csr" \
    </dev/null 2>>"$WORK/pki.log"
  printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature' \
    'extendedKeyUsage=serverAuth,clientAuth' \
    "subjectAltName=$3" >"$pki/$1.ext"
  openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days 30 -sha256 -extfile "$pki/$1.ext" \
    -out "$pki/$1.pem" </dev/null 2>>"$WORK/pki.log"
  openssl verify -CAfile "$pki/ca.pem" "$pki/$1.pem" >>"$WORK/pki.log"
}

make_certificates() {
  local pki=$WORK/$PKI_DIR_NAME
  mkdir -p "$pki"
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 30 \
    -subj '/O=Contoso Test/CN=Contoso Test Root CA' \
    -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' \
    -keyout "$pki/ca.key" -out "$pki/ca.pem" </dev/null 2>"$WORK/pki.log"
  make_leaf pool01 pool01.contoso.test 'DNS:pool01.contoso.test,DNS:sip.contoso.test'
  make_leaf edge01 edge01.contoso.test 'DNS:edge01.contoso.test'
}

# ---------------------------------------------------------------------------------------------
# SIP helpers
# ---------------------------------------------------------------------------------------------

# sip_request VAR METHOD REQUEST-URI VIA-HOST FROM TO CALL-ID [TRANSPORT]
#   Stores in VAR a SIP request without a body, lines ended by CRLF.
sip_request() {
  local -n out=$1
  local method=$2 uri=$3 via=$4 from=$5 to=$6 call_id=$7 transport=${8:-TLS}
  printf -v out '%s\r\n' \
    "$method $uri SIP/2.0" \
    "Via: SIP/2.0/$transport $via;branch=z9hG4bK-$call_id" \
    'Max-Forwards: 70' \
    "From: <$from>;tag=${call_id%%-*}" \
    "To: <$to>" \
    "Call-ID: $call_id" \
    "CSeq: 1 $method" \
    "Contact: <sip:$via;transport=${transport,,}>" \
    'User-Agent: portmatrix-sample' \
    'Content-Length: 0' \
    ''
}

# sip_ok REQUEST — the 200 OK for a request made by sip_request.
sip_ok() {
  printf '%s' "$1" | awk -v RS='\r\n' -v ORS='\r\n' '
    NR == 1 { print "SIP/2.0 200 OK"; next }
    /^(Via|From|Call-ID|CSeq):/ { print; next }
    /^To:/ { print $0 ";tag=fe-pool01"; next }
    END { print "Server: portmatrix-sample"; print "Content-Length: 0"; print "" }'
}

# ---------------------------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------------------------

# start_sip_tls_server NAME SERVER_VERIFY
#   An openssl s_server for one connection on the Front End's 5061, TLS 1.2 (so that the
#   Certificate messages are visible in the capture). SERVER_VERIFY: -Verify (a client
#   certificate is required: MTLS) or -verify (optional). Sets SERVER_PID, and SERVER_STDIN to
#   a descriptor on the server's stdin: what is written there is sent to the client.
#   s_server takes EOF on stdin for "quit", so its stdin stays open until the scenario ends.
#   (It also reads a line starting with "S" as "print cache statistics" — hence the statistics
#   in its log after the "SIP/2.0 200 OK" — but sends the line all the same.)
start_sip_tls_server() {
  local name=$1 server_verify=$2 pki=$WORK/$PKI_DIR_NAME fifo=$WORK/$1.server.in
  mkfifo "$fifo"
  timeout 20 openssl s_server -accept "$FRONT_END:5061" -naccept 1 -tls1_2 \
    -cert "$pki/pool01.pem" -key "$pki/pool01.key" -CAfile "$pki/ca.pem" \
    "$server_verify" 1 -verify_return_error -keylogfile "$KEYLOG" \
    <"$fifo" >"$WORK/$name.server.log" 2>&1 &
  SERVER_PID=$!
  exec {SERVER_STDIN}>"$fifo"
  wait_tcp_listening "$FRONT_END" 5061
}

# stop_sip_tls_server NAME — waits for the one-connection server to end.
stop_sip_tls_server() {
  wait_job "$SERVER_PID" "$1: openssl s_server"
  exec {SERVER_STDIN}>&-
  wait_tcp_closed "$FRONT_END" 5061
}

# tls_sip NAME SERVER_VERIFY CLIENT_ADDRESS CLIENT_CERT SNI REQUEST
#   openssl s_client from CLIENT_ADDRESS to the Front End's 5061 sends REQUEST over the TLS
#   session; the server answers it with a 200 OK once it has read it.
#   CLIENT_CERT: a name under pki/ or "none". SNI: a host name or "none" (-noservername).
tls_sip() {
  local name=$1 server_verify=$2 client_address=$3 client_cert=$4 sni=$5 request=$6
  local pki=$WORK/$PKI_DIR_NAME server_log=$WORK/$name.server.log
  local client_log=$WORK/$name.client.log client_pid response method=${request%% *}
  response=$(sip_ok "$request"; printf x) && response=${response%x}

  start_sip_tls_server "$name" "$server_verify"
  local client_options=(-bind "$client_address:0" -connect "$FRONT_END:5061" -tls1_2
    -CAfile "$pki/ca.pem" -verify_return_error -verify_hostname pool01.contoso.test
    -nocommands -brief -keylogfile "$KEYLOG")
  if [[ "$sni" == none ]]; then
    client_options+=(-noservername)
  else
    client_options+=(-servername "$sni")
  fi
  if [[ "$client_cert" != none ]]; then
    client_options+=(-cert "$pki/$client_cert.pem" -key "$pki/$client_cert.key")
  fi
  # The client sends the request, waits for the answer, then closes stdin: s_client sends
  # close_notify and closes the connection.
  {
    printf '%s' "$request"
    poll 5 file_has "$client_log" 'SIP/2.0 200 OK' || true
    sleep 0.1
  } | timeout 10 openssl s_client "${client_options[@]}" >"$client_log" 2>&1 &
  client_pid=$!

  poll 5 file_has "$server_log" "$method sip:" || die "$name: the server did not get the request"
  printf '%s' "$response" >&"$SERVER_STDIN"
  wait_job "$client_pid" "$name: openssl s_client"
  file_has "$client_log" 'SIP/2.0 200 OK' || die "$name: the client got no 200 OK"
  stop_sip_tls_server "$name"
}

# https_get NAME PORT CLIENT_ADDRESS SNI TLS_VERSION_OPTION
#   openssl s_server -www on the Front End (it answers GET / with a status page) and an
#   openssl s_client that sends the GET.
https_get() {
  local name=$1 port=$2 client_address=$3 sni=$4 version=$5
  local pki=$WORK/$PKI_DIR_NAME server_log=$WORK/$name.server.log client_log=$WORK/$name.client.log
  local server_pid client_pid

  timeout 20 openssl s_server -accept "$FRONT_END:$port" -naccept 1 -www "$version" \
    -cert "$pki/pool01.pem" -key "$pki/pool01.key" -keylogfile "$KEYLOG" \
    </dev/null >"$server_log" 2>&1 &
  server_pid=$!
  wait_tcp_listening "$FRONT_END" "$port"
  {
    printf 'GET / HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: portmatrix-sample\r\nConnection: close\r\n\r\n' \
      "$sni" "$port"
    poll 5 file_has "$client_log" '</HTML>' || true
  } | timeout 10 openssl s_client -bind "$client_address:0" -connect "$FRONT_END:$port" "$version" \
    -servername "$sni" -CAfile "$pki/ca.pem" -verify_return_error -verify_hostname "$sni" \
    -nocommands -brief -keylogfile "$KEYLOG" >"$client_log" 2>&1 &
  client_pid=$!
  wait_job "$client_pid" "$name: openssl s_client"
  file_has "$client_log" 'HTTP/1.0 200 ok' || die "$name: no HTTP 200 from s_server -www"
  wait_job "$server_pid" "$name: openssl s_server"
  wait_tcp_closed "$FRONT_END" "$port"
}

# SIP over TCP 5060 with SIPp: a UAC on the Mediation Server calls a UAS on the Front End
# (INVITE, 180, 200, ACK, BYE, 200). The built-in UAS scenario ends with a 4 s <timewait/>
# that counts the call as failed once the UAC closes the TCP connection; it is dropped here.
# With -t t1 SIPp binds its outgoing TCP socket to -p, so 35060 (in Linux's ephemeral range,
# documented for nothing) is the Mediation Server's source port.
sip_call_tcp() {
  local uas_xml=$WORK/uas.xml uas_pid uac_status=0
  sipp -sd uas >"$WORK/uas-default.xml" || true  # -sd exits with status 99 after the dump
  grep -q '<timewait milliseconds="4000"/>' "$WORK/uas-default.xml" ||
    die "the built-in SIPp UAS scenario changed; check sip_call_tcp"
  grep -v '<timewait milliseconds="4000"/>' "$WORK/uas-default.xml" >"$uas_xml"

  (cd "$WORK" && exec timeout 20 sipp -sf "$uas_xml" -t t1 -i "$FRONT_END" -p 5060 \
    -mi "$FRONT_END" -mp 16000 -m 1 -nostdin -timeout 15s -timeout_error \
    -trace_msg -message_file "$WORK/sip-uas.msg.log" >"$WORK/sip-uas.log" 2>&1) &
  uas_pid=$!
  wait_tcp_listening "$FRONT_END" 5060
  (cd "$WORK" && exec timeout 20 sipp -sn uac -t t1 -i "$MEDIATION" -p 35060 \
    -mi "$MEDIATION" -mp 16000 -m 1 -nostdin -timeout 15s -timeout_error \
    -trace_msg -message_file "$WORK/sip-uac.msg.log" \
    "$FRONT_END:5060" </dev/null >"$WORK/sip-uac.log" 2>&1) || uac_status=$?
  ((uac_status == 0)) || die "sipp UAC: the call failed (status $uac_status)"
  wait_job "$uas_pid" "sipp UAS"
}

# STUN Binding on 3478/udp: coturn in STUN-only mode on the Edge internal address and
# turnutils_stunclient from a client.
stun_binding() {
  local turn_pid
  timeout 20 turnserver -n --listening-ip="$EDGE_INTERNAL" --listening-port=3478 \
    --relay-ip="$EDGE_INTERNAL" --stun-only --no-tls --no-dtls --no-cli \
    --userdb="$WORK/turndb" --no-stdout-log --simple-log --log-file="$WORK/turnserver.log" \
    --pidfile="$WORK/turnserver.pid" >"$WORK/turnserver.stdout.log" 2>&1 &
  turn_pid=$!
  wait_udp_bound "$EDGE_INTERNAL" 3478
  timeout 10 turnutils_stunclient -L "$CLIENT_1" -p 3478 "$EDGE_INTERNAL" \
    </dev/null >"$WORK/stunclient.log" 2>&1 || die "turnutils_stunclient failed"
  grep -q "UDP reflexive addr: $CLIENT_1:" "$WORK/stunclient.log" ||
    die "turnutils_stunclient got no reflexive address"
  kill -TERM "$turn_pid"
  wait "$turn_pid" 2>/dev/null || true
}

# One second of G.711 µ-law RTP (50 packets of 20 ms) from a client to the Front End's audio
# conferencing range; socat receives it on the Front End (no ICMP port-unreachable noise).
rtp_stream() {
  local sink_pid
  timeout 10 socat -u "UDP-RECV:50000,bind=$FRONT_END" "OPEN:$WORK/rtp.bin,creat,trunc" \
    >"$WORK/rtp-sink.log" 2>&1 &
  sink_pid=$!
  wait_udp_bound "$FRONT_END" 50000
  timeout 10 gst-launch-1.0 -q audiotestsrc num-buffers=50 samplesperbuffer=160 is-live=true \
    wave=sine freq=440 ! audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay pt=0 ! \
    udpsink host="$FRONT_END" port=50000 bind-address="$CLIENT_1" bind-port=50020 \
    </dev/null >"$WORK/gst.log" 2>&1 || die "gst-launch-1.0 failed"
  poll 2 sh -c "[ \$(stat -c %s '$WORK/rtp.bin') -ge 8600 ]" ||
    die "the RTP sink got $(stat -c %s "$WORK/rtp.bin") bytes, not 50 x 172"
  kill -TERM "$sink_pid"
  wait "$sink_pid" 2>/dev/null || true
}

# RDP on 3389 (not in the matrix): a client sends an X.224 Connection Request with an RDP
# Negotiation Request (TPKT, MS-RDPBCGR 2.2.1.1); a socat listener on the Front End reads it
# and answers with a Connection Confirm that selects standard RDP security.
rdp_attempt() {
  local listener_pid
  printf '\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x03\x00\x00\x00' \
    >"$WORK/rdp-request.bin"
  printf '\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x00\x08\x00\x00\x00\x00\x00' \
    >"$WORK/rdp-confirm.bin"
  timeout 10 socat -T 5 "TCP-LISTEN:3389,bind=$FRONT_END,reuseaddr" \
    "SYSTEM:head -c 19 >/dev/null && cat '$WORK/rdp-confirm.bin'" >"$WORK/rdp-server.log" 2>&1 &
  listener_pid=$!
  wait_tcp_listening "$FRONT_END" 3389
  {
    cat "$WORK/rdp-request.bin"
    poll 3 sh -c "[ \$(stat -c %s '$WORK/rdp-client.out' 2>/dev/null || echo 0) -ge 19 ]" || true
  } | timeout 10 socat -t 1 - "TCP:$FRONT_END:3389,bind=$CLIENT_3" >"$WORK/rdp-client.out" \
    2>"$WORK/rdp-client.log" || die "socat RDP client failed"
  cmp -s "$WORK/rdp-client.out" "$WORK/rdp-confirm.bin" || die "no X.224 Connection Confirm"
  wait_job "$listener_pid" "socat RDP listener"
}

# Cleartext SIP sent to the Front End's TLS port 5061 (the wrong protocol on a right port):
# socat from the Mediation Server; s_server rejects it as not TLS and closes the connection.
cleartext_sip_on_tls_port() {
  local request server_status=0
  sip_request request OPTIONS 'sip:pool01.contoso.test:5061' "$MEDIATION:5070" \
    'sip:mediation01.contoso.test' 'sip:pool01.contoso.test' med01-cleartext-1 TCP
  start_sip_tls_server cleartext -Verify
  { printf '%s' "$request"; sleep 0.5; } |
    timeout 10 socat -t 2 - "TCP:$FRONT_END:5061,bind=$MEDIATION" \
      >"$WORK/cleartext.client.out" 2>"$WORK/cleartext.client.log" || true
  wait "$SERVER_PID" 2>/dev/null || server_status=$?
  exec {SERVER_STDIN}>&-
  grep -qiE 'wrong version number|packet length too long|record layer failure|http request' \
    "$WORK/cleartext.server.log" || die "s_server did not reject the cleartext SIP"
  wait_tcp_closed "$FRONT_END" 5061
}

# ---------------------------------------------------------------------------------------------
# Recording
# ---------------------------------------------------------------------------------------------

make_certificates
request=
SERVER_PID=
SERVER_STDIN=

log "capturing on lo: $CAPTURE_FILTER"
tcpdump -i lo -s 0 -U -n -w "$WORK/sample.pcap" "$CAPTURE_FILTER" >"$WORK/tcpdump.log" 2>&1 &
TCPDUMP_PID=$!
poll 5 file_has "$WORK/tcpdump.log" 'listening on lo' || die "tcpdump did not start"

log "1/10 MTLS SIP OPTIONS: Edge internal $EDGE_INTERNAL -> Front End 5061"
sip_request request OPTIONS 'sip:pool01.contoso.test:5061;transport=tls' "$EDGE_INTERNAL:5061" \
  'sip:edge01.contoso.test' 'sip:pool01.contoso.test' edge01-options-1
tls_sip mtls-edge -Verify "$EDGE_INTERNAL" edge01 pool01.contoso.test "$request"

log "2/10 TLS SIP REGISTER: client $CLIENT_1 -> Front End 5061"
sip_request request REGISTER 'sip:contoso.test' "$CLIENT_1:5061" \
  'sip:alice@contoso.test' 'sip:alice@contoso.test' alice-register-1
tls_sip tls-client -verify "$CLIENT_1" none sip.contoso.test "$request"

log "3/10 SIP/TCP call (SIPp): Mediation $MEDIATION -> Front End 5060"
sip_call_tcp

log "4/10 STUN Binding (coturn): client $CLIENT_1 -> Edge internal 3478/udp"
stun_binding

log "5/10 HTTPS GET: client $CLIENT_2 -> Front End 443"
https_get https-client 443 "$CLIENT_2" pool01.contoso.test -tls1_3

log "6/10 HTTPS GET: Director $DIRECTOR -> Front End 444"
https_get https-director 444 "$DIRECTOR" pool01.contoso.test -tls1_2

log "7/10 RTP (GStreamer): client $CLIENT_1:50020 -> Front End 50000/udp"
rtp_stream

log "8/10 outside the matrix: RDP client $CLIENT_3 -> Front End 3389"
rdp_attempt

log "9/10 outside the matrix: unknown host $OUTSIDER -> Front End 5061 (TLS, no SNI)"
sip_request request OPTIONS 'sip:pool01.contoso.test:5061;transport=tls' "$OUTSIDER:5061" \
  'sip:scanner@outside.test' 'sip:pool01.contoso.test' outsider-options-1
tls_sip outsider -verify "$OUTSIDER" none none "$request"

log "10/10 outside the matrix: cleartext SIP, Mediation $MEDIATION -> Front End 5061"
cleartext_sip_on_tls_port

sleep 0.2
kill -INT "$TCPDUMP_PID"
wait "$TCPDUMP_PID" || true
TCPDUMP_PID=
grep -qx '0 packets dropped by kernel' "$WORK/tcpdump.log" ||
  die "tcpdump dropped packets: $(tr '\n' ' ' <"$WORK/tcpdump.log")"

# Sanity checks on what was written before it replaces the previous sample.
packets=$(tcpdump -r "$WORK/sample.pcap" -n 2>/dev/null | wc -l)
outside=$(tcpdump -r "$WORK/sample.pcap" -n 'not (ip and net 127.0.0.0/8)' 2>/dev/null | wc -l)
((packets > 0)) || die "the capture is empty"
((outside == 0)) || die "$outside packets are not IPv4 inside 127.0.0.0/8"
((packets <= 1000)) || die "$packets packets: more than planned"
log "$packets packets, $(stat -c %s "$WORK/sample.pcap") bytes"

STAGED=$(mktemp "$(dirname "$OUTPUT")/.sample.XXXXXX")
cp "$WORK/sample.pcap" "$STAGED"
chmod 0644 "$STAGED"
mv -f "$STAGED" "$OUTPUT"
STAGED=
log "wrote $OUTPUT"

if [[ -n "${KEYLOG_OUT:-}" ]]; then
  cp "$KEYLOG" "$KEYLOG_OUT"
  log "wrote $KEYLOG_OUT"
fi
