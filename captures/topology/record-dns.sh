#!/usr/bin/env bash
# Records captures/topology/dns-answers.pcap: real DNS answers (dnsmasq answering dig) for the
# names of the sample topologies, plus three conversations on ports that the Fabrikam sample
# topology (fabrikam-se.tbxml) configures differently from the catalog. Everything runs on
# 127.x loopback addresses; dnsmasq answers only from its command line (no upstream server, no
# /etc/hosts), so no name is ever looked up anywhere and nothing leaves the host.
#
#   sudo captures/topology/record-dns.sh [OUTPUT.pcap]   (default: captures/topology/dns-answers.pcap)
#
# Needs root (tcpdump on lo, dnsmasq on port 53), dnsmasq (Debian dnsmasq-base), dig (dnsutils),
# socat, GStreamer and tcpdump: scripts/install-test-deps.sh installs them.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUTPUT=${1:-$HERE/dns-answers.pcap}

readonly DNS_SERVER=127.0.53.1     # dnsmasq
readonly RESOLVER_CLIENT=127.0.20.99 # the host asking (dig binds to it)
readonly SE01=127.0.20.10          # se01.fabrikam.test: Standard Edition + Mediation Server
readonly GW01=127.0.20.30          # gw01.fabrikam.test: the PSTN gateway (address in the topology)
readonly OWA01=127.0.20.50         # owa01.fabrikam.test, alias owa.fabrikam.test

readonly CAPTURE_FILTER='net 127.0.0.0/8 and not net 127.0.0.0/24'

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
[[ "$OUTPUT" == *.pcap ]] || die "the output name must end in .pcap: $OUTPUT"
record_begin record-dns "tcpdump and dnsmasq need root" tcpdump dnsmasq dig socat ss gst-launch-1.0 timeout
STAGED=
remove_staged() { [[ -z "$STAGED" ]] || rm -f "$STAGED"; }
RECORD_ON_EXIT=remove_staged

wait_listening() { # proto addr port
  local i
  for ((i = 0; i < 50; i++)); do
    if ss -"$1"ln | grep -q " $2:$3 "; then return 0; fi
    sleep 0.1
  done
  die "nothing listens on $1 $2:$3"
}

timeout 30 tcpdump -i lo -s 0 -U --immediate-mode -w "$WORK/capture.pcap" "$CAPTURE_FILTER" >"$WORK/tcpdump.log" 2>&1 &
TCPDUMP_PID=$!
for ((i = 0; i < 50; i++)); do
  grep -q "listening on lo" "$WORK/tcpdump.log" && break
  sleep 0.1
done
grep -q "listening on lo" "$WORK/tcpdump.log" || die "tcpdump did not start"

# dnsmasq: authoritative answers from the command line only. --local makes names of the two
# domains that it does not know NXDOMAIN instead of a forward (there is no upstream anyway).
timeout 30 dnsmasq --no-daemon --port=53 --listen-address=$DNS_SERVER --bind-interfaces --no-resolv --no-hosts \
  --no-poll --conf-file=/dev/null --user=root --pid-file= --log-queries \
  --local=/contoso.com/ --local=/fabrikam.test/ \
  --host-record=pool01.contoso.com,10.1.1.10 \
  --host-record=fe01.contoso.com,10.1.1.11,fd00:10:1:1::11 \
  --host-record=fe02.contoso.com,10.1.1.12 \
  --host-record=se01.fabrikam.test,$SE01 \
  --host-record=owa01.fabrikam.test,$OWA01 \
  --cname=owa.fabrikam.test,owa01.fabrikam.test \
  --cname=sip.fabrikam.test,se01.fabrikam.test \
  >"$WORK/dnsmasq.log" 2>&1 &
wait_listening u "$DNS_SERVER" 53

ask() { # name type [+tcp]
  timeout 5 dig @"$DNS_SERVER" -b "$RESOLVER_CLIENT" +tries=1 +time=2 "$@" >>"$WORK/dig.log" 2>&1 ||
    die "dig $* failed"
}
ask pool01.contoso.com A
ask fe01.contoso.com A
ask fe01.contoso.com AAAA
ask fe02.contoso.com A +tcp
ask fe03.contoso.com A             # not known: NXDOMAIN
ask se01.fabrikam.test A
ask owa.fabrikam.test A            # CNAME owa01.fabrikam.test, then its A
grep -q "status: NXDOMAIN" "$WORK/dig.log" || die "fe03.contoso.com was not answered NXDOMAIN"
[[ $(grep -c "status: NOERROR" "$WORK/dig.log") -eq 6 ]] || die "expected 6 answered queries"

# Traffic on ports the Fabrikam topology moved or added:
# 1. the Mediation Server (se01) sends SIP to the gateway on TCP 5060 (the gateway's configured port);
printf '#!/bin/sh\nread -r line\nprintf "SIP/2.0 200 OK\\r\\nContent-Length: 0\\r\\n\\r\\n"\n' >"$WORK/gw.sh"
chmod +x "$WORK/gw.sh"
timeout 10 socat -T 3 TCP-LISTEN:5060,bind=$GW01,reuseaddr EXEC:"$WORK/gw.sh" >"$WORK/gw.log" 2>&1 &
wait_listening t "$GW01" 5060
printf 'OPTIONS sip:gw01.fabrikam.test:5060;transport=tcp SIP/2.0\r\nContent-Length: 0\r\n\r\n' |
  timeout 5 socat -T 2 - TCP:$GW01:5060,bind=$SE01 >"$WORK/sip-reply.txt"
grep -q "SIP/2.0 200 OK" "$WORK/sip-reply.txt" || die "no SIP answer on 5060"
# 2. the gateway sends audio to se01 on UDP 40100, inside the moved audio range (40000-40999);
# 3. and on UDP 50000, the catalog's range that this deployment no longer uses.
# GStreamer sends 10 RTP packets of PCMU (20 ms each) to a socat sink for each.
for port in 40100 50000; do
  timeout 5 socat -u UDP-RECV:$port,bind=$SE01 - >"$WORK/udp-$port.bin" 2>/dev/null &
  wait_listening u "$SE01" "$port"
  timeout 10 gst-launch-1.0 -q audiotestsrc num-buffers=10 samplesperbuffer=160 is-live=true \
    wave=sine freq=440 ! audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay pt=0 ! \
    udpsink host="$SE01" port=$port bind-address="$GW01" bind-port=$((port == 40100 ? 6000 : 6002)) \
    </dev/null >"$WORK/gst-$port.log" 2>&1 || die "gst-launch-1.0 failed"
done
sleep 1 # let tcpdump read the last packets before it stops

kill -INT "$TCPDUMP_PID"
wait "$TCPDUMP_PID" 2>/dev/null || true
grep -q "^0 packets dropped by kernel" "$WORK/tcpdump.log" || die "tcpdump dropped packets"
count() { tcpdump -nr "$WORK/capture.pcap" "$1" 2>/dev/null | wc -l; }
(($(count "udp and src port 53") == 6)) || die "expected 6 DNS answers over UDP in the capture"
(($(count "udp and dst host $SE01") == 20)) || die "expected 20 RTP packets in the capture"
(($(count "not net 127.0.0.0/8") == 0)) || die "a packet outside 127.0.0.0/8"

STAGED=$(mktemp "$(dirname "$OUTPUT")/.dns-answers.XXXXXX")
cp "$WORK/capture.pcap" "$STAGED"
chmod 644 "$STAGED"
mv -f "$STAGED" "$OUTPUT"
STAGED=
log "wrote $OUTPUT ($(stat -c %s "$OUTPUT") bytes)"
