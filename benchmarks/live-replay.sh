#!/usr/bin/env bash
# live-replay.sh - the highest rate (packets/s) at which `portmatrix live` keeps up with the
# reference workload on this machine: tcpreplay writes the workload onto one end of a veth pair in
# a private network namespace, `portmatrix live` captures on the other end, and the rate goes up
# until the tool drops packets inside itself (its queue between the capture and the analysis
# thread full). For every rate it prints what tcpreplay achieved, what the tool received, dropped
# inside itself, and what the kernel dropped (pcap_stats). Not run by CI.
#
# One command (as root):  benchmarks/live-replay.sh
#
# The workload is ../shared/bench/make_lync_mix.py with --packets N (default 1,000,000: the
# reference mix, cut; --packets 5000000 is the full reference workload, ~2 GB, ~25 s per step at
# 200 k pps). It is made once in benchmarks/target/workload/. Each rate gets a fresh live process
# (java -jar target/portmatrix.jar, built by ./portmatrix when missing); tcpreplay preloads the
# file (--preload-pcap) so that reading it does not limit the rate. The search doubles the rate
# from --start until the tool drops or tcpreplay cannot reach the rate, then bisects to 5 %. When
# tcpreplay is the limit, a last run at --topspeed gives the highest rate this machine can send.
#
# Nothing leaves the namespace: no address is configured, IPv6 is off, nothing is routed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
generator="$repo/../shared/bench/make_lync_mix.py"
packets=1000000
start=25000
max=2000000
buffer=64
queue=32
dir="${PORTMATRIX_BENCH_DIR:-$here/target/workload}"

usage() {
  cat <<EOF
usage: benchmarks/live-replay.sh [options]   (as root)

  -n, --packets N      packets of the reference mix to replay (default $packets)
  -s, --start PPS      first rate tried (default $start)
  -m, --max PPS        highest rate tried (default $max)
  -b, --buffer-size M  the tool's kernel buffer, MiB (default $buffer)
  -q, --queue-size M   the tool's queue between its threads, MiB (default $queue)
  -d, --dir DIR        workload cache directory (default benchmarks/target/workload)
EOF
}

while (($#)); do
  case "$1" in
    -n | --packets) packets=$2; shift 2 ;;
    -s | --start) start=$2; shift 2 ;;
    -m | --max) max=$2; shift 2 ;;
    -b | --buffer-size) buffer=$2; shift 2 ;;
    -q | --queue-size) queue=$2; shift 2 ;;
    -d | --dir) dir=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

((EUID == 0)) || { echo "live-replay: needs root (network namespace, capture)" >&2; exit 2; }
for tool in ip tcpreplay python3 java; do
  command -v "$tool" >/dev/null || { echo "live-replay: $tool missing (scripts/install-test-deps.sh)" >&2; exit 2; }
done

mkdir -p "$dir"
pcap="$dir/lync-mix-$packets.pcap"
topology="$dir/lync-mix-$packets.yaml"
if ((packets == 5000000)) && [[ -f "$dir/lync-mix.pcap" && -f "$dir/lync-mix.yaml" ]]; then
  pcap="$dir/lync-mix.pcap" # the full reference workload, as benchmarks/compare.sh made it
  topology="$dir/lync-mix.yaml"
fi
if [[ ! -f "$pcap" || ! -f "$topology" ]]; then
  echo "live-replay: making the workload ($packets packets) in $dir" >&2
  python3 "$generator" --packets "$packets" -o "$pcap.tmp" --topology "$topology" >&2
  mv "$pcap.tmp" "$pcap"
fi

jar="$repo/target/portmatrix.jar"
if [[ ! -f "$jar" ]] || [[ -n "$(find "$repo/src/main" "$repo/pom.xml" -newer "$jar" -print -quit)" ]]; then
  "$repo/portmatrix" help >/dev/null
fi

id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
ns="pmbench-$id"
send="pm${id}s"
cap="pm${id}c"
work=$(mktemp -d)
live_pid=
cleanup() {
  if [[ -n "$live_pid" ]] && kill -0 "$live_pid" 2>/dev/null; then kill -KILL "$live_pid" 2>/dev/null || true; fi
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

ip netns add "$ns"
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$ns" link add "$send" type veth peer name "$cap"
ip -n "$ns" link set "$send" mtu 9000 up
ip -n "$ns" link set "$cap" mtu 9000 up

json() { # json FILE EXPR: one value of the summary
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {"d": d}))' "$1" "$2"
}

cpu_ticks() { # user + system clock ticks of a process so far
  awk '{print $14 + $15}' "/proc/$1/stat"
}

# run_rate PPS -> prints "achieved sent received dropped_in_tool kernel_dropped cpu%" (cpu%: the
# tool's user+system CPU from the start of the replay until it is idle again, per wall second)
run_rate() {
  local pps=$1 out="$work/run-$1"
  rm -rf "$out"
  mkdir -p "$out"
  ip netns exec "$ns" java -Xmx1g -jar "$jar" live -i "$cap" --topology "$topology" --format jsonl \
    --output "$out/flows.jsonl" --report-dir "$out/report" --report-every 1 --buffer-size "$buffer" --queue-size "$queue" \
    >"$out/stdout" 2>"$out/stderr" &
  live_pid=$!
  for _ in $(seq 600); do
    grep -q "capturing on" "$out/stderr" 2>/dev/null && break
    kill -0 "$live_pid" 2>/dev/null || { cat "$out/stderr" >&2; exit 1; }
    sleep 0.1
  done
  local t0 c0 replay
  t0=$(date +%s.%N)
  c0=$(cpu_ticks "$live_pid")
  local rate=(--pps "$pps")
  [[ "$pps" == top ]] && rate=(--topspeed)
  replay=$(ip netns exec "$ns" tcpreplay --preload-pcap -i "$send" "${rate[@]}" "$pcap" 2>&1)
  local achieved sent
  achieved=$(sed -n 's/.*Rated: .*, \([0-9.]*\) pps.*/\1/p' <<<"$replay" | head -1)
  sent=$(sed -n 's/.*Successful packets: *\([0-9]*\).*/\1/p' <<<"$replay" | head -1)
  # Until the tool has accounted for every frame it received (analysed or dropped) and is idle.
  for _ in $(seq 600); do
    sleep 1
    [[ -f "$out/report/summary.json" ]] || continue
    if [[ "$(json "$out/report/summary.json" 'd["capture"]["queued"] == 0 and d["capture"]["received_per_second"] == 0')" == True ]]; then
      break
    fi
  done
  local cpu
  cpu=$(python3 -c 'import sys,os; t=float(sys.argv[3])-float(sys.argv[1]); print(round(100*(int(sys.argv[4])-int(sys.argv[2]))/os.sysconf("SC_CLK_TCK")/t))' \
    "$t0" "$c0" "$(date +%s.%N)" "$(cpu_ticks "$live_pid")")
  kill -TERM "$live_pid"
  wait "$live_pid" || true
  live_pid=
  local s="$out/report/summary.json"
  printf '%s %s %s %s %s %s\n' "${achieved%.*}" "$sent" "$(json "$s" 'd["capture"]["received"]')" \
    "$(json "$s" 'd["capture"]["dropped_in_tool"]')" "$(json "$s" 'd["capture"]["kernel_dropped"]')" "$cpu"
}

printf '%-10s %-10s %-10s %-10s %-16s %-14s %s\n' "target" "achieved" "sent" "received" "dropped_in_tool" "kernel_dropped" "tool_cpu_%"
good=0 good_line="" bad=0
try() { # try PPS -> 0 when the tool dropped nothing inside itself and tcpreplay reached the rate
  local pps=$1 r achieved sent received dropped kdrop cpu
  r=$(run_rate "$pps")
  read -r achieved sent received dropped kdrop cpu <<<"$r"
  printf '%-10s %-10s %-10s %-10s %-16s %-14s %s\n' "$pps" "$achieved" "$sent" "$received" "$dropped" "$kdrop" "$cpu"
  if ((dropped != 0)); then
    return 1
  fi
  if ((achieved > good)); then
    good=$achieved
    good_line="target $pps pps, $received of $sent frames received, 0 dropped inside the tool, kernel dropped $kdrop"
  fi
  if [[ "$pps" == top ]]; then
    return 1
  fi
  if ((achieved * 100 < pps * 95)); then
    echo "live-replay: tcpreplay reached only $achieved of $pps pps: the sender is the limit here" >&2
    capped=1
    return 1
  fi
  return 0
}

capped=0
pps=$start
while ((pps <= max)) && try "$pps"; do
  pps=$((pps * 2))
done
bad=$pps
if ((capped == 0 && good > 0 && bad <= max)); then
  while ((bad - good > good / 20)); do
    mid=$(((good + bad) / 2))
    if try "$mid"; then :; else bad=$mid; fi
    ((capped == 0)) || break
  done
fi

if ((capped)); then
  try top || true # as fast as tcpreplay can send
fi

echo
if ((good == 0)); then
  echo "live-replay: the tool dropped packets already at $start pps"
  exit 1
fi
if ((capped)); then
  echo "no drops inside the tool at the highest rate tcpreplay could send here: $good pps ($good_line)"
else
  echo "highest rate without drops inside the tool: $good pps ($good_line)"
fi
echo "workload: $pcap ($packets packets); machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
