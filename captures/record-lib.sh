# shellcheck shell=bash
# What the capture recording scripts (captures/record-sample.sh, captures/*/record-*.sh) share. Each
# sources it after `set -euo pipefail`, then calls
#
#   record_begin NAME WHY PROGRAM...      (WHY: "tcpdump needs root", ...)
#
# which defines log and die (lines to stderr prefixed "[NAME]"), stops unless the script runs as root
# (WHY, the message, says what needs it), stops unless every PROGRAM is on the PATH, makes WORK,
# a temporary directory, and sets the traps. At the exit: the function named in RECORD_ON_EXIT (if
# any) runs, every background job is ended (SIGTERM) and waited for, the processes left in each
# network namespace named in RECORD_NAMESPACES are ended and the namespace deleted, the last lines of
# every $WORK/*.log are shown when the run failed, and WORK is removed (kept with KEEP_WORK=1 in the
# environment). SIGINT and SIGTERM end the run with status 130 and 143.
#
# Then poll and the waits built on it, so that no script sleeps a fixed time for a server to start.

RECORD_NAMESPACES=()
RECORD_ON_EXIT=

record_begin() { # NAME WHY PROGRAM...
  RECORD_NAME=$1
  readonly RECORD_NAME
  local why=$2 program
  shift 2
  ((EUID == 0)) || die "$why: sudo $0"
  for program in "$@"; do
    command -v "$program" >/dev/null 2>&1 || die "$program is missing; run scripts/install-test-deps.sh"
  done
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/$RECORD_NAME.XXXXXX")
  readonly WORK
  trap record_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

log() { printf '[%s] %s\n' "${RECORD_NAME:-${0##*/}}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

record_cleanup() {
  local status=$? pid ns f
  trap - EXIT INT TERM
  if [[ -n "$RECORD_ON_EXIT" ]]; then "$RECORD_ON_EXIT" || true; fi
  # Every program the script started is one of its background jobs; end each by its id.
  for pid in $(jobs -p); do
    kill -TERM "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  # A process left inside a namespace (a server's child) ends with it.
  for ns in "${RECORD_NAMESPACES[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
      kill -TERM "$pid" 2>/dev/null || true
    done
    ip netns del "$ns" 2>/dev/null || true
  done
  if ((status != 0)) && [[ -d "${WORK:-}" ]]; then
    log "failed; logs of the run:"
    for f in "$WORK"/*.log; do
      [[ -s "$f" ]] || continue
      printf -- '--- %s\n' "${f##*/}" >&2
      tail -n 15 "$f" >&2
    done
  fi
  if [[ -n "${WORK:-}" ]]; then
    if [[ -n "${KEEP_WORK:-}" ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  fi
  exit "$status"
}

# record_netns NS — creates the network namespace NS, its loopback up, deleted at the exit.
record_netns() {
  ip netns add "$1"
  RECORD_NAMESPACES+=("$1")
  ip netns exec "$1" ip link set lo up
}

# poll SECONDS COMMAND... — runs COMMAND every 50 ms until it succeeds or SECONDS pass.
poll() {
  local tries=$(($1 * 20))
  shift
  while ((tries-- > 0)); do
    "$@" && return 0
    sleep 0.05
  done
  return 1
}

tcp_listening() { ss -Hltn | awk -v want="$1:$2" '$4 == want { found = 1 } END { exit !found }'; }
udp_bound() { ss -Hlun | awk -v want="$1:$2" '$4 == want { found = 1 } END { exit !found }'; }
file_has() { [[ -f "$1" ]] && grep -qF -- "$2" "$1"; }

wait_tcp_listening() { poll 5 tcp_listening "$1" "$2" || die "nothing listens on tcp $1:$2"; }
wait_udp_bound() { poll 5 udp_bound "$1" "$2" || die "nothing bound to udp $1:$2"; }
wait_tcp_closed() { poll 5 sh -c "! ss -Hltn | awk '{print \$4}' | grep -qx '$1:$2'" || die "tcp $1:$2 is still listening"; }

# wait_job PID WHAT — waits for a background job and fails the run if it failed.
wait_job() {
  local status=0
  wait "$1" || status=$?
  ((status == 0)) || die "$2 exited with status $status"
}

# ns_capture_start NS NAME FILTER [TCPDUMP OPTION...] — tcpdump on the loopback of namespace NS into $WORK/NAME.pcap
# (its messages in $WORK/NAME.tcpdump.log), waited for until it listens; sets CAPTURE_PID. Its buffer is 32 MiB
# (-B): with the default 2 MiB, a burst of full segments (a 19 KB certificate chain at once) was dropped.
ns_capture_start() {
  local ns=$1 name=$2 filter=$3
  shift 3
  # (ip netns exec itself, not a shell function: $! is then tcpdump's own process, which the kill must reach)
  ip netns exec "$ns" tcpdump -i lo -s 0 -B 32768 -U --immediate-mode "$@" -w "$WORK/$name.pcap" "$filter" 2>"$WORK/$name.tcpdump.log" &
  CAPTURE_PID=$!
  poll 5 file_has "$WORK/$name.tcpdump.log" 'listening on' || die "tcpdump did not start"
}

# ns_capture_stop NAME — stops the capture ns_capture_start began, half a second after the last packets were sent,
# and fails the run if tcpdump dropped any.
ns_capture_stop() {
  sleep 0.5
  kill -TERM "$CAPTURE_PID" # (SIGTERM: a script's background jobs ignore SIGINT; tcpdump writes out what it holds)
  wait "$CAPTURE_PID" 2>/dev/null || true
  grep -q '^0 packets dropped by kernel' "$WORK/$1.tcpdump.log" ||
    die "$1: tcpdump dropped packets: $(grep dropped "$WORK/$1.tcpdump.log")"
}

# ns_wait_tcp_listening NS ADDRESS PORT — waits until something listens on ADDRESS:PORT in namespace NS.
ns_wait_tcp_listening() {
  poll 5 ip netns exec "$1" sh -c "ss -Hltn | awk -v want='$2:$3' '\$4 == want { found = 1 } END { exit !found }'" ||
    die "nothing listens on tcp $2:$3"
}

# wan_namespaces ADVMSS "CLIENT_ADDRESS..." "SERVER_ADDRESS..." — namespaces $NS_C (client) and $NS_S (server), made
# with record_netns, joined through $NS_R (a router: 192.0.2.1/24 on the client's side, 198.51.100.1/24 on the
# server's; the addresses given are /24s of those), every link of MTU 576 without segmentation offload, so that a
# capture shows the segments sent; the server's default route advertises an MSS of ADVMSS. Defines in_c, in_r, in_s
# (a command in that namespace). For the record-wan-*.sh scripts, whose router loses segments with iptables.
wan_namespaces() {
  local advmss=$1 a ns dev link
  for ns in "$NS_C" "$NS_R" "$NS_S"; do record_netns "$ns"; done
  ip -n "$NS_C" link add vc type veth peer name vrc netns "$NS_R"
  ip -n "$NS_S" link add vs type veth peer name vrs netns "$NS_R"
  for a in $2; do ip -n "$NS_C" addr add "$a/24" dev vc; done
  ip -n "$NS_R" addr add 192.0.2.1/24 dev vrc
  ip -n "$NS_R" addr add 198.51.100.1/24 dev vrs
  for a in $3; do ip -n "$NS_S" addr add "$a/24" dev vs; done
  for link in "$NS_C vc" "$NS_R vrc" "$NS_R vrs" "$NS_S vs"; do
    read -r ns dev <<<"$link"
    ip -n "$ns" link set "$dev" mtu 576 gso_max_segs 1 up
  done
  ip -n "$NS_C" route add default via 192.0.2.1
  ip -n "$NS_S" route add default via 198.51.100.1 advmss "$advmss"
  ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1
  in_c() { ip netns exec "$NS_C" "$@"; }
  in_r() { ip netns exec "$NS_R" "$@"; }
  in_s() { ip netns exec "$NS_S" "$@"; }
}
