#!/usr/bin/env bash
# Where one run's time goes: the devserver (SQLite on disk), the Loomstep app (E2eApp) and the load driver
# (E2eDriver) of e2e-vs-restate.sh, one run at a time, with every TCP packet between them captured on
# loopback; prints the median time from the run's start (the driver's POST /e) to each exchange on its
# path. Needs tcpdump and python3, and the right to capture on lo (root, or CAP_NET_RAW on tcpdump).
#
#   benchmarks/load/one-run-trace.sh [--mode ahead|checkpointing|classic|default] [--runs 300] [--fanout N]
#   (ahead: Loomstep's default, runAhead 16; checkpointing: jsDefaults(), one checkpoint per step;
#   --fanout N: the run is one step.parallel over N step.run (bench/fanout) instead of 10 sequential steps)
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "one-run-trace: $*" >&2; exit 1; }
mode=ahead runs=300 fanout=0
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) mode=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --fanout) fanout=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
case "$mode" in ahead|checkpointing|classic|default) ;; *) die "--mode ahead|checkpointing|classic|default, got $mode" ;; esac
shape=(); [ "$fanout" -gt 0 ] && shape=(--fanout "$fanout")
command -v tcpdump >/dev/null || die "tcpdump not found"
command -v python3 >/dev/null || die "python3 not found"
../loom mvn -B -q -pl benchmarks -am package -DskipTests || die "the build failed"
java="$(../loom mvn -B -v 2>/dev/null | sed -n 's/.*runtime: //p')/bin/java"
quiet=(-Dorg.jboss.logging.provider=slf4j -Dorg.slf4j.simpleLogger.defaultLogLevel=warn)
out=target/results; mkdir -p "$out"
tmp=$(mktemp -d -t one-run-trace.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT
ready() { # $1 log, $2 sed regex with group 1
  for _ in $(seq 600); do
    v=$(sed -n "s/$2/\1/p" "$1" | head -1); [ -n "$v" ] && { echo "$v"; return; }
    sleep 0.1
  done
  tail -20 "$1" >&2; die "not ready: $1"
}
"$java" --enable-native-access=ALL-UNNAMED "${quiet[@]}" -jar ../devserver/target/devserver.jar --port 0 --db "$tmp/dev.db" > "$tmp/dev.log" 2>&1 &
pids+=($!)
dev=$(ready "$tmp/dev.log" '^Loomstep devserver listening on \([^ ]*\) .*')
"$java" "${quiet[@]}" -cp target/benchmarks.jar dev.loomstep.benchmarks.e2e.E2eApp --dev "$dev" --mode "$mode" > "$tmp/app.log" 2>&1 &
pids+=($!)
app=$(ready "$tmp/app.log" '^loomstep-app ready \([^ ]*\).*')
drive() { "$java" "${quiet[@]}" -cp target/benchmarks.jar dev.loomstep.benchmarks.e2e.E2eDriver --system "$mode" --target devserver "$dev" \
  --rounds 1 --warmup-seconds "$1" --runs "$2" "${shape[@]}" --out "$tmp/res.tsv" > "$tmp/driver.log" 2>&1 || die "the driver failed (log: $tmp/driver.log)"; }
drive 3 200   # warm the three JVMs first
devport=${dev##*:}; devport=${devport%/}; appport=${app##*:}; appport=${appport%%/*}
tcpdump -i lo -nn -U -s 256 -w "$tmp/cap.pcap" "tcp port $devport or tcp port $appport" > "$tmp/tcpdump.log" 2>&1 &
tcpdump_pid=$!; pids+=($tcpdump_pid)
sleep 1
: > "$tmp/res.tsv"; drive 1 "$runs"
sleep 0.5; kill "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null || true
python3 - "$tmp/cap.pcap" "$devport" > "$out/one-run-trace-$mode$([ "$fanout" -gt 0 ] && echo "-fanout$fanout").txt" <<'PY'
import re, struct, sys, collections
data = open(sys.argv[1], 'rb').read(); dev = int(sys.argv[2])
link = struct.unpack('<I', data[20:24])[0]; off = 24; pkts = []
while off < len(data):
    sec, usec, n, _ = struct.unpack('<IIII', data[off:off + 16]); p = data[off + 16:off + 16 + n]; off += 16 + n
    ip = p[14:] if link == 1 else p[16:]; ihl = (ip[0] & 15) * 4; total = struct.unpack('>H', ip[2:4])[0]
    tcp = ip[ihl:]; sp, dp = struct.unpack('>HH', tcp[:4]); doff = (tcp[12] >> 4) * 4
    if total - ihl - doff > 0:
        pkts.append((sec + usec / 1e6, sp, dp, tcp[doff:doff + 120].split(b'\r\n')[0].decode('latin1')))
last, runs, run = {}, [], None
for t, sp, dp, line in pkts:
    m = re.match(r'(GET|POST) (\S+)', line)
    if m:
        path = m.group(2)
        what = ('driver: POST /e' if path.startswith('/e/') else 'driver: GET /runs/ended' if '/runs/ended' in path
                else 'app: POST /v1/checkpoint' if path.startswith('/v1/checkpoint') else 'devserver: POST call to the app') \
            if dp == dev else 'devserver: POST call to the app'
        last[(sp, dp)] = what
        if what == 'driver: POST /e':
            run = []; runs.append(run)
        if run is not None:
            run.append((t, what))
    elif line.startswith('HTTP/1.1') and run is not None:
        run.append((t, last.get((dp, sp), '?') + ' answered ' + line[9:12]))
rows = collections.defaultdict(list); counts = collections.Counter()
for r in runs:
    if not any(w == 'driver: GET /runs/ended answered 200' for _, w in r):
        continue
    t0 = r[0][0]; seen = {}
    for t, w in r:
        counts[w] += 1
        seen.setdefault(w, (t - t0) * 1000)
    for w, v in seen.items():
        rows[w].append(v)
n = len(rows['driver: POST /e'])
med = lambda v: sorted(v)[len(v) // 2]
print(f'{n} runs, one at a time; ms from the driver\'s POST /e to the first packet of each exchange (median, p25-p75), and exchanges per run')
for w in sorted(rows, key=lambda w: med(rows[w])):
    v = sorted(rows[w])
    print(f'{w:<55} {med(v):7.2f}  ({v[len(v) // 4]:.2f}-{v[3 * len(v) // 4]:.2f})  x{counts[w] / n:.2f}')
PY
cat "$tmp/res.tsv" >&2
cat "$out/one-run-trace-$mode$([ "$fanout" -gt 0 ] && echo "-fanout$fanout").txt"
