#!/usr/bin/env bash
# Bounded memory at scale: N runs (default 100,000) parked at once in the standalone devserver (its own
# JVM, -Xmx256m, SQLite on disk), half sleeping and half in a waitForEvent that times out. Prints its
# live heap after a full GC (idle and with N pending), the time a restart on the same database takes to
# answer and to page in its first window of timers, and how late the runs woke (p50/p99/max).
# Results: benchmarks/target/results/scale.md. Exit 1 if a run did not wake, or woke twice.
#
#   benchmarks/scale/scale.sh [--runs 100000] [--sleep 420] [--heap 256m] [--batch 500]
#   (--sleep: seconds from a run's event to its wake-up; it must exceed the time to create every run
#    plus the restart, or the run stops and says so)
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/results; mkdir -p "$out"
../loom mvn -B -q -pl benchmarks -am package -DskipTests
java_home=$(../loom mvn -B -v 2>/dev/null | sed -n 's/.*runtime: //p')
"$java_home/bin/java" --enable-native-access=ALL-UNNAMED -Xmx2g -Dorg.jboss.logging.provider=slf4j \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp target/benchmarks.jar dev.loomstep.benchmarks.scale.ScaleBench --out "$out/scale.md" "$@"
