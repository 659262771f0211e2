# Sourced by the benchmark scripts that run the services (proxy.sh, refusals.sh): starting and stopping them on free
# 127.0.0.1 ports, calls to the API as the admin,. Expects die, say, WORK
# (logs go there), for api(): API_URL and ADMIN_TOKEN, for stop_services: SCHEMA and PG_PORT.

PIDS=()        # everything start_app started, for the script's cleanup
USED_PORTS=" " # ports handed out by free_port
LAST_PID=""    # set by start_app

# The services and the mock provider, as the Release build puts them.
API_DIR="src/Governance.Api/bin/Release/net10.0"
PROXY_DIR="src/ProxyAdapter/bin/Release/net10.0"
MOCK_DIR="tests/Benchmarks/MockUpstream/bin/Release/net10.0"

# Stops one process: TERM, up to 10 s for a graceful shutdown, then KILL.
stop_pid() {
  local pid=$1 i
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

SCHEMA_CREATED=0 # set to 1 once the API may have created its schemas

# What a script's cleanup undoes: everything start_app started, the API's schemas, the bench cluster if this script
# started it (unless BENCH_KEEP_PG=1), and WORK.
stop_services() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  if (( SCHEMA_CREATED )) && [[ -n "${GOVERNANCE_PG_BIN:-}" ]]; then
    say "dropping schemas $SCHEMA, ${SCHEMA}_wolverine"
    "$GOVERNANCE_PG_BIN/psql" -X -q "host=127.0.0.1 port=$PG_PORT user=governance dbname=$GOVERNANCE_PG_DATABASE" \
      -c "drop schema if exists $SCHEMA cascade; drop schema if exists ${SCHEMA}_wolverine cascade;" >/dev/null 2>&1 ||
      say "could not drop the bench schemas (drop them by hand: $SCHEMA, ${SCHEMA}_wolverine)"
  fi
  if [[ "${GOVERNANCE_PG_STARTED:-0}" == 1 && "${BENCH_KEEP_PG:-0}" != 1 ]]; then
    stop_postgres bench || true
  fi
  rm -rf "$WORK"
}

# Runs stop_services once when the script exits, however it exits (an error, Ctrl-C, TERM).
stop_services_on_exit() {
  GOVERNANCE_PG_STARTED=0
  CLEANED_UP=0
  _cleanup() {
    local code=$?
    (( CLEANED_UP )) && return 0
    CLEANED_UP=1
    trap - INT TERM
    stop_services
    return "$code"
  }
  trap _cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

free_port() {
  local candidate low=20000 span=30000
  # BENCH_PORTS="6500-6599": only ports in that range (engineers sharing a host each keep to their own).
  if [[ "${BENCH_PORTS:-}" =~ ^([0-9]+)-([0-9]+)$ ]]; then
    low=${BASH_REMATCH[1]} span=$(( BASH_REMATCH[2] - BASH_REMATCH[1] + 1 ))
  fi
  for _ in $(seq 1 50); do
    candidate=$(( low + RANDOM % span ))
    if [[ "$USED_PORTS" != *" $candidate "* ]] && ! _pg_port_in_use "$candidate"; then
      USED_PORTS+="$candidate "
      printf '%s' "$candidate"
      return 0
    fi
  done
  die "no free port found"
}

wait_healthy() { # name pid url
  local i c
  for ((i = 0; i < 120; i++)); do # ~60 s
    kill -0 "$2" 2>/dev/null || { wait "$2" && c=0 || c=$?; die "$1 exited during start-up (code $c; log: $WORK/$1.log)"; }
    curl -fsS -o /dev/null --max-time 2 "$3/health" 2>/dev/null && return 0
    sleep 0.5
  done
  die "$1 did not answer $3/health within 60 s"
}

start_app() { # name dir dll url [NAME=VALUE ...]; sets LAST_PID
  local name=$1 dir=$2 dll=$3 url=$4
  shift 4
  (
    cd "$dir"
    export ASPNETCORE_URLS="$url" ASPNETCORE_ENVIRONMENT=Production
    for kv in "$@"; do export "${kv?}"; done
    exec dotnet "$dll"
  ) >>"$WORK/$name.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  wait_healthy "$name" "$LAST_PID" "$url"
  say "started $name (pid $LAST_PID) on $url"
}

api() { # method path [json]; prints the body, dies on a non-2xx answer
  local out status
  out="$(curl -sS -w '\n%{http_code}' -X "$1" "$API_URL$2" -H "Authorization: Bearer $ADMIN_TOKEN" \
    -H 'Content-Type: application/json' ${3:+-d "$3"})" || die "$1 $2 failed"
  status="${out##*$'\n'}"
  [[ "$status" == 2* ]] || die "$1 $2 answered $status: ${out%$'\n'*}"
  printf '%s' "${out%$'\n'*}"
}
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

