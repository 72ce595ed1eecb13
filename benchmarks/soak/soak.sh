#!/usr/bin/env bash
# The fault-injection soak (SoakDriver): the standalone devserver jar on an on-disk SQLite file and a
# Loomstep app (SoakApp) as separate JVMs, a mixed workload of logical starts (steps, sleeps, waits
# matched and timed out, invoke, fan-out, debounce, batch, idempotency, concurrency, retries, onFailure),
# while both processes are SIGKILLed at seeded random moments and restarted, and the app is away once
# for a long outage. Prints what came of every start, step and event; exit 1 when anything was lost,
# duplicated, re-executed after its commit, dropped, wrong or unfinished.
#
#   benchmarks/soak/soak.sh                 the full soak: 1,000 starts over 6 min, 20 + 20 kills, a 60 s outage
#   benchmarks/soak/soak.sh --ci            the CI-sized one (what SoakIT runs): 150 starts, 5 + 5 kills, 10 s outage
#   benchmarks/soak/soak.sh [--ci] [driver options]   e.g. --seed 7, --checkpointing off, --known-gaps debounce
#   benchmarks/soak/soak.sh --help          every driver option
# Results: benchmarks/target/soak/report.txt (table and every finding), devserver.log, app.log, ledger.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
if [ "${1:-}" = "--ci" ]; then
  shift
  args=(--starts 150 --window-seconds 60 --devserver-kills 5 --app-kills 5 --outage-seconds 10
        --idempotency-spread-seconds 8 --settle-seconds 120 --seed 12)
fi
echo "== building" >&2
../loom mvn -B -q -pl benchmarks -am package -DskipTests >&2 || { echo "soak: the build failed" >&2; exit 2; }
java_home=$(../loom mvn -B -v 2>/dev/null | sed -n 's/.*runtime: //p')
java="$java_home/bin/java"
[ -x "$java" ] || { echo "soak: no JDK found through ../loom" >&2; exit 2; }
unsafe=()
[ "$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')" -ge 24 ] \
  && unsafe=(--sun-misc-unsafe-memory-access=allow)
exec "$java" "${unsafe[@]}" -XX:+UseSerialGC -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp target/benchmarks.jar dev.loomstep.benchmarks.soak.SoakDriver \
  --devserver-jar ../devserver/target/devserver.jar --work-dir target/soak "${args[@]}" "$@"
