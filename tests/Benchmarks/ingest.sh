#!/usr/bin/env bash
# Ingest benchmark for POST /api/usage (not part of ./test.sh).
#
#   tests/Benchmarks/ingest.sh
#
# 1. ensures a private, DURABLE PostgreSQL cluster "bench" on 127.0.0.1:5435 (fsync and synchronous_commit on;
#    the script refuses to measure otherwise),
# 2. builds the solution in Release,
# 3. starts the API from its output directory on a free 127.0.0.1 port, with a random master key, admin token
#    and schema (bench_<random>), and waits for /health,
# 4. runs tests/Benchmarks/IngestBenchmark against it (ledger runs, raw-PostgreSQL baseline, idempotency
#    check, statement trace) and writes the results into docs/benchmarks.md,
# 5. stops the API and drops the bench schemas (also on failure or Ctrl-C). It stops the cluster if it
#    started it (set BENCH_KEEP_PG=1 to leave it running).
#
# Load goes to 127.0.0.1 only and is bounded in time: per configuration, BENCH_REPEATS x (BENCH_WARMUP +
# BENCH_DURATION) seconds for the ledger and again for the baseline (defaults: 3 x (2 + 10) s; about 5 minutes
# in all for the three batch sizes). The baseline table grows to a few GB in .data/pg-bench during the run (a few
# million rows); it is dropped at the end with the other bench schemas.
#
# Environment (all optional):
#   BENCH_PG_PORT    PostgreSQL port (default 5435)
#   BENCH_BATCHES    batch sizes (default 1,100,1000)
#   BENCH_SENDERS    concurrent senders per batch size (default 1=4,100=2,1000=2; other sizes: 2)
#   BENCH_WARMUP     warm-up seconds per run (default 2)
#   BENCH_JIT_WARMUP once, before the first measured run: seconds of unrecorded load across the batch sizes, so
#                    the API is measured warm (default 30; 0: measure the just-started process)
#   BENCH_DURATION   measured seconds per run (default 10)
#   BENCH_REPEATS    runs per configuration (default 3); the report shows medians
#   BENCH_BASELINE   on|off: raw PostgreSQL insert baseline (default on)
#   BENCH_TRACE      on|off: statement-duration trace through the PostgreSQL log (default on)
#   BENCH_BUDGET     on|off: the monthly app budget (default on; off only to measure what settlement costs)
#   BENCH_OUT        report file (default docs/benchmarks.md; "-" for none)
#   BENCH_SKIP_BUILD 1: use the existing Release build
#   BENCH_KEEP_PG    1: leave the bench cluster running afterwards
#   BENCH_QUIET      before each run wait until other processes use fewer cores than this (default 0.25; 0: no wait)
#   BENCH_QUIET_TIMEOUT  longest such wait in seconds (default 120)
#   BENCH_API_CONNECTION_EXTRA  appended to the API's connection string, for experiments
#                    (e.g. "Max Auto Prepare=50"); named in the report
#   BENCH_API_DIR    run the API from this build output instead (e.g. a copy of another revision's, for
#                    before/after runs minutes apart; name it with BENCH_REVISION)
#   BENCH_REVISION   what to call the measured code in the report (default: git HEAD, flagged if src/ is dirty)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$REPO_ROOT"
# shellcheck source=bench-cluster.sh
source "$REPO_ROOT/tests/Benchmarks/bench-cluster.sh"

die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
say() { printf 'ingest.sh: %s\n' "$*" >&2; }

PG_PORT="${BENCH_PG_PORT:-5435}"
API_DIR="${BENCH_API_DIR:-src/Governance.Api/bin/Release/net10.0}"
BENCH_DLL="tests/Benchmarks/IngestBenchmark/bin/Release/net10.0/IngestBenchmark.dll"
OUT="${BENCH_OUT:-docs/benchmarks.md}"

command -v dotnet >/dev/null 2>&1 || die "dotnet is not on PATH; install the .NET 10 SDK"
command -v curl >/dev/null 2>&1 || die "curl is required to check /health"
[[ -f Governance.sln ]] || die "Governance.sln not found in $REPO_ROOT"

rand_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
SCHEMA="bench_$(rand_hex 4)"
MASTER_KEY="$(head -c32 /dev/urandom | base64 | tr -d '\n')"
# The checkpoint signing key: an ECDSA P-256 private key, as base64 of its PKCS#8 DER form (one line).
AUDIT_KEY="$(audit_signing_key)"
ADMIN_TOKEN="bench-$(rand_hex 24)"

# --- cleanup: only what this script started ---------------------------------------------------------
API_PID=""
GOVERNANCE_PG_STARTED=0
SCHEMA_CREATED=0
CLEANED_UP=0
cleanup() {
  local code=$?
  (( CLEANED_UP )) && return 0
  CLEANED_UP=1
  trap - INT TERM
  if [[ -n "$API_PID" ]] && kill -0 "$API_PID" 2>/dev/null; then
    say "stopping the API (pid $API_PID)"
    kill -TERM "$API_PID" 2>/dev/null || true
    local i
    for ((i = 0; i < 100; i++)); do
      kill -0 "$API_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$API_PID" 2>/dev/null || true
    wait "$API_PID" 2>/dev/null || true
  fi
  if [[ -n "${GOVERNANCE_PG_BIN:-}" && -n "${GOVERNANCE_PG_DATABASE:-}" ]]; then
    # The statement trace turns on log_min_duration_statement (ALTER SYSTEM); make sure it is off again.
    "$GOVERNANCE_PG_BIN/psql" -X -q "host=127.0.0.1 port=$PG_PORT user=governance dbname=$GOVERNANCE_PG_DATABASE" \
      -c "alter system reset log_min_duration_statement" -c "select pg_reload_conf()" >/dev/null 2>&1 || true
  fi
  if (( SCHEMA_CREATED )) && [[ -n "${GOVERNANCE_PG_BIN:-}" ]]; then
    say "dropping schemas $SCHEMA, ${SCHEMA}_wolverine, ${SCHEMA}_raw"
    "$GOVERNANCE_PG_BIN/psql" -X -q "host=127.0.0.1 port=$PG_PORT user=governance dbname=$GOVERNANCE_PG_DATABASE" \
      -c "drop schema if exists $SCHEMA cascade; drop schema if exists ${SCHEMA}_wolverine cascade; drop schema if exists ${SCHEMA}_raw cascade;" \
      >/dev/null 2>&1 || say "could not drop the bench schemas (drop them by hand: $SCHEMA, ${SCHEMA}_wolverine, ${SCHEMA}_raw)"
  fi
  if [[ "$GOVERNANCE_PG_STARTED" == 1 && "${BENCH_KEEP_PG:-0}" != 1 ]]; then
    stop_postgres bench || true
  fi
  return "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- database: durable --------------------------------------------------------------------------------
start_bench_cluster

# --- build ----------------------------------------------------------------------------------------------
build_release
[[ -f "$API_DIR/Governance.Api.dll" ]] || die "$API_DIR/Governance.Api.dll not found; build first"
[[ -f "$BENCH_DLL" ]] || die "$BENCH_DLL not found; build first"

# --- API on a free port ---------------------------------------------------------------------------------
API_PORT=""
for _ in $(seq 1 50); do
  candidate=$(( 20000 + RANDOM % 30000 ))
  if ! _pg_port_in_use "$candidate"; then API_PORT=$candidate; break; fi
done
[[ -n "$API_PORT" ]] || die "no free port found for the API"
API_URL="http://127.0.0.1:$API_PORT"

SCHEMA_CREATED=1 # from here on the API may create it
(
  cd "$API_DIR"
  export ASPNETCORE_URLS="$API_URL"
  export ConnectionStrings__Governance="$GOVERNANCE_DB${BENCH_API_CONNECTION_EXTRA:+;$BENCH_API_CONNECTION_EXTRA}"
  export GOVERNANCE_MASTER_KEY="$MASTER_KEY"
  export Audit__SigningKey="$AUDIT_KEY"
  export GOVERNANCE_ADMIN_TOKEN="$ADMIN_TOKEN"
  export Governance__Schema="$SCHEMA"
  # The benchmark's provider is registered at a loopback address it never calls.
  export Outbound__AllowPrivateNetworks=true
  export Logging__LogLevel__Default=Warning
  export ASPNETCORE_ENVIRONMENT=Production
  exec dotnet Governance.Api.dll
) &
API_PID=$!
say "started Governance.Api (pid $API_PID) on $API_URL, schema $SCHEMA"
for ((i = 0; i < 120; i++)); do # ~60 s
  if ! kill -0 "$API_PID" 2>/dev/null; then
    wait "$API_PID" && c=0 || c=$?
    die "Governance.Api exited during start-up (code $c)"
  fi
  curl -fsS -o /dev/null --max-time 2 "$API_URL/health" 2>/dev/null && break
  sleep 0.5
done
curl -fsS -o /dev/null --max-time 2 "$API_URL/health" || die "Governance.Api did not answer $API_URL/health within 60 s"

# --- benchmark ------------------------------------------------------------------------------------------
REVISION="$(bench_revision)"
args=(
  --api "$API_URL" --token "$ADMIN_TOKEN" --db "$GOVERNANCE_DB" --schema "$SCHEMA"
  --batches "${BENCH_BATCHES:-1,100,1000}" --senders "${BENCH_SENDERS:-1=4,100=2,1000=2}"
  --warmup "${BENCH_WARMUP:-2}" --jit-warmup "${BENCH_JIT_WARMUP:-30}" --duration "${BENCH_DURATION:-10}" --repeats "${BENCH_REPEATS:-3}"
  --baseline "${BENCH_BASELINE:-on}" --trace "${BENCH_TRACE:-on}" --budget "${BENCH_BUDGET:-on}"
  --api-pid "$API_PID" --pg-data "$GOVERNANCE_PG_DATA" --pg-log "$GOVERNANCE_PG_LOG" --clk-tck "$(getconf CLK_TCK)"
  --revision "$REVISION" --command "tests/Benchmarks/ingest.sh"
  --quiet "${BENCH_QUIET:-0.25}" --quiet-timeout "${BENCH_QUIET_TIMEOUT:-120}"
)
[[ -n "${BENCH_API_CONNECTION_EXTRA:-}" ]] && args+=(--api-note "connection string + \`$BENCH_API_CONNECTION_EXTRA\`")
[[ "$OUT" != - ]] && args+=(--out "$OUT")
say "running the benchmark ..."
dotnet "$BENCH_DLL" "${args[@]}"
