#!/usr/bin/env bash
# Fan-out end to end against Restate (issue 19): one run of N parallel steps — step i returns i, the run
# returns their sum — on these systems one after the other, each server and each app in its own process,
# all driven by the same load driver (E2eDriver, a third process) over loopback, public surfaces only:
#   Loomstep, defaults        the devserver (java -jar devserver.jar, SQLite WAL on disk) + E2eApp --mode default:
#                             step.parallel over N step.run, the SDK's defaults (checkpointing on)
#   Loomstep, checkpointing off  the same, Checkpointing.off() (E2eApp --mode classic): the classic planned path
#   inngest-js                the same devserver + the official JS SDK app (load/js-e2e-app.js): Promise.all of N step.run
#   Restate                   restate-server (npm, data in a temp dir) + a Restate sdk-java service (restate/):
#                             N ctx.runAsync, then DurableFuture.all
# A run is timed from its start (event sent / ingress call) to the driver learning it completed (the
# devserver's long poll GET /v1/events/{id}/runs/ended; Restate's ingress answer). Rows, per system after
# a warm-up of its JVMs (--prewarm-seconds of unmeasured runs of N = 100 at 10 in flight, the same time for
# every system, then --warmup-runs runs of N = 100, one at a time):
#   N = 100, one run at a time: p50, p90 of --runs-100 runs
#   10 runs of N = 100 in flight (closed loop): runs/s and steps/s over --inflight-runs runs
#   N = 1,000, one run at a time: p50 of --runs-1000 runs (after one warm-up run)
#   N = 10,000, one run, Loomstep only (--big 0 skips it): its time, then the devserver's heap
#                             (jcmd GC.heap_info right after the run, and again after jcmd GC.run)
# A run that fails, returns a wrong sum or outlives its timeout makes its row "failed (reason)" for that
# system; the script goes on. Prints a Markdown table with each figure's ratio to Restate's; results in
# target/results/fanout-vs-restate.{md,tsv} (logs: target/results/fanout-*.log).
# Installs what it needs first: npm ci in testkit/js-peer and benchmarks/restate, the Maven builds.
#
#   benchmarks/load/fanout-vs-restate.sh [--systems default,off,js,restate] [--runs-100 20] [--prewarm-seconds 30]
#       [--warmup-runs 20] [--inflight-runs 30] [--runs-1000 3] [--big 10000] [--timeout 120] [--big-timeout 300]
#   smoke test: benchmarks/load/fanout-vs-restate.sh --runs-100 3 --prewarm-seconds 0 --warmup-runs 3 --inflight-runs 10 --runs-1000 1 --big 0
set -euo pipefail
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")   # --help reads it after the cd below
cd "$(dirname "$0")/.."
die() { echo "fanout-vs-restate: $*" >&2; exit 1; }

systems=default,off,js,restate runs100=20 prewarm=30 warmup=20 inflight=30 runs1000=3 big=10000 timeout=120 big_timeout=300
while [ $# -gt 0 ]; do
  case "$1" in
    --systems) systems=$2; shift 2 ;;
    --runs-100) runs100=$2; shift 2 ;;
    --warmup-runs) warmup=$2; shift 2 ;;
    --prewarm-seconds) prewarm=$2; shift 2 ;;
    --inflight-runs) inflight=$2; shift 2 ;;
    --runs-1000) runs1000=$2; shift 2 ;;
    --big) big=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --big-timeout) big_timeout=$2; shift 2 ;;
    -h|--help) sed -n '2,27p' "$self" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
for s in ${systems//,/ }; do
  case "$s" in default|off|js|restate) ;; *) die "unknown system $s (default, off, js, restate)" ;; esac
done
want() { [[ ",$systems," == *",$1,"* ]]; }

started=$(date +%s) load_start=$(cut -d' ' -f1-3 /proc/loadavg)
out=target/results logs=fanout prog=fanout-vs-restate needs="$(want js && echo js || true) $(want restate && echo restate || true)"
. load/e2e-lib.sh
tsv=$out/fanout-vs-restate.tsv heap=$out/fanout-vs-restate-heap.tsv
: > "$tsv"; : > "$heap"
jcmd="$java_home/bin/jcmd"

# Each system runs in a background subshell that stops what it started when it ends (or is stopped);
# the script waits for it, so a signal to the script stops it at once. A system that did not start
# gets "failed" in each of its rows instead of ending the script.
sys_pid=
trap 'if [ -n "$sys_pid" ]; then kill "$sys_pid" 2>/dev/null || true; wait "$sys_pid" 2>/dev/null || true; fi; stop_all; rm -rf "$tmp"' EXIT

rows() { # the rows of one system: "width concurrency"
  echo "100 1"; echo "100 10"; echo "1000 1"
  if [ "$2" = loomstep ] && [ "$big" -gt 0 ]; then echo "$big 1"; fi
}
record_missing() { # $1 = system name, $2 = kind (loomstep|other), $3 = reason: a failed line for each row without one
  local width conc
  while read -r width conc; do
    awk -F'\t' -v s="$1" -v c="$conc" -v w="$width" '$1 == s && $2 == c && $8 == w { found = 1 } END { exit !found }' "$tsv" \
      || printf '%s\t%s\tfailed\t%s\t-\t-\t-\t%s\n' "$1" "$conc" "$3" "$width" >> "$tsv"
  done < <(rows "$1" "$2")
}

drv() { # $1 = system name, $2 = width, $3 = concurrency, $4 = measured runs, $5 = warm-up runs, $6 = timeout (s), then --target ...
  local name=$1 width=$2 conc=$3 runs=$4 warm=$5 limit=$6; shift 6
  echo "== $name: N = $width, $conc in flight, $warm warm-up + $runs measured runs" >&2
  "$java" "${quiet[@]}" -cp target/benchmarks.jar dev.loomstep.benchmarks.e2e.E2eDriver --system "$name" "$@" \
    --fanout "$width" --rounds "$conc" --runs "$runs" --warmup-runs "$warm" --run-timeout-seconds "$limit" --keep-going --out "$tsv" &
  local d=$! rc=0
  pids+=("$d")
  wait "$d" || rc=$?
  unset 'pids[${#pids[@]}-1]'
  case "$rc" in
    0) return 0 ;;
    3) return 1 ;; # recorded by the driver
    *) printf '%s\t%s\tfailed\tthe driver exited with status %s\t-\t-\t-\t%s\n' "$name" "$conc" "$rc" "$width" >> "$tsv"; return 1 ;;
  esac
}

all_rows() { # $1 = system name, $2 = loomstep|other, then --target ...
  local name=$1 kind=$2; shift 2
  drv "$name" 100 1 "$runs100" "$warmup" "$timeout" "$@" --prewarm-seconds "$prewarm" --prewarm-concurrency 10 || true
  drv "$name" 100 10 "$inflight" 10 "$timeout" "$@" || true
  drv "$name" 1000 1 "$runs1000" 1 "$timeout" "$@" || true
  if [ "$kind" = loomstep ] && [ "$big" -gt 0 ]; then
    local finished=ok
    drv "$name" "$big" 1 1 0 "$big_timeout" "$@" || finished=failed
    heap_after "$name" "$finished" # when the run failed (outlived its timeout), the heap at that moment, marked so

  fi
}

kb() { sed -n "s/.*$1 \([0-9]*\)K.*/\1/p" | head -1; }
heap_after() { # $1 = system, $2 = ok|failed; the devserver's heap right after the big run, and after a full GC: jcmd GC.heap_info
  local before after file=$out/fanout-heap-${1//[^A-Za-z0-9]/_}.txt
  before=$("$jcmd" "$dev_pid" GC.heap_info 2>&1) || { echo "jcmd GC.heap_info failed: $before" >&2; return 0; }
  echo "$before" > "$file"
  "$jcmd" "$dev_pid" GC.run >/dev/null 2>&1 || true
  after=$("$jcmd" "$dev_pid" GC.heap_info 2>&1) || after=
  echo "$after" >> "$file"
  local used committed settled
  used=$(echo "$before" | kb used); committed=$(echo "$before" | kb committed); settled=$(echo "$after" | kb used)
  [ -n "$used" ] || { echo "no heap figures in jcmd's answer: $before" >&2; return 0; }
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$used" "$committed" "${settled:--1}" "$2" >> "$heap"
}

system() { # $1 = name, $2 = loomstep|other, then the function that starts it and runs its rows
  local name=$1 kind=$2 rc=0; shift 2
  ( trap stop_all EXIT; trap 'exit 143' INT TERM; "$@" "$name" "$kind" ) &
  sys_pid=$!
  wait "$sys_pid" || rc=$?
  sys_pid=
  [ "$rc" = 0 ] || echo "fanout-vs-restate: $name stopped with status $rc (logs: $out/$logs-*.log)" >&2
  record_missing "$name" "$kind" "did not start or stopped early (status $rc, see $out/$logs-*.log)"
}

loomstep() { # $1 = E2eApp mode, then the name and kind
  start_devserver "$1"
  start_loomstep_app "$1"
  all_rows "$2" "$3" --target devserver "$dev_url"
}
js() {
  start_devserver js
  start_js_app
  all_rows "$1" "$2" --target devserver "$dev_url"
}
restate() {
  start_restate
  all_rows "$1" "$2" --target restate "$restate_ingress/FanOutService/run"
}

if want default; then system "Loomstep, defaults" loomstep loomstep default; fi
if want off; then system "Loomstep, checkpointing off" loomstep loomstep classic; fi
if want js; then system "inngest-js ${js_version:-?} on the devserver" other js; fi
if want restate; then system Restate other restate; fi

{
  versions_line
  echo
  "$java" -cp target/benchmarks.jar dev.loomstep.benchmarks.e2e.FanOutTable "$tsv" --peer Restate --heap "$heap" --big "$big"
  echo
  echo "(Each figure's ratio to Restate's on the same row in brackets: for times, below 1× is faster than Restate; for runs/s and" \
    "steps/s, above 1× is more. Every system pre-warmed ${prewarm} s (runs of N = 100, 10 in flight, unmeasured); runs one at a time" \
    "after $warmup warm-up runs of N = 100; $runs100 runs at N = 100, $runs1000 at" \
    "N = 1,000 (after one warm-up run), $inflight runs with 10 in flight (after 10 warm-up runs); run timeout ${timeout} s" \
    "($big_timeout s at N = $big). Heap: jcmd GC.heap_info on the devserver right after the run, then after jcmd GC.run." \
    "\`benchmarks/load/fanout-vs-restate.sh --systems $systems --runs-100 $runs100 --prewarm-seconds $prewarm --warmup-runs $warmup --inflight-runs $inflight" \
    "--runs-1000 $runs1000 --big $big\`, $(( $(date +%s) - started )) s in all, build included; load average at the start" \
    "$load_start, at the end $(cut -d' ' -f1-3 /proc/loadavg).)"
} | tee "$out/fanout-vs-restate.md"
