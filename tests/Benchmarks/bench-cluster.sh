# Sourced by the benchmark scripts (ingest.sh, rebuild.sh): scripts/pg.sh plus a third cluster name, "bench".
# pg.sh knows "run" and "test" (only "test" gets fsync off). "bench" gets its own port (5435), database and data
# directory (.data/pg-bench) with durable settings, without touching pg.sh. Expects REPO_ROOT to be set.

# shellcheck source=../../scripts/pg.sh
source "$REPO_ROOT/scripts/pg.sh"

if ! (_pg_defaults_for bench) >/dev/null 2>&1; then
  eval "_pg_defaults_for_base() $(declare -f _pg_defaults_for | tail -n +2)"
  _pg_defaults_for() {
    if [[ "$1" == bench ]]; then
      _PG_DEFPORT=5435 _PG_DEFDB=governance_bench
    else
      _pg_defaults_for_base "$@"
    fi
  }
fi

# Starts (or reuses) the bench cluster on $PG_PORT and defines pgq (one psql query, unaligned). Refuses a cluster that
# is not durable: the benchmarks measure fsync'd commits. Needs say and die.
start_bench_cluster() {
  ensure_postgres bench "$PG_PORT" governance_bench
  pgq() { "$GOVERNANCE_PG_BIN/psql" -X -qtA "host=127.0.0.1 port=$PG_PORT user=governance dbname=$GOVERNANCE_PG_DATABASE" -c "$1"; }
  local fsync sync_commit
  fsync="$(pgq 'show fsync')"
  sync_commit="$(pgq 'show synchronous_commit')"
  [[ "$fsync" == on && "$sync_commit" == on ]] ||
    die "the bench cluster must be durable, but fsync=$fsync synchronous_commit=$sync_commit ($GOVERNANCE_PG_DATA)"
  say "PostgreSQL $(pgq 'show server_version') on 127.0.0.1:$PG_PORT, fsync=$fsync, synchronous_commit=$sync_commit"
}

# Builds the solution in Release unless BENCH_SKIP_BUILD=1.
build_release() {
  if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    say "building Governance.sln (Release) ..."
    dotnet build Governance.sln -c Release -nologo -v quiet || die "dotnet build Governance.sln -c Release failed"
  fi
}

# What to call the measured code in a report: BENCH_REVISION, or git HEAD flagged when src/ has uncommitted changes.
bench_revision() {
  if [[ -n "${BENCH_REVISION:-}" ]]; then
    printf '%s' "$BENCH_REVISION"
  else
    printf '%s' "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    [[ -n "$(git status --porcelain -- src 2>/dev/null)" ]] && printf ' (src/ has uncommitted changes)'
    return 0
  fi
}

# A fresh audit checkpoint signing key for the API (Audit__SigningKey): an ECDSA P-256 private key as one line of base64
# PKCS#8 DER. Converted with `openssl pkcs8`: `genpkey -outform DER` writes SEC1 with OpenSSL 3.0, which the API refuses.
audit_signing_key() {
  command -v openssl >/dev/null 2>&1 || die "openssl is required (the API's audit signing key)"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -outform DER | base64 -w0
}
