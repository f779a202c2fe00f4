#!/usr/bin/env bash
# Records captures/inspect/tcp-fast-open.pcap: HTTP, HTTPS and MTLS connections opened with TCP Fast Open (RFC 7413), the
# client's first bytes (the request, the ClientHello) carried in its SYN, the rest after the handshake.
#
#   sudo captures/inspect/record-tcp-fast-open.sh [OUTPUT_DIR]      (default: captures/inspect)
#
#   192.0.2.21 (client)    -> 198.51.100.10:80 (front-end)    an HTTP GET of 420 bytes, its first 80 in the SYN
#   192.0.2.21 (client)    -> 198.51.100.10:443 (front-end)   TLS 1.2, the ClientHello's first 80 bytes in the SYN
#   192.0.2.40 (mediation) -> 198.51.100.10:5061 (front-end)  MTLS, the client certificate med01.contoso.test
#
# Client and server are Python's socket and ssl modules (OpenSSL 3.0's s_client and curl 7.88 cannot open a connection
# with Fast Open here): the client sets TCP_FASTOPEN_CONNECT, so its first write goes in the SYN, the TLS client through
# a memory BIO (ssl's wrap_socket asks for the peer's address before the SYN is sent); the server sets TCP_FASTOPEN on its
# listening socket. Both namespaces' net.ipv4.tcp_fastopen is 0x207 (client and server on, data in the SYN without a
# cookie, accepted without one), so the first connection carries data. The veth pair's MTU is 576 without segmentation
# offload, and each side's route advertises an MSS of 120: the SYN carries 80 bytes, the rest follows in segments of 108.
# Certificates: RSA 2048, made anew. 192.0.2.0/24 and 198.51.100.0/24 are documentation ranges; no name is resolved.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUTPUT=${1:-$HERE}
readonly NS_C=pmtfoc$$ NS_S=pmtfos$$
readonly CLIENT=192.0.2.21 MEDIATION=192.0.2.40 FRONT_END=198.51.100.10

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-tcp-fast-open "network namespaces and tcpdump need root" ip tcpdump openssl python3 capinfos timeout

log "certificates: a CA, pool01 and med01 (RSA 2048)"
pki() { openssl "$@" >>"$WORK/pki.log" 2>&1; }
pki req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 -subj "/O=Contoso Test/CN=Contoso Test Root" \
  -addext basicConstraints=critical,CA:TRUE -keyout "$WORK/ca.key" -out "$WORK/ca.pem"
for name in pool01 med01; do
  pki req -newkey rsa:2048 -nodes -subj "/O=Contoso Test/CN=$name.contoso.test" -keyout "$WORK/$name.key" -out "$WORK/$name.csr"
  printf 'subjectAltName=DNS:%s.contoso.test\nextendedKeyUsage=serverAuth,clientAuth\n' "$name" >"$WORK/$name.ext"
  pki x509 -req -in "$WORK/$name.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial -days 30 -sha256 \
    -extfile "$WORK/$name.ext" -out "$WORK/$name.pem"
done

cat >"$WORK/server.py" <<'PY'
import socket, ssl, sys
ip, port, mode, work = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
s.bind((ip, port))
s.listen(4)
ctx = None
if mode != 'http':
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(work + '/pool01.pem', work + '/pool01.key')
    if mode == 'mtls':
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(work + '/ca.pem')
c, _ = s.accept()
if ctx:
    c = ctx.wrap_socket(c, server_side=True)
data = b''
while b'\r\n\r\n' not in data:
    more = c.recv(4096)
    if not more:
        sys.exit('the request ended early')
    data += more
c.sendall(b'HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n')
c.close()
PY
cat >"$WORK/client.py" <<'PY'
import socket, ssl, sys
src, dst, port, mode, work = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
TCP_FASTOPEN_CONNECT = 30
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 1)
s.bind((src, 0))
s.connect((dst, port)) # (returns at once: the SYN goes with the first write)
request = b'GET /lyncdiscover HTTP/1.0\r\nX-Lync-Test: ' + b'0' * 360 + b'\r\n\r\n'
answer = b''
if mode == 'http':
    s.sendall(request)
    while more := s.recv(4096):
        answer += more
else:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if mode == 'mtls':
        ctx.load_cert_chain(work + '/med01.pem', work + '/med01.key')
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing)
    def send():
        out = outgoing.read()
        if out:
            s.sendall(out)
    def receive():
        more = s.recv(65536)
        if not more:
            return False
        incoming.write(more)
        return True
    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            send()
            if not receive():
                sys.exit('the handshake ended early')
    send()
    tls.write(request)
    send()
    while True:
        try:
            answer += tls.read(65536)
        except ssl.SSLWantReadError:
            if not receive():
                break
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            break
if not answer.startswith(b'HTTP/1.0 200 OK'):
    sys.exit('no answer: %r' % answer[:40])
PY

record_netns "$NS_C"
record_netns "$NS_S"
ip -n "$NS_C" link add vc type veth peer name vs netns "$NS_S"
ip -n "$NS_C" addr add "$CLIENT/24" dev vc
ip -n "$NS_C" addr add "$MEDIATION/24" dev vc
ip -n "$NS_S" addr add "$FRONT_END/24" dev vs
for link in "$NS_C vc" "$NS_S vs"; do
  read -r ns dev <<<"$link"
  ip -n "$ns" link set "$dev" mtu 576 gso_max_segs 1 up
  ip netns exec "$ns" sysctl -qw net.ipv4.tcp_fastopen=0x207
done
ip -n "$NS_C" route add 198.51.100.0/24 dev vc advmss 120
ip -n "$NS_S" route add 192.0.2.0/24 dev vs advmss 120

ip netns exec "$NS_S" tcpdump -i vs -s 0 -B 32768 -U --immediate-mode -w "$WORK/tfo.pcap" 'tcp' 2>"$WORK/tfo.tcpdump.log" &
CAPTURE_PID=$!
poll 5 file_has "$WORK/tfo.tcpdump.log" 'listening on' || die "tcpdump did not start"
for run in "$CLIENT 80 http" "$CLIENT 443 https" "$MEDIATION 5061 mtls"; do
  read -r from port mode <<<"$run"
  log "$mode: $from -> Front End $port, with TCP Fast Open"
  ip netns exec "$NS_S" timeout 15 python3 "$WORK/server.py" "$FRONT_END" "$port" "$mode" "$WORK" >"$WORK/s$port.log" 2>&1 &
  server=$!
  ns_wait_tcp_listening "$NS_S" "$FRONT_END" "$port"
  ip netns exec "$NS_C" timeout 10 python3 "$WORK/client.py" "$from" "$FRONT_END" "$port" "$mode" "$WORK" >"$WORK/c$port.log" 2>&1 ||
    die "$mode: the client failed"
  wait_job "$server" "the $mode server"
done
ns_capture_stop tfo

mkdir -p "$OUTPUT"
cp "$WORK/tfo.pcap" "$OUTPUT/tcp-fast-open.pcap"
capinfos -c "$OUTPUT/tcp-fast-open.pcap" | grep -i 'packets' >&2
