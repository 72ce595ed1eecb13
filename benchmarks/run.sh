#!/usr/bin/env bash
# Runs Loomstep's JMH benchmarks and, on the very same request bodies, the official JS SDK peer
# (benchmarks/js), then prints Loomstep vs JS per case with ratios. Takes about 8 minutes on 2 cores;
# benchmarks/profile.sh shows where the time of one case goes.
#
#   benchmarks/run.sh [extra JMH options]        e.g. benchmarks/run.sh -prof gc   or   ReplayBenchmark
#   WI=3 W=2 I=5 R=2 benchmarks/run.sh           warm-up/measured iterations and their seconds, for both
#   JS=0 benchmarks/run.sh                       Loomstep only
#
# Results land in benchmarks/target/results/ (jmh.json, js.json, table.md).
set -euo pipefail
cd "$(dirname "$0")"

WI=${WI:-3} W=${W:-2} I=${I:-5} R=${R:-2} JS=${JS:-1}
out=target/results
mkdir -p "$out"

echo "== building benchmarks.jar" >&2
../loom mvn -B -q -pl benchmarks -am package -DskipTests
# The JDK ../loom picked (>= 21): Maven reports it as its runtime.
java_home=$(../loom mvn -B -v 2>/dev/null | sed -n 's/.*runtime: //p')
# JMH 1.37 reads fields through sun.misc.Unsafe; JDK 24+ warns about it on every run unless allowed
# (its forks inherit the flag).
jvm_flags=""
if "$java_home/bin/java" --sun-misc-unsafe-memory-access=allow -version >/dev/null 2>&1; then
  jvm_flags="--sun-misc-unsafe-memory-access=allow"
fi
java="$java_home/bin/java"
"$java" -cp target/benchmarks.jar dev.loomstep.benchmarks.CallBodies "$out/bodies"

echo "== machine: $(nproc) cores, $("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.runtime\.version = //p'), load:$(uptime | sed 's/.*load average://')" >&2
echo "== Loomstep (JMH -f 1 -wi $WI -w ${W}s -i $I -r ${R}s $*)" >&2
"$java" $jvm_flags -jar target/benchmarks.jar -f 1 -wi "$WI" -w "${W}s" -i "$I" -r "${R}s" \
  -rf json -rff "$out/jmh.json" "$@"

js_results=""
if [ "$JS" != 0 ]; then
  if command -v node >/dev/null 2>&1; then
    echo "== inngest-js (node $(node --version), in-process, same bodies)" >&2
    if [ ! -d js/node_modules/inngest ] || [ js/package-lock.json -nt js/node_modules/.package-lock.json ]; then
      (cd js && npm ci --no-audit --no-fund --loglevel=error)
    fi
    node js/bench.js --bodies "$out/bodies" --wi "$WI" --w "$W" --i "$I" --r "$R" --out "$out/js.json"
    js_results="$out/js.json"
  else
    echo "== node not found: the JS SDK comparison is skipped" >&2
  fi
fi

echo "== load after the run:$(uptime | sed 's/.*load average://')" >&2
if command -v node >/dev/null 2>&1; then
  node js/table.js "$out/jmh.json" $js_results | tee "$out/table.md"
fi
