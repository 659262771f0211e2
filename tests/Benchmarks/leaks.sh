#!/usr/bin/env bash
# Leak-response benchmark (issue #20, "Measure it"; not part of ./test.sh): the time from a secret-scanning service's
# report (POST /api/leaks) to the proxy refusing the reported key, end to end through the change feed.
#
#   tests/Benchmarks/leaks.sh
#
# 1. ensures the private, durable PostgreSQL cluster "bench" (as proxy.sh) and builds the solution in Release,
# 2. starts, on free 127.0.0.1 ports: tests/Benchmarks/MockUpstream (the provider), the governance API (random master
#    key, admin token, leak-report shared secret and schema bench_<random>) and a proxy adapter, as run.sh runs them,
# 3. registers the mock as a provider with a model, issues BENCH_REPORTS keys (app bench-leaks, leak policy revoke: the
#    default) and checks each works through the proxy (200),
# 4. per key, one at a time: signs a report of that one token (HMAC-SHA-256 with the shared secret, X-Governance-Signature),
#    starts the clock, sends it to POST /api/leaks, then calls the proxy with the key, back to back, until it answers
#    401; the time from just before the report was sent to that 401 is one sample (a key still accepted after
#    BENCH_TIMEOUT_SECONDS is a failure),
# 5. prints p50/p90/p99/max and writes them into docs/benchmarks.md between the leak-benchmark markers, stops everything
#    it started and drops its schemas (also on failure or Ctrl-C).
#
# Load goes to 127.0.0.1 only. Time is bounded: start-up, BENCH_REPORTS keys issued and checked, then BENCH_REPORTS x
# (the report + the feed's delivery, at most BENCH_TIMEOUT_SECONDS each); about a minute with the defaults.
#
# Environment (all optional):
#   BENCH_PG_PORT          PostgreSQL port (default 5435)
#   BENCH_REPORTS          reports, one key each (default 300; at least 200)
#   BENCH_TIMEOUT_SECONDS  how long one key may stay accepted after its report (default 10)
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
say() { printf 'leaks.sh: %s\n' "$*" >&2; }

PG_PORT="${BENCH_PG_PORT:-5435}"
OUT="${BENCH_OUT:-docs/benchmarks.md}"
REPORTS="${BENCH_REPORTS:-300}"
TIMEOUT="${BENCH_TIMEOUT_SECONDS:-10}"
MODEL="bench-leak-model"

command -v dotnet >/dev/null 2>&1 || die "dotnet is not on PATH; install the .NET 10 SDK"
command -v curl >/dev/null 2>&1 || die "curl is required"
command -v python3 >/dev/null 2>&1 || die "python3 is required (the reporter and the report)"
command -v openssl >/dev/null 2>&1 || die "openssl is required (the API's audit signing key)"
[[ -f Governance.sln ]] || die "Governance.sln not found in $REPO_ROOT"
[[ "$REPORTS" =~ ^[0-9]+$ ]] && (( REPORTS >= 200 && REPORTS <= 100000 )) || die "BENCH_REPORTS must be 200 to 100000: '$REPORTS'"
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] && (( TIMEOUT > 0 && TIMEOUT <= 600 )) || die "BENCH_TIMEOUT_SECONDS must be 1 to 600: '$TIMEOUT'"

rand_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
SCHEMA="bench_$(rand_hex 4)"
MASTER_KEY="$(head -c32 /dev/urandom | base64 | tr -d '\n')"
ADMIN_TOKEN="bench-$(rand_hex 24)"
LEAK_SECRET="$(rand_hex 32)"
WORK="$(mktemp -d /tmp/leaks-bench.XXXXXX)"

# --- cleanup: only what this script started ---------------------------------------------------------
stop_services_on_exit

# --- database, build ----------------------------------------------------------------------------------
start_bench_cluster
build_release
[[ -f "$API_DIR/Governance.Api.dll" ]] || die "$API_DIR/Governance.Api.dll not found; build first"
[[ -f "$PROXY_DIR/ProxyAdapter.dll" ]] || die "$PROXY_DIR/ProxyAdapter.dll not found; build first"
[[ -f "$MOCK_DIR/MockUpstream.dll" ]] || die "$MOCK_DIR/MockUpstream.dll not found; build first"

# --- processes ----------------------------------------------------------------------------------------
MOCK_URL="http://127.0.0.1:$(free_port)"
API_URL="http://127.0.0.1:$(free_port)"
PROXY_URL="http://127.0.0.1:$(free_port)"
MANAGEMENT_URL="http://127.0.0.1:$(free_port)"
start_app mock "$MOCK_DIR" MockUpstream.dll "$MOCK_URL"
# The audit checkpoint key (ECDSA P-256, as run.sh generates it); checkpoints are off for the run anyway.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/audit-signing.pem" 2>/dev/null || die "openssl could not make the audit signing key"
SCHEMA_CREATED=1 # from here on the API may create it
start_app api "$API_DIR" Governance.Api.dll "$API_URL" \
  "ConnectionStrings__Governance=$GOVERNANCE_DB" "GOVERNANCE_MASTER_KEY=$MASTER_KEY" \
  "GOVERNANCE_ADMIN_TOKEN=$ADMIN_TOKEN" "Governance__Schema=$SCHEMA" "Audit__CheckpointIntervalSeconds=0" \
  "Audit__SigningKeyFile=$WORK/audit-signing.pem" "Audit__WitnessDirectory=$WORK/audit-witness" \
  "Outbound__AllowPrivateNetworks=true" "Leaks__Secret=$LEAK_SECRET"

api POST /api/providers '{"name":"mock","kind":"openai","baseUrl":"'"$MOCK_URL"'/v1","apiKey":"sk-bench-upstream"}' >/dev/null
api POST /api/models '{"name":"'$MODEL'","provider":"mock","upstreamModel":"mock","inputPricePer1M":0.15,"outputPricePer1M":0.60}' >/dev/null
ADAPTER_TOKEN="$(api POST /api/operators '{"name":"bench-adapter","roles":["adapter"],"adapterId":"bench-adapter"}' | field token)"

# The throttle out of the way: every revoked key's 401 is a failed authentication from 127.0.0.1, and past 60 a minute
# the address would be answered 429 before its key is looked at (which would measure the throttle, not the feed).
start_app proxy "$PROXY_DIR" ProxyAdapter.dll "$PROXY_URL" \
  "GOVERNANCE_MASTER_KEY=$MASTER_KEY" "Proxy__AdapterId=bench-adapter" "Proxy__GovernanceUrl=$API_URL/" "Proxy__AdapterToken=$ADAPTER_TOKEN" \
  "Proxy__JournalPath=$WORK/journal" "DOTNET_GCgen0size=0x1000000" "Proxy__ManagementUrl=$MANAGEMENT_URL" \
  "Outbound__AllowPrivateNetworks=true" "Auth__MaxFailuresPerMinute=1000000"

# --- the reports --------------------------------------------------------------------------------------
say "issuing $REPORTS keys, then reporting each and waiting for the proxy to refuse it ..."
python3 - "$API_URL" "$PROXY_URL" "$ADMIN_TOKEN" "$LEAK_SECRET" "$MODEL" "$REPORTS" "$TIMEOUT" >"$WORK/samples" <<'PY'
import hashlib, hmac, http.client, json, sys, time, urllib.parse

api_url, proxy_url, admin, secret, model, reports, timeout = sys.argv[1:8]
reports, timeout = int(reports), float(timeout)

def connect(url):
    u = urllib.parse.urlparse(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=30)

api, proxy = connect(api_url), connect(proxy_url)

def call(conn, method, path, body, headers):
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()

def admin_post(path, payload):
    status, body = call(api, "POST", path, json.dumps(payload), {"Authorization": "Bearer " + admin, "Content-Type": "application/json"})
    if status // 100 != 2:
        sys.exit(f"POST {path}: {status} {body[:300]!r}")
    return json.loads(body)

chat = json.dumps({"model": model, "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]})
def through_proxy(key):
    return call(proxy, "POST", "/v1/chat/completions", chat, {"Authorization": "Bearer " + key, "Content-Type": "application/json"})[0]

keys = [admin_post("/api/keys", {"app": "bench-leaks", "name": f"leak-{i}", "models": [model]})["key"] for i in range(reports)]
# Each key works through the proxy before it is reported (the feed has delivered it).
for key in keys:
    deadline = time.monotonic() + timeout
    while (status := through_proxy(key)) != 200:
        if time.monotonic() > deadline:
            sys.exit(f"a fresh key was not accepted by the proxy within {timeout} s (last answer {status})")
        time.sleep(0.01)

failures = 0
for i, key in enumerate(keys):
    body = json.dumps([{"token": key, "type": "governance_virtual_key", "url": f"https://github.com/bench/repo/blob/main/leak-{i}.env", "source": "content"}]).encode()
    t = str(int(time.time()))
    signature = "t=" + t + ",v1=" + hmac.new(secret.encode(), (t + ".").encode() + body, hashlib.sha256).hexdigest()
    started = time.perf_counter_ns()
    status, answer = call(api, "POST", "/api/leaks", body, {"Content-Type": "application/json", "X-Governance-Signature": signature})
    answered = time.perf_counter_ns()
    if status != 200 or json.loads(answer)[0]["label"] != "true_positive":
        sys.exit(f"report {i}: {status} {answer[:300]!r}")
    polls = 0
    while (code := through_proxy(key)) != 401:
        polls += 1
        if code != 200:
            sys.exit(f"report {i}: the proxy answered {code} (expected 200 until the revocation arrives, then 401)")
        if (time.perf_counter_ns() - started) / 1e9 > timeout:
            failures += 1
            break
    else:
        refused = time.perf_counter_ns()
        print(f"{(refused - started) / 1e6:.3f} {(answered - started) / 1e6:.3f} {polls}")
print(f"failures {failures}", file=sys.stderr)
PY
(( $(wc -l <"$WORK/samples") > 0 )) || die "no samples"
SAMPLES="$(wc -l <"$WORK/samples")"
FAILURES=$(( REPORTS - SAMPLES ))

# --- report -------------------------------------------------------------------------------------------
STATS="$(python3 - "$WORK/samples" <<'PY'
import math, sys
rows = [tuple(map(float, line.split())) for line in open(sys.argv[1])]
def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]
total, answer = [r[0] for r in rows], [r[1] for r in rows]
print(" ".join(f"{x:.1f}" for x in (pct(total, 50), pct(total, 90), pct(total, 99), max(total), pct(answer, 50), pct(answer, 99))))
PY
)"
read -r P50 P90 P99 MAX A50 A99 <<<"$STATS"
say "$SAMPLES reports: report → proxy refuses the key p50 $P50 ms, p90 $P90 ms, p99 $P99 ms, max $MAX ms; the report's own answer p50 $A50 ms, p99 $A99 ms; $FAILURES not refused within $TIMEOUT s"
STATUS="$(awk -v v="$P99" -v f="$FAILURES" 'BEGIN {print (v + 0 < 1000 && f == 0) ? "met" : "NOT met"}')"
REVISION="$(bench_revision)"
EVENTS="$(pgq "select type || ': ' || count(*) from $SCHEMA.mt_events where type in ('leak_reported', 'key_revoked') group by type order by 1" | paste -sd ';' | sed 's/;/; /g')"
REPORT="<!-- leak-benchmark:begin (generated by tests/Benchmarks/leaks.sh; edit outside these markers) -->
_Last run: $(date -u '+%Y-%m-%d %H:%M') UTC, revision $REVISION._

- Machine: $(nproc) cores (\`nproc\`), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) memory, CPU: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo); Linux $(uname -r); .NET $(dotnet --list-runtimes | awk '/Microsoft.NETCore.App/ {v = $2} END {print v}'); PostgreSQL on 127.0.0.1:$PG_PORT, durable. The reporter, the mock provider, the proxy, the API and PostgreSQL share the cores (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)).
- $REPORTS keys of one app (leak policy \`revoke\`), each reported once, one report at a time, signed with the shared secret (HMAC-SHA-256); after each report the key is sent through the proxy back to back until it answers 401. Events written: $EVENTS.

| goal | measured | status |
|---|---:|---|
| report → the proxy refuses the key (through the change feed), p99 | **$P99 ms** | $STATUS (goal < 1,000 ms; $FAILURES of $REPORTS not refused within $TIMEOUT s) |

| | p50 | p90 | p99 | max |
|---|---:|---:|---:|---:|
| report sent → the proxy answers 401 | $P50 ms | $P90 ms | $P99 ms | $MAX ms |
| report sent → \`POST /api/leaks\` answered (revocation committed) | $A50 ms | | $A99 ms | |
<!-- leak-benchmark:end -->"

printf '\n%s\n' "$REPORT"

if [[ "$OUT" != - ]]; then
  write_report_section leak "Leak-response benchmark: a report to the proxy refusing the key" "$OUT" "$REPORT"
  say "wrote the results into $OUT"
fi
