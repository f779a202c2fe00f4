#!/usr/bin/env bash
# Records captures/inspect/dcerpc-dynamic.pcap: DCE/RPC the way DCOM and RPC reach a Windows server
# (the Lync port tables' "DCOM and remote procedure call (RPC)" on TCP 135 between Lync servers):
# a client asks the server's endpoint mapper on TCP 135 where an interface listens (ept_map over
# ncacn_ip_tcp, [MS-RPCE] 2.2.1.2.5), then connects to the dynamic port the answer's tower names
# (49152-65535 on Windows and in Samba). The server is Samba's own endpoint mapper and RPC servers
# (samba-dcerpcd with its rpcd_* workers, a standalone server from a throwaway smb.conf: no domain,
# no NetBIOS, no name resolution); the clients are Impacket's (dcerpc-dynamic.py, run under
# bind-source.py for their source addresses). Addresses are those of inspect-topology.yaml, on the
# loopback of a network namespace of its own (port 135 is free there):
#
#   S1  Director 127.5.2.10 -> Front End 127.5.1.10:135, bind to the endpoint mapper and ept_map for
#       SAMR over ncacn_ip_tcp; then the Director -> the Front End's dynamic port the answer names,
#       bind to SAMR and one call (SamrConnect, no authentication; Samba answers with a handle)
#   S2  the control: Mediation Server 127.5.4.10 -> the same dynamic port straight away, bind to SAMR
#       (that host never asked the endpoint mapper)
#
#   sudo captures/inspect/record-dcerpc-dynamic.sh [OUTPUT_DIR]      (default: captures/inspect)
#
# Needs root (a network namespace, tcpdump). Nothing resolves a name and nothing leaves the namespace.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly OUT=${1:-$HERE}
readonly NS=lc-dcerpc
readonly FRONT_END=127.5.1.10
readonly DIRECTOR=127.5.2.10
readonly MEDIATION=127.5.4.10
readonly PY=/usr/bin/python3
readonly DCERPCD=/usr/libexec/samba/samba-dcerpcd

# shellcheck source=../record-lib.sh
source "$HERE/../record-lib.sh"
record_begin record-dcerpc-dynamic "a network namespace needs root" tcpdump tshark ip ss timeout "$PY"
[[ -x "$DCERPCD" ]] || die "Samba's samba-dcerpcd is missing; run scripts/install-test-deps.sh"
"$PY" -c 'import impacket.dcerpc.v5.epm' 2>/dev/null || die "Impacket is missing; run scripts/install-test-deps.sh"
RECORD_NAMESPACES=("$NS")
record_netns "$NS"
# Samba takes the addresses of "interfaces" from the host's interfaces (getifaddrs): an address that
# lo answers for but does not carry is "can't determine interface", and nothing listens.
ip netns exec "$NS" ip addr add "$FRONT_END/32" dev lo

# Every directory Samba writes to is in $WORK. "rpc start on demand helpers = no" lets samba-dcerpcd
# run on its own (without it, it expects smbd or winbindd to start it as a helper). Only the rpcd_*
# workers still open their log before they read it: empty files /var/log/samba/log.rpcd_*, those that
# this run made removed at the exit (one that was there before, or that holds anything, is left).
samba_logs_before=$(ls -1 /var/log/samba/log.rpcd_* 2>/dev/null || true)
remove_samba_logs() {
  local f
  for f in /var/log/samba/log.rpcd_*; do
    if [[ -f "$f" && ! -s "$f" ]] && ! grep -qxF -- "$f" <<<"$samba_logs_before"; then
      rm -f -- "$f"
    fi
  done
}
RECORD_ON_EXIT=remove_samba_logs
samba=$WORK/samba
mkdir -p "$samba"/{lock,state,cache,private,pid,ncalrpc,log}
cat >"$samba/smb.conf" <<EOF
[global]
  server role = standalone server
  workgroup = PORTMATRIX
  netbios name = FRONTEND
  disable netbios = yes
  interfaces = $FRONT_END
  bind interfaces only = yes
  name resolve order = bcast
  dns proxy = no
  load printers = no
  rpc start on demand helpers = no
  passdb backend = tdbsam:$samba/private/passdb.tdb
  lock directory = $samba/lock
  state directory = $samba/state
  cache directory = $samba/cache
  private dir = $samba/private
  pid directory = $samba/pid
  ncalrpc dir = $samba/ncalrpc
  log file = $samba/log/log.%m
EOF

log "Samba's samba-dcerpcd (endpoint mapper on 135, RPC servers on dynamic ports) on the Front End $FRONT_END"
ip netns exec "$NS" timeout 60 "$DCERPCD" --foreground --libexec-rpcds --configfile="$samba/smb.conf" \
  --log-basename="$samba/log" --debug-stdout --debuglevel=1 >"$WORK/samba-dcerpcd.log" 2>&1 &
# (Its "ready to serve connections" sits in a stdio buffer until it exits; wait for its sockets instead:
# the endpoint mapper's and one on a dynamic port. Every worker's endpoints are known by then.)
dynamic_listening() {
  ip netns exec "$NS" ss -Hltn | awk -v fe="$FRONT_END" '
    { split($4, a, ":") } a[1] == fe && a[2] == 135 { epm = 1 } a[1] == fe && a[2] >= 49152 { dyn = 1 }
    END { exit !(epm && dyn) }'
}
poll 10 dynamic_listening || die "samba-dcerpcd did not start: nothing listens on 135 and a dynamic port"

ns_capture_start "$NS" dcerpc-dynamic "tcp"
log "S1 ept_map for SAMR: Director -> Front End 135; then bind and SamrConnect on the port it names"
ip netns exec "$NS" timeout 15 "$PY" "$HERE/bind-source.py" "$DIRECTOR" "$HERE/dcerpc-dynamic.py" map-and-call "$FRONT_END" \
  >"$WORK/s1.client.log" 2>&1 || die "S1: the client failed"
port=$(sed -n "s/^mapped SAMR to ncacn_ip_tcp:$FRONT_END\[\([0-9]*\)\]\$/\1/p" "$WORK/s1.client.log")
[[ -n "$port" ]] && ((port >= 49152 && port <= 65535)) || die "S1: the endpoint mapper named no dynamic port"
file_has "$WORK/s1.client.log" 'SamrConnect answered' || die "S1: no answer to SamrConnect"

log "S2 the control: Mediation Server -> Front End $port straight away, bind to SAMR"
ip netns exec "$NS" timeout 15 "$PY" "$HERE/bind-source.py" "$MEDIATION" "$HERE/dcerpc-dynamic.py" bind "$FRONT_END" "$port" \
  >"$WORK/s2.client.log" 2>&1 || die "S2: the client failed"
file_has "$WORK/s2.client.log" "bound to SAMR on $FRONT_END:$port" || die "S2: no bind"
ns_capture_stop dcerpc-dynamic

pcap=$WORK/dcerpc-dynamic.pcap
packets=$(tcpdump -r "$pcap" -n 2>/dev/null | wc -l)
((packets >= 20 && packets < 100)) || die "dcerpc-dynamic.pcap: $packets packets"
# What the capture is for, as tshark reads it: the map's request and answer on 135, then the bind,
# its acknowledgement and a request and response on the dynamic port from the Director, and a bind
# from the Mediation Server.
count() { tshark -r "$pcap" -Y "$1" 2>/dev/null | wc -l; }
(($(count "tcp.port == 135 && epm.opnum == 3 && dcerpc.pkt_type == 0") == 1)) || die "no ept_map request on 135"
(($(count "tcp.port == 135 && epm.opnum == 3 && dcerpc.pkt_type == 2 && epm.proto.tcp_port == $port") == 1)) ||
  die "no ept_map response naming port $port"
for type in 11 12 0 2; do
  (($(count "ip.addr == $DIRECTOR && tcp.port == $port && dcerpc.pkt_type == $type") >= 1)) ||
    die "no DCE/RPC packet of type $type between the Director and port $port"
done
(($(count "ip.src == $MEDIATION && tcp.dstport == $port && dcerpc.pkt_type == 11") == 1)) ||
  die "no bind from the Mediation Server to port $port"

mkdir -p "$OUT"
install -m 0644 "$pcap" "$OUT/.dcerpc-dynamic.pcap.tmp"
mv -f "$OUT/.dcerpc-dynamic.pcap.tmp" "$OUT/dcerpc-dynamic.pcap"
log "dcerpc-dynamic.pcap: $packets packets, $(stat -c %s "$OUT/dcerpc-dynamic.pcap") bytes, dynamic port $port"
