#!/usr/bin/env bash
# End to end against Restate: the same durable function — 10 sequential steps, each returning a small
# value — run by these systems one after the other, each server and each app in its own process, all
# driven by the same closed-loop load driver (E2eDriver, a third process) on loopback:
#   Loomstep classic        the devserver (java -jar devserver.jar, SQLite WAL on disk) + the Loomstep app (E2eApp)
#   Loomstep checkpointing  the same, the app checkpointing as the JS SDK does (Checkpointing.jsDefaults(): one per step)
#   Loomstep run-ahead      the same, the app on Loomstep's default (Checkpointing.defaults(): runAhead 16)
#   Loomstep connect        the same devserver's Connect gateway + the app (Loomstep's default checkpointing) served by a
#                           LoomstepConnect worker over one outbound WebSocket instead of HTTP (E2eApp --mode connect)
#   inngest-js              the same devserver + the official JS SDK app (load/js-e2e-app.js; its defaults)
#   Restate                 restate-server (npm, data in a temp dir) + a Restate sdk-java service (restate/)
# A run is timed from its start (event sent / ingress call) to the driver learning it completed; per
# round: completed runs/s, p50, p99, and the ratios to Restate. Results: target/results/e2e-vs-restate.{md,tsv}
#
#   benchmarks/load/e2e-vs-restate.sh [--rounds 1,100,1000] [--seconds 10 | --runs N] [--warmup-seconds 3]
#                                     [--systems classic,checkpointing,ahead,connect,js,restate] [--steps 10]
#   smoke test: benchmarks/load/e2e-vs-restate.sh --rounds 1,10 --runs 20 --warmup-seconds 1
set -euo pipefail
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")   # --help reads it after the cd below
cd "$(dirname "$0")/.."
die() { echo "e2e-vs-restate: $*" >&2; exit 1; }

rounds=1,100,1000 seconds=10 runs= warmup=3 systems=classic,checkpointing,ahead,connect,js,restate steps=10
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --warmup-seconds) warmup=$2; shift 2 ;;
    --systems) systems=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$self" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
for s in ${systems//,/ }; do
  case "$s" in classic|checkpointing|ahead|connect|js|restate) ;; *) die "unknown system $s (classic, checkpointing, ahead, connect, js, restate)" ;; esac
done
want() { [[ ",$systems," == *",$1,"* ]]; }

out=target/results logs=e2e prog=e2e-vs-restate needs="$(want js && echo js || true) $(want restate && echo restate || true)"
. load/e2e-lib.sh
tsv=$out/e2e-vs-restate.tsv; : > "$tsv"

driver() { # $1 = system name, then --target ...
  local name=$1; shift
  echo "== $name: rounds $rounds" >&2
  "$java" "${quiet[@]}" -cp target/benchmarks.jar dev.loomstep.benchmarks.e2e.E2eDriver --system "$name" "$@" \
    --rounds "$rounds" --steps "$steps" --warmup-seconds "$warmup" ${runs:+--runs "$runs"} --seconds "$seconds" --out "$tsv" \
    || die "the load driver failed on $name"
}

loomstep() { # $1 = classic|checkpointing|ahead|connect
  start_devserver "$1"
  start_loomstep_app "$1" --steps "$steps"
  local name
  case "$1" in ahead) name="default (checkpointing, runAhead 16)" ;; checkpointing) name="checkpointing, jsDefaults" ;;
    connect) name="default over Connect" ;; *) name=$1 ;; esac
  driver "Loomstep $name" --target devserver "$dev_url"
  stop_all
}

js() {
  start_devserver js
  start_js_app --steps "$steps"
  driver "$js_name" --target devserver "$dev_url"
  stop_all
}

restate() {
  start_restate --steps "$steps"
  driver Restate --target restate "$restate_ingress/StepsService/run"
  stop_all
}

js_name="inngest-js ${js_version:-?} on the devserver"
notes=()
if want classic; then loomstep classic; fi
if want checkpointing; then loomstep checkpointing; fi
if want ahead; then loomstep ahead; fi
if want connect; then loomstep connect; fi
if want js; then js; fi
if want restate; then restate; fi

{
  versions_line
  echo
  "$java" -cp target/benchmarks.jar dev.loomstep.benchmarks.e2e.E2eTable "$tsv" --peer Restate
  echo
  echo "($steps sequential steps per run; closed loop; $([ -n "$runs" ] && echo "$runs runs" || echo "${seconds} s") per round after a ${warmup} s warm-up;" \
    "\`benchmarks/load/e2e-vs-restate.sh --rounds $rounds$([ -n "$runs" ] && echo " --runs $runs" || echo " --seconds $seconds") --warmup-seconds $warmup --systems $systems\`)"
  for n in "${notes[@]}"; do echo; echo "$n"; done
} | tee "$out/e2e-vs-restate.md"
