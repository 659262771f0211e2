#!/usr/bin/env bash
# Projection rebuild benchmark (not part of ./test.sh).
#
#   tests/Benchmarks/rebuild.sh
#
# 1. ensures the private, DURABLE PostgreSQL cluster "bench" on 127.0.0.1:5435 (the one ingest.sh uses; fsync and
#    synchronous_commit on, the script refuses to measure otherwise),
# 2. builds the solution in Release,
# 3. runs tests/Benchmarks/RebuildBenchmark: appends BENCH_EVENTS events of a realistic history straight into a fresh
#    schema (bench_rebuild_<random>) with Marten's bulk insert, then rebuilds every projection BENCH_RUNS times with the
#    product's own rebuild code and writes the results between the rebuild-benchmark markers of docs/benchmarks.md,
# 4. drops the schema (also on failure or Ctrl-C) and stops the cluster if it started it (BENCH_KEEP_PG=1 leaves it).
#
# About 1.5 GB of data for 1M events while it runs. Takes 5-10 minutes: generation ~30 s, each run ~15-25 s on a quiet
# machine, the daemon baseline ~90 s, plus waits for a quiet machine before each run.
#
# Environment (all optional):
#   BENCH_PG_PORT        PostgreSQL port (default 5435)
#   BENCH_EVENTS         events to generate (default 1000000)
#   BENCH_RUNS           rebuilds (default 5); the report shows the median of the runs no other process disturbed
#   BENCH_REQUESTS_PER_DAY  simulated requests per day (default 12000)
#   BENCH_BASELINE       on|off: one extra run through Marten's daemon alone, for comparison (default on; adds 1-3 min)
#   BENCH_OUT            report file (default docs/benchmarks.md; "-" for none)
#   BENCH_SKIP_BUILD     1: use the existing Release build
#   BENCH_KEEP_PG        1: leave the bench cluster running afterwards
#   BENCH_QUIET          before each run wait until other processes use fewer cores than this (default 0.25; 0: no wait)
#   BENCH_QUIET_TIMEOUT  longest such wait in seconds (default 120)
#   BENCH_REVISION       what to call the measured code in the report (default: git HEAD, flagged if src/ is dirty)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$REPO_ROOT"
# shellcheck source=bench-cluster.sh
source "$REPO_ROOT/tests/Benchmarks/bench-cluster.sh"

die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
say() { printf 'rebuild.sh: %s\n' "$*" >&2; }

PG_PORT="${BENCH_PG_PORT:-5435}"
BENCH_DLL="tests/Benchmarks/RebuildBenchmark/bin/Release/net10.0/RebuildBenchmark.dll"
OUT="${BENCH_OUT:-docs/benchmarks.md}"
command -v dotnet >/dev/null 2>&1 || die "dotnet is not on PATH; install the .NET 10 SDK"
[[ -f Governance.sln ]] || die "Governance.sln not found in $REPO_ROOT"

SCHEMA="bench_rebuild_$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
GOVERNANCE_PG_STARTED=0
SCHEMA_CREATED=0
CLEANED_UP=0
cleanup() {
  local code=$?
  (( CLEANED_UP )) && return 0
  CLEANED_UP=1
  trap - INT TERM
  if (( SCHEMA_CREATED )) && [[ -n "${GOVERNANCE_PG_BIN:-}" ]]; then
    say "dropping schema $SCHEMA"
    "$GOVERNANCE_PG_BIN/psql" -X -q "host=127.0.0.1 port=$PG_PORT user=governance dbname=$GOVERNANCE_PG_DATABASE" \
      -c "drop schema if exists $SCHEMA cascade;" >/dev/null 2>&1 || say "could not drop schema $SCHEMA (drop it by hand)"
  fi
  if [[ "$GOVERNANCE_PG_STARTED" == 1 && "${BENCH_KEEP_PG:-0}" != 1 ]]; then
    stop_postgres bench || true
  fi
  return "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_bench_cluster

build_release
[[ -f "$BENCH_DLL" ]] || die "$BENCH_DLL not found; build first"

REVISION="$(bench_revision)"

SCHEMA_CREATED=1
args=(
  --db "$GOVERNANCE_DB" --schema "$SCHEMA" --events "${BENCH_EVENTS:-1000000}" --runs "${BENCH_RUNS:-5}"
  --requests-per-day "${BENCH_REQUESTS_PER_DAY:-12000}" --pg-data "$GOVERNANCE_PG_DATA" --baseline "${BENCH_BASELINE:-on}"
  --quiet "${BENCH_QUIET:-0.25}" --quiet-timeout "${BENCH_QUIET_TIMEOUT:-120}"
  --revision "$REVISION" --command "tests/Benchmarks/rebuild.sh" --out "$OUT"
)
say "running the benchmark (schema $SCHEMA) ..."
dotnet "$BENCH_DLL" "${args[@]}"
