#!/usr/bin/env bash
# Refusal benchmark (issue #16, "Cheap refusals"; not part of ./test.sh): what callers without a usable key cost the
# proxy's memory and the history.
#
#   tests/Benchmarks/refusals.sh
#
# 1. ensures the private, durable PostgreSQL cluster "bench" on 127.0.0.1:5435 (as proxy.sh), builds the solution in
#    Release and installs wrk (Debian package) if it is missing,
# 2. starts the governance API (random master key, admin token and schema bench_<random>) on a free 127.0.0.1 port,
# 3. per run (BENCH_REPEATS, default 3), with a proxy adapter of its own (started from its Release output directory as
#    run.sh runs it, then warmed up for 3 s with bad-key requests, stopped after the run):
#    a. memory: BENCH_BODIES (20) concurrent POSTs of BENCH_BODY_MB (20) MB each with "Authorization: Bearer
#       gk_not_a_key" (curl, HTTP/1.1, Content-Length), the proxy's VmRSS sampled every 20 ms from before the first
#       until after the last: the growth is the highest sample minus the one before;
#    b. history: BENCH_REQUESTS (100,000) small bad-key requests (wrk, BENCH_CONNECTIONS connections), then it waits
#       for the minute they fell in to end and for the proxy to ship it (bounded: BENCH_SETTLE_SECONDS after the minute),
#       and counts the rows mt_events gained, by type;
# 4. prints the medians and writes them into docs/benchmarks.md between the refusal-benchmark markers, stops everything
#    it started and drops its schemas (also on failure or Ctrl-C).
#
# The proxy runs with Auth__MaxFailuresPerMinute=1000000 unless BENCH_THROTTLE=1: every request then goes through the
# key check, the worst case for the history (with the default, 60 a minute, an address's later requests are answered
# 429 before their key is looked at, and counted the same way). Load goes to 127.0.0.1 only; time is bounded: about
# BENCH_REPEATS x (a few seconds of bodies + BENCH_REQUESTS at the proxy's rate + up to 60 s for the minute to end +
# BENCH_SETTLE_SECONDS), about 4-5 minutes with the defaults.
#
# Environment (all optional):
#   BENCH_PG_PORT        PostgreSQL port (default 5435)
#   BENCH_REPEATS        runs (default 3); the report shows medians and every run
#   BENCH_BODIES         concurrent large bodies (default 20)
#   BENCH_BODY_MB        size of each, MB (default 20)
#   BENCH_REQUESTS       bad-key requests for the history count (default 100000)
#   BENCH_CONNECTIONS    wrk connections (default 32)
#   BENCH_SETTLE_SECONDS how long after the minute ends the events may take to arrive (default 30)
#   BENCH_THROTTLE       1: keep the proxy's default failed-authentication throttle
#   BENCH_OUT            report file (default docs/benchmarks.md; "-" for none)
#   BENCH_SKIP_BUILD     1: use the existing Release build
#   BENCH_KEEP_PG        1: leave the bench cluster running afterwards
#   BENCH_REVISION       what to call the measured code in the report (default: git HEAD, flagged if src/ is dirty)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$REPO_ROOT"
# shellcheck source=bench-cluster.sh
source "$REPO_ROOT/tests/Benchmarks/bench-cluster.sh"
# shellcheck source=bench-apps.sh
source "$REPO_ROOT/tests/Benchmarks/bench-apps.sh"
# shellcheck source=report-section.sh
source "$REPO_ROOT/tests/Benchmarks/report-section.sh"

die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
say() { printf 'refusals.sh: %s\n' "$*" >&2; }

PG_PORT="${BENCH_PG_PORT:-5435}"
OUT="${BENCH_OUT:-docs/benchmarks.md}"
REPEATS="${BENCH_REPEATS:-3}"
BODIES="${BENCH_BODIES:-20}"
BODY_MB="${BENCH_BODY_MB:-20}"
REQUESTS="${BENCH_REQUESTS:-100000}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
SETTLE="${BENCH_SETTLE_SECONDS:-30}"
BAD_KEY="gk_not_a_key"

command -v dotnet >/dev/null 2>&1 || die "dotnet is not on PATH; install the .NET 10 SDK"
command -v curl >/dev/null 2>&1 || die "curl is required"
command -v python3 >/dev/null 2>&1 || die "python3 is required (JSON answers of the set-up calls, the report)"
[[ -f Governance.sln ]] || die "Governance.sln not found in $REPO_ROOT"
for n in "$REPEATS" "$BODIES" "$BODY_MB" "$REQUESTS" "$CONNECTIONS" "$SETTLE"; do
  [[ "$n" =~ ^[0-9]+$ ]] && (( n > 0 )) || die "not a positive number: '$n'"
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
WORK="$(mktemp -d /tmp/refusals-bench.XXXXXX)"

# --- cleanup: only what this script started ---------------------------------------------------------
stop_services_on_exit

# --- database, build ----------------------------------------------------------------------------------
start_bench_cluster
build_release
[[ -f "$API_DIR/Governance.Api.dll" ]] || die "$API_DIR/Governance.Api.dll not found; build first"
[[ -f "$PROXY_DIR/ProxyAdapter.dll" ]] || die "$PROXY_DIR/ProxyAdapter.dll not found; build first"

# --- processes ----------------------------------------------------------------------------------------
API_URL="http://127.0.0.1:$(free_port)"
PROXY_URL="http://127.0.0.1:$(free_port)"
MANAGEMENT_URL="http://127.0.0.1:$(free_port)"
SCHEMA_CREATED=1 # from here on the API may create it
start_app api "$API_DIR" Governance.Api.dll "$API_URL" \
  "ConnectionStrings__Governance=$GOVERNANCE_DB" "GOVERNANCE_MASTER_KEY=$MASTER_KEY" "Audit__SigningKey=$AUDIT_KEY" \
  "GOVERNANCE_ADMIN_TOKEN=$ADMIN_TOKEN" "Governance__Schema=$SCHEMA" "Audit__CheckpointIntervalSeconds=0"

ADAPTER_TOKEN="$(api POST /api/operators '{"name":"bench-adapter","roles":["adapter"],"adapterId":"bench-adapter"}' | field token)"

PROXY_SETTINGS=(
  "GOVERNANCE_MASTER_KEY=$MASTER_KEY" "Proxy__AdapterId=bench-adapter" "Proxy__GovernanceUrl=$API_URL/" "Proxy__AdapterToken=$ADAPTER_TOKEN"
  "Proxy__JournalPath=$WORK/journal" "DOTNET_GCgen0size=0x1000000" "Proxy__ManagementUrl=$MANAGEMENT_URL"
)
THROTTLE_NOTE="the failed-authentication throttle at its default (60 a minute per address: from 127.0.0.1 all but the first requests are answered 429 before their key is looked at)"
if [[ "${BENCH_THROTTLE:-0}" != 1 ]]; then
  PROXY_SETTINGS+=("Auth__MaxFailuresPerMinute=1000000")
  THROTTLE_NOTE="the failed-authentication throttle set out of the way (Auth__MaxFailuresPerMinute=1000000), so every request has its key checked: the worst case for the history"
fi
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
events() { pgq "select count(*) from $SCHEMA.mt_events"; }

# --- load ---------------------------------------------------------------------------------------------
head -c "$((BODY_MB * 1000 * 1000))" /dev/zero | tr '\0' 'a' >"$WORK/body"
# Each of wrk's two threads stops once it has its half of the answers (a few more may be in flight on its connections)
# and leaves a file saying so: wrk itself runs until its -d unless interrupted, which the loop below does.
cat >"$WORK/bad.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $BAD_KEY"
wrk.body = '{"model":"bench-model","messages":[{"role":"user","content":"hi"}]}'
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
local answered, wanted = 0, math.ceil($REQUESTS / 2)
function response()
  answered = answered + 1
  if answered == wanted then
    io.open("$WORK/done." .. id, "w"):close()
    wrk.thread:stop()
  end
end
LUA

# Sends BENCH_REQUESTS bad-key requests with wrk; prints wrk's output once both threads have their answers.
flood() {
  rm -f "$WORK"/done.*
  wrk -t2 -c"$1" -d600s --timeout 10s -s "$WORK/bad.lua" "$PROXY_URL/v1/chat/completions" >"$WORK/wrk.out" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null && [[ "$(find "$WORK" -maxdepth 1 -name 'done.*' | wc -l)" -lt 2 ]]; do sleep 0.1; done
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  cat "$WORK/wrk.out"
}

RESULTS="$WORK/results"
: >"$RESULTS"
for ((run = 1; run <= REPEATS; run++)); do
  # Each run has a proxy of its own, started as run.sh starts it and warmed up (the first requests pay for the JIT), so
  # no run starts from a heap an earlier one grew.
  start_app proxy "$PROXY_DIR" ProxyAdapter.dll "$PROXY_URL" "${PROXY_SETTINGS[@]}"
  PROXY_PID=$LAST_PID
  wrk -t2 -c4 -d3s --timeout 10s -s "$WORK/bad.lua" "$PROXY_URL/v1/chat/completions" >/dev/null 2>&1 || true

  # a. Memory: concurrent large bodies with a bad key.
  before_kb="$(rss_kb "$PROXY_PID")"
  (while kill -0 "$PROXY_PID" 2>/dev/null; do rss_kb "$PROXY_PID"; sleep 0.02; done) >"$WORK/rss" 2>/dev/null &
  sampler=$!
  curls=()
  for ((i = 0; i < BODIES; i++)); do
    # Streamed from the file with its Content-Length, without waiting for a 100 Continue: the body comes regardless.
    curl -s -o /dev/null -w '%{http_code}\n' --http1.1 -X POST "$PROXY_URL/v1/chat/completions" -H "Authorization: Bearer $BAD_KEY" \
      -H 'Content-Type: application/json' -H 'Expect:' --upload-file "$WORK/body" --max-time 120 >>"$WORK/codes.$run" 2>/dev/null &
    curls+=($!)
  done
  wait "${curls[@]}" || true
  sleep 0.1 # two more samples after the last answer
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
  peak_kb="$(sort -n "$WORK/rss" | tail -1)"
  codes="$(sort "$WORK/codes.$run" | uniq -c | awk '{printf "%s%s x %s", (NR > 1 ? ", " : ""), $2, $1}')"
  growth_mb="$(awk -v p="$peak_kb" -v b="$before_kb" 'BEGIN {printf "%.1f", (p - b) / 1024}')"
  say "run $run: $BODIES x $BODY_MB MB with a bad key: RSS $((before_kb / 1024)) MB before, peak $((peak_kb / 1024)) MB (+$growth_mb MB); answers: $codes"

  # b. History: many small bad-key requests, then what the API appended for them.
  events_before="$(events)"
  seq_before="$(pgq "select coalesce(max(seq_id), 0) from $SCHEMA.mt_events")"
  started_ns="$(date +%s%N)"
  wrk_out="$(flood "$CONNECTIONS")"
  # wrk's own req/s counts until it was interrupted, not until the last answer: time it here.
  sent="$(awk '/requests in/ {print $1}' <<<"$wrk_out")"
  rate="$(awk -v n="$sent" -v ns="$(( $(date +%s%N) - started_ns ))" 'BEGIN {printf "%.0f", n / (ns / 1e9)}')"
  # The minute the last request fell in must end; the proxy ships it at its next 5-second tick, through its journal.
  next_minute=$(( ($(date +%s) / 60 + 1) * 60 ))
  while (( $(date +%s) < next_minute + 6 )); do sleep 0.5; done
  added=-1 stable=0
  while (( $(date +%s) < next_minute + SETTLE )); do
    now_added=$(( $(events) - events_before ))
    if (( now_added == added )); then
      stable=$((stable + 1))
      (( stable >= 4 )) && break
    else
      stable=0
    fi
    added=$now_added
    sleep 0.5
  done
  added=$(( $(events) - events_before ))
  by_type="$(pgq "select type || ' ' || count(*) from $SCHEMA.mt_events where seq_id > $seq_before group by type order by 1" | paste -sd ',' | sed 's/,/, /g')"
  say "run $run: $sent bad-key requests at $rate req/s added $added events ($by_type)"
  printf '%s %s %s %s %s %s %s\n' "$run" "$growth_mb" "$((before_kb / 1024))" "$((peak_kb / 1024))" "$sent" "$rate" "$added" >>"$RESULTS"
  printf '%s\t%s\t%s\n' "$run" "$codes" "$by_type" >>"$WORK/details"
  stop_pid "$PROXY_PID"
done

# --- report -------------------------------------------------------------------------------------------
median() { sort -n | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
col() { awk -v c="$1" '{print $c}' "$RESULTS" | median; }
GROWTH="$(col 2)" ADDED="$(col 7)" RATE="$(col 6)"
REVISION="$(bench_revision)"
ROWS="$(while read -r run growth before peak sent rate added; do
  IFS=$'\t' read -r _ codes by_type < <(awk -F'\t' -v r="$run" '$1 == r' "$WORK/details")
  printf '| %s | %s MB → %s MB (+%s MB) | %s | %s | %s req/s | %s (%s) |\n' "$run" "$before" "$peak" "$growth" "$codes" "$sent" "$rate" "$added" "$by_type"
done <"$RESULTS")"
status_of() { awk -v v="$1" -v g="$2" 'BEGIN {print (v + 0 < g + 0) ? "met" : "NOT met"}'; }
REPORT="<!-- refusal-benchmark:begin (generated by tests/Benchmarks/refusals.sh; edit outside these markers) -->
_Last run: $(date -u '+%Y-%m-%d %H:%M') UTC, revision $REVISION._

- Machine: $(nproc) cores (\`nproc\`), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) memory, CPU: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo); Linux $(uname -r); .NET $(dotnet --list-runtimes | awk '/Microsoft.NETCore.App/ {v = $2} END {print v}'); PostgreSQL on 127.0.0.1:$PG_PORT, durable. curl, wrk, the proxy, the API and PostgreSQL share the cores (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)).
- The proxy as run.sh runs it (workstation GC, \`DOTNET_GCgen0size=0x1000000\`), with $THROTTLE_NOTE.

| goal | median of $REPEATS runs | status |
|---|---:|---|
| RSS growth of the proxy, $BODIES concurrent ${BODY_MB} MB bodies with \`Authorization: Bearer $BAD_KEY\` | **$GROWTH MB** | $(status_of "$GROWTH" 50) (goal < 50 MB) |
| events added by $REQUESTS bad-key requests | **$ADDED** | $(status_of "$ADDED" 1000) (goal < 1,000) |

| run | proxy RSS before → peak (growth) | answers to the large bodies | bad-key requests | rate | events added (by type) |
|---:|---|---|---:|---:|---|
$ROWS

RSS is the proxy's VmRSS sampled every 20 ms while the bodies were sent; the events are the rows \`mt_events\` gained
from the first bad-key request until the minute they fell in had been shipped (the refusals of a minute are one
\`refusals_counted\` event per adapter process).
<!-- refusal-benchmark:end -->"

printf '\n%s\n' "$REPORT"

if [[ "$OUT" != - ]]; then
  write_report_section refusal "Refusal benchmark: callers without a usable key" "$OUT" "$REPORT"
  say "wrote the results into $OUT"
fi
