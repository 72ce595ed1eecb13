#!/usr/bin/env bash
# End to end against Restate: the same durable function — 10 sequential steps, each returning a small
# value — run by these systems one after the other, each server and each app in its own process, all
# driven by the same closed-loop load driver (E2eDriver, a third process) on loopback:
#   Loomstep classic        the devserver (java -jar devserver.jar, SQLite WAL on disk) + the Loomstep app (E2eApp)
#   Loomstep checkpointing  the same, the app checkpointing as the JS SDK does (Checkpointing.jsDefaults(): one per step)
#   Loomstep run-ahead      the same, the app on Loomstep's default (Checkpointing.defaults(): runAhead 16)
#   Loomstep no linger      the default with linger(0): each step's result leaves as soon as nothing is in flight
#   Loomstep traced/metered the default with OpenTelemetry tracing (spans exported to the devserver) / Micrometer meters
#   Loomstep connect        the same devserver's Connect gateway + the app (Loomstep's default checkpointing) served by a
#                           LoomstepConnect worker over one outbound WebSocket instead of HTTP (E2eApp --mode connect)
#   inngest-js              the same devserver + the official JS SDK app (load/js-e2e-app.js; its defaults)
#   Restate                 restate-server (npm, data in a temp dir) + a Restate sdk-java service (restate/)
#   DBOS                    a private PostgreSQL 15 cluster (initdb in a temp dir, loopback port, default durability;
#                           apt-get install -y postgresql-15 if missing, else the row is skipped) + a DBOS Transact app
#                           (dbos/: the workflow behind POST /run, answered when it completes; --dbos-pool connections)
# A run is timed from its start (event sent / ingress call) to the driver learning it completed; per
# round: completed runs/s, p50, p99, and the ratios to Restate. Results: target/results/e2e-vs-restate.{md,tsv}
#
# Before its first round every system runs --prewarm-seconds (15) of unmeasured runs at 100 concurrent, so the JIT of
# every JVM on its path (servers', apps', the driver's) has compiled the hot path whatever the first round is.
#
#   benchmarks/load/e2e-vs-restate.sh [--rounds 1,100,1000] [--seconds 10 | --runs N] [--warmup-seconds 3] [--prewarm-seconds 15]
#                                     [--systems classic,checkpointing,ahead,nolinger,traced,metered,connect,js,restate,dbos] [--steps 10]
#                                     [--dbos-pool 10]
#   smoke test: benchmarks/load/e2e-vs-restate.sh --rounds 1,10 --runs 20 --warmup-seconds 1 --prewarm-seconds 0
set -euo pipefail
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")   # --help reads it after the cd below
cd "$(dirname "$0")/.."
die() { echo "e2e-vs-restate: $*" >&2; exit 1; }

rounds=1,100,1000 seconds=10 runs= warmup=3 prewarm=15 systems=classic,checkpointing,ahead,connect,js,restate,dbos steps=10
dbos_pool=10
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --warmup-seconds) warmup=$2; shift 2 ;;
    --prewarm-seconds) prewarm=$2; shift 2 ;;
    --systems) systems=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --dbos-pool) dbos_pool=$2; shift 2 ;;
    -h|--help) sed -n '2,24p' "$self" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
for s in ${systems//,/ }; do
  case "$s" in classic|checkpointing|ahead|nolinger|traced|metered|connect|js|restate|dbos) ;; *) die "unknown system $s (classic, checkpointing, ahead, nolinger, traced, metered, connect, js, restate, dbos)" ;; esac
done
want() { [[ ",$systems," == *",$1,"* ]]; }

# DBOS needs PostgreSQL: Debian's postgresql-15, installed here if missing (as root); without it the DBOS row is skipped.
pg_bin=/usr/lib/postgresql/15/bin dbos_skipped=
if want dbos && [ ! -x "$pg_bin/initdb" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing PostgreSQL 15 for the DBOS row: apt-get install -y postgresql-15" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15 >&2 \
      || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15 >&2; } || true
    # The package creates and starts the system's 15/main cluster; the benchmark uses a private one, so stop that again.
    command -v pg_ctlcluster >/dev/null && pg_ctlcluster 15 main stop >/dev/null 2>&1 || true
  fi
  if [ ! -x "$pg_bin/initdb" ]; then
    dbos_skipped="The DBOS row was skipped: PostgreSQL 15 ($pg_bin) is missing and \`apt-get install -y postgresql-15\` could not install it (it needs root and Debian's archive)."
    echo "e2e-vs-restate: $dbos_skipped" >&2
    systems=$(echo ",$systems," | sed 's/,dbos,/,/; s/^,//; s/,$//')
  fi
fi

out=target/results logs=e2e prog=e2e-vs-restate needs="$(want js && echo js || true) $(want restate && echo restate || true)"
. load/e2e-lib.sh
tsv=$out/e2e-vs-restate.tsv; : > "$tsv"
if want dbos; then
  ../loom mvn -B -q -f "$PWD/dbos/pom.xml" package || die "the DBOS app's build failed (dbos/pom.xml)"
fi
pg_dir= pg_as=()
stop_pg() { # stops the DBOS row's PostgreSQL cluster, if it runs, keeps its log and removes its data
  [ -n "$pg_dir" ] || return 0
  "${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -w -t 60 -m fast stop >/dev/null 2>&1 || true
  cp "$pg_dir/postgres.log" "$out/e2e-postgres.log" 2>/dev/null || true
  rm -rf "$pg_dir"; pg_dir=
}
trap 'stop_all; stop_pg; rm -rf "$tmp"' EXIT

driver() { # $1 = system name, then --target ...
  local name=$1; shift
  echo "== $name: rounds $rounds" >&2
  "$java" "${quiet[@]}" -cp target/benchmarks.jar dev.loomstep.benchmarks.e2e.E2eDriver --system "$name" "$@" \
    --rounds "$rounds" --steps "$steps" --warmup-seconds "$warmup" --prewarm-seconds "$prewarm" ${runs:+--runs "$runs"} --seconds "$seconds" --out "$tsv" \
    || die "the load driver failed on $name"
}

loomstep() { # $1 = classic|checkpointing|ahead|nolinger|traced|metered|connect
  start_devserver "$1"
  start_loomstep_app "$1" --steps "$steps"
  local name
  case "$1" in ahead) name="default (checkpointing, runAhead 16, linger 20 ms)" ;; checkpointing) name="checkpointing, jsDefaults" ;;
    nolinger) name="default with linger 0" ;; traced) name="default, traced (OpenTelemetry, spans to the devserver)" ;;
    metered) name="default, metered (Micrometer)" ;;
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

dbos() {
  # A private PostgreSQL 15 cluster: its own data directory in a temp dir, loopback only, a free port, no unix socket
  # outside that dir; default durability (fsync on, synchronous_commit on, as initdb writes them). Trust auth is
  # fine for a cluster no one else can reach. As root, the cluster runs as the postgres user (initdb refuses root).
  local port url expected=$((steps * (steps - 1) / 2)) got=
  pg_dir=$(mktemp -d -t e2e-vs-restate-pg.XXXXXX)
  if [ "$(id -u)" = 0 ]; then chown postgres: "$pg_dir"; pg_as=(runuser -u postgres --); fi
  port=$(free_port)
  "${pg_as[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 > "$out/e2e-postgres-initdb.log" 2>&1 \
    || die "initdb failed (log: $out/e2e-postgres-initdb.log)"
  "${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$pg_dir" start >/dev/null \
    || { cat "$pg_dir/postgres.log" >&2 2>/dev/null; die "PostgreSQL did not start"; }
  "$java" -cp "dbos/target/classes:dbos/target/lib/*" dev.loomstep.benchmarks.dbos.StepsApp \
    --jdbc "jdbc:postgresql://127.0.0.1:$port/postgres" --pool "$dbos_pool" --steps "$steps" > "$out/e2e-dbos-app.log" 2>&1 &
  pids+=($!)
  url=$(ready_line "$out/e2e-dbos-app.log" "$!" '^dbos-app ready \([^ ]*\).*' "the DBOS app") || exit 1
  got=$(curl -s -X POST "$url" || true)
  [ "$got" = "$expected" ] || die "a DBOS run returned [$got], expected $expected"
  # The app is a fresh JVM holding the whole engine: 5 s of runs at 10 concurrent warm it before the rounds (not measured).
  "$java" "${quiet[@]}" -cp target/benchmarks.jar dev.loomstep.benchmarks.e2e.E2eDriver --system "DBOS warm-up" --target call "$url" \
    --rounds 10 --steps "$steps" --warmup-seconds 0 --seconds 5 > "$out/e2e-dbos-warmup.tsv" || die "the DBOS warm-up failed"
  driver "$dbos_name" --target call "$url"
  stop_all
  stop_pg
  notes+=("DBOS: \`dev.dbos:transact\` $(ls dbos/target/lib | sed -n 's/^transact-\(.*\)\.jar$/\1/p') on $("$pg_bin/postgres" --version | sed 's/^postgres (PostgreSQL) /PostgreSQL /'), a private cluster with its default durability (fsync on, synchronous_commit on), a HikariCP pool of $dbos_pool connections; the workflow is called through \`POST /run\` (JDK HttpServer, virtual threads) and answers when it completes; the app ran 5 s of unmeasured runs at 10 concurrent before the rounds.")
}

dbos_name="DBOS Transact"
js_name="inngest-js ${js_version:-?} on the devserver"
notes=()
if want classic; then loomstep classic; fi
if want checkpointing; then loomstep checkpointing; fi
if want ahead; then loomstep ahead; fi
if want nolinger; then loomstep nolinger; fi
if want traced; then loomstep traced; fi
if want metered; then loomstep metered; fi
if want connect; then loomstep connect; fi
if want js; then js; fi
if want restate; then restate; fi
if want dbos; then dbos; fi
[ -z "$dbos_skipped" ] || notes+=("$dbos_skipped")

{
  versions_line
  echo
  "$java" -cp target/benchmarks.jar dev.loomstep.benchmarks.e2e.E2eTable "$tsv" --peer Restate
  echo
  echo "($steps sequential steps per run; closed loop; $([ -n "$runs" ] && echo "$runs runs" || echo "${seconds} s") per round after a ${warmup} s warm-up, each system first pre-warmed ${prewarm} s at 100 concurrent;" \
    "\`benchmarks/load/e2e-vs-restate.sh --rounds $rounds$([ -n "$runs" ] && echo " --runs $runs" || echo " --seconds $seconds") --warmup-seconds $warmup --prewarm-seconds $prewarm --systems $systems\`)"
  for n in "${notes[@]}"; do echo; echo "$n"; done
} | tee "$out/e2e-vs-restate.md"
