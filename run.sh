#!/usr/bin/env bash
# Run Governance locally: a private, durable PostgreSQL cluster ("run", port 5433), the API and
# the proxy adapter. Ctrl-C stops everything this script started.
#
# Environment:
#   GOVERNANCE_API_PORT     API port (default 5080)
#   GOVERNANCE_PROXY_PORT   proxy adapter port (default 4000)
#   GOVERNANCE_PROXY_MANAGEMENT_PORT  the proxy's /metrics port (default 9464)
#   GOVERNANCE_PG_PORT      PostgreSQL port (default 5433)
#   GOVERNANCE_MASTER_KEY   master key (default: read from / generated into .data/master.key)
#   Audit__SigningKeyFile   audit checkpoint signing key, ECDSA P-256 private key in PEM (default: .data/audit-signing.pem,
#                           generated with its public key .data/audit-signing.pub.pem, which is what auditors get)
#   Audit__WitnessDirectory where each checkpoint is also written, outside the database (default: .data/audit-witness)
#   Audit__LegacyHmacKey    the old HMAC checkpoint key (default: read from .data/audit.key when an earlier run left one)
#   GOVERNANCE_ADMIN_TOKEN  admin token, at least 32 random characters (default: read from / generated into .data/admin.token)
#   Proxy__AdapterId        the proxy's adapter id (default local-proxy)
#   Proxy__AdapterToken     the proxy's adapter token (default: issued with the admin token for a year, kept in .data/adapter.token,
#                           issued again once it has expired)
#   Outbound__AllowPrivateNetworks  whether providers and webhooks may be on loopback or private addresses (default true here)
#   GOVERNANCE_DATA_DIR     where the keys, tokens, checkpoint witness and (when set) the PostgreSQL cluster and the proxy's
#                           usage journal live (default .data; tests/Benchmarks/cost.sh runs a private stack this way)
#   GOVERNANCE_SKIP_BUILD   1: start from the existing Release build (default: build first)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
cd "$REPO_ROOT"
DATA_DIR="${GOVERNANCE_DATA_DIR:-$REPO_ROOT/.data}"
[[ "$DATA_DIR" == /* ]] || DATA_DIR="$REPO_ROOT/$DATA_DIR"
if [[ -n "${GOVERNANCE_DATA_DIR:-}" ]]; then
  # A private data directory holds its own cluster too (scripts/pg.sh reads PGDATA_DIR).
  export PGDATA_DIR="${PGDATA_DIR:-$DATA_DIR/pg-run}"
fi
# shellcheck source=scripts/pg.sh
source "$REPO_ROOT/scripts/pg.sh"

die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
say() { printf 'run.sh: %s\n' "$*" >&2; }

API_PORT="${GOVERNANCE_API_PORT:-5080}"
PROXY_PORT="${GOVERNANCE_PROXY_PORT:-4000}"
MANAGEMENT_PORT="${GOVERNANCE_PROXY_MANAGEMENT_PORT:-9464}"
API_DIR="src/Governance.Api/bin/Release/net10.0"
PROXY_DIR="src/ProxyAdapter/bin/Release/net10.0"

command -v dotnet >/dev/null 2>&1 || die "dotnet is not on PATH; install the .NET 10 SDK"
if [[ -f Governance.sln ]]; then
  SOLUTION=Governance.sln
elif [[ -f Governance.slnx ]]; then
  SOLUTION=Governance.slnx
else
  die "Governance.sln not found in $REPO_ROOT"
fi

for p in "$API_PORT" "$PROXY_PORT" "$MANAGEMENT_PORT"; do
  [[ "$p" =~ ^[0-9]+$ ]] && (( p > 0 && p < 65536 )) || die "invalid port '$p'"
done
[[ "$API_PORT" != "$PROXY_PORT" ]] || die "GOVERNANCE_API_PORT and GOVERNANCE_PROXY_PORT must differ (both $API_PORT)"
[[ "$MANAGEMENT_PORT" != "$API_PORT" && "$MANAGEMENT_PORT" != "$PROXY_PORT" ]] ||
  die "GOVERNANCE_PROXY_MANAGEMENT_PORT ($MANAGEMENT_PORT) must differ from the API and proxy ports"
check_port_free() { # port env-var-name
  if _pg_port_in_use "$1"; then
    die "port $1 is already in use by another process; set $2 to a free port"
  fi
}
check_port_free "$API_PORT" GOVERNANCE_API_PORT
check_port_free "$PROXY_PORT" GOVERNANCE_PROXY_PORT
check_port_free "$MANAGEMENT_PORT" GOVERNANCE_PROXY_MANAGEMENT_PORT

# --- cleanup: only what this script started --------------------------------------------------
API_PID=""
PROXY_PID=""
GOVERNANCE_PG_STARTED=0 # set to 1 by ensure_postgres as soon as it has started the cluster
CLEANED_UP=0
cleanup() {
  local code=$?
  (( CLEANED_UP )) && return 0
  CLEANED_UP=1
  trap - INT TERM
  local pids=() pid i
  for pid in "$API_PID" "$PROXY_PID"; do
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && pids+=("$pid")
  done
  if (( ${#pids[@]} )); then
    say "stopping applications (pid ${pids[*]})"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do # up to 10 s for a graceful shutdown
      local alive=0
      for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
      (( alive )) || break
      sleep 0.1
    done
    kill -KILL "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
  if [[ "$GOVERNANCE_PG_STARTED" == 1 ]]; then
    stop_postgres run || true
  fi
  return "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- dev keys ----------------------------------------------------------------------------------
# dev_key VAR FILE WHAT: unless VAR is already set, read it from FILE (32 random bytes, base64), creating FILE once.
dev_key() {
  local var=$1 file=$2 what=$3
  if [[ -z "${!var:-}" ]]; then
    mkdir -p -m 0755 "$DATA_DIR"
    if [[ ! -s "$file" ]]; then
      (umask 077 && head -c32 /dev/urandom | base64 >"$file")
      say "generated a development $what in $file"
    fi
    chmod 600 "$file"
    printf -v "$var" '%s' "$(tr -d '[:space:]' <"$file")"
    [[ -n "${!var}" ]] || die "$file is empty; delete it to generate a new key"
  fi
  export "${var?}"
}
dev_key GOVERNANCE_MASTER_KEY "$DATA_DIR"/master.key "master key"
# Audit checkpoints are signed with an ECDSA P-256 private key that only the API holds; auditors verify with its public key.
if [[ -z "${Audit__SigningKeyFile:-}" && -z "${Audit__SigningKey:-}" ]]; then
  mkdir -p -m 0755 "$DATA_DIR"
  if [[ ! -s "$DATA_DIR"/audit-signing.pem ]]; then
    command -v openssl >/dev/null 2>&1 || die "openssl is needed to generate the audit signing key (apt-get install openssl)"
    (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$DATA_DIR"/audit-signing.pem 2>/dev/null) ||
      die "could not generate $DATA_DIR/audit-signing.pem"
    say "generated a development audit signing key in $DATA_DIR/audit-signing.pem"
  fi
  chmod 600 "$DATA_DIR"/audit-signing.pem
  if [[ ! -s "$DATA_DIR"/audit-signing.pub.pem ]]; then
    openssl pkey -in "$DATA_DIR"/audit-signing.pem -pubout -out "$DATA_DIR"/audit-signing.pub.pem 2>/dev/null ||
      die "could not write the audit public key $DATA_DIR/audit-signing.pub.pem"
  fi
  export Audit__SigningKeyFile="$DATA_DIR/audit-signing.pem"
fi
# Each checkpoint is also written outside PostgreSQL, so a history cut after its last checkpoint shows.
export Audit__WitnessDirectory="${Audit__WitnessDirectory:-$DATA_DIR/audit-witness}"
# Checkpoints signed by earlier runs used an HMAC key: the API checks the newest of them with it once.
if [[ -z "${Audit__LegacyHmacKey:-}" && -s "$DATA_DIR"/audit.key ]]; then
  Audit__LegacyHmacKey=$(tr -d '[:space:]' <"$DATA_DIR"/audit.key)
  export Audit__LegacyHmacKey
fi
# The proxy's adapter token is issued with it at start-up (below).
dev_key GOVERNANCE_ADMIN_TOKEN "$DATA_DIR"/admin.token "admin token"

# Local providers (scripts/fake-openai.py, a local vLLM) and webhook receivers listen on loopback or a private network:
# allowed here, off by default in production (docs/gateway.md, "Provider addresses").
export Outbound__AllowPrivateNetworks="${Outbound__AllowPrivateNetworks:-true}"

# --- build --------------------------------------------------------------------------------------
if [[ "${GOVERNANCE_SKIP_BUILD:-0}" == 1 ]]; then
  say "GOVERNANCE_SKIP_BUILD=1: starting the existing Release build"
else
  say "building $SOLUTION (Release) ..."
  if ! dotnet build "$SOLUTION" -c Release; then
    die "dotnet build $SOLUTION -c Release failed (see the output above)"
  fi
fi
[[ -f "$API_DIR/Governance.Api.dll" ]] || die "$API_DIR/Governance.Api.dll not found after the build"
[[ -f "$PROXY_DIR/ProxyAdapter.dll" ]] || die "$PROXY_DIR/ProxyAdapter.dll not found after the build"

# --- database -----------------------------------------------------------------------------------
ensure_postgres run

# The ports may have been taken while we were building.
check_port_free "$API_PORT" GOVERNANCE_API_PORT
check_port_free "$PROXY_PORT" GOVERNANCE_PROXY_PORT
check_port_free "$MANAGEMENT_PORT" GOVERNANCE_PROXY_MANAGEMENT_PORT

# --- applications -------------------------------------------------------------------------------
# Each app runs from its output directory so that its appsettings*.json (content root) is found.
# The API starts first and applies the database schema; the proxy (which never touches the database) starts once
# the API is healthy, since it loads its copy of the governance state from the API.
command -v curl >/dev/null 2>&1 || die "curl is required to check /health"
healthy() { curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$1/health" 2>/dev/null; }
wait_healthy() { # name pid port
  local i c
  for ((i = 0; i < 120; i++)); do # ~60 s
    kill -0 "$2" 2>/dev/null || { wait "$2" && c=0 || c=$?; say "$1 exited during start-up (code $c)"; exit $(( c ? c : 1 )); }
    healthy "$3" && return 0
    sleep 0.5
  done
  die "$1 did not answer http://127.0.0.1:$3/health within 60 s"
}

(
  cd "$API_DIR"
  export ASPNETCORE_URLS="http://127.0.0.1:$API_PORT"
  export ConnectionStrings__Governance="$GOVERNANCE_DB"
  exec dotnet Governance.Api.dll
) &
API_PID=$!
say "started Governance.Api (pid $API_PID)"
wait_healthy Governance.Api "$API_PID" "$API_PORT"

# --- the proxy's adapter credential ---------------------------------------------------------------
# The proxy decides from the API's change feed and budget leases, as an operator with the adapter role. The token is
# issued once and kept in .data/adapter.token (an adapter id has one live token at a time); it is never printed and
# never put on a command line.
export Proxy__AdapterId="${Proxy__AdapterId:-local-proxy}"
export Proxy__GovernanceUrl="http://127.0.0.1:$API_PORT/"
# (60 s: the first call after start-up compiles its handler, slow on a busy host)
api_call() { # token method path [json-body] — the token reaches curl on stdin, not in its arguments
  local token=$1 method=$2 path=$3 body=${4:-}
  printf 'header = "Authorization: Bearer %s"\n' "$token" |
    curl -fsS --max-time 60 --config - -X "$method" -H 'Content-Type: application/json' ${body:+--data "$body"} \
      "http://127.0.0.1:$API_PORT$path"
}
if [[ -z "${Proxy__AdapterToken:-}" ]]; then
  token_file="$DATA_DIR"/adapter.token
  if ! [[ -s "$token_file" ]] || ! api_call "$(cat "$token_file")" GET "/api/feed?wait=false&limit=1" >/dev/null 2>&1; then
    # Operator tokens expire (at most a year ahead); an expired one is replaced here on the next start.
    expires=$(date -u -d '+365 days' +%Y-%m-%dT%H:%M:%SZ)
    issued=$(api_call "$GOVERNANCE_ADMIN_TOKEN" POST /api/operators \
      "{\"name\":\"$Proxy__AdapterId\",\"roles\":[\"adapter\"],\"adapterId\":\"$Proxy__AdapterId\",\"expiresAt\":\"$expires\"}") ||
      die "could not issue the proxy's adapter token: is GOVERNANCE_ADMIN_TOKEN this database's admin token? If adapter id '$Proxy__AdapterId' still has a live token, revoke it (POST /api/operators/{id}/revoke) or set Proxy__AdapterId"
    token=$(printf '%s' "$issued" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
    [[ -n "$token" ]] || die "the API's answer to issuing the adapter token had no token"
    (umask 077 && printf '%s' "$token" >"$token_file")
    say "issued the proxy's adapter token (adapter id $Proxy__AdapterId) into $token_file"
  fi
  Proxy__AdapterToken=$(cat "$token_file")
  export Proxy__AdapterToken
fi

(
  cd "$PROXY_DIR"
  export ASPNETCORE_URLS="http://127.0.0.1:$PROXY_PORT"
  # /metrics is served on this listener only, never on the public port (docs/observability.md).
  export Proxy__ManagementUrl="http://127.0.0.1:$MANAGEMENT_PORT"
  # A 16 MiB gen0 budget keeps the proxy's memory near what its keys need (docs/gateway.md, "What the proxy runs").
  export DOTNET_GCgen0size="${DOTNET_GCgen0size:-0x1000000}"
  # With a private data directory the usage journal lives there too (by default: .data under the proxy's directory).
  if [[ -n "${GOVERNANCE_DATA_DIR:-}" ]]; then export Proxy__JournalPath="${Proxy__JournalPath:-$DATA_DIR/proxy-journal}"; fi
  # The proxy talks to the API only (no database): its /health answers once its copy of the governance state is loaded.
  exec dotnet ProxyAdapter.dll
) &
PROXY_PID=$!
say "started ProxyAdapter (pid $PROXY_PID)"
wait_healthy ProxyAdapter "$PROXY_PID" "$PROXY_PORT"

cat >&2 <<EOF

Governance is up:
  API:        http://127.0.0.1:$API_PORT
  Proxy:      http://127.0.0.1:$PROXY_PORT (metrics: http://127.0.0.1:$MANAGEMENT_PORT/metrics)
  PostgreSQL: $GOVERNANCE_DB
Press Ctrl-C to stop.

EOF

# --- wait: if either app exits, stop everything and exit with its code -------------------------
set +e
wait -n "$API_PID" "$PROXY_PID"
code=$?
set -e
if ! kill -0 "$API_PID" 2>/dev/null; then
  say "Governance.Api exited (code $code); stopping everything"
else
  say "ProxyAdapter exited (code $code); stopping everything"
fi
exit "$code"
