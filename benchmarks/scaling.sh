#!/usr/bin/env bash
# scaling.sh - how portmatrix's time and memory grow: with packets (same traffic, longer), and with
# concurrent flows (many flows open at once). Not run by CI.
#
#   benchmarks/scaling.sh [--dir DIR] [--runs N] [--rev REV] [--nice N] [--portmatrix CMD --label TEXT] [--packets "500000 ..."] [--flows "..."]
#
# Packets: the reference mix (../shared/bench/make_lync_mix.py --packets N; flows = N/100, the same
# packet rate, so the number of flows open at once stays about the same) at 0.5, 1, 2, 5 and 10 M
# packets: median wall and peak RSS of `portmatrix analyze FILE --topology YAML --format jsonl`, the
# marginal time per packet, and the peak of open flows the tool reports.
#
# Concurrent flows: a SYN-flood-style capture made here (Python standard library): N TCP
# connection attempts from distinct client addresses and ports to a Front End on 5061, every SYN
# first and then every SYN-ACK, all within a few seconds, so all N flows are open at once at the end.
# N = 1 k (the base line), 10 k, 100 k, 1 M: wall, peak RSS, and bytes of peak RSS per flow above the
# 1 k base line. Files are cached in DIR (default benchmarks/target/workload, env PORTMATRIX_BENCH_DIR).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
. "$here/page-cache.sh"
generator="$repo/../shared/bench/make_lync_mix.py"
dir="${PORTMATRIX_BENCH_DIR:-$here/target/workload}"
runs=3
rev=""
packet_sizes="500000 1000000 2000000 5000000 10000000"
flow_counts="1000 10000 100000 1000000"
portmatrix="$repo/portmatrix"
nice_level=""
label=""
while [ $# -gt 0 ]; do
  case "$1" in
    -d|--dir) dir="$2"; shift 2 ;;
    -r|--runs) runs="$2"; shift 2 ;;
    --rev) rev="$2"; shift 2 ;;
    -p|--portmatrix) portmatrix="$2"; shift 2 ;;
    --packets) packet_sizes="$2"; shift 2 ;;
    --flows) flow_counts="$2"; shift 2 ;;
    --nice) nice_level="$2"; shift 2 ;;
    --label) label="$2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "scaling.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
say() { echo "scaling.sh: $*" >&2; }
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
[ -x /usr/bin/time ] || { say "/usr/bin/time is required (apt-get install time)"; exit 2; }

if [ -n "$rev" ]; then
  sha="$(git -C "$repo" rev-parse --short "$rev^{commit}")"
  snap="$dir/portmatrix-$sha"
  if [ ! -s "$snap/target/portmatrix.jar" ]; then
    say "building a clean snapshot of $rev ($sha) in $snap"
    rm -rf "$snap" && mkdir -p "$snap"
    git -C "$repo" archive "$sha" | tar -x -C "$snap"
    (cd "$snap" && mvn -q -B -DskipTests package) >"$snap.build.log" 2>&1 || { say "build failed: $snap.build.log"; exit 2; }
  fi
  portmatrix="$snap/portmatrix"
  build="$sha (clean snapshot)"
else
  build="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  [ -z "$(git -C "$repo" status --porcelain -- src pom.xml 2>/dev/null)" ] || build="$build + uncommitted changes"
fi

[ -z "$label" ] || build="$label"

# --- inputs ----------------------------------------------------------------------------------
topology="$dir/lync-mix.yaml"
mix_file() {
  local n="$1" f
  if [ "$n" = 5000000 ]; then f="$dir/lync-mix.pcap"; else f="$dir/lync-mix-$n.pcap"; fi
  if [ ! -s "$f" ] || [ ! -s "$topology" ]; then
    say "making $f ($n packets)"
    python3 "$generator" -q --packets "$n" -o "$f.part" --topology "$topology" || { rm -f "$f.part"; say "could not make $f"; return 1; }
    mv "$f.part" "$f"
  fi
  echo "$f"
}

flood_file() {
  local n="$1" f="$dir/syn-flows-$1.pcap"
  if [ ! -s "$f" ]; then
    say "making $f ($n concurrent flows)"
    python3 - "$n" "$f.part" <<'EOF' || { rm -f "$f.part"; say "could not make $f"; return 1; }
# N TCP connection attempts, client 10.2.0.0/16 (distinct address:port each) -> Front End
# 10.1.1.10:5061: every SYN, then every SYN-ACK. Ethernet / IPv4 / TCP, correct checksums, frames
# padded to 60 bytes, classic pcap (microseconds).
import struct, sys
n, out = int(sys.argv[1]), sys.argv[2]
SERVER, SPORT = (10 << 24) | (1 << 16) | (1 << 8) | 10, 5061
def csum(data):
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def frame(src, sport, dst, dport, flags, seq, ack):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 64240, 0, 0)
    tcp = tcp[:16] + struct.pack("!H", csum(struct.pack("!IIBBH", src, dst, 0, 6, 20) + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBHII", 0x45, 0, 40, 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x00\x15\x5d\x01\x02\x03\x00\x15\x5d\x0a\x0b\x0c\x08\x00" + ip + tcp + b"\x00" * 6
t0 = 1_800_000_000 * 1_000_000
step = max(1, 2_000_000 // n)  # all SYNs within 2 s, then all SYN-ACKs within 2 s
with open(out, "wb") as fh:
    fh.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    w = fh.write
    for phase in (0, 1):
        for i in range(n):
            client = (10 << 24) | (2 << 16) | (1 + i % 65000)
            cport = 1024 + i // 65000
            ts = t0 + phase * 2_000_000 + i * step
            if phase == 0:
                f = frame(client, cport, SERVER, SPORT, 0x02, i * 7919 % 2**32, 0)
            else:
                f = frame(SERVER, SPORT, client, cport, 0x12, i * 104729 % 2**32, (i * 7919 + 1) % 2**32)
            w(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(f), len(f)) + f)
EOF
    mv "$f.part" "$f"
  fi
  echo "$f"
}

# measure FILE -> "median_wall median_rss_kib peak_open_flows"
measure() {
  local f="$1" i walls="" rsss="" rc peak
  read_back "$f" # page-cache.sh: cached as a file read from disk is
  "$portmatrix" analyze "$f" --topology "$topology" --format text >"$work/out.txt" 2>"$work/err" || rc=$?
  peak="$(grep -o 'peak open [0-9,]*' "$work/out.txt" | head -1 | grep -o '[0-9,]*$' | tr -d , || true)"
  peak="${peak:-?}"
  for i in $(seq 1 "$runs"); do
    rc=0
    ${nice_level:+nice -n "$nice_level"} /usr/bin/time -f '%e %M' -o "$work/time" "$portmatrix" analyze "$f" --topology "$topology" --format jsonl \
      >"$work/out.jsonl" 2>"$work/err" || rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then say "portmatrix failed (exit $rc) on $f:"; tail -3 "$work/err" >&2; exit 2; fi
    # A new report file each run, as compare.sh does: written over the last one (truncated by the
    # shell), ext4 would start its write-back at portmatrix's exit (auto_da_alloc) and time it.
    rm -f "$work/out.jsonl"
    read -r w m < <(tail -1 "$work/time")
    walls="$walls $w"; rsss="$rsss $m"
  done
  python3 -c 'import statistics,sys; w=[float(x) for x in sys.argv[1].split()]; m=[int(x) for x in sys.argv[2].split()]; print(statistics.median(w), int(statistics.median(m)), sys.argv[3], " ".join("%.2f" % x for x in w))' "$walls" "$rsss" "$peak"
}

work="$(mktemp -d "$dir/.scaling.XXXXXX")"
trap 'rm -rf "$work"' EXIT
[ -s "$topology" ] || mix_file 500000 >/dev/null
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"

say "packets: $packet_sizes"
: >"$work/packets"
for n in $packet_sizes; do
  f="$(mix_file "$n")" || exit 2
  read -r w m peak all < <(measure "$f")
  echo "$n $(stat -c %s "$f") $w $m $peak $all" >>"$work/packets"
  say "  $n packets: $w s, $((m / 1024)) MiB, peak open flows $peak"
done
say "concurrent flows: $flow_counts"
: >"$work/flows"
for n in $flow_counts; do
  f="$(flood_file "$n")" || exit 2
  read -r w m peak all < <(measure "$f")
  echo "$n $w $m $peak $all" >>"$work/flows"
  say "  $n flows: $w s, $((m / 1024)) MiB, peak open flows $peak"
done
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$work/packets" "$work/flows" "$build" "$runs" "$load_start" "$load_end" "${PORTMATRIX_JAVA_OPTS:-}" "$nice_level" \
  "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(nproc)" "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" \
  "$(java -version 2>&1 | head -1)" "$dir/scaling-$(date -u +%Y%m%d-%H%M%S).md" <<'EOF'
import sys
pfile, ffile, build, runs, l0, l1, jopts, nice_level, date, nproc, cpu, javav, md = sys.argv[1:]
out = ["By packets (the reference mix, flows = packets / 100):", "",
       "| packets | file | flows open at peak | median wall | packets/s | marginal time per packet | peak RSS | runs (s) |",
       "|---:|---:|---:|---:|---:|---:|---:|---|"]
rows = [l.split(None, 5) for l in open(pfile) if l.strip()]
base = None
for n, size, w, m, peak, allw in rows:
    n, size, w, m = int(n), int(size), float(w), int(m)
    marg = "-" if base is None or n == base[0] else f"{(w - base[1]) / (n - base[0]) * 1e9:.0f} ns"
    if base is None:
        base = (n, w)
    out.append(f"| {n/1e6:g} M | {size/1e9:.2f} GB | {peak} | {w:.2f} s | {n/w/1e6:.2f} M | {marg} | {m/1024:.0f} MiB | {allw.strip()} |")
out += ["", "By concurrent flows (SYN, then SYN-ACK, for every flow; all open at the end):", "",
        "| flows open at once | median wall | peak RSS | peak RSS per flow above the first row | runs (s) |",
        "|---:|---:|---:|---:|---|"]
rows = [l.split(None, 4) for l in open(ffile) if l.strip()]
base = None
for n, w, m, peak, allw in rows:
    n, w, m = int(n), float(w), int(m)
    per = "-" if base is None or n == base[0] else f"{(m - base[1]) * 1024 / (n - base[0]):.0f} B"
    if base is None:
        base = (n, m)
    out.append(f"| {peak if peak != '?' else n} | {w:.2f} s | {m/1024:.0f} MiB | {per} | {allw.strip()} |")
out += ["", f"portmatrix {build}" + (f", PORTMATRIX_JAVA_OPTS='{jopts}'" if jopts else "") +
        f"; `analyze FILE --topology YAML --format jsonl`, warm page cache (dropped and read back first: benchmarks/page-cache.sh), median of {runs} runs, peak RSS = /usr/bin/time %M. "
        f"{nproc} cores, {cpu}, {javav}; {date}; load average {l0} before, {l1} after"
        + (f"; timed runs at nice {nice_level}." if nice_level else ".")]
text = "\n".join(out) + "\n"
print(); print(text)
open(md, "w").write(text)
print(f"(written to {md})")
EOF
