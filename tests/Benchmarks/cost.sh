#!/usr/bin/env bash
# Cost benchmark (issue #21; not part of ./test.sh): what one governed request costs in CPU and in PostgreSQL bytes, on
# the stack exactly as ./run.sh starts it.
#
#   tests/Benchmarks/cost.sh
#
# 1. builds the solution in Release (unless BENCH_SKIP_BUILD=1) and installs wrk (Debian package) if it is missing,
# 2. starts tests/Benchmarks/MockUpstream (the stand-in provider) and tests/Benchmarks/PassThroughProxy (the baseline
#    hop: Kestrel and one pooled HttpClient, no governance) in front of it,
# 3. starts ./run.sh itself, on other ports and with a private data directory (GOVERNANCE_DATA_DIR: its own durable
#    PostgreSQL cluster, keys, tokens and usage journal), so what is measured is what run.sh starts,
# 4. sets up through the API a provider (the mock), a priced model and two keys: "key" with a monthly budget on the key,
#    "full" with monthly budgets on the key, its app and the app's team,
# 5. after an unrecorded warm-up, runs wrk for every {json, stream} × {1, 32 connections} × {hop, key, full},
#    BENCH_REPEATS times, alternating. For each run it reads utime + stime (/proc/<pid>/stat) of the proxy, the API,
#    the hop, the mock and PostgreSQL (the postmaster, its live children and its exited children), and the size of
#    every table with its indexes and TOAST (pg_total_relation_size, not WAL), before wrk starts and after the proxy's
#    usage buffer has drained and the async projections have caught up, so a request's ingest counts with it,
# 6. prints medians, the ratios and every goal of issue #21 point 3 as measured vs goal, writes them into
#    docs/benchmarks.md between the cost-benchmark markers, and stops everything it started (also on failure or Ctrl-C).
#
# Load goes to 127.0.0.1 only and is bounded: BENCH_WARMUP + 12 × BENCH_REPEATS × (BENCH_DURATION + drain) seconds
# (defaults: 20 + 12 × 3 × ~12 s, about 8 minutes).
#
# Environment (all optional):
#   BENCH_PORT_BASE   first of the 6 ports used (default 6700: PostgreSQL +1, API +2, proxy +3, metrics +4, mock +5, hop +6)
#   BENCH_DURATION    measured seconds per wrk run (default 10)
#   BENCH_REPEATS     runs per configuration (default 3); the report shows medians
#   BENCH_WARMUP      seconds of unrecorded load first (default 20)
#   BENCH_CONNECTIONS connection counts (default "1 32")
#   BENCH_MODES       "json stream" (default both)
#   BENCH_TARGETS     "hop key full" (default all three)
#   BENCH_THREADS     wrk threads for more than one connection (default 2)
#   BENCH_ENV         extra NAME=VALUE settings for the API and the proxy, space separated (named in the report), e.g.
#                     DOTNET_gcServer=0, to measure one setting against run.sh's
#   BENCH_OUT         report file (default docs/benchmarks.md; "-" for none)
#   BENCH_SETTLE      0: stop each run's clock when wrk stops, not when the API has ingested what it caused (what
#                     proxy.sh does: the API's and PostgreSQL's share then lands in whichever run comes next)
#   BENCH_SKIP_BUILD  1: use the existing Release build
#   BENCH_KEEP        1: leave the work directory (logs, the cluster's data) in place
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
say() { printf 'cost.sh: %s\n' "$*" >&2; }

BASE="${BENCH_PORT_BASE:-6700}"
DURATION="${BENCH_DURATION:-10}"
REPEATS="${BENCH_REPEATS:-3}"
WARMUP="${BENCH_WARMUP:-20}"
CONNECTIONS="${BENCH_CONNECTIONS:-1 32}"
MODES="${BENCH_MODES:-json stream}"
TARGETS="${BENCH_TARGETS:-hop key full}"
THREADS="${BENCH_THREADS:-2}"
OUT="${BENCH_OUT:-docs/benchmarks.md}"
HOP_DIR="tests/Benchmarks/PassThroughProxy/bin/Release/net10.0"
LUA="$REPO_ROOT/tests/Benchmarks/proxy.lua"
MODEL="cost-model"
for n in "$BASE" "$DURATION" "$REPEATS" "$WARMUP" "$THREADS"; do
  [[ "$n" =~ ^[0-9]+$ ]] || die "not a number: '$n'"
done
(( BASE > 0 && BASE + 6 < 65536 )) || die "BENCH_PORT_BASE out of range: $BASE"
command -v dotnet >/dev/null 2>&1 || die "dotnet is not on PATH; install the .NET 10 SDK"
command -v curl >/dev/null 2>&1 || die "curl is required"
command -v python3 >/dev/null 2>&1 || die "python3 is required (JSON answers of the set-up calls)"
if ! command -v wrk >/dev/null 2>&1; then
  say "installing wrk (apt-get install wrk) ..."
  (apt-get install -y --no-install-recommends wrk >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && apt-get install -y --no-install-recommends wrk >/dev/null 2>&1; }) ||
    die "wrk is missing and could not be installed (apt-get install wrk)"
fi

PG_PORT=$((BASE + 1)) API_PORT=$((BASE + 2)) PROXY_PORT=$((BASE + 3)) METRICS_PORT=$((BASE + 4))
MOCK_URL="http://127.0.0.1:$((BASE + 5))" HOP_URL="http://127.0.0.1:$((BASE + 6))"
API_URL="http://127.0.0.1:$API_PORT" PROXY_URL="http://127.0.0.1:$PROXY_PORT" METRICS_URL="http://127.0.0.1:$METRICS_PORT"
for p in $(seq $((BASE + 1)) $((BASE + 6))); do
  _pg_port_in_use "$p" && die "port $p is in use; set BENCH_PORT_BASE to a free range"
done

# The work directory holds run.sh's private data (its PostgreSQL cluster too): the postgres user must reach it.
WORK="$(mktemp -d /tmp/cost-bench.XXXXXX)"
chmod 0755 "$WORK"
DATA="$WORK/data"
RUN_PID=""
CLEANED_UP=0
cleanup() {
  local code=$?
  (( CLEANED_UP )) && return 0
  CLEANED_UP=1
  trap - INT TERM
  # run.sh stops the API, the proxy and the cluster it started when it gets TERM.
  if [[ -n "$RUN_PID" ]] && kill -0 "$RUN_PID" 2>/dev/null; then
    kill -TERM "$RUN_PID" 2>/dev/null || true
    wait "$RUN_PID" 2>/dev/null || true
  fi
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  if [[ "${BENCH_KEEP:-0}" == 1 ]]; then say "kept $WORK"; else rm -rf "$WORK"; fi
  return "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

build_release
for f in src/Governance.Api/bin/Release/net10.0/Governance.Api.dll src/ProxyAdapter/bin/Release/net10.0/ProxyAdapter.dll \
  "$MOCK_DIR/MockUpstream.dll" "$HOP_DIR/PassThroughProxy.dll"; do
  [[ -f "$f" ]] || die "$f not found; build first"
done

# --- the stack ----------------------------------------------------------------------------------------------------
start_app mock "$MOCK_DIR" MockUpstream.dll "$MOCK_URL" "MOCK_CHUNKS=20"
MOCK_PID=$LAST_PID
# The hop gets the proxy's GC setting (run.sh's), so the two differ in what they do, not in how their memory is run.
start_app hop "$HOP_DIR" PassThroughProxy.dll "$HOP_URL" "UPSTREAM_URL=$MOCK_URL" "DOTNET_GCgen0size=0x1000000"
HOP_PID=$LAST_PID

say "starting ./run.sh (API :$API_PORT, proxy :$PROXY_PORT, PostgreSQL :$PG_PORT, data $DATA) ..."
(
  export GOVERNANCE_DATA_DIR="$DATA" GOVERNANCE_SKIP_BUILD=1 GOVERNANCE_API_PORT="$API_PORT" GOVERNANCE_PROXY_PORT="$PROXY_PORT"
  export GOVERNANCE_PROXY_MANAGEMENT_PORT="$METRICS_PORT" GOVERNANCE_PG_PORT="$PG_PORT"
  # shellcheck disable=SC2086 # word splitting is the point: NAME=VALUE pairs
  for kv in ${BENCH_ENV:-}; do export "${kv?}"; done
  exec ./run.sh
) >"$WORK/run.log" 2>&1 &
RUN_PID=$!
for ((i = 0; i < 600; i++)); do
  grep -q 'Governance is up' "$WORK/run.log" && break
  kill -0 "$RUN_PID" 2>/dev/null || { tail -30 "$WORK/run.log" >&2; die "run.sh exited during start-up"; }
  sleep 0.5
done
grep -q 'Governance is up' "$WORK/run.log" || { tail -30 "$WORK/run.log" >&2; die "run.sh did not start within 300 s"; }
API_PID="$(sed -n 's/.*started Governance.Api (pid \([0-9]*\)).*/\1/p' "$WORK/run.log" | tail -1)"
PROXY_PID="$(sed -n 's/.*started ProxyAdapter (pid \([0-9]*\)).*/\1/p' "$WORK/run.log" | tail -1)"
PG_PID="$(head -1 "$DATA/pg-run/postmaster.pid")"
[[ -n "$API_PID" && -n "$PROXY_PID" && -n "$PG_PID" ]] || die "could not find the API, proxy and PostgreSQL pids (log: $WORK/run.log)"
ADMIN_TOKEN="$(cat "$DATA/admin.token")"
PG_BIN="$(dirname "$(readlink -f "/proc/$PG_PID/exe")")"
pgq() { "$PG_BIN/psql" -X -qtA "host=127.0.0.1 port=$PG_PORT user=governance dbname=governance" -c "$1"; }
say "stack up: API pid $API_PID, proxy pid $PROXY_PID, postmaster pid $PG_PID (PostgreSQL $(pgq 'show server_version'), fsync $(pgq 'show fsync'), synchronous_commit $(pgq 'show synchronous_commit'))"

# Time spent in PL/pgSQL functions (the audit chain and feed triggers), for the report: a setting of this private cluster.
pgq "alter system set track_functions = 'pl'" >/dev/null && pgq "select pg_reload_conf()" >/dev/null

# --- set-up through the API -----------------------------------------------------------------------------------------
api POST /api/providers '{"name":"mock","kind":"openai","baseUrl":"'"$MOCK_URL"'/v1","apiKey":"sk-cost-upstream"}' >/dev/null
api POST /api/models '{"name":"'$MODEL'","provider":"mock","upstreamModel":"mock","inputPricePer1M":0.15,"outputPricePer1M":0.60}' >/dev/null
ISSUED="$(api POST /api/keys '{"app":"cost-key-app","name":"cost-key","models":["'$MODEL'"]}')"
KEY_KEY="$(field key <<<"$ISSUED")"
api PUT "/api/budgets/key/$(field id <<<"$ISSUED")" '{"limit":1000000,"period":"monthly"}' >/dev/null
ISSUED="$(api POST /api/keys '{"app":"cost-full-app","name":"cost-full","models":["'$MODEL'"]}')"
KEY_FULL="$(field key <<<"$ISSUED")"
api PUT "/api/budgets/key/$(field id <<<"$ISSUED")" '{"limit":1000000,"period":"monthly"}' >/dev/null
api PUT /api/apps/cost-full-app '{"team":"cost-team"}' >/dev/null
api PUT /api/budgets/app/cost-full-app '{"limit":1000000,"period":"monthly"}' >/dev/null
api PUT /api/budgets/team/cost-team '{"limit":1000000,"period":"monthly"}' >/dev/null
say "set up a provider, a model and two keys (key budget; key + app + team budgets)"

body_of() { # mode
  local stream=false
  [[ "$1" == stream ]] && stream=true
  printf '{"model":"%s","stream":%s,"max_tokens":100,"messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say hello in one short sentence, please."}]}' "$MODEL" "$stream"
}
url_of() { case "$1" in hop) echo "$HOP_URL/v1/chat/completions" ;; *) echo "$PROXY_URL/v1/chat/completions" ;; esac; }
key_of() { case "$1" in key) echo "$KEY_KEY" ;; full) echo "$KEY_FULL" ;; *) echo "" ;; esac; }

# A proxy that decides from memory answers 503 until its copy of the governance state (and the new keys) is current.
for target in key full; do
  for mode in $MODES; do
    for ((i = 0; i < 120; i++)); do
      code="$(curl -s -o "$WORK/check" -w '%{http_code}' "$PROXY_URL/v1/chat/completions" -H "Authorization: Bearer $(key_of $target)" \
        -H 'Content-Type: application/json' -d "$(body_of "$mode")")"
      [[ "$code" == 200 ]] && break
      sleep 0.5
    done
    [[ "$code" == 200 ]] || die "a $mode call with the $target key answered $code: $(head -c 500 "$WORK/check")"
  done
done

# --- measuring ----------------------------------------------------------------------------------------------------------
CLK_TCK="$(getconf CLK_TCK)"
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime (a dotnet or postgres comm has no spaces)
pg_ticks() { # the postmaster, its live children, and what its exited children used (cutime + cstime)
  local total child
  total="$(awk '{print $14 + $15 + $16 + $17}' "/proc/$PG_PID/stat")"
  for child in $(pgrep -P "$PG_PID"); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$child/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
# Every table of the database with its indexes and TOAST (partitions counted once, as their leaves).
db_bytes() { pgq "select coalesce(sum(pg_total_relation_size(c.oid)), 0) from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where c.relkind in ('r', 'm') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'"; }
buffer_records() { curl -s --max-time 2 "$METRICS_URL/metrics" | awk '/^gov_proxy_usage_buffer_records/ {n = $2} END {print (n == "" ? -1 : n)}'; }
SCHEMA="$(pgq "select table_schema from information_schema.tables where table_name = 'mt_events' limit 1")"
behind() { # events the async projections have not processed yet
  pgq "select coalesce((select max(seq_id) from $SCHEMA.mt_events), 0) - coalesce((select min(last_seq_id) from $SCHEMA.mt_event_progression where name like '%:%'), 0)"
}
WOLVERINE="$(pgq "select table_schema from information_schema.tables where table_name = 'wolverine_incoming_envelopes' limit 1")"
inbox() { # messages the API's handlers have not handled yet (spend anomaly checks the ingest queued)
  pgq "select count(*) from $WOLVERINE.wolverine_incoming_envelopes where status = 'Incoming'"
}
settle() { # waits (up to 60 s) until the proxy has shipped every usage record and the API has done what they caused
  local i
  for ((i = 0; i < 240; i++)); do
    [[ "$(buffer_records)" == 0 ]] && (( $(behind) <= 0 )) && (( $(inbox) == 0 )) && return 0
    sleep 0.25
  done
  say "warning: usage buffer $(buffer_records) records, projections $(behind) events behind, $(inbox) messages in the inbox after 60 s"
}
val() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }
per_request() { awk -v a="$1" -v b="$2" -v n="$3" -v hz="$CLK_TCK" 'BEGIN {printf "%.1f", (n > 0 ? (b - a) * 1e6 / hz / n : 0)}'; }
run_wrk() { # target mode connections seconds → one line of figures
  local target=$1 mode=$2 conns=$3 seconds=$4 threads=1 line
  (( conns > 1 )) && threads=$THREADS
  # Every run starts with nothing left over from the one before (also the hop's, after a proxy run).
  [[ "${BENCH_SETTLE:-1}" == 0 ]] || settle
  local p0 a0 g0 h0 m0 b0
  p0="$(ticks "$PROXY_PID")"; a0="$(ticks "$API_PID")"; g0="$(pg_ticks)"; h0="$(ticks "$HOP_PID")"; m0="$(ticks "$MOCK_PID")"; b0="$(db_bytes)"
  line="$(BENCH_BODY="$(body_of "$mode")" BENCH_AUTH="$(key_of "$target")" BENCH_RECORD=0 \
    wrk -t"$threads" -c"$conns" -d"${seconds}s" --timeout 10s -s "$LUA" "$(url_of "$target")" 2>&1 | grep '^RESULT ' || true)"
  [[ -n "$line" ]] || die "wrk printed no result ($target $mode $conns)"
  [[ "$target" == hop || "${BENCH_SETTLE:-1}" == 0 ]] || settle
  local n
  n="$(val requests "$line")"
  printf '%s proxy_us=%s api_us=%s pg_us=%s hop_us=%s mock_us=%s bytes=%s\n' "${line#RESULT }" \
    "$(per_request "$p0" "$(ticks "$PROXY_PID")" "$n")" "$(per_request "$a0" "$(ticks "$API_PID")" "$n")" \
    "$(per_request "$g0" "$(pg_ticks)" "$n")" "$(per_request "$h0" "$(ticks "$HOP_PID")" "$n")" \
    "$(per_request "$m0" "$(ticks "$MOCK_PID")" "$n")" \
    "$(awk -v a="$b0" -v b="$(db_bytes)" -v n="$n" 'BEGIN {printf "%.0f", (n > 0 ? (b - a) / n : 0)}')"
}

if (( WARMUP > 0 )); then
  say "warming up (${WARMUP} s, unrecorded) ..."
  slice=$(( WARMUP / ($(wc -w <<<"$MODES") * $(wc -w <<<"$TARGETS")) ))
  (( slice > 0 )) || slice=1
  for mode in $MODES; do for target in $TARGETS; do run_wrk "$target" "$mode" 32 "$slice" >/dev/null; done; done
fi

# Warm means the JIT is done: tiered compilation (and dynamic PGO's re-compilations) of the hot paths goes on for minutes
# after start-up on a busy host, on the ".NET Tiered Com" thread. Load continues (up to BENCH_JIT_WAIT seconds, default 120)
# until that thread of the proxy and of the API used under 2 % of a core over the last 5 s.
jit_ticks() { # pid → CPU ticks of its tiered-compilation thread(s)
  local t total=0 s
  for t in /proc/"$1"/task/*; do
    s="$(cat "$t/stat" 2>/dev/null)" || continue
    [[ "$s" == *"(.NET Tiered Com)"* ]] || continue
    total=$((total + $(awk '{print $12 + $13}' <<<"${s##*) }" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
JIT_WAIT="${BENCH_JIT_WAIT:-120}"
jit_start=$SECONDS
while (( SECONDS - jit_start < JIT_WAIT )); do
  j0=$(( $(jit_ticks "$PROXY_PID") + $(jit_ticks "$API_PID") ))
  for mode in $MODES; do run_wrk key "$mode" 32 2 >/dev/null; done
  j1=$(( $(jit_ticks "$PROXY_PID") + $(jit_ticks "$API_PID") ))
  say "tiered JIT of the proxy and the API: $((j1 - j0)) ticks during the last warm-up round"
  (( (j1 - j0) * 100 <= 2 * CLK_TCK * 5 )) && break
done
JIT_NOTE="after $((SECONDS - jit_start)) s of further load until the JIT was done (tiered compilation under 2 % of a core)"

# What each process burns with no load (background loops: the feed, leases, the daemon, Wolverine's agents, timers): it
# is in every per-request figure, and weighs more the fewer requests a run completes.
settle
idle_cores() { awk -v a="$1" -v b="$2" -v hz="$CLK_TCK" 'BEGIN {printf "%.3f", (b - a) / hz / 10}'; }
i_p="$(ticks "$PROXY_PID")" i_a="$(ticks "$API_PID")" i_g="$(pg_ticks)"
sleep 10
IDLE="proxy $(idle_cores "$i_p" "$(ticks "$PROXY_PID")") cores, API $(idle_cores "$i_a" "$(ticks "$API_PID")") cores, PostgreSQL $(idle_cores "$i_g" "$(pg_ticks)") cores"
say "idle: $IDLE"

RESULTS="$WORK/results"
: >"$RESULTS"
for ((r = 1; r <= REPEATS; r++)); do
  for mode in $MODES; do
    for conns in $CONNECTIONS; do
      for target in $TARGETS; do
        line="$(run_wrk "$target" "$mode" "$conns" "$DURATION")"
        printf '%s %s %s %s %s\n' "$mode" "$conns" "$target" "$r" "$line" >>"$RESULTS"
        say "run $r/$REPEATS $mode c=$conns $target: $(val rps "$line") req/s, CPU µs/request proxy $(val proxy_us "$line") API $(val api_us "$line") PostgreSQL $(val pg_us "$line") hop $(val hop_us "$line") mock $(val mock_us "$line"), $(val bytes "$line") bytes/request, non-2xx $(val non2xx "$line")"
      done
    done
  done
done
LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- report -----------------------------------------------------------------------------------------------------------
median() { sort -g | awk '{a[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
stat_of() { # mode conns target field
  awk -v m="$1" -v c="$2" -v t="$3" '$1 == m && $2 == c && $3 == t' "$RESULTS" | while read -r line; do val "$5" "$line"; done | median
}
sum_of() { # mode conns target: median over runs of API + PostgreSQL per request
  awk -v m="$1" -v c="$2" -v t="$3" '$1 == m && $2 == c && $3 == t' "$RESULTS" | while read -r line; do
    awk -v a="$(val api_us "$line")" -v b="$(val pg_us "$line")" 'BEGIN {print a + b}'; done | median
}
fmt() { awk -v x="$1" 'BEGIN {if (x == "nan" || x == "") print "–"; else printf "%.0f", x}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0 && a != "nan") printf "%.2f", a / b; else print "–"}'; }
has_hop() { [[ " $TARGETS " == *" hop "* ]]; }
TABLE="| mode | conns | budgets | req/s | hop req/s | proxy CPU µs/req | hop CPU µs/req | proxy ÷ hop | API CPU µs/req | PostgreSQL CPU µs/req | API + PostgreSQL | mock CPU µs/req | PostgreSQL bytes/req |
|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
GOALS=""
goal() { # name measured goal-text ok
  GOALS+="| $1 | $2 | $3 | $([[ "$4" == 1 ]] && echo met || echo '**not met**') |"$'\n'
}
for mode in $MODES; do
  for conns in $CONNECTIONS; do
    hop_us="nan" hop_rps="nan"
    if has_hop; then hop_us="$(stat_of "$mode" "$conns" hop - hop_us)"; hop_rps="$(stat_of "$mode" "$conns" hop - rps)"; fi
    for target in $TARGETS; do
      [[ "$target" == hop ]] && continue
      budgets="key"; [[ "$target" == full ]] && budgets="key + app + team"
      proxy_us="$(stat_of "$mode" "$conns" "$target" - proxy_us)"
      backend="$(sum_of "$mode" "$conns" "$target")"
      bytes="$(stat_of "$mode" "$conns" "$target" - bytes)"
      rps="$(stat_of "$mode" "$conns" "$target" - rps)"
      TABLE+=$'\n'"| $mode | $conns | $budgets | $(fmt "$rps") | $(fmt "$hop_rps") | **$(fmt "$proxy_us")** | $(fmt "$hop_us") | $(ratio "$proxy_us" "$hop_us") | $(fmt "$(stat_of "$mode" "$conns" "$target" - api_us)") | $(fmt "$(stat_of "$mode" "$conns" "$target" - pg_us)") | **$(fmt "$backend")** | $(fmt "$(stat_of "$mode" "$conns" "$target" - mock_us)") | **$(fmt "$bytes")** |"
      label="$mode, $conns conn., $budgets budget(s)"
      r="$(ratio "$proxy_us" "$hop_us")"
      goal "proxy CPU ≤ 2 × hop CPU ($label)" "$r ×" "≤ 2 ×" "$(awk -v r="$r" 'BEGIN {print (r != "–" && r <= 2) ? 1 : 0}')"
      goal "API + PostgreSQL CPU ($label)" "$(fmt "$backend") µs" "≤ 100 µs" "$(awk -v x="$backend" 'BEGIN {print (x <= 100) ? 1 : 0}')"
      goal "PostgreSQL bytes per request ($label)" "$(fmt "$bytes") B" "≤ 700 B" "$(awk -v x="$bytes" 'BEGIN {print (x <= 700) ? 1 : 0}')"
      if (( conns >= 32 )); then
        goal "governed req/s at $conns connections ($mode, $budgets budget(s))" "$(fmt "$rps")" "≥ 6,000" "$(awk -v x="$rps" 'BEGIN {print (x >= 6000) ? 1 : 0}')"
      fi
    done
  done
done
RUNS="$(awk '{printf "- %s, %s conn., %s, run %s:", $1, $2, $3, $4; for (i = 5; i <= NF; i++) if ($i ~ /^(rps|proxy_us|api_us|pg_us|hop_us|bytes|non2xx)=/) printf " %s", $i; print ""}' "$RESULTS")"
ERRORS="$(awk '{for (i = 5; i <= NF; i++) if ($i ~ /^(non2xx|socket_errors)=/) {split($i, kv, "="); s += kv[2]}} END {print s + 0}' "$RESULTS")"
EVENTS="$(pgq "select string_agg(type || ' ' || n, ', ' order by n desc) from (select type, count(*) n from $SCHEMA.mt_events group by type) t")"
# Where the bytes are: each table (heap + TOAST) and each index at the end, per request_completed event in the store.
SIZES="$(pgq "with n as (select count(*)::numeric n from $SCHEMA.mt_events where type = 'request_completed'),
  r as (select c.relname, c.relkind, case when c.relkind = 'i' then pg_relation_size(c.oid) else pg_table_size(c.oid) end b
    from pg_class c join pg_namespace s on s.oid = c.relnamespace
    where c.relkind in ('r', 'i') and s.nspname in ('$SCHEMA', '$WOLVERINE'))
  select string_agg(format('%s%s %s', relname, case when relkind = 'i' then ' (index)' else '' end, round(b / n)), ', ' order by b desc)
  from r, n where b / n >= 5")"
# What one request_completed row is made of (averages, bytes as stored): parts that repeat what the row already says.
ANATOMY="$(pgq "select format('row %s (event JSON %s, of which the computed Usage object %s, null properties %s, RecordedAt and ReportedBy %s; headers with the hash chain %s; mt_dotnet_type %s; correlation id %s)',
  round(avg(pg_column_size(e.*))), round(avg(pg_column_size(data))), round(avg(pg_column_size(data) - pg_column_size(data - 'Usage'))),
  round(avg(pg_column_size(data) - pg_column_size(jsonb_strip_nulls(data)))), round(avg(pg_column_size(data) - pg_column_size(data - 'RecordedAt' - 'ReportedBy'))),
  round(avg(pg_column_size(headers))), round(avg(pg_column_size(mt_dotnet_type))), round(avg(pg_column_size(correlation_id))))
  from $SCHEMA.mt_events e where type = 'request_completed'")"
DRAWS="$(pgq "select format('%s lease_drawn events of %s B on average: %s B per request', count(*), round(avg(pg_column_size(e.*))),
  round(sum(pg_column_size(e.*)) / greatest(1, (select count(*) from $SCHEMA.mt_events where type = 'request_completed'))))
  from $SCHEMA.mt_events e where type = 'lease_drawn'")"
# Rows written per request (inserted, updated) by table, and the time PostgreSQL spent in the triggers' functions, over the
# whole run (set-up and warm-up included) per request_completed event.
WRITES="$(pgq "with n as (select count(*)::numeric n from $SCHEMA.mt_events where type = 'request_completed')
  select string_agg(format('%s %s/%s', relname, round(n_tup_ins / n, 2), round((n_tup_upd + n_tup_hot_upd * 0) / n, 2)), ', ' order by n_tup_ins + n_tup_upd desc)
  from pg_stat_user_tables, n where schemaname in ('$SCHEMA', '$WOLVERINE') and (n_tup_ins + n_tup_upd) / n >= 0.01")"
FUNCS="$(pgq "with n as (select count(*)::numeric n from $SCHEMA.mt_events where type = 'request_completed')
  select string_agg(format('%s %s calls, %s µs', funcname, round(calls / n, 2), round((self_time * 1000 / n)::numeric, 1)), ', ' order by self_time desc)
  from pg_stat_user_functions, n")"
MEM_GIB="$(awk '/^MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo)"
CPU_MODEL="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
REPORT="<!-- cost-benchmark:begin (generated by tests/Benchmarks/cost.sh; edit outside these markers) -->
_Last run: $(date -u '+%Y-%m-%d %H:%M UTC'), revision $(bench_revision); \`tests/Benchmarks/cost.sh\`$([[ -n "${BENCH_ENV:-}" ]] && echo " with \`BENCH_ENV=\"$BENCH_ENV\"\`")._

- $(nproc) cores, $MEM_GIB GiB memory, CPU: $CPU_MODEL; Linux $(uname -r); $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2).
- The stack as \`./run.sh\` starts it (its own durable PostgreSQL $(pgq 'show server_version' | cut -d' ' -f1) cluster, fsync $(pgq 'show fsync'), synchronous_commit $(pgq 'show synchronous_commit')), the mock provider, the pass-through hop and wrk share these cores with whatever else the host runs: load average at the end $LOAD.
- $REPEATS × $DURATION s per configuration after ${WARMUP} s of warm-up and $JIT_NOTE, alternating; medians. CPU is utime + stime of each process from the moment wrk starts until the proxy's usage buffer is empty and the async projections have caught up, ÷ the requests wrk completed; bytes are the growth of every table with its indexes and TOAST over the same span, ÷ the same count (not WAL). \"hop\" is tests/Benchmarks/PassThroughProxy in front of the same mock, measured in the same rounds.

$TABLE

Goals of issue #21 (point 3):

| goal | measured | goal | |
|---|---:|---:|---|
${GOALS}
CPU with no load, over 10 s after the warm-up: $IDLE. Non-2xx answers and socket errors over all runs: $ERRORS. Events in the store at the end (set-up and warm-up included): $EVENTS. One \`request_completed\` row, averages in bytes as stored: $ANATOMY. Lease draws: $DRAWS.

Rows written per request, by table (inserted/updated): $WRITES. Time in PL/pgSQL functions per request (self time, \`track_functions\`): $FUNCS.

Bytes per \`request_completed\` event at the end, by table (heap and TOAST) and index, 5 B or more: $SIZES.

Every run:

$RUNS
<!-- cost-benchmark:end -->"
printf '\n%s\n' "$REPORT"
if [[ "$OUT" != - ]]; then
  write_report_section cost "Cost of one governed request (issue #21)" "$OUT" "$REPORT"
  say "wrote the results into $OUT"
fi
