#!/usr/bin/env bash
# Proxy benchmark (issue #5; not part of ./test.sh): what the proxy adapter adds to a call, direct vs through it.
#
#   tests/Benchmarks/proxy.sh
#
# 1. ensures the private, durable PostgreSQL cluster "bench" on 127.0.0.1:5435 (as ingest.sh),
# 2. builds the solution in Release and installs wrk (Debian package) if it is missing,
# 3. starts, on free 127.0.0.1 ports: tests/Benchmarks/MockUpstream (a fast stand-in for OpenAI's chat completions:
#    JSON with a usage object, or an SSE stream of MOCK_CHUNKS chunks and a usage chunk), tests/Benchmarks/PassThroughProxy
#    (the baseline hop: a reverse proxy with no governance, in front of the same mock), the governance API (random
#    master key, admin token and schema bench_<random>) and the proxy adapter, from their Release output directories
#    as run.sh runs them,
# 4. sets up through the API what full governance needs: a provider (the mock), a priced model, an adapter operator,
#    a key allowed that model, and a monthly budget on the key and on its app — so every proxied call is key-checked,
#    held against the budgets (or drawn from a lease) and recorded as a cost event,
# 5. warms the servers up, then runs wrk for every combination of {JSON, stream} x {1, 32 connections} x
#    {direct to the mock, through the pass-through hop, through the proxy}, BENCH_REPEATS times, interleaved, and prints
#    req/s, latency and the overhead against direct-to-mock measured in the same round (medians over the repeats).
#    At one connection it records each request's own latency (proxy.lua: wrk's percentiles are corrected for
#    coordinated omission) and measures the proxy again with the governance API and PostgreSQL in an idle CPU cgroup
#    and on a core of their own, standing in for their own machines (see "where the API and PostgreSQL run" below),
# 6. paced streams (MOCK_CHUNK_DELAY_MS apart, a second mock): time to first byte and to the last byte, direct vs
#    proxied, sequential curl requests — a proxy that buffered would show it here,
# 7. the proxy's RSS (VmRSS) after the load; with BENCH_KEYS=N (e.g. 100000) it then issues N more keys through the
#    API's POST /api/keys (wrk, BENCH_KEY_CONNECTIONS in parallel), restarts the proxy so it loads them, and reports
#    its RSS again,
# 8. writes the figures into docs/benchmarks.md between the proxy-benchmark markers, stops everything it started and
#    drops its schemas (also on failure or Ctrl-C).
#
# Load goes to 127.0.0.1 only and is bounded in time: BENCH_JIT_WARMUP + 18 x BENCH_REPEATS x BENCH_DURATION seconds
# (12 x without the placements; defaults: 20 + 18 x 3 x 10 s, about 9.5 minutes), plus the paced streams (~20 s) and, with BENCH_KEYS, the key
# issue (100,000 keys: 2-3 minutes).
#
# Environment (all optional):
#   BENCH_PG_PORT      PostgreSQL port (default 5435)
#   BENCH_DURATION     measured seconds per wrk run (default 10)
#   BENCH_REPEATS      runs per configuration (default 3); the report shows medians
#   BENCH_JIT_WARMUP   seconds of unrecorded load before the first measured run, split over the configurations (default 20)
#   BENCH_CONNECTIONS  connection counts (default "1 32")
#   BENCH_MODES        "json stream" (default both)
#   BENCH_THREADS      wrk threads for more than one connection (default 2; one connection always uses one thread)
#   MOCK_CHUNKS        SSE chunks per streamed answer (default 20)
#   BENCH_PACED        paced-stream requests per target (default 30; 0: skip)
#   MOCK_CHUNK_DELAY_MS  gap between the paced mock's chunks (default 5)
#   BENCH_KEYS         keys to issue for the RSS measurement (default 0: skip; the issue's goal is 100000)
#   BENCH_KEY_CONNECTIONS  parallel POST /api/keys connections (default 16)
#   BENCH_RSS_ALT_ENV  with BENCH_KEYS: NAME=VALUE settings for a second restart whose RSS is reported too
#                      (e.g. DOTNET_gcServer=0)
#   BENCH_PROXY_ENV    extra NAME=VALUE settings for the proxy, space separated (named in the report), for experiments
#   BENCH_OUT          report file (default docs/benchmarks.md; "-" for none)
#   BENCH_SKIP_BUILD   1: use the existing Release build
#   BENCH_KEEP_PG      1: leave the bench cluster running afterwards
#   BENCH_SETUP_ONLY   1: start and set up everything, print the URLs and the key, and wait (for profiling by hand)
#   BENCH_SETUP_FILE   with BENCH_SETUP_ONLY, also write those NAME=VALUE lines to this file
#   BENCH_REVISION     what to call the measured code in the report (default: git HEAD, flagged if src/ is dirty)
#   BENCH_STRATEGIES   routing strategies measured against the weighted run (default "cost-based latency-based"; "" for
#                      none): each is a model group of the benchmark's model with that strategy (docs/routing.md),
#                      called as target proxy-<strategy> in every round, and reported as req/s and added p99 against
#                      the plain (weighted) proxy run of the same rounds (the issue's goal: under 5 %)
#   BENCH_PORTS        a port range for the services, e.g. "6500-6599" (default: free ports from 20000-49999)
#   BENCH_PLACEMENTS   0: skip the one-connection runs with the API and PostgreSQL in an idle CPU cgroup and on a core
#                      of their own (default 1; they need root and cgroups)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$REPO_ROOT"
# shellcheck source=bench-cluster.sh
source "$REPO_ROOT/tests/Benchmarks/bench-cluster.sh"
# shellcheck source=report-section.sh
source "$REPO_ROOT/tests/Benchmarks/report-section.sh"
# shellcheck source=bench-apps.sh
source "$REPO_ROOT/tests/Benchmarks/bench-apps.sh"

die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
say() { printf 'proxy.sh: %s\n' "$*" >&2; }

PG_PORT="${BENCH_PG_PORT:-5435}"
HOP_DIR="tests/Benchmarks/PassThroughProxy/bin/Release/net10.0"
LUA="$REPO_ROOT/tests/Benchmarks/proxy.lua"
OUT="${BENCH_OUT:-docs/benchmarks.md}"
DURATION="${BENCH_DURATION:-10}"
REPEATS="${BENCH_REPEATS:-3}"
JIT_WARMUP="${BENCH_JIT_WARMUP:-20}"
CONNECTIONS="${BENCH_CONNECTIONS:-1 32}"
MODES="${BENCH_MODES:-json stream}"
THREADS="${BENCH_THREADS:-2}"
CHUNKS="${MOCK_CHUNKS:-20}"
PACED="${BENCH_PACED:-30}"
CHUNK_DELAY="${MOCK_CHUNK_DELAY_MS:-5}"
KEYS="${BENCH_KEYS:-0}"
KEY_CONNECTIONS="${BENCH_KEY_CONNECTIONS:-16}"
MODEL="bench-model"
STRATEGIES="${BENCH_STRATEGIES-cost-based latency-based}"
PACED_MODEL="bench-paced"

command -v dotnet >/dev/null 2>&1 || die "dotnet is not on PATH; install the .NET 10 SDK"
command -v curl >/dev/null 2>&1 || die "curl is required"
command -v python3 >/dev/null 2>&1 || die "python3 is required (JSON answers of the set-up calls)"
[[ -f Governance.sln ]] || die "Governance.sln not found in $REPO_ROOT"
for n in "$DURATION" "$REPEATS" "$JIT_WARMUP" "$CHUNKS" "$PACED" "$CHUNK_DELAY" "$KEYS" "$KEY_CONNECTIONS" "$THREADS"; do
  [[ "$n" =~ ^[0-9]+$ ]] || die "not a number: '$n'"
done
if ! command -v wrk >/dev/null 2>&1; then
  say "installing wrk (apt-get install wrk) ..."
  (apt-get install -y --no-install-recommends wrk >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && apt-get install -y --no-install-recommends wrk >/dev/null 2>&1; }) ||
    die "wrk is missing and could not be installed (apt-get install wrk)"
fi

rand_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
SCHEMA="bench_$(rand_hex 4)"
MASTER_KEY="$(head -c32 /dev/urandom | base64 | tr -d '\n')"
# The checkpoint signing key: an ECDSA P-256 private key, as base64 of its PKCS#8 DER form (one line).
AUDIT_KEY="$(audit_signing_key)"
ADMIN_TOKEN="bench-$(rand_hex 24)"
WORK="$(mktemp -d /tmp/proxy-bench.XXXXXX)"

# --- cleanup: only what this script started ---------------------------------------------------------
IDLE_CG="" CPU_BASE="" FRONT_CS="" BACK_CS="" CPUSET_BASE="" FRONT_CPUS="" BACK_CPU="" # set by setup_placements
GOVERNANCE_PG_STARTED=0
CLEANED_UP=0
cleanup() {
  local code=$?
  (( CLEANED_UP )) && return 0
  CLEANED_UP=1
  trap - INT TERM
  declare -F remove_placements >/dev/null && { remove_placements || true; }
  stop_services
  # Once the processes are gone, their cgroups can go too.
  if declare -F remove_placements >/dev/null; then remove_placements || true; fi
  return "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- database, build ----------------------------------------------------------------------------------
start_bench_cluster
build_release
[[ -f "$API_DIR/Governance.Api.dll" ]] || die "$API_DIR/Governance.Api.dll not found; build first"
[[ -f "$PROXY_DIR/ProxyAdapter.dll" ]] || die "$PROXY_DIR/ProxyAdapter.dll not found; build first"
[[ -f "$MOCK_DIR/MockUpstream.dll" ]] || die "$MOCK_DIR/MockUpstream.dll not found; build first"
[[ -f "$HOP_DIR/PassThroughProxy.dll" ]] || die "$HOP_DIR/PassThroughProxy.dll not found; build first"

# --- processes ----------------------------------------------------------------------------------------
MOCK_URL="http://127.0.0.1:$(free_port)"
HOP_URL="http://127.0.0.1:$(free_port)"
PACED_URL="http://127.0.0.1:$(free_port)"
API_URL="http://127.0.0.1:$(free_port)"
PROXY_URL="http://127.0.0.1:$(free_port)"
# The proxy serves /metrics on its management listener only (docs/observability.md).
MANAGEMENT_URL="http://127.0.0.1:$(free_port)"
start_app mock "$MOCK_DIR" MockUpstream.dll "$MOCK_URL" "MOCK_CHUNKS=$CHUNKS"
MOCK_PID=$LAST_PID
# The baseline hop gets the proxy's GC settings, so the two differ in what they do, not in how their memory is run.
start_app hop "$HOP_DIR" PassThroughProxy.dll "$HOP_URL" "UPSTREAM_URL=$MOCK_URL" "DOTNET_GCgen0size=0x1000000"
HOP_PID=$LAST_PID
start_app paced "$MOCK_DIR" MockUpstream.dll "$PACED_URL" "MOCK_CHUNKS=$CHUNKS" "MOCK_CHUNK_DELAY_MS=$CHUNK_DELAY"
SCHEMA_CREATED=1 # from here on the API may create it
start_app api "$API_DIR" Governance.Api.dll "$API_URL" \
  "ConnectionStrings__Governance=$GOVERNANCE_DB" "GOVERNANCE_MASTER_KEY=$MASTER_KEY" "Audit__SigningKey=$AUDIT_KEY" \
  "GOVERNANCE_ADMIN_TOKEN=$ADMIN_TOKEN" "Governance__Schema=$SCHEMA" "Outbound__AllowPrivateNetworks=true"
API_PID=$LAST_PID

# --- set-up through the API ----------------------------------------------------------------------------
api POST /api/providers '{"name":"mock","kind":"openai","baseUrl":"'"$MOCK_URL"'/v1","apiKey":"sk-bench-upstream"}' >/dev/null
api POST /api/providers '{"name":"mock-paced","kind":"openai","baseUrl":"'"$PACED_URL"'/v1","apiKey":"sk-bench-upstream"}' >/dev/null
api POST /api/models '{"name":"'$MODEL'","provider":"mock","upstreamModel":"mock","inputPricePer1M":0.15,"outputPricePer1M":0.60}' >/dev/null
api POST /api/models '{"name":"'$PACED_MODEL'","provider":"mock-paced","upstreamModel":"mock","inputPricePer1M":0.15,"outputPricePer1M":0.60}' >/dev/null
ADAPTER_TOKEN="$(api POST /api/operators '{"name":"bench-adapter","roles":["adapter"],"adapterId":"bench-adapter"}' | field token)"
# One model group per strategy, of the benchmark's model alone: the group's lookup and its strategy are what it adds.
GROUPS_JSON=""
for strategy in $STRATEGIES; do
  api PUT "/api/model-groups/bench-$strategy" '{"members":["'$MODEL'"],"strategy":"'"$strategy"'"}' >/dev/null
  GROUPS_JSON+=',"bench-'"$strategy"'"'
done
ISSUED="$(api POST /api/keys '{"app":"bench-app","name":"bench-key","models":["'$MODEL'","'$PACED_MODEL'"'"$GROUPS_JSON"']}')"
KEY="$(field key <<<"$ISSUED")"
KEY_ID="$(field id <<<"$ISSUED")"
api PUT "/api/budgets/key/$KEY_ID" '{"limit":1000000,"period":"monthly"}' >/dev/null
api PUT /api/budgets/app/bench-app '{"limit":1000000,"period":"monthly"}' >/dev/null
say "set up provider, models, adapter operator, key $KEY_ID and budgets (key, app)"

# The proxy talks to the API only: no connection string. Its GC setting is the one run.sh gives it (docs/gateway.md).
PROXY_SETTINGS=(
  "GOVERNANCE_MASTER_KEY=$MASTER_KEY" "Proxy__AdapterId=bench-adapter" "Proxy__GovernanceUrl=$API_URL/" "Proxy__AdapterToken=$ADAPTER_TOKEN"
  "Proxy__JournalPath=$WORK/journal" "DOTNET_GCgen0size=0x1000000" "Proxy__ManagementUrl=$MANAGEMENT_URL"
  # The mock upstreams listen on loopback (docs/gateway.md, "Provider addresses").
  "Outbound__AllowPrivateNetworks=true"
)
# shellcheck disable=SC2206 # word splitting is the point: NAME=VALUE pairs
[[ -n "${BENCH_PROXY_ENV:-}" ]] && PROXY_SETTINGS+=(${BENCH_PROXY_ENV})
start_app proxy "$PROXY_DIR" ProxyAdapter.dll "$PROXY_URL" "${PROXY_SETTINGS[@]}"
PROXY_PID=$LAST_PID

# --- load ------------------------------------------------------------------------------------------------
if [[ "${BENCH_SETUP_ONLY:-0}" == 1 ]]; then
  printf 'MOCK_URL=%s\nPROXY_URL=%s\nAPI_URL=%s\nPROXY_PID=%s\nKEY=%s\nMODEL=%s\nLOGS=%s\n' \
    "$MOCK_URL" "$PROXY_URL" "$API_URL" "$PROXY_PID" "$KEY" "$MODEL" "$WORK" | tee "${BENCH_SETUP_FILE:-/dev/null}"
  say "BENCH_SETUP_ONLY=1: everything is running; Ctrl-C (or TERM to pid $$) stops it"
  while :; do sleep 3600 & wait $! || true; done # wait, unlike a foreground sleep, lets the traps run at once
fi
body_of() { # mode model
  local stream=false
  [[ "$1" == stream ]] && stream=true
  printf '{"model":"%s","stream":%s,"max_tokens":100,"messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say hello in one short sentence, please."}]}' "$2" "$stream"
}
# Targets: direct (the mock), hop (the pass-through proxy), proxy (the adapter); at one connection also proxy-idle
# (the API and PostgreSQL in the idle cgroup) and direct-split, proxy-split (the API and PostgreSQL on a core of their
# own): see "where the API and PostgreSQL run" below.
url_of() {
  case "$1" in
    direct*) printf '%s' "$MOCK_URL/v1/chat/completions" ;;
    hop) printf '%s' "$HOP_URL/v1/chat/completions" ;;
    *) printf '%s' "$PROXY_URL/v1/chat/completions" ;;
  esac
}
run_wrk() { # target mode connections seconds; prints the RESULT line
  local target=$1 mode=$2 conns=$3 seconds=$4 threads=1 auth="" record=0 line
  (( conns > 1 )) && threads=$THREADS
  (( conns == 1 )) && record=1
  local group="" placement=shared
  [[ "$target" == proxy* ]] && auth="$KEY"
  [[ "$target" == *-idle ]] && placement=idle
  [[ "$target" == *-split ]] && placement=split group="$FRONT_CS"
  [[ "$placement" == shared ]] || place "$placement" # (every run ends with the processes back in place)
  local before_proxy before_mock before_api before_hop sampler=""
  before_proxy="$(cpu_ticks "$PROXY_PID")"; before_mock="$(cpu_ticks "$MOCK_PID")"; before_api="$(cpu_ticks "$API_PID")"
  before_hop="$(cpu_ticks "$HOP_PID")"
  if [[ "$target" == proxy* ]]; then
    # The proxy's usage buffer (records not yet acknowledged by the API), twice a second: does the API keep up?
    # (It stops with this script too: background jobs ignore Ctrl-C, and the kill below would not come.)
    (while kill -0 $$ 2>/dev/null; do
      curl -s --max-time 1 "$MANAGEMENT_URL/metrics" | awk '/^gov_proxy_usage_buffer_records/ {n = $2} /^gov_proxy_usage_buffer_oldest_age/ {a = $2} END {print (a == "" ? 0 : a), (n == "" ? 0 : n)}' || true
      sleep 0.5
    done) >"$WORK/buffer" 2>/dev/null &
    sampler=$!
  fi
  # wrk runs in the group (the front cores in the split placement) from its first instruction.
  local model=$MODEL
  [[ " $STRATEGIES " == *" ${target#proxy-} "* ]] && model="bench-${target#proxy-}"
  line="$(BENCH_BODY="$(body_of "$mode" "$model")" BENCH_AUTH="$auth" BENCH_RECORD="$record" bash -c \
    '[[ -n "$1" ]] && echo $$ >"$1/cgroup.procs"; shift; exec wrk "$@"' _ "$group" \
    -t"$threads" -c"$conns" -d"${seconds}s" --timeout 10s -s "$LUA" "$(url_of "$target")" 2>&1 | grep '^RESULT ' || true)"
  [[ -n "$sampler" ]] && { kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true; }
  place shared
  [[ -n "$line" ]] || die "wrk printed no result ($target $mode $conns)"
  [[ -n "$sampler" ]] && line+="$(awk '{if ($1 > age) age = $1; if ($2 > n) n = $2} END {printf " buffer_max=%d buffer_age_max_s=%.1f", n, age}' "$WORK/buffer")"
  # CPU time per request of each process: robust on a busy host, where latency and throughput are not.
  printf '%s proxy_cpu_us=%s mock_cpu_us=%s api_cpu_us=%s hop_cpu_us=%s\n' "$line" \
    "$(per_request "$before_proxy" "$(cpu_ticks "$PROXY_PID")" "$line")" \
    "$(per_request "$before_mock" "$(cpu_ticks "$MOCK_PID")" "$line")" \
    "$(per_request "$before_api" "$(cpu_ticks "$API_PID")" "$line")" \
    "$(per_request "$before_hop" "$(cpu_ticks "$HOP_PID")" "$line")"
}
targets_for() { # connections → the targets measured at that count
  local targets="direct hop proxy" strategy
  for strategy in $STRATEGIES; do targets+=" proxy-$strategy"; done
  if (( $1 == 1 )); then
    [[ -n "$IDLE_CG" ]] && targets+=" proxy-idle"
    [[ -n "$FRONT_CS" ]] && targets+=" direct-split proxy-split"
  fi
  echo "$targets"
}

# --- where the API and PostgreSQL run -----------------------------------------------------------------------
# In production the governance API and PostgreSQL run on machines of their own (docs/deployment.md); here they share the
# cores with wrk, the mock and the proxy, and their work (leases, the feed, ingesting every cost record) competes with
# the request path. At one connection the proxy is measured in two more placements, each with cgroups (root and a
# cgroup v1 controller, or cgroup v2 with the controller enabled; skipped, and said so in the report, without them):
# - idle: the API and PostgreSQL in a cgroup with cpu.idle=1 (Linux 5.15+). They run only on CPU time the request path
#   leaves, and a request-path thread that wakes preempts them at once. They may fall behind meanwhile: the report shows
#   the proxy's usage buffer (records not yet acknowledged) during each run.
# - split: the API and PostgreSQL on the last core (cpuset), wrk, the mock and the proxy on the others: a backend with
#   a machine of its own, and a front with one core fewer; the mock is measured direct in the same placement.
# Plain nice levels do not isolate them: the scheduler lets a running task finish its slice, and with autogroups a nice
# value only counts within its session.
cg_base() { # controller → its hierarchy's root directory, if this script may make groups there
  local base
  for base in "/sys/fs/cgroup/$1" /sys/fs/cgroup; do
    [[ -w "$base/cgroup.procs" ]] || continue
    [[ "$base" == "/sys/fs/cgroup/$1" || "$(cat "$base/cgroup.subtree_control" 2>/dev/null)" == *"$1"* ]] || continue
    printf '%s' "$base"
    return 0
  done
  return 1
}
cg_origin() { # base controller pid → the pid's group directory in that hierarchy
  printf '%s%s' "$1" "$(awk -F: -v c="$2" -v v2="$([[ "$1" == /sys/fs/cgroup ]] && echo 1)" \
    'v2 && $1 == 0 {print $3; exit} !v2 {n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) {print $3; exit}}' "/proc/$3/cgroup")"
}
backend_pids() {
  local postmaster
  postmaster="$(head -1 "$GOVERNANCE_PG_DATA/postmaster.pid")"
  echo "$API_PID" "$postmaster" $(pgrep -P "$postmaster")
}
expand_cpus() { # a cpu list ("0-3,6") → one number per line
  python3 -c 'import sys
for part in sys.argv[1].split(","):
    a, _, b = part.strip().partition("-")
    print(*range(int(a), int(b or a) + 1), sep="\n")' "$1"
}
# Each process's own group before it was moved ("pid dir" lines in a file: run_wrk runs in a subshell), so a cluster or
# API this script did not start goes back where it was. Processes born inside a group (PostgreSQL's backends) go back
# with their parent.
ORIGINS="$WORK/cgroup-origins"
join_group() { # group base controller pid... (a process that cannot move, e.g. one that just exited, is skipped)
  local group=$1 base=$2 controller=$3 pid
  shift 3
  for pid in "$@"; do
    grep -q "^$pid $base/" "$ORIGINS" 2>/dev/null || echo "$pid $(cg_origin "$base" "$controller" "$pid")" >>"$ORIGINS" 2>/dev/null || true
    echo "$pid" >"$group/cgroup.procs" 2>/dev/null || true
  done
}
leave_group() { # group base: everything in it back where it (or its parent) came from
  local group=$1 base=$2 pids pid origin i
  for ((i = 0; i < 10; i++)); do # cgroup.procs may change while it is read: read it whole, move, look again
    [[ -r "$group/cgroup.procs" ]] || return 0
    mapfile -t pids <"$group/cgroup.procs"
    (( ${#pids[@]} > 0 )) || return 0
    for pid in "${pids[@]}"; do
      origin="$(awk -v p="$pid" -v pp="$(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ')" -v b="$base" \
        'index($2, b "/") == 1 && ($1 == p || $1 == pp) {o = $2} END {print (o == "" ? b : o)}' "$ORIGINS" 2>/dev/null)"
      echo "$pid" >"$origin/cgroup.procs" 2>/dev/null || true
    done
  done
  return 0
}
setup_placements() {
  [[ "${BENCH_PLACEMENTS:-1}" == 1 ]] || return 0
  local base cpus=()
  if base="$(cg_base cpu)" && mkdir "$base/governance-bench-$$" 2>/dev/null; then
    if echo 1 >"$base/governance-bench-$$/cpu.idle" 2>/dev/null; then
      IDLE_CG="$base/governance-bench-$$" CPU_BASE="$base"
    else
      rmdir "$base/governance-bench-$$" 2>/dev/null || true
    fi
  fi
  # The cores this script may use (taskset or a container's cpuset may allow fewer than nproc's): the last one for the
  # API and PostgreSQL, the others for wrk, the mock and the proxy.
  if base="$(cg_base cpuset)"; then
    mapfile -t cpus < <(expand_cpus "$(cat "$base/cpuset.effective_cpus" "$base/cpuset.cpus.effective" 2>/dev/null | head -1)" 2>/dev/null || true)
  fi
  if (( ${#cpus[@]} >= 2 )) && mkdir "$base/governance-bench-$$-front" "$base/governance-bench-$$-back" 2>/dev/null; then
    local front="$base/governance-bench-$$-front" back="$base/governance-bench-$$-back" mems
    BACK_CPU="${cpus[-1]}"
    FRONT_CPUS="$(IFS=,; echo "${cpus[*]:0:${#cpus[@]}-1}")"
    mems="$(cat "$base/cpuset.mems.effective" 2>/dev/null || cat "$base/cpuset.effective_mems" 2>/dev/null || cat "$base/cpuset.mems")"
    if echo "$FRONT_CPUS" >"$front/cpuset.cpus" && echo "$BACK_CPU" >"$back/cpuset.cpus" && echo "$mems" >"$front/cpuset.mems" &&
      echo "$mems" >"$back/cpuset.mems"; then
      FRONT_CS="$front" BACK_CS="$back" CPUSET_BASE="$base"
    else
      rmdir "$front" "$back" 2>/dev/null || true
    fi
  fi
  say "placements: idle backend ${IDLE_CG:-not available}; split cores $([[ -n "$FRONT_CS" ]] && echo "$FRONT_CPUS (front) and $BACK_CPU (API, PostgreSQL)" || echo "not available")"
}
place() { # shared | idle | split
  case "$1" in
    idle) join_group "$IDLE_CG" "$CPU_BASE" cpu $(backend_pids) ;;
    split)
      join_group "$BACK_CS" "$CPUSET_BASE" cpuset $(backend_pids)
      join_group "$FRONT_CS" "$CPUSET_BASE" cpuset "$MOCK_PID" "$PROXY_PID"
      ;;
    shared)
      if [[ -n "$IDLE_CG" ]]; then leave_group "$IDLE_CG" "$CPU_BASE"; fi
      if [[ -n "$FRONT_CS" ]]; then leave_group "$BACK_CS" "$CPUSET_BASE"; leave_group "$FRONT_CS" "$CPUSET_BASE"; fi
      ;;
  esac
  return 0
}
remove_placements() { # also after the processes stopped: a group can only go once it is empty
  place shared
  local group
  for group in "$IDLE_CG" "$FRONT_CS" "$BACK_CS"; do
    if [[ -n "$group" && -d "$group" ]]; then rmdir "$group" 2>/dev/null || say "could not remove the cgroup $group yet"; fi
  done
  return 0
}
setup_placements
CLK_TCK="$(getconf CLK_TCK)"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime (the comm field of a dotnet process has no spaces)
per_request() { # ticks-before ticks-after result-line → µs per request
  awk -v a="$1" -v b="$2" -v n="$(val requests "$3")" -v hz="$CLK_TCK" 'BEGIN {printf "%.0f", (n > 0 ? (b - a) * 1e6 / hz / n : 0)}'
}
val() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# One call of each mode must succeed before anything is measured. A proxy that decides from memory answers 503
# (governance_unavailable) until its copy of the governance state is current: wait for that, up to 60 s.
wait_admitting() {
  local mode code i
  for mode in $MODES; do
    for ((i = 0; i < 120; i++)); do
      code="$(curl -s -o "$WORK/check" -w '%{http_code}' "$PROXY_URL/v1/chat/completions" -H "Authorization: Bearer $KEY" \
        -H 'Content-Type: application/json' -d "$(body_of "$mode" "$MODEL")")"
      [[ "$code" == 503 ]] || break
      sleep 0.5
    done
    [[ "$code" == 200 ]] || die "a $mode call through the proxy answered $code: $(head -c 500 "$WORK/check")"
  done
}
wait_admitting

if (( JIT_WARMUP > 0 )); then
  combos=$(( $(wc -w <<<"$MODES") * 3 ))
  slice=$(( JIT_WARMUP / combos > 0 ? JIT_WARMUP / combos : 1 ))
  say "warming up (${JIT_WARMUP} s, unrecorded) ..."
  for mode in $MODES; do
    for target in direct hop proxy; do run_wrk "$target" "$mode" 32 "$slice" >/dev/null; done
  done
fi

# What each process burns while nothing is asked of it (background loops: feed, journal, durability agents, timers),
# for context: per-request CPU includes background work, which weighs more the slower a run goes. (Not subtracted:
# right after the warm-up the "idle" processes still ship usage and finish tiered JIT work the load caused.)
idle_ticks() { local a b; a="$(cpu_ticks "$1")"; sleep 5; b="$(cpu_ticks "$1")"; awk -v a="$a" -v b="$b" 'BEGIN {print (b - a) / 5}'; }
say "measuring idle CPU (5 s) ..."
IDLE_PROXY="$(idle_ticks "$PROXY_PID")"
IDLE_API="$(idle_ticks "$API_PID")"
IDLE_MOCK="$(idle_ticks "$MOCK_PID")"

RESULTS="$WORK/results"
: >"$RESULTS"
for ((r = 1; r <= REPEATS; r++)); do
  for mode in $MODES; do
    for conns in $CONNECTIONS; do
      for target in $(targets_for "$conns"); do
        line="$(run_wrk "$target" "$mode" "$conns" "$DURATION")"
        printf '%s %s %s %s %s\n' "$mode" "$conns" "$target" "$r" "$line" >>"$RESULTS"
        say "run $r/$REPEATS $mode c=$conns $target: $(val rps "$line") req/s, p50 $(val p50_us "$line") us, p99 $(val p99_us "$line") us$(
          [[ -n "$(val rec_p99_us "$line")" ]] && printf ' (each request: p50 %s us, p99 %s us)' "$(val rec_p50_us "$line")" "$(val rec_p99_us "$line")"
          ), non-2xx $(val non2xx "$line"), socket errors $(val socket_errors "$line"), CPU us/request proxy $(val proxy_cpu_us "$line") hop $(val hop_cpu_us "$line") mock $(val mock_cpu_us "$line") api $(val api_cpu_us "$line")"
      done
    done
  done
done
RSS_AFTER_LOAD_KB="$(awk '/^VmRSS/ {print $2}' "/proc/$PROXY_PID/status")"
HWM_AFTER_LOAD_KB="$(awk '/^VmHWM/ {print $2}' "/proc/$PROXY_PID/status")"

# --- paced streams: first byte and last byte -----------------------------------------------------------
PACED_RESULTS="$WORK/paced"
: >"$PACED_RESULTS"
if (( PACED > 0 )); then
  say "paced streams ($CHUNKS chunks, $CHUNK_DELAY ms apart), $PACED sequential requests per target ..."
  paced_body="$(body_of stream "$PACED_MODEL")"
  for ((i = 0; i < PACED + 3; i++)); do # the first 3 of each are warm-up
    for target in direct proxy; do
      if [[ "$target" == direct ]]; then
        t="$(curl -sS -o /dev/null -w '%{http_code} %{time_starttransfer} %{time_total}' "$PACED_URL/v1/chat/completions" \
          -H 'Content-Type: application/json' -d "$paced_body")"
      else
        t="$(curl -sS -o /dev/null -w '%{http_code} %{time_starttransfer} %{time_total}' "$PROXY_URL/v1/chat/completions" \
          -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$paced_body")"
      fi
      [[ "$t" == 200* ]] || die "paced stream ($target) answered ${t%% *}"
      (( i >= 3 )) && printf '%s %s\n' "$target" "${t#* }" >>"$PACED_RESULTS"
    done
  done
fi

# --- RSS with many keys ---------------------------------------------------------------------------------
KEYS_ISSUED=0
KEYS_SECONDS=0
RSS_KEYS_KB=""
if (( KEYS > 0 )); then
  say "issuing $KEYS keys through POST /api/keys ($KEY_CONNECTIONS connections) ..."
  started=$(date +%s.%N)
  per_thread=$(( (KEYS + 1) / 2 ))
  keys_before="$(pgq "select count(*) from $SCHEMA.mt_doc_virtualkey")"
  # A wrk thread stops at its quota, but wrk itself waits out -d: stop it (SIGINT: it still reports) once the keys are in.
  BENCH_KEYS_PER_THREAD="$per_thread" wrk -t2 -c"$KEY_CONNECTIONS" -d3600s --timeout 30s \
    -s "$REPO_ROOT/tests/Benchmarks/proxy-keys.lua" -H "Authorization: Bearer $ADMIN_TOKEN" "$API_URL/api/keys" >"$WORK/keys.out" 2>&1 &
  WRK_PID=$!
  PIDS+=("$WRK_PID")
  while kill -0 "$WRK_PID" 2>/dev/null && (( $(pgq "select count(*) from $SCHEMA.mt_doc_virtualkey") - keys_before < KEYS )); do
    sleep 2
  done
  sleep 1
  kill -INT "$WRK_PID" 2>/dev/null || true
  wait "$WRK_PID" 2>/dev/null || true
  line="$(grep '^RESULT ' "$WORK/keys.out" || true)"
  KEYS_SECONDS="$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN {printf "%.0f", e - s}')"
  [[ -n "$line" ]] || die "the key issue run printed no result"
  [[ "$(val non2xx "$line")" == 0 ]] || die "issuing keys: $(val non2xx "$line") answers were not 201"
  KEYS_ISSUED="$(pgq "select count(*) from $SCHEMA.mt_doc_virtualkey")"
  say "$KEYS_ISSUED keys in the store after $KEYS_SECONDS s; restarting the proxy so it loads them ..."
  stop_pid "$PROXY_PID"
  start_app proxy "$PROXY_DIR" ProxyAdapter.dll "$PROXY_URL" "${PROXY_SETTINGS[@]}"
  PROXY_PID=$LAST_PID
  wait_admitting
  for mode in $MODES; do run_wrk proxy "$mode" 32 5 >/dev/null; done
  sleep 2
  RSS_KEYS_KB="$(awk '/^VmRSS/ {print $2}' "/proc/$PROXY_PID/status")"
  say "proxy RSS with $KEYS_ISSUED keys: $(( RSS_KEYS_KB / 1024 )) MB"
  if [[ -n "${BENCH_RSS_ALT_ENV:-}" ]]; then
    stop_pid "$PROXY_PID"
    # shellcheck disable=SC2206 # NAME=VALUE pairs
    start_app proxy "$PROXY_DIR" ProxyAdapter.dll "$PROXY_URL" "${PROXY_SETTINGS[@]}" ${BENCH_RSS_ALT_ENV}
    PROXY_PID=$LAST_PID
    wait_admitting
    for mode in $MODES; do run_wrk proxy "$mode" 32 5 >/dev/null; done
    sleep 2
    RSS_ALT_KB="$(awk '/^VmRSS/ {print $2}' "/proc/$PROXY_PID/status")"
    say "proxy RSS with $KEYS_ISSUED keys and $BENCH_RSS_ALT_ENV: $(( RSS_ALT_KB / 1024 )) MB"
  fi
fi

# --- report ---------------------------------------------------------------------------------------------
REVISION="$(bench_revision)"
# What the governance side wrote for all of it: events by type (set-up, warm-up and key issue included).
PROXIED="$(awk '$3 ~ /^proxy/ {for (i = 5; i <= NF; i++) if ($i ~ /^requests=/) {split($i, kv, "="); s += kv[2]}} END {print s + 0}' "$RESULTS")"
EVENTS="$(pgq "select type || ': ' || count(*) from $SCHEMA.mt_events group by type order by count(*) desc" | paste -sd ';' | sed 's/;/; /g')"
median() { sort -n | awk '{a[NR] = $1} END {if (NR == 0) print ""; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
stat_of() { # mode conns target field → median over the repeats
  awk -v m="$1" -v c="$2" -v t="$3" '$1 == m && $2 == c && $3 == t' "$RESULTS" | while read -r line; do val "$4" "$line"; done | median
}
ms() { awk -v us="$1" 'BEGIN {printf "%.2f", us / 1000}'; }
fmt_int() { printf '%s' "${1%.*}" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

label_of() {
  case "$1" in
    direct) echo "direct to the mock" ;;
    hop) echo "pass-through hop" ;;
    proxy) echo "**proxy adapter**" ;;
    proxy-idle) echo "**proxy adapter**; API and PostgreSQL idle-class" ;;
    direct-split) echo "direct to the mock; wrk and the mock on core(s) $FRONT_CPUS (split)" ;;
    proxy-split) echo "**proxy adapter**; wrk, mock, proxy on core(s) $FRONT_CPUS, API and PostgreSQL on core $BACK_CPU (split)" ;;
    proxy-*) echo "**proxy adapter**, model group with strategy ${1#proxy-}" ;;
  esac
}
baseline_of() { [[ "$1" == *-split ]] && echo direct-split || echo direct; }
added() { # proxied-µs direct-µs → ms
  awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (a - b) / 1000}'
}
share() { # req/s of req/s → percent
  awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f %%", 100 * a / b}'
}
TABLE="| mode | connections | direct req/s | hop req/s | proxy req/s | proxy ÷ direct | proxy ÷ hop | direct p50 / p99 ms | hop p50 / p99 ms | proxy p50 / p99 ms |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for mode in $MODES; do
  for conns in $CONNECTIONS; do
    d_rps="$(stat_of "$mode" "$conns" direct rps)"; h_rps="$(stat_of "$mode" "$conns" hop rps)"; p_rps="$(stat_of "$mode" "$conns" proxy rps)"
    TABLE+=$'\n'"| $mode | $conns | $(fmt_int "$d_rps") | $(fmt_int "$h_rps") | **$(fmt_int "$p_rps")** | $(share "$p_rps" "$d_rps") | $(share "$p_rps" "$h_rps")"
    for target in direct hop proxy; do
      TABLE+=" | $(ms "$(stat_of "$mode" "$conns" "$target" p50_us)") / $(ms "$(stat_of "$mode" "$conns" "$target" p99_us)")"
    done
    TABLE+=" |"
  done
done
LATENCY_TABLE="| mode | target | req/s | p50 ms | p90 ms | p99 ms | max ms | added p50 / p99 ms | usage buffer max (records / oldest s) | wrk's corrected p99 ms |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for mode in $MODES; do
  for target in $(targets_for 1); do
    base="$(baseline_of "$target")"
    d50="$(stat_of "$mode" 1 "$base" rec_p50_us)"; d99="$(stat_of "$mode" 1 "$base" rec_p99_us)"
    r50="$(stat_of "$mode" 1 "$target" rec_p50_us)"; r99="$(stat_of "$mode" 1 "$target" rec_p99_us)"
    [[ -n "$r50" ]] || continue
    LATENCY_TABLE+=$'\n'"| $mode | $(label_of "$target") | $(fmt_int "$(stat_of "$mode" 1 "$target" rps)") | $(ms "$r50") | $(ms "$(stat_of "$mode" 1 "$target" rec_p90_us)") | $(ms "$r99") | $(ms "$(stat_of "$mode" 1 "$target" rec_max_us)") | $(
      [[ "$target" == direct* ]] && echo "–" || echo "$(added "$r50" "$d50") / **$(added "$r99" "$d99")**") | $(
      [[ "$target" == proxy* ]] && echo "$(fmt_int "$(stat_of "$mode" 1 "$target" buffer_max)") / $(stat_of "$mode" 1 "$target" buffer_age_max_s)" || echo "–") | $(ms "$(stat_of "$mode" 1 "$target" p99_us)") |"
  done
done
# Routing strategies against the weighted run (the plain model) of the same rounds: req/s, and the p99 each adds to
# direct; at one connection each request's own latency, at more wrk's.
STRATEGY_TABLE=""
if [[ -n "$STRATEGIES" ]]; then
  STRATEGY_TABLE="| mode | connections | strategy | req/s | ÷ weighted req/s | p99 ms | added p99 ms (vs direct) | added p99 ÷ weighted's |
|---|---:|---|---:|---:|---:|---:|---:|"
  for mode in $MODES; do
    for conns in $CONNECTIONS; do
      field=p99_us
      (( conns == 1 )) && field=rec_p99_us
      d99="$(stat_of "$mode" "$conns" direct "$field")"; w_rps="$(stat_of "$mode" "$conns" proxy rps)"; w99="$(stat_of "$mode" "$conns" proxy "$field")"
      STRATEGY_TABLE+=$'\n'"| $mode | $conns | weighted (plain model) | $(fmt_int "$w_rps") | 100.0 % | $(ms "$w99") | $(added "$w99" "$d99") | 100.0 % |"
      for strategy in $STRATEGIES; do
        s_rps="$(stat_of "$mode" "$conns" "proxy-$strategy" rps)"; s99="$(stat_of "$mode" "$conns" "proxy-$strategy" "$field")"
        STRATEGY_TABLE+=$'\n'"| $mode | $conns | $strategy | $(fmt_int "$s_rps") | **$(share "$s_rps" "$w_rps")** | $(ms "$s99") | $(added "$s99" "$d99") | **$(awk -v s="$s99" -v w="$w99" -v d="$d99" 'BEGIN {if (w - d <= 0) print "–"; else printf "%.1f %%", 100 * (s - d) / (w - d)}')** |"
      done
    done
  done
fi
CPU_TABLE="| mode | connections | mock CPU µs/request (direct) | hop CPU µs/request | proxy CPU µs/request | mock CPU µs/request (proxied) | API CPU µs/request (proxied) |
|---|---:|---:|---:|---:|---:|---:|"
for mode in $MODES; do
  for conns in $CONNECTIONS; do
    CPU_TABLE+=$'\n'"| $mode | $conns | $(stat_of "$mode" "$conns" direct mock_cpu_us) | $(stat_of "$mode" "$conns" hop hop_cpu_us) | **$(stat_of "$mode" "$conns" proxy proxy_cpu_us)** | $(stat_of "$mode" "$conns" proxy mock_cpu_us) | $(stat_of "$mode" "$conns" proxy api_cpu_us) |"
  done
done
RUNS=""
for mode in $MODES; do
  for conns in $CONNECTIONS; do
    for target in $(targets_for "$conns"); do
      RUNS+="- $mode, $conns connection(s), $target: $(awk -v m="$mode" -v c="$conns" -v t="$target" '$1 == m && $2 == c && $3 == t' "$RESULTS" |
        while read -r line; do
          if [[ -n "$(val rec_p99_us "$line")" ]]; then
            printf '%s (%s / %s; wrk %s / %s), ' "$(fmt_int "$(val rps "$line")")" "$(ms "$(val rec_p50_us "$line")")" "$(ms "$(val rec_p99_us "$line")")" "$(ms "$(val p50_us "$line")")" "$(ms "$(val p99_us "$line")")"
          else
            printf '%s (%s / %s), ' "$(fmt_int "$(val rps "$line")")" "$(ms "$(val p50_us "$line")")" "$(ms "$(val p99_us "$line")")"
          fi
        done | sed 's/, $//')"$'\n'
    done
  done
done
ERRORS="$(awk '{for (i = 5; i <= NF; i++) if ($i ~ /^(non2xx|socket_errors)=/) {split($i, kv, "="); s += kv[2]}} END {print s + 0}' "$RESULTS")"

PACED_TABLE=""
if [[ -s "$PACED_RESULTS" ]]; then
  p_stat() { awk -v t="$1" -v f="$2" '$1 == t {print $f * 1000}' "$PACED_RESULTS" | median; }
  dt="$(p_stat direct 2)"; pt="$(p_stat proxy 2)"; dl="$(p_stat direct 3)"; pl="$(p_stat proxy 3)"
  PACED_TABLE="| target | first byte ms (median) | last byte ms (median) |
|---|---:|---:|
| direct | $(printf '%.1f' "$dt") | $(printf '%.1f' "$dl") |
| proxy | $(printf '%.1f' "$pt") | $(printf '%.1f' "$pl") |
| added | $(awk -v a="$pt" -v b="$dt" 'BEGIN {printf "%.1f", a - b}') | $(awk -v a="$pl" -v b="$dl" 'BEGIN {printf "%.1f", a - b}') |"
fi

MEM_GIB="$(awk '/^MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo)"
CPU_MODEL="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
DOTNET_VERSION="$(dotnet --list-runtimes 2>/dev/null | awk '/Microsoft.NETCore.App/ {v = $2} END {print v}')"
LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
RSS_LINE="- Proxy RSS after the load above: **$(( RSS_AFTER_LOAD_KB / 1024 )) MB** (peak $(( HWM_AFTER_LOAD_KB / 1024 )) MB)."
if [[ -n "$RSS_KEYS_KB" ]]; then
  RSS_LINE+=$'\n'"- With **$(fmt_int "$KEYS_ISSUED") keys** in the store (issued through \`POST /api/keys\`, $KEY_CONNECTIONS connections, in $KEYS_SECONDS s), the restarted proxy's RSS after 10 s of load: **$(( RSS_KEYS_KB / 1024 )) MB**."
  [[ -n "${RSS_ALT_KB:-}" ]] && RSS_LINE+=$'\n'"- The same, restarted with \`${BENCH_RSS_ALT_ENV}\`: **$(( RSS_ALT_KB / 1024 )) MB**."
else
  RSS_LINE+=$'\n'"- With many keys: not measured in this run (\`BENCH_KEYS=100000\`)."
fi
PROXY_NOTE=""
[[ -n "${BENCH_PROXY_ENV:-}" ]] && PROXY_NOTE=" Proxy settings for this run: \`${BENCH_PROXY_ENV}\`."

REPORT="<!-- proxy-benchmark:begin (generated by tests/Benchmarks/proxy.sh; edit outside these markers) -->
_Last run: $(date -u '+%Y-%m-%d %H:%M UTC'), revision $REVISION._

### Machine

- $(nproc) cores (\`nproc\`), $MEM_GIB GiB memory, CPU: $CPU_MODEL; Linux $(uname -r); .NET $DOTNET_VERSION; $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)
- PostgreSQL $(pgq 'show server_version') on 127.0.0.1:$PG_PORT, durable (fsync and synchronous_commit on).
- wrk, the mock upstream, the pass-through hop, the proxy, the governance API and PostgreSQL all share these cores. Load average at the end: $LOAD (other work on the host included).

### Method

Full governance on every proxied call: the key (\`$KEY_ID\`) is checked, the call's worst case (100 output tokens) is held against a monthly budget on the key and on its app, and its cost is recorded as a \`request_completed\` event. The body is a small chat request (\`max_tokens\` 100); the mock answers JSON with a usage object, or $CHUNKS SSE chunks plus a usage chunk and \`[DONE]\` (the proxy adds \`stream_options.include_usage\` and drops the usage chunk for a client that did not ask for it). Each configuration ran $REPEATS × $DURATION s after ${JIT_WARMUP} s of unrecorded warm-up; the targets alternate, so all see the same host. Targets: the mock directly; the **pass-through hop** (tests/Benchmarks/PassThroughProxy: Kestrel and one pooled HttpClient like the adapter, with no key check, lease, pricing or usage record), which shows what any proxy hop costs here; and the **proxy adapter**. wrk measures to a response's last byte; one connection uses one wrk thread, more use $THREADS.$PROXY_NOTE

Latency at one connection is each request's own time (tests/Benchmarks/proxy.lua records it). wrk's percentiles, shown beside it, are corrected for coordinated omission: every request slower than twice the mean interval adds synthetic samples, so at one connection a single stall of a few milliseconds becomes dozens of samples and the p99 is not what any request took. The adapter is also measured at one connection in two placements that stand in for the machines of their own the governance API and PostgreSQL have in production (docs/deployment.md); in the first table's plain rows they share the cores with everything else as equals. $(if [[ -n "$IDLE_CG" ]]; then echo "**Idle-class**: the two in a cgroup with \`cpu.idle=1\`. They run only on CPU time the request path leaves, and a request-path thread preempts them at once, so they may fall behind: the usage buffer column shows what the proxy held unacknowledged."; else echo "The idle-class placement was skipped (no cgroup CPU controller with cpu.idle, or BENCH_PLACEMENTS=0)."; fi) $(if [[ -n "$FRONT_CS" ]]; then echo "**Split**: the two on core $BACK_CPU, wrk, the mock and the proxy on the other core(s), with the mock measured directly in the same placement as the baseline: the backend keeps up, the front has one core fewer."; else echo "The split placement was skipped (no cgroup cpuset controller, one core, or BENCH_PLACEMENTS=0)."; fi)

### Results (medians of $REPEATS)

One connection, each request's latency (medians of $REPEATS runs; added = minus the direct run of the same round, in the split placement for the split rows; the usage buffer is the median of each run's maximum):

$LATENCY_TABLE

Throughput, and wrk's own (corrected) latency:

$TABLE

Non-2xx answers and socket errors over all runs: $ERRORS.
$(if [[ -n "$STRATEGY_TABLE" ]]; then printf '\nRouting strategies (docs/routing.md): the same calls to a model group of the same model, one group per strategy, alternating with the weighted run in every round (medians of %s; the goal is under 5 %% difference):\n\n%s\n' "$REPEATS" "$STRATEGY_TABLE"; fi)

CPU time each process spent per request (utime + stime from \`/proc/<pid>/stat\` over the run ÷ requests; medians). This depends less than latency and throughput on what else the host runs, but includes each process's background work, which weighs more in a slow run. Measured for 5 s after the warm-up, with no load: proxy $(awk -v t="$IDLE_PROXY" -v hz="$CLK_TCK" 'BEGIN {printf "%.3f", t / hz}') cores, API $(awk -v t="$IDLE_API" -v hz="$CLK_TCK" 'BEGIN {printf "%.3f", t / hz}') cores, mock $(awk -v t="$IDLE_MOCK" -v hz="$CLK_TCK" 'BEGIN {printf "%.3f", t / hz}') cores.

$CPU_TABLE

Every run (req/s, p50 / p99 ms; at one connection each request's, then wrk's):

$RUNS
### Streams: no added delay

$(if [[ -n "$PACED_TABLE" ]]; then printf '%s sequential streams per target from a second mock that waits %s ms before each of its %s chunks (curl; medians). The proxy relays and flushes every event as it arrives, so what it adds is its per-call overhead, not a per-chunk delay:\n\n%s' "$PACED" "$CHUNK_DELAY" "$CHUNKS" "$PACED_TABLE"; else echo "Not measured in this run."; fi)

Events the governance API appended during the whole run (set-up and warm-up included; the measured runs proxied $(fmt_int "$PROXIED") requests), by type: $EVENTS.

### Memory

$RSS_LINE
<!-- proxy-benchmark:end -->"

printf '\n%s\n' "$REPORT"

if [[ "$OUT" != - ]]; then
  write_report_section proxy "Proxy benchmark: direct vs through the adapter" "$OUT" "$REPORT"
  say "wrote the results into $OUT"
fi
