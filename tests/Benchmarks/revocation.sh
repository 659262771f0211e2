#!/usr/bin/env bash
# Revocation benchmark (issue #17 point 4; not part of ./test.sh): how long after a revocation commits do two adapters
# refuse the key, while they carry other traffic?
#
#   tests/Benchmarks/revocation.sh
#
# 1. ensures the private, durable PostgreSQL cluster "bench" on 127.0.0.1:5435 (as proxy.sh) and builds the solution
#    in Release,
# 2. starts, on free 127.0.0.1 ports, from their Release output directories as run.sh runs them: the mock upstream
#    (tests/Benchmarks/MockUpstream), the governance API (random master key, admin token and schema bench_<random>)
#    and two proxy adapters, each with its own adapter id, token and journal,
# 3. sets up a provider (the mock) and a priced model, then runs tests/Benchmarks/RevocationBenchmark: for each of
#    BENCH_REVOCATIONS keys it proves the key usable through both adapters, revokes it through the API ("committed" =
#    the revoke's HTTP answer received) and probes each adapter with the key, call after call, until it answers
#    "revoked"; meanwhile BENCH_LOAD_CONNECTIONS loops call both adapters with another key (forwarded, journaled,
#    shipped and recorded: the API and PostgreSQL are busy while the feed carries the revocations),
# 4. prints p50/p99/max of committed → refused (per adapter, and until both refuse) and writes them into
#    docs/benchmarks.md between the revocation-benchmark markers, stops everything it started and drops its schemas
#    (also on failure or Ctrl-C). Exit code 1 if fewer revocations completed than asked or a probe was refused for
#    anything but "revoked".
#
# The adapters run with Auth__MaxFailuresPerMinute=1000000: the probes of a revoked key are failed authentications
# from 127.0.0.1, which the default throttle (60 a minute per address) would answer 429 before looking at the key.
# Load goes to 127.0.0.1 only; time is bounded by BENCH_MAX_SECONDS (default 600) for the measurement, plus start-up.
# With the defaults (1,000 revocations) it takes about 1-3 minutes here.
#
# Environment (all optional):
#   BENCH_PG_PORT          PostgreSQL port (default 5435)
#   BENCH_REVOCATIONS      revocations to measure (default 1000)
#   BENCH_LOAD_CONNECTIONS background call loops, spread over the two adapters (default 8)
#   BENCH_MAX_SECONDS      bound on the measurement (default 600)
#   BENCH_OUT              report file (default docs/benchmarks.md; "-" for none)
#   BENCH_SKIP_BUILD       1: use the existing Release build
#   BENCH_KEEP_PG          1: leave the bench cluster running afterwards
#   BENCH_REVISION         what to call the measured code in the report (default: git HEAD, flagged if src/ is dirty)
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
say() { printf 'revocation.sh: %s\n' "$*" >&2; }

PG_PORT="${BENCH_PG_PORT:-5435}"
DRIVER="tests/Benchmarks/RevocationBenchmark/bin/Release/net10.0/RevocationBenchmark.dll"
OUT="${BENCH_OUT:-docs/benchmarks.md}"
REVOCATIONS="${BENCH_REVOCATIONS:-1000}"
LOAD="${BENCH_LOAD_CONNECTIONS:-8}"
MAX_SECONDS="${BENCH_MAX_SECONDS:-600}"

command -v dotnet >/dev/null 2>&1 || die "dotnet is not on PATH; install the .NET 10 SDK"
command -v curl >/dev/null 2>&1 || die "curl is required"
command -v python3 >/dev/null 2>&1 || die "python3 is required (JSON answers of the set-up calls, the report)"
[[ -f Governance.sln ]] || die "Governance.sln not found in $REPO_ROOT"
for n in "$REVOCATIONS" "$LOAD" "$MAX_SECONDS"; do
  [[ "$n" =~ ^[0-9]+$ ]] && (( n > 0 )) || die "not a positive number: '$n'"
done

rand_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
SCHEMA="bench_$(rand_hex 4)"
MASTER_KEY="$(head -c32 /dev/urandom | base64 | tr -d '\n')"
AUDIT_KEY="$(openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null)" # PEM, as the API requires
ADMIN_TOKEN="bench-$(rand_hex 24)"
WORK="$(mktemp -d /tmp/revocation-bench.XXXXXX)"

# --- cleanup: only what this script started ---------------------------------------------------------
stop_services_on_exit

# --- database, build ----------------------------------------------------------------------------------
start_bench_cluster
build_release
for f in "$API_DIR/Governance.Api.dll" "$PROXY_DIR/ProxyAdapter.dll" "$MOCK_DIR/MockUpstream.dll" "$DRIVER"; do
  [[ -f "$f" ]] || die "$f not found; build first"
done

# --- processes ----------------------------------------------------------------------------------------
MOCK_URL="http://127.0.0.1:$(free_port)"
API_URL="http://127.0.0.1:$(free_port)"
start_app mock "$MOCK_DIR" MockUpstream.dll "$MOCK_URL"
SCHEMA_CREATED=1 # from here on the API may create it
start_app api "$API_DIR" Governance.Api.dll "$API_URL" \
  "ConnectionStrings__Governance=$GOVERNANCE_DB" "GOVERNANCE_MASTER_KEY=$MASTER_KEY" "Audit__SigningKey=$AUDIT_KEY" \
  "GOVERNANCE_ADMIN_TOKEN=$ADMIN_TOKEN" "Governance__Schema=$SCHEMA" "Audit__CheckpointIntervalSeconds=0" \
  "Outbound__AllowPrivateNetworks=true"

PROXY_URLS=()
for name in a b; do
  token="$(api POST /api/operators "{\"name\":\"bench-adapter-$name\",\"roles\":[\"adapter\"],\"adapterId\":\"bench-adapter-$name\"}" | field token)"
  url="http://127.0.0.1:$(free_port)"
  start_app "proxy-$name" "$PROXY_DIR" ProxyAdapter.dll "$url" \
    "GOVERNANCE_MASTER_KEY=$MASTER_KEY" "Proxy__AdapterId=bench-adapter-$name" "Proxy__GovernanceUrl=$API_URL/" \
    "Proxy__AdapterToken=$token" "Proxy__JournalPath=$WORK/journal-$name" "Proxy__ManagementUrl=http://127.0.0.1:$(free_port)" \
    "Auth__MaxFailuresPerMinute=1000000" "Outbound__AllowPrivateNetworks=true"
  PROXY_URLS+=("$url")
done

api POST /api/providers "{\"name\":\"bench-mock\",\"kind\":\"openai\",\"baseUrl\":\"$MOCK_URL/v1\",\"apiKey\":\"sk-bench-mock\"}" >/dev/null
api POST /api/models '{"name":"bench-model","provider":"bench-mock","upstreamModel":"mock","inputPricePer1M":0.15,"outputPricePer1M":0.60}' >/dev/null

# --- measurement --------------------------------------------------------------------------------------
RESULT="$WORK/result.json"
set +e
BENCH_API_URL="$API_URL" BENCH_PROXY_A="${PROXY_URLS[0]}" BENCH_PROXY_B="${PROXY_URLS[1]}" BENCH_ADMIN_TOKEN="$ADMIN_TOKEN" \
  BENCH_MODEL=bench-model BENCH_APP=bench-app BENCH_REVOCATIONS="$REVOCATIONS" BENCH_LOAD_CONNECTIONS="$LOAD" \
  BENCH_MAX_SECONDS="$MAX_SECONDS" BENCH_RESULT="$RESULT" timeout "$((MAX_SECONDS + 120))" dotnet "$DRIVER"
DRIVER_CODE=$?
set -e
[[ -f "$RESULT" ]] || die "the benchmark driver wrote no result (exit code $DRIVER_CODE; logs in $WORK)"

# --- report -------------------------------------------------------------------------------------------
REVISION="$(bench_revision)"
REPORT="$(python3 - "$RESULT" "$REVISION" "$REVOCATIONS" "$LOAD" <<'PY'
import json, sys, subprocess, os, datetime
r = json.load(open(sys.argv[1]))
revision, asked, load = sys.argv[2], sys.argv[3], sys.argv[4]
def ms(v): return f"{v:.1f} ms"
status = "met" if r["bothP99"] <= 100 else "NOT met"
cpu = next((l.split(": ", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
load_avg = " ".join(open("/proc/loadavg").read().split()[:3])
print(f"""<!-- revocation-benchmark:begin (generated by tests/Benchmarks/revocation.sh; edit outside these markers) -->
_Last run: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, revision {revision}._

- Machine: {os.cpu_count()} cores, CPU: {cpu}; the mock upstream, the API, two adapters, the driver and PostgreSQL
  (durable, 127.0.0.1) share them (load average at the end: {load_avg}).
- {r["revocations"]} of {asked} revocations; background load: {load} call loops spread over both adapters,
  {r["loadCallsPerSecond"]:.0f} calls/s answered while measuring ({r["loadFailed"]} failed).
- committed = the revoke's HTTP answer received; refused = the probe's "revoked" answer received. A probe is one call
  after another per adapter (round trip p50 {ms(r["probeRoundTripP50"])}, p99 {ms(r["probeRoundTripP99"])}), so each figure is
  late by at most one round trip; median {r["probesP50"]:.0f} probe(s) per adapter, at most {r["probesMax"]}.
  Refusals for another reason than "revoked": {r["unexpectedRefusals"]}.

| committed → refused | p50 | p99 | max |
|---|---:|---:|---:|
| by each adapter ({2 * r["revocations"]} refusals) | {ms(r["perAdapterP50"])} | {ms(r["perAdapterP99"])} | {ms(r["perAdapterMax"])} |
| by both adapters (per revocation) | **{ms(r["bothP50"])}** | **{ms(r["bothP99"])}** | {ms(r["bothMax"])} |

Goal (issue #5): a revocation refused everywhere within 100 ms at p99: **{status}** (p99 {ms(r["bothP99"])} until both
adapters refuse; adapter A p99 {ms(r["adapterAP99"])}, adapter B p99 {ms(r["adapterBP99"])}).
<!-- revocation-benchmark:end -->""")
PY
)"
printf '\n%s\n' "$REPORT"
if [[ "$OUT" != - ]]; then
  write_report_section revocation "Revocation benchmark: commit → refusal through two adapters" "$OUT" "$REPORT"
  say "wrote the results into $OUT"
fi
exit "$DRIVER_CODE"
