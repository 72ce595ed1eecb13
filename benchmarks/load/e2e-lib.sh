# Shared by the end-to-end scripts against Restate (e2e-vs-restate.sh, fanout-vs-restate.sh): sourced
# from the benchmarks/ directory after the caller has set
#   prog   its name                      out    the results directory (target/results)
#   logs   the prefix of its log files   needs  what it runs: any of "js restate"
# and defined die MESSAGE (print it, exit 1).
# Installs what is missing (npm ci of the JS SDK peer and of restate-server), builds (Maven), finds the
# JDK, and starts the pieces, each in its own process, every one of them stopped on exit (trap):
#   start_devserver NAME          a fresh devserver, SQLite on disk in the temp dir; sets dev_url, dev_pid
#   start_loomstep_app MODE [..]  E2eApp --mode MODE against $dev_url
#   start_js_app [..]             load/js-e2e-app.js against $dev_url
#   start_restate [..]            restate-server + the Restate sdk-java endpoint, registered; sets restate_ingress
#   stop_all                      stops every process started so far, and waits for them
# (the [..] are extra arguments for the app).

mkdir -p "$out"
command -v node >/dev/null || die "node not found (Node.js 20+ runs the JS SDK app and installs restate-server)"
command -v npm >/dev/null || die "npm not found"
command -v curl >/dev/null || die "curl not found"
restate_bin=restate/node_modules/@restatedev/restate-server-linux-x64/bin/restate-server
if [[ " $needs " == *" js "* ]] && [ ! -d ../testkit/js-peer/node_modules/inngest ]; then
  echo "== installing the JS SDK peer (npm ci in testkit/js-peer)" >&2
  (cd ../testkit/js-peer && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci of the JS SDK peer failed"
fi
if [[ " $needs " == *" restate "* ]] && [ ! -x "$restate_bin" ]; then
  echo "== installing restate-server (npm ci in benchmarks/restate)" >&2
  (cd restate && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci of restate-server failed"
  [ -x "$restate_bin" ] || die "$restate_bin is missing after npm ci (the package is for linux-x64 only)"
fi

echo "== building (Maven: the benchmarks and the devserver$([[ " $needs " == *" restate "* ]] && echo ", the Restate service in restate/"))" >&2
../loom mvn -B -q -pl benchmarks -am package -DskipTests || die "the Loomstep build failed"
if [[ " $needs " == *" restate "* ]]; then
  ../loom mvn -B -q -f "$PWD/restate/pom.xml" package || die "the Restate service's build failed (restate/pom.xml)"
fi
java_home=$(../loom mvn -B -v 2>/dev/null | sed -n 's/.*runtime: //p')
java="$java_home/bin/java"
[ -x "$java" ] || die "no JDK found through ../loom"
devserver_jar=../devserver/target/devserver.jar
[ -f "$devserver_jar" ] || die "$devserver_jar was not built"
quiet=(-Dorg.jboss.logging.provider=slf4j -Dorg.slf4j.simpleLogger.defaultLogLevel=warn)  # the load driver's
# The devserver and the Loomstep apps log at their default level (INFO), as a user runs them: their per-run lines
# are part of what a run costs (both cap them at ten a second, then one summary line a second).
app_logging=(-Dorg.jboss.logging.provider=slf4j)
js_version=$(sed -n 's/.*"version": "\([^"]*\)".*/\1/p' ../testkit/js-peer/node_modules/inngest/package.json 2>/dev/null | head -1 || true)  # no JS peer installed: not every run needs it

tmp=$(mktemp -d -t "$prog.XXXXXX")
pids=()
stop_all() { # stops every process this script started, and waits for them
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
trap 'stop_all; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

ready_line() { # $1 = log, $2 = pid, $3 = regex of the ready line (sed, group 1 = URL), $4 = what; waits up to 60 s
  for _ in $(seq 600); do
    url=$(sed -n "s/$3/\1/p" "$1" | head -1)
    [ -n "$url" ] && { echo "$url"; return; }
    kill -0 "$2" 2>/dev/null || { tail -20 "$1" >&2; die "$4 exited before it was ready (log: $1)"; }
    sleep 0.1
  done
  tail -20 "$1" >&2; die "$4 was not ready within 60 s (log: $1)"
}
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

start_devserver() { # $1 = name; a fresh devserver with SQLite on disk in the temp dir; sets dev_url and dev_pid
  "$java" --enable-native-access=ALL-UNNAMED "${app_logging[@]}" -jar "$devserver_jar" --port 0 --db "$tmp/$1.db" > "$out/$logs-devserver-$1.log" 2>&1 &
  dev_pid=$!
  pids+=($!)
  dev_url=$(ready_line "$out/$logs-devserver-$1.log" "$dev_pid" '^Loomstep devserver listening on \([^ ]*\) .*' "the devserver ($1)") || exit 1
}

start_loomstep_app() { # $1 = E2eApp mode, then more E2eApp arguments
  local mode=$1; shift
  "$java" "${app_logging[@]}" -cp target/benchmarks.jar dev.loomstep.benchmarks.e2e.E2eApp --dev "$dev_url" --mode "$mode" "$@" \
    > "$out/$logs-app-$mode.log" 2>&1 &
  pids+=($!)
  ready_line "$out/$logs-app-$mode.log" "$!" '^loomstep-app ready \([^ ]*\).*' "the Loomstep app ($mode)" >/dev/null || exit 1
}

start_js_app() { # more js-e2e-app.js arguments
  NODE_PATH=../testkit/js-peer/node_modules node load/js-e2e-app.js --dev "$dev_url" "$@" > "$out/$logs-app-js.log" 2>&1 &
  pids+=($!)
  ready_line "$out/$logs-app-js.log" "$!" '^js-app ready \([^ ]*\).*' "the JS SDK app" >/dev/null || exit 1
}

start_restate() { # more StepsService arguments; sets restate_ingress (http://127.0.0.1:PORT)
  local ingress admin node data=$tmp/restate-data
  ingress=$(free_port); admin=$(free_port); node=$(free_port)
  RESTATE_INGRESS__BIND_ADDRESS=127.0.0.1:$ingress RESTATE_ADMIN__BIND_ADDRESS=127.0.0.1:$admin RESTATE_BIND_ADDRESS=127.0.0.1:$node \
    RESTATE_LOG_FILTER=warn "$restate_bin" --no-logo --listen-mode tcp --node-name bench --base-dir "$data" \
    > "$out/$logs-restate-server.log" 2>&1 &
  pids+=($!)
  local server=$!
  for i in $(seq 600); do
    curl -sf "http://127.0.0.1:$admin/health" >/dev/null && break
    kill -0 "$server" 2>/dev/null || { tail -20 "$out/$logs-restate-server.log" >&2; die "restate-server exited at start"; }
    [ "$i" = 600 ] && die "restate-server's admin API was not up within 60 s (log: $out/$logs-restate-server.log)"
    sleep 0.1
  done
  # One endpoint serves both benchmarks' services (StepsService, FanOutService).
  "$java" -cp "restate/target/classes:restate/target/lib/*" dev.loomstep.benchmarks.restate.StepsService "$@" \
    > "$out/$logs-restate-service.log" 2>&1 &
  pids+=($!)
  local service
  service=$(ready_line "$out/$logs-restate-service.log" "$!" '^restate-service ready \([^ ]*\).*' "the Restate service") || exit 1
  curl -sf -X POST "http://127.0.0.1:$admin/deployments" -H 'content-type: application/json' -d "{\"uri\":\"$service\"}" \
    > "$out/$logs-restate-deployment.json" || die "registering $service with Restate's admin API failed"
  # The ingress learns the deployment shortly after the admin API; a one-step fan-out end to end proves both.
  local got=
  for _ in $(seq 300); do
    got=$(curl -s -X POST "http://127.0.0.1:$ingress/FanOutService/run" -H 'content-type: application/json' -d 2 || true)
    [ "$got" = 1 ] && break
    sleep 0.1
  done
  [ "$got" = 1 ] || die "a Restate run returned [$got], expected 1"
  restate_ingress=http://127.0.0.1:$ingress
}

versions_line() { # the date, cores, and versions of what ran
  echo "$(date -u +%Y-%m-%d) · $(nproc) cores · $("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.runtime\.version = //p')" \
    "· node $(node --version)$([[ " $needs " == *" restate "* ]] && echo " · restate-server $("$restate_bin" --version 2>/dev/null | head -1 | awk '{print $NF}') · Restate sdk-java $(ls restate/target/lib | sed -n 's/^sdk-api-\(.*\)\.jar$/\1/p')")"
}
