#!/usr/bin/env bash
# compare.sh - portmatrix side by side with the tools a user would otherwise pick, on the reference
# workload (../shared/bench/make_lync_mix.py: 5 M packets, ~2 GB, Lync Server 2013 traffic mix).
#
# One command:  benchmarks/compare.sh
#
# It makes the workload (or takes one with --file), installs the comparison tools when missing
# (Debian packages tcpdump, libndpi-bin, tshark, time), warms the page cache (the files dropped from
# it and read back, as after a read from disk: page-cache.sh), then runs, ALTERNATING
# and --runs times each (default 3), every command below as a whole process under
# /usr/bin/time -f '%e %M' (wall seconds, peak RSS KiB):
#
#   portmatrix  ./portmatrix analyze FILE --topology YAML --format jsonl     (JSON lines to a temp file)
#   no-inspect  the same with --no-inspect (no payload inspection: issue 5's "with inspection at least
#               75% of the packets/s without it" is the ratio of the two)
#   html        ./portmatrix analyze FILE --topology YAML --format html     (the HTML page to a temp file)
#   extract     the portmatrix command with --extract TEMP.pcap             (the flagged flows' packets)
#               (issue 9: "HTML output and the pcap extract cost no more than 10% on top")
#   cat         cat FILE > /dev/null                                        (the page-cache limit)
#   java-loop   java org.portmatrix.bench.RawLoop FILE                      (the issue's own baseline:
#               a Java loop, 4 MiB FileChannel buffer, header decode, primitive flow table; 0.55 s when
#               the issue was written, so it tells this machine's speed from that one's; compiled by
#               javac from benchmarks/src/main/java/org/portmatrix/bench/RawLoop.java, JDK only)
#   tcpdump     tcpdump -r FILE -w /dev/null                                (libpcap read + write)
#   ndpiReader  ndpiReader -i FILE -q                                       (nDPI flow classification)
#   tshark      tshark -r CUT -q -z conv,tcp -z conv,udp                    (CUT = first 500 k packets)
#
# and prints one table: median wall time, packets/s, median peak RSS, and each tool's time per
# packet and RSS as a multiple of portmatrix's; then the machine it ran on, and the targets of
# issue 9. The table is also written (Markdown) to DIR/compare-<date>.md. Not run by CI.
#
# Note: portmatrix writes to stdout redirected to a temp file, never with --output /dev/null
# (--output writes a temp file beside the target and renames it over the target); each run's
# report and extract are deleted once it is timed, so that every run writes new files (see run()).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
. "$here/page-cache.sh"
generator="$repo/../shared/bench/make_lync_mix.py"

usage() {
  cat <<EOF
usage: benchmarks/compare.sh [options]

  -d, --dir DIR          workload cache directory (env PORTMATRIX_BENCH_DIR;
                         default benchmarks/target/workload). The reference workload
                         (DIR/lync-mix.pcap, .yaml, .truth.jsonl) is made there once and reused.
  -f, --file PCAP        use this capture instead of the reference workload
  -t, --topology YAML    topology for --file (default: PCAP with .yaml instead of .pcap)
  -r, --runs N           timed runs of each command, alternating (default 3, at least 3 advised)
  -c, --cut N            packets in the cut tshark reads (default 500000)
  -p, --portmatrix CMD   the portmatrix launcher to time (default $repo/portmatrix)
      --rev REV          time a clean build of git revision REV (git archive into
                         DIR/portmatrix-SHA, built once) instead of the working tree,
                         which others may be editing while it runs
      --nice N           run every timed command at this niceness (e.g. -15 as root, to
                         approximate an idle machine when others share it); recorded in the output
      --label TEXT       how to name the build timed in the output (with --portmatrix)
      --no-install       do not apt-get install missing tools; skip them instead
  -h, --help             this help
EOF
}

dir="${PORTMATRIX_BENCH_DIR:-$here/target/workload}"
file=""
topology=""
runs=3
cut=500000
portmatrix="$repo/portmatrix"
install=1
rev=""
nice_level=""
label=""
while [ $# -gt 0 ]; do
  case "$1" in
    -d|--dir) dir="$2"; shift 2 ;;
    -f|--file) file="$2"; shift 2 ;;
    -t|--topology) topology="$2"; shift 2 ;;
    -r|--runs) runs="$2"; shift 2 ;;
    -c|--cut) cut="$2"; shift 2 ;;
    -p|--portmatrix) portmatrix="$2"; shift 2 ;;
    --rev) rev="$2"; shift 2 ;;
    --nice) nice_level="$2"; shift 2 ;;
    --label) label="$2"; shift 2 ;;
    --no-install) install=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
case "$runs" in ''|*[!0-9]*|0) echo "compare.sh: --runs must be a positive number" >&2; exit 2 ;; esac
case "$cut" in ''|*[!0-9]*|0) echo "compare.sh: --cut must be a positive number" >&2; exit 2 ;; esac

say() { echo "compare.sh: $*" >&2; }
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

# --- tools -----------------------------------------------------------------------------------
# command -> Debian package
declare -A package=([tcpdump]=tcpdump [ndpiReader]=libndpi-bin [tshark]=tshark [editcap]=tshark
                    [capinfos]=tshark [java]=default-jre-headless [javac]=openjdk-17-jdk-headless)
missing=()
for cmd in "${!package[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${package[$cmd]}")
done
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  pkgs="$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')"
  if [ "$install" = 1 ]; then
    say "installing $pkgs"
    sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo_ apt-get update -qq >/dev/null
    $sudo_ apt-get install -y -qq $pkgs >/dev/null
  else
    say "missing (not installed, --no-install): $pkgs"
  fi
fi
[ -x /usr/bin/time ] || { say "/usr/bin/time is required (Debian package 'time')"; exit 2; }

# --- workload --------------------------------------------------------------------------------
if [ -z "$file" ]; then
  file="$dir/lync-mix.pcap"
  topology="${topology:-$dir/lync-mix.yaml}"
  if [ ! -s "$file" ] || [ ! -s "$topology" ]; then
    say "making the reference workload in $dir (5 M packets, ~2 GB, ~30-60 s)"
    python3 "$generator" -q -o "$file.part" --topology "$topology" --truth "$dir/lync-mix.truth.jsonl"
    mv "$file.part" "$file"
  fi
else
  [ -r "$file" ] || { say "$file: not readable"; exit 2; }
  file="$(cd "$(dirname "$file")" && pwd)/$(basename "$file")"
  topology="${topology:-${file%.*}.yaml}"
fi
[ -r "$topology" ] || { say "$topology: no topology (give one with --topology)"; exit 2; }

# Packet counts, cached per file (name, size, mtime).
count_packets() {
  local f="$1" key cache
  key="$(stat -c '%s-%Y' "$f")"
  cache="$dir/.count-$(basename "$f")-$key"
  if [ ! -s "$cache" ]; then
    capinfos -c -M -T -r "$f" | awk -F'\t' '{print $2}' >"$cache.part" && mv "$cache.part" "$cache"
  fi
  cat "$cache"
}

cut_file="$dir/$(basename "${file%.*}")-cut$cut.pcap"
if [ ! -s "$cut_file" ] || [ "$cut_file" -ot "$file" ]; then
  say "cutting the first $cut packets for tshark: $cut_file"
  editcap -r -F pcap "$file" "$cut_file.part" "1-$cut"
  mv "$cut_file.part" "$cut_file"
fi

say "counting packets"
packets="$(count_packets "$file")"
cut_packets="$(count_packets "$cut_file")"

# --- the build to time ----------------------------------------------------------------------
if [ -n "$rev" ]; then
  sha="$(git -C "$repo" rev-parse --short "$rev^{commit}")" || { say "no such revision: $rev"; exit 2; }
  snap="$dir/portmatrix-$sha"
  if [ ! -s "$snap/target/portmatrix.jar" ]; then
    say "building a clean snapshot of $rev ($sha) in $snap"
    rm -rf "$snap" && mkdir -p "$snap"
    git -C "$repo" archive "$sha" | tar -x -C "$snap"
    (cd "$snap" && mvn -q -B -DskipTests package) >"$snap.build.log" 2>&1 || { say "build failed: $snap.build.log"; exit 2; }
  fi
  portmatrix="$snap/portmatrix"
  build="$sha (clean snapshot, --rev $rev)"
else
  build="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  if [ -n "$(git -C "$repo" status --porcelain -- src pom.xml 2>/dev/null)" ]; then build="$build + uncommitted changes in the working tree"; fi
fi

[ -z "$label" ] || build="$label"

# --- build and warm up -----------------------------------------------------------------------
work="$(mktemp -d "$dir/.compare.XXXXXX")"
trap 'rm -rf "$work"' EXIT
say "building portmatrix if needed and warming the page cache"
"$portmatrix" analyze "$cut_file" --topology "$topology" --format jsonl >"$work/warm.jsonl" 2>"$work/warm.err" || {
  rc=$?
  if [ "$rc" -ne 1 ]; then say "portmatrix failed (exit $rc):"; cat "$work/warm.err" >&2; exit 2; fi
}
read_back "$file" "$cut_file" # page-cache.sh: cached as a file read from disk is

have() { command -v "$1" >/dev/null 2>&1; }
tools=(portmatrix no-inspect html extract cat java-loop tcpdump)
# The issue's own baseline, "a Java loop: 4 MiB FileChannel.read buffer, header decode, primitive flow
# table" (0.55 s when the issue was written): it tells this machine's speed from the issue's.
javac -d "$work/java-loop" "$here/src/main/java/org/portmatrix/bench/RawLoop.java" \
  || { say "javac failed on benchmarks/src/main/java/org/portmatrix/bench/RawLoop.java"; exit 2; }
is_pm() { case "$1" in portmatrix|no-inspect|html|extract) return 0 ;; esac; return 1; }
have ndpiReader && tools+=(ndpiReader)
have tshark && tools+=(tshark)

timed=(/usr/bin/time -f '%e %M %U %S' -o)
[ -z "$nice_level" ] || timed=(nice -n "$nice_level" /usr/bin/time -f '%e %M %U %S' -o)

# run TOOL RUN: one timed run; appends "tool run wall rss_kib user sys" to $work/results.
run() {
  local tool="$1" i="$2" rc=0 attempt
  for attempt in 1 2 3; do
    rc=0
    case "$tool" in
      portmatrix) "${timed[@]}" "$work/time" "$portmatrix" analyze "$file" --topology "$topology" --format jsonl \
                    >"$work/out.jsonl" 2>"$work/err" || rc=$? ;;
      no-inspect) "${timed[@]}" "$work/time" "$portmatrix" analyze "$file" --topology "$topology" --format jsonl \
                    --no-inspect >"$work/out-no-inspect.jsonl" 2>"$work/err" || rc=$? ;;
      html)       "${timed[@]}" "$work/time" "$portmatrix" analyze "$file" --topology "$topology" --format html \
                    >"$work/out.html" 2>"$work/err" || rc=$? ;;
      extract)    "${timed[@]}" "$work/time" "$portmatrix" analyze "$file" --topology "$topology" --format jsonl \
                    --extract "$work/extract.pcap" >"$work/out-extract.jsonl" 2>"$work/err" || rc=$? ;;
      cat)        "${timed[@]}" "$work/time" cat "$file" >/dev/null 2>"$work/err" || rc=$? ;;
      java-loop)  "${timed[@]}" "$work/time" java -cp "$work/java-loop" org.portmatrix.bench.RawLoop "$file" \
                    >/dev/null 2>"$work/err" || rc=$? ;;
      tcpdump)    "${timed[@]}" "$work/time" tcpdump -r "$file" -w /dev/null >/dev/null 2>"$work/err" || rc=$? ;;
      ndpiReader) "${timed[@]}" "$work/time" ndpiReader -i "$file" -q >/dev/null 2>"$work/err" || rc=$? ;;
      tshark)     "${timed[@]}" "$work/time" tshark -r "$cut_file" -q -z conv,tcp -z conv,udp \
                    >/dev/null 2>"$work/err" || rc=$? ;;
    esac
    # Each run's extract is deleted as soon as it is timed: replacing the last one in the next run
    # would add its unlink (50-100 ms for 320 MB here), and keeping them all would add the kernel's
    # write-back of the earlier ones to the later runs (1.7 s growing to 2.8 s over ten runs):
    # costs of the old files, not of writing the extract.
    [ "$tool" != extract ] || rm -f "$work/extract.pcap"
    # The same for each run's report (51 MB of JSON lines): written again into the previous run's
    # file, which the shell truncates, it makes ext4 start writing the new one back when portmatrix
    # closes it at its exit (ext4's auto_da_alloc, for files truncated and rewritten: 20-30 ms of
    # that run's wall time here, paired 0.981 into a new file); a new file does not, as the first
    # run's did not. The JSON lines' count is taken first (not timed).
    if is_pm "$tool"; then
      [ "$tool" != portmatrix ] || [ ! -f "$work/out.jsonl" ] || flows="$(wc -l <"$work/out.jsonl" | tr -d ' ')"
      rm -f "$work/out.jsonl" "$work/out-no-inspect.jsonl" "$work/out.html" "$work/out-extract.jsonl"
    fi
    # The launcher rebuilds the jar when sources changed under it: that run is not a measurement.
    if is_pm "$tool" && grep -q 'portmatrix: building' "$work/err"; then
      say "portmatrix rebuilt its jar during run $i; repeating the run"
      continue
    fi
    break
  done
  # portmatrix: 0 = done, 1 = flows flagged (only with --fail-on-unexpected); anything else is a failure.
  if [ "$rc" -ne 0 ] && ! { is_pm "$tool" && [ "$rc" = 1 ]; }; then
    say "$tool failed (exit $rc) in run $i:"; tail -5 "$work/err" >&2
    echo "$tool $i FAIL FAIL FAIL FAIL" >>"$work/results"
    return
  fi
  read -r wall rss usr sys_ < <(tail -1 "$work/time")
  echo "$tool $i $wall $rss $usr $sys_" >>"$work/results"
  awk -v i="$i" -v t="$tool" -v w="$wall" -v r="$rss" -v c="$(awk -v u="$usr" -v s="$sys_" 'BEGIN { print u + s }')" \
    'BEGIN { printf "  run %d  %-11s %7.2f s  %7.1f MiB  %6.2f s CPU\n", i, t, w, r / 1024, c }' >&2
}

load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
say "timing ${tools[*]}: $runs runs each, alternating (load average $load_start)"
: >"$work/results"
for i in $(seq 1 "$runs"); do
  for t in "${tools[@]}"; do
    run "$t" "$i"
  done
done

flows="${flows:-0}" # counted after the last run of portmatrix (run)

# --- machine ---------------------------------------------------------------------------------
cpu="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
mem="$(free -g | awk '/^Mem:/ {print $2}')"
javav="$(java -version 2>&1 | head -1)"
os="$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"
versions="tcpdump $(tcpdump --version 2>&1 | sed -n 's/^tcpdump version //p' | head -1)"
have ndpiReader && versions="$versions, nDPI $(ndpiReader -h 2>&1 | sed -n 's/.*nDPI \([0-9.]*\).*/\1/p' | head -1)"
have tshark && versions="$versions, tshark $(tshark --version 2>/dev/null | head -1 | awk '{print $3}')"

python3 - "$work/results" "$packets" "$cut_packets" "$file" "$cut_file" "$runs" "$flows" \
  "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(nproc)" "$cpu" "$mem" "$javav" "$os" "$build" "$versions" "$load_start" "$load_end" \
  "${PORTMATRIX_JAVA_OPTS:-}" "$nice_level" "$dir/compare-$(date -u +%Y%m%d-%H%M%S).md" <<'EOF'
import statistics, sys
(results, packets, cut_packets, file, cut_file, runs, flows, date, nproc, cpu_model, mem, javav, osname,
 build, versions, load_start, load_end, jopts, nice_level, mdfile) = sys.argv[1:]
packets, cut_packets = int(packets), int(cut_packets)
rows = {}
by_round = {}  # tool -> {round: wall}
for line in open(results):
    tool, i, wall, rss, usr, sys_ = line.split()
    rows.setdefault(tool, [])
    if wall != "FAIL":
        rows[tool].append((float(wall), int(rss), float(usr) + float(sys_)))
        by_round.setdefault(tool, {})[int(i)] = float(wall)
commands = {
    "portmatrix": "portmatrix analyze FILE --topology YAML --format jsonl > out.jsonl",
    "no-inspect": "portmatrix analyze FILE --topology YAML --format jsonl --no-inspect > out.jsonl",
    "html": "portmatrix analyze FILE --topology YAML --format html > out.html",
    "extract": "portmatrix analyze FILE --topology YAML --format jsonl --extract out.pcap > out.jsonl",
    "cat": "cat FILE > /dev/null",
    "java-loop": "java RawLoop FILE (the issue's Java loop: 4 MiB FileChannel buffer, headers, primitive flow table)",
    "tcpdump": "tcpdump -r FILE -w /dev/null",
    "ndpiReader": "ndpiReader -i FILE -q",
    "tshark": "tshark -r CUT -q -z conv,tcp -z conv,udp",
}
def med(tool):
    r = rows.get(tool) or []
    if not r:
        return None
    n = cut_packets if tool == "tshark" else packets
    wall = statistics.median(x[0] for x in r)
    rss = statistics.median(x[1] for x in r) / 1024
    cpu = statistics.median(x[2] for x in r)
    return n, wall, rss, [x[0] for x in r], cpu
pm = med("portmatrix")

def paired(tool, base="portmatrix"):
    """Median over the rounds of (tool's time per packet / base's) in the same round: the two ran
    one after the other, so a machine that drifts slower or faster between rounds cancels out."""
    a, b = by_round.get(tool, {}), by_round.get(base, {})
    na = cut_packets if tool == "tshark" else packets
    nb = cut_packets if base == "tshark" else packets
    r = [(a[i] / na) / (b[i] / nb) for i in a if i in b and b[i] > 0]
    return statistics.median(r) if r else None

out = []
out.append("| command | packets | median wall | packets/s | peak RSS | CPU (user+sys) | time/packet vs portmatrix | same, paired by round | RSS vs portmatrix | runs (s) |")
out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for tool in ["portmatrix", "no-inspect", "html", "extract", "cat", "java-loop", "tcpdump", "ndpiReader", "tshark"]:
    m = med(tool)
    if m is None:
        if tool in rows:
            out.append(f"| `{commands[tool]}` | | failed | | | | | | | |")
        continue
    n, wall, rss, walls, cpu = m
    pps = n / wall if wall > 0 else float("inf")
    if pm and pm[1] > 0:
        ratio = (wall / n) / (pm[1] / pm[0])
        rratio = rss / pm[2]
        ratio_s, rratio_s = f"{ratio:.2f}×", f"{rratio:.2f}×"
    else:
        ratio_s = rratio_s = "-"
    pr = paired(tool) if pm else None
    pr_s = f"{pr:.2f}×" if pr is not None else "-"
    out.append(f"| `{commands[tool]}` | {n/1e6:.2f} M | {wall:.2f} s | {pps/1e6:.2f} M | {rss:.0f} MiB | {cpu:.2f} s | {ratio_s} | {pr_s} | {rratio_s} | {' '.join(f'{w:.2f}' for w in walls)} |")
machine = (f"Machine: {nproc} cores, {cpu_model}, {mem} GiB RAM, {osname}; {javav}; {versions}. "
           f"portmatrix {build}" + (f", PORTMATRIX_JAVA_OPTS='{jopts}'" if jopts else "") + f". {date}; "
           f"load average {load_start} before and {load_end} after the timed runs"
           + (f"; every timed command ran at nice {nice_level}." if nice_level else "."))
work = (f"FILE = {file} ({packets:,} packets, {flows} flow records written), CUT = its first {cut_packets:,} packets; "
        f"warm page cache (dropped and read back before the runs: benchmarks/page-cache.sh), whole process, median of {runs} alternating runs; peak RSS = /usr/bin/time %M; "
        f"CPU = user + system seconds of all the process's threads (%U + %S); paired = the median, over the rounds, of the "
        f"ratio between two commands run one after the other in the same round. A target counts as met only when both "
        f"the ratio of the medians and the paired ratio meet it.")
targets = []
if pm:
    n, wall, rss, _, _ = pm
    def ok(b): return "met" if b else "MISSED"
    targets.append(f"- whole process ≤ 1.0 s: {wall:.2f} s — {ok(wall <= 1.0)}")
    targets.append(f"- ≥ 5 M packets/s: {n / wall / 1e6:.2f} M — {ok(n / wall >= 5e6)}")
    targets.append(f"- peak RSS < 512 MiB (aim 256): {rss:.0f} MiB — {ok(rss < 512)}")
    for tool, factor in [("tcpdump", 1.0), ("ndpiReader", 4.5), ("tshark", 40.0)]:
        m = med(tool)
        if m:
            r = (m[1] / m[0]) / (wall / n)
            p = paired(tool)
            targets.append(f"- ≥ {factor:g}× faster than {tool} per packet: {r:.2f}× (paired {p:.2f}×) — {ok(r >= factor and p >= factor)}")
ni = med("no-inspect")
if pm and ni:
    share = (pm[0] / pm[1]) / (ni[0] / ni[1])
    p = 1 / paired("portmatrix", "no-inspect")
    targets.append(f"- (issue 5) with inspection ≥ 75% of the packets/s without it: {share * 100:.0f}% (paired {p * 100:.0f}%) — "
                   + ("met" if share >= 0.75 and p >= 0.75 else "MISSED"))
for tool, what in [("html", "the HTML page instead of JSON lines"), ("extract", "the pcap extract")]:
    m = med(tool)
    if pm and m:
        extra = m[1] / pm[1] - 1
        p = paired(tool) - 1
        targets.append(f"- {what} costs ≤ 10% on top: {extra * 100:+.0f}% (paired {p * 100:+.0f}%) — "
                       + ("met" if extra <= 0.10 and p <= 0.10 else "MISSED"))
jl = med("java-loop")
if jl:
    # Not a target: the issue's own Java baseline (0.55 s then) against this run, to tell the machine's speed.
    machine += (f" The issue's Java loop (0.55 s when the issue was written) took {jl[1]:.2f} s in this run"
                + (f"; portmatrix takes {pm[1] / jl[1]:.2f}× its time (paired {1 / paired('java-loop'):.2f}×)." if pm else "."))
text = "\n".join(out) + "\n\n" + work + "\n\n" + machine + "\n\nTargets (issue 9):\n" + "\n".join(targets) + "\n"
print()
print(text)
with open(mdfile, "w") as fh:
    fh.write(text)
print(f"(written to {mdfile})")
EOF
