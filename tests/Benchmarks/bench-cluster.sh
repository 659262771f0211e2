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
