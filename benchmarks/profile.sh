#!/usr/bin/env bash
# Profiles one benchmark case with JFR (1 ms CPU sampling) and prints where its time goes, in the
# engine's terms (see ProfileBuckets), plus JMH's allocation figures. Build the jar first (run.sh does).
#
#   benchmarks/profile.sh ReplayBenchmark.fromParsed 100
#   benchmarks/profile.sh FanOutBenchmark.fromParsed 1000
set -euo pipefail
cd "$(dirname "$0")"
[ $# -eq 2 ] || { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
bench=$1 n=$2
[ -f target/benchmarks.jar ] || { echo "profile.sh: target/benchmarks.jar is missing; run benchmarks/run.sh (or ../loom mvn -pl benchmarks -am package -DskipTests) first" >&2; exit 1; }
java_home=$(../loom mvn -B -v 2>/dev/null | sed -n 's/.*runtime: //p')
# JMH 1.37 reads fields through sun.misc.Unsafe; JDK 24+ warns about it on every run unless allowed
# (its forks inherit the flag).
jvm_flags=""
if "$java_home/bin/java" --sun-misc-unsafe-memory-access=allow -version >/dev/null 2>&1; then
  jvm_flags="--sun-misc-unsafe-memory-access=allow"
fi
out=target/profile && mkdir -p "$out"
jfc="$out/cpu-1ms.jfc"
sed 's|\(control="method-sampling-java-interval">\)[^<]*<|\11 ms<|' "$java_home/lib/jfr/profile.jfc" > "$jfc"
rec="$out/$bench-$n.jfr"
rm -f "$rec"
"$java_home/bin/java" $jvm_flags -jar target/benchmarks.jar "$bench\$" -p "n=$n" -f 1 -wi 3 -w 2s -i 5 -r 2s -prof gc \
  -jvmArgsAppend "-XX:StartFlightRecording=filename=$rec,settings=$jfc" | grep -E '^[A-Z][A-Za-z]+Benchmark' | grep -v -E 'gc\.(count|time)'
"$java_home/bin/java" -cp target/benchmarks.jar dev.loomstep.benchmarks.ProfileBuckets "$rec"
echo "recording: benchmarks/$rec (jfr view hot-methods $rec)"
