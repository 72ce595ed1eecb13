#!/usr/bin/env bash
# HTTP load benchmark: Loomstep and the official JS SDK (express) serve the same function, `replay`
# (101 sequential step.run calls), and wrk sends both the same call request — 100 memoized steps,
# immediate execution disabled — over loopback, one after the other in the same run.
# Prints requests/s and p50/p99 latency for both, and the ratio.
#
#   benchmarks/load/http-load.sh                  DURATION=10 CONNECTIONS=32 STEPS=100 by default
#   DURATION=30 CONNECTIONS=64 benchmarks/load/http-load.sh
#
# Needs wrk (apt-get install wrk) and node; results land in benchmarks/target/results/http-load.md.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10} CONNECTIONS=${CONNECTIONS:-32} STEPS=${STEPS:-100}
out=target/results; mkdir -p "$out"
command -v wrk >/dev/null || { echo "http-load: wrk not found; apt-get install wrk" >&2; exit 1; }
command -v node >/dev/null || { echo "http-load: node not found" >&2; exit 1; }
[ -d ../testkit/js-peer/node_modules/inngest ] || (cd ../testkit/js-peer && npm ci --no-audit --no-fund --loglevel=error)

echo "== building" >&2
../loom mvn -B -q -pl benchmarks -am package -DskipTests
java_home=$(../loom mvn -B -v 2>/dev/null | sed -n 's/.*runtime: //p')
java="$java_home/bin/java"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

ready_url() { # $1 = log file, $2 = ready word; waits up to 30 s for the ready line
  for _ in $(seq 300); do
    url=$(sed -n "s/^$2 ready \([^ ]*\).*/\1/p" "$1" | head -1)
    [ -n "$url" ] && { echo "$url"; return; }
    sleep 0.1
  done
  echo "http-load: $2 did not start; see $1" >&2; exit 1
}

"$java" --enable-native-access=ALL-UNNAMED -Xms512m -Dorg.jboss.logging.provider=slf4j -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp target/benchmarks.jar dev.loomstep.benchmarks.load.LoadTarget --steps "$STEPS" --body "$out/replay-body.json" > "$out/loomstep.log" 2>&1 &
pids+=($!)
NODE_PATH=../testkit/js-peer/node_modules node load/js-replay-server.js --steps "$STEPS" > "$out/js.log" 2>&1 &
pids+=($!)
loom_url=$(ready_url "$out/loomstep.log" loomstep)
js_url=$(ready_url "$out/js.log" js-replay)

# Both must give the same answer before their speed means anything.
answer() { curl -s -X POST -H 'Content-Type: application/json' --data-binary @"$out/replay-body.json" "$1?fnId=bench-replay&stepId=step" |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const o=JSON.parse(s);console.log(o.map(x=>x.op+" "+x.id+" "+x.displayName).join(","))})'; }
a=$(answer "$loom_url"); b=$(answer "$js_url")
[ "$a" = "$b" ] || { echo "http-load: the answers differ: Loomstep [$a] vs JS [$b]" >&2; exit 1; }
echo "== both answer: $a" >&2
echo "== machine: $(nproc) cores, $("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.runtime\.version = //p'), node $(node --version)" >&2

run() { # $1 = name, $2 = url; warm-up, then the measured run
  BODY_FILE="$out/replay-body.json" wrk -t1 -c"$CONNECTIONS" -d5s -s load/post.lua "$2?fnId=bench-replay&stepId=step" >/dev/null
  BODY_FILE="$out/replay-body.json" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s load/post.lua "$2?fnId=bench-replay&stepId=step" > "$out/wrk-$1.txt"
}
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); print v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v); print v} else if (v ~ /s$/) {sub(/s$/,"",v); print v*1000} else print v}'; }
stat() { # $1 = name → "rps p50 p99 non2xx"
  f="$out/wrk-$1.txt"
  rps=$(sed -n 's/^Requests\/sec: *//p' "$f")
  p50=$(awk '$1=="50%"{print $2}' "$f" | to_ms); p99=$(awk '$1=="99%"{print $2}' "$f" | to_ms)
  bad=$(sed -n 's/.*Non-2xx or 3xx responses: *//p' "$f"); echo "$rps $p50 $p99 ${bad:-0}"
}
echo "== Loomstep" >&2; run loomstep "$loom_url"
echo "== inngest-js" >&2; run js "$js_url"
read -r l_rps l_p50 l_p99 l_bad <<<"$(stat loomstep)"
read -r j_rps j_p50 j_p99 j_bad <<<"$(stat js)"
{
  echo "| SDK | requests/s | p50 | p99 | non-2xx |"
  echo "|---|---:|---:|---:|---:|"
  echo "| Loomstep | $l_rps | ${l_p50} ms | ${l_p99} ms | $l_bad |"
  echo "| inngest-js $(sed -n 's/.*"version": "\([^"]*\)".*/\1/p' ../testkit/js-peer/node_modules/inngest/package.json | head -1) | $j_rps | ${j_p50} ms | ${j_p99} ms | $j_bad |"
  echo
  awk -v l="$l_rps" -v j="$j_rps" 'BEGIN { printf "Loomstep ÷ JS requests/s: %.1f×\n", l / j }'
  echo "($STEPS memoized steps per request, wrk -t1 -c$CONNECTIONS -d${DURATION}s after a 5 s warm-up, loopback, $(nproc) cores shared by client and server)"
} | tee "$out/http-load.md"
