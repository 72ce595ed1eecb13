#!/usr/bin/env bash
# End-to-end devserver load: a 10-step sequential function on the embedded executor, the SDK over
# loopback HTTP, SQLite on disk; completed runs/s and p50/p99 run latency at 1, 100 and 1,000
# concurrent runs, and a JFR breakdown of where the time goes. Results: target/results/devserver-load.md
#
#   benchmarks/load/devserver-load.sh [--rounds 1,100,1000] [--steps 10] [--in-memory | --sync full|normal] [--checkpointing on|off|ahead]
#   (--in-memory: SQLite in memory instead of a file on disk, to see what the disk costs;
#    --sync full: an fsync per group commit, what power-loss durability costs; default normal)
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/results; mkdir -p "$out"
../loom mvn -B -q -pl benchmarks -am package -DskipTests
java_home=$(../loom mvn -B -v 2>/dev/null | sed -n 's/.*runtime: //p')
"$java_home/bin/java" --enable-native-access=ALL-UNNAMED -Xms1g -Dorg.jboss.logging.provider=slf4j -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp target/benchmarks.jar dev.loomstep.benchmarks.load.DevServerLoad --out "$out/devserver-load.md" "$@"
