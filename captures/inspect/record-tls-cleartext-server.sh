#!/usr/bin/env bash
# Records captures/inspect/tls-cleartext-server.pcap: clients speaking TLS to Front End ports documented
# as TLS whose listener answers in cleartext, on the sample topology's addresses
# (captures/sample-topology.yaml: 127.0.1.10 front-end, 127.0.10.0/24 clients).
#
#   sudo captures/inspect/record-tls-cleartext-server.sh [OUTPUT_DIR]      (default: captures/inspect)
#
#   127.0.10.21 -> 127.0.1.10:443   curl https:// to Python's HTTP request handler, a cleartext HTTP server bound
#                                   to 443 (a web site bound without its certificate): it answers the
#                                   ClientHello with "HTTP/1.0 400 Bad request version"
#   127.0.10.22 -> 127.0.1.10:5061  openssl s_client to a cleartext listener (socat) that answers the
#                                   ClientHello with a SIP "400 Bad Request" line
# Runs on the loopback of a network namespace that this script creates and deletes. No name is resolved.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUTPUT=${1:-$HERE}
readonly NS=pmtlsc$$

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-tls-cleartext-server "network namespaces and tcpdump need root" ip tcpdump openssl socat curl python3 capinfos timeout

record_netns "$NS"
in_ns() { ip netns exec "$NS" "$@"; }

ns_capture_start "$NS" cleartext 'tcp port 443 or tcp port 5061'

log "a client's HTTPS to the Front End's 443, served by a cleartext HTTP server"
# (Python's HTTP request handler on socketserver's TCPServer: `python3 -m http.server` binds an HTTPServer, which looks
# up its own address's name with socket.getfqdn, a DNS query. The handler, and so the answer on the wire, is the same.)
in_ns timeout 10 python3 -c '
import http.server, socketserver
socketserver.TCPServer.allow_reuse_address = True
socketserver.TCPServer(("127.0.1.10", 443), http.server.SimpleHTTPRequestHandler).serve_forever()
' >"$WORK/http.log" 2>&1 &
http=$!
ns_wait_tcp_listening "$NS" 127.0.1.10 443
in_ns timeout 5 curl -sk --interface 127.0.10.21 https://127.0.1.10/ >"$WORK/curl.log" 2>&1 || true
grep -q ' 400 ' "$WORK/http.log" || die "the HTTP server did not answer the ClientHello with 400"

log "a client's TLS to the Front End's 5061, answered by a cleartext SIP line"
# (The line goes out once the ClientHello's first byte is in: sent at the connection, it raced the ClientHello.)
printf 'SIP/2.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n' >"$WORK/sip.txt"
in_ns timeout 5 socat TCP-LISTEN:5061,bind=127.0.1.10,reuseaddr SYSTEM:"head -c 1 >/dev/null; cat '$WORK/sip.txt'; sleep 1" \
  >/dev/null 2>&1 &
sip=$!
ns_wait_tcp_listening "$NS" 127.0.1.10 5061
in_ns timeout 10 openssl s_client -bind 127.0.10.22:0 -connect 127.0.1.10:5061 -tls1_2 -noservername </dev/null \
  >"$WORK/client.log" 2>&1 || true
wait "$sip" || true
grep -q 'wrong version number\|packet length too long\|record layer failure' "$WORK/client.log" ||
  die "s_client did not fail on the cleartext answer"
kill -TERM "$http" 2>/dev/null || true
wait "$http" 2>/dev/null || true
ns_capture_stop cleartext

mkdir -p "$OUTPUT"
cp "$WORK/cleartext.pcap" "$OUTPUT/tls-cleartext-server.pcap"
capinfos -c "$OUTPUT/tls-cleartext-server.pcap" | grep -i 'packets' >&2
