#!/usr/bin/env bash
# Private PostgreSQL clusters for local development and tests.
#
# Source it from a script and call `ensure_postgres <name>`, or run it directly:
#
#   scripts/pg.sh start  [run|test]   start (or reuse) the cluster; prints `export GOVERNANCE_DB=...`
#   scripts/pg.sh stop   [run|test]   stop the cluster (pg_ctl stop -m fast)
#   scripts/pg.sh status [run|test]   show whether it is running, where, and the connection string
#   scripts/pg.sh psql   [run|test] [psql args...]   open psql as user governance
#
# The cluster name defaults to "run". Each name is its own cluster:
#   run  -> port 5433, database governance,        durable (fsync/synchronous_commit on)
#   test -> port 5434, database governance_test,   fsync/synchronous_commit/full_page_writes off
#
# Environment:
#   GOVERNANCE_PG_PORT  port to listen on (default 5433 for run, 5434 for test)
#   PGDATA_DIR          data directory (default <repo>/.data/pg-<name>, or
#                       /var/tmp/governance-<hash>-<name> when the postgres user cannot reach
#                       the repository). Applies to whichever cluster name is started.
#
# The server listens on 127.0.0.1 only (trust authentication) plus a private unix-socket
# directory. Role/password governance/governance (superuser; dev only).
#
# After ensure_postgres these variables are exported:
#   GOVERNANCE_DB              Npgsql connection string
#   GOVERNANCE_PG_NAME         cluster name (run|test)
#   GOVERNANCE_PG_DATABASE     database name in GOVERNANCE_DB
#   GOVERNANCE_PG_PORT_ACTIVE  port the cluster listens on
#   GOVERNANCE_PG_DATA         data directory
#   GOVERNANCE_PG_SOCKET_DIR   unix-socket directory
#   GOVERNANCE_PG_LOG          server log file
#   GOVERNANCE_PG_BIN          PostgreSQL bin directory used
#   GOVERNANCE_PG_STARTED      1 if this call started the server, 0 if it was already running

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
fi

GOVERNANCE_REPO_ROOT="${GOVERNANCE_REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)}"

_pg_log() { printf 'pg.sh: %s\n' "$*" >&2; }
_pg_die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

_pg_is_root() { [[ "$(id -u)" -eq 0 ]]; }

# Run a command as the cluster owner: the postgres user when we are root, ourselves otherwise
# (initdb/pg_ctl refuse to run as root). Run from / so that an unreadable cwd (e.g. under
# /root) does not make the postgres tools complain.
_pg_as_owner() {
  if _pg_is_root; then
    (cd / && exec runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Sets _PG_DEFPORT and _PG_DEFDB for cluster name $1 (exits on an unknown name).
_pg_defaults_for() {
  case "$1" in
    run) _PG_DEFPORT=5433 _PG_DEFDB=governance ;;
    test) _PG_DEFPORT=5434 _PG_DEFDB=governance_test ;;
    *) _pg_die "unknown cluster name '$1' (expected: run or test)" ;;
  esac
}

# Newest bin dir under /usr/lib/postgresql that has initdb; empty if none.
_pg_newest_bindir() {
  local d best="" bestver=-1 ver
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] || continue
    ver="$(basename "$(dirname "$d")")"
    [[ "$ver" =~ ^[0-9]+$ ]] || continue
    if (( ver > bestver )); then bestver=$ver; best=$d; fi
  done
  printf '%s' "$best"
}

_pg_install() {
  if ! _pg_is_root; then
    _pg_die "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin.
  Install them first, e.g.:  sudo apt-get install -y --no-install-recommends postgresql
  (optionally with 'create_main_cluster = false' in /etc/postgresql-common/createcluster.d/)"
  fi
  command -v apt-get >/dev/null 2>&1 ||
    _pg_die "PostgreSQL is not installed and apt-get is not available; install PostgreSQL (initdb, pg_ctl) under /usr/lib/postgresql/<version>/bin"

  _pg_log "PostgreSQL not found; installing it with apt-get (no default cluster) ..."
  local confdir="${_PG_CREATECLUSTER_DIR:-/etc/postgresql-common/createcluster.d}"
  local conf="$confdir/50-governance.conf"
  mkdir -p "$confdir"
  if ! grep -qsx 'create_main_cluster = false' "$conf"; then
    printf '%s\n' '# Written by governance scripts/pg.sh: do not create the default "main" cluster;' \
      '# the project runs its own private clusters with initdb/pg_ctl.' \
      'create_main_cluster = false' >"$conf"
  fi

  local aptlog
  aptlog="$(mktemp /tmp/governance-apt.XXXXXX.log)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$aptlog" 2>&1 ||
     ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >>"$aptlog" 2>&1; then
    tail -n 30 "$aptlog" >&2 || true
    _pg_die "could not install PostgreSQL (apt-get failed); full output in $aptlog.
  Install it manually: apt-get install -y --no-install-recommends postgresql"
  fi
  rm -f "$aptlog"
  [[ -n "$(_pg_newest_bindir)" ]] ||
    _pg_die "apt-get installed postgresql but no initdb was found under /usr/lib/postgresql/*/bin"
  _pg_log "PostgreSQL installed."
}

# Can the cluster owner reach (traverse) directory $1?
_pg_traversable() {
  if _pg_is_root; then
    (cd / && exec runuser -u postgres -- test -x "$1") 2>/dev/null
  else
    test -x "$1"
  fi
}

# Sets _PG_DATA, _PG_SOCK, _PG_LOG for cluster name $1 (deterministic: start and stop agree).
_pg_resolve_paths() {
  local name="$1" parent hash
  if [[ -n "${PGDATA_DIR:-}" ]]; then
    _PG_DATA="$PGDATA_DIR"
    [[ "$_PG_DATA" == /* ]] || _PG_DATA="$PWD/$_PG_DATA"
    parent="$(dirname "$_PG_DATA")"
    mkdir -p "$parent"
    _pg_traversable "$parent" ||
      _pg_die "PGDATA_DIR=$PGDATA_DIR: the postgres user cannot traverse $parent (every parent directory needs o+x); choose another directory or unset PGDATA_DIR"
  else
    mkdir -p -m 0755 "$GOVERNANCE_REPO_ROOT/.data"
    if _pg_traversable "$GOVERNANCE_REPO_ROOT/.data"; then
      _PG_DATA="$GOVERNANCE_REPO_ROOT/.data/pg-$name"
    else
      hash="$(printf '%s' "$GOVERNANCE_REPO_ROOT" | sha256sum | cut -c1-12)"
      _PG_DATA="/var/tmp/governance-$hash-$name"
      _pg_log "the postgres user cannot traverse $GOVERNANCE_REPO_ROOT/.data; the '$name' cluster's data lives in $_PG_DATA"
    fi
  fi
  _PG_SOCK="$_PG_DATA-sock"
  # Unix socket paths are limited to ~107 bytes ("<dir>/.s.PGSQL.NNNNN"); spaces are trouble too.
  if (( ${#_PG_SOCK} > 80 )) || [[ "$_PG_SOCK" =~ [[:space:]\'\",] ]]; then
    hash="$(printf '%s' "$_PG_DATA" | sha256sum | cut -c1-12)"
    _PG_SOCK="/tmp/governance-$hash-sock"
  fi
  _PG_LOG="$_PG_DATA/server.log"
}

# Exit 0 if something listens on TCP port $1 (any address).
_pg_port_in_use() {
  local port="$1"
  if command -v ss >/dev/null 2>&1; then
    [[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

_pg_running() { # data dir
  [[ -f "$1/PG_VERSION" ]] || return 1
  _pg_as_owner "$GOVERNANCE_PG_BIN/pg_ctl" status -D "$1" >/dev/null 2>&1
}

_pg_running_port() { # data dir -> port from postmaster.pid (line 4)
  sed -n 4p "$1/postmaster.pid" 2>/dev/null | tr -d '[:space:]'
}

_pg_psql_admin() { # sql... (as bootstrap superuser "postgres" over the private socket)
  "$GOVERNANCE_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$_PG_SOCK" -p "$_PG_PORT" -U postgres -d postgres -tA "$@"
}

_pg_ensure_role_and_dbs() {
  local db
  if [[ "$(_pg_psql_admin -c "select 1 from pg_roles where rolname = 'governance'")" != 1 ]]; then
    _pg_psql_admin -c "create role governance with login superuser password 'governance'" >/dev/null ||
      _pg_die "could not create role governance (log: $_PG_LOG)"
    _pg_log "created role governance"
  fi
  for db in "$@"; do
    if [[ "$(_pg_psql_admin -c "select 1 from pg_database where datname = '$db'")" != 1 ]]; then
      _pg_psql_admin -c "create database \"$db\" owner governance" >/dev/null ||
        _pg_die "could not create database $db (log: $_PG_LOG)"
      _pg_log "created database $db"
    fi
  done
}

# ensure_postgres [name] [port] [database]
ensure_postgres() {
  local name="${1:-run}"
  _pg_defaults_for "$name"
  local port="${2:-${GOVERNANCE_PG_PORT:-$_PG_DEFPORT}}"
  local db="${3:-$_PG_DEFDB}"
  [[ "$port" =~ ^[0-9]+$ ]] && (( port > 0 && port < 65536 )) ||
    _pg_die "invalid port '$port' (GOVERNANCE_PG_PORT)"

  if [[ -z "$(_pg_newest_bindir)" ]]; then
    _pg_install
  fi
  if _pg_is_root; then
    id -u postgres >/dev/null 2>&1 || _pg_die "running as root but there is no 'postgres' user to own the cluster"
    command -v runuser >/dev/null 2>&1 || _pg_die "runuser (util-linux) is required when running as root"
  fi

  _pg_resolve_paths "$name"

  # Use the newest installed version, but an existing data dir must be served by its own version.
  GOVERNANCE_PG_BIN="$(_pg_newest_bindir)"
  if [[ -f "$_PG_DATA/PG_VERSION" ]]; then
    local datver
    datver="$(tr -d '[:space:]' <"$_PG_DATA/PG_VERSION")"
    if [[ -x "/usr/lib/postgresql/$datver/bin/pg_ctl" ]]; then
      GOVERNANCE_PG_BIN="/usr/lib/postgresql/$datver/bin"
    else
      _pg_die "$_PG_DATA was created by PostgreSQL $datver, which is not installed (newest: $GOVERNANCE_PG_BIN).
  Delete that directory to start from an empty database, or install postgresql-$datver."
    fi
  fi

  _PG_PORT="$port"
  GOVERNANCE_PG_STARTED=0
  if _pg_running "$_PG_DATA"; then
    local runport
    runport="$(_pg_running_port "$_PG_DATA")"
    if [[ -n "$runport" && "$runport" != "$port" ]]; then
      _pg_die "the '$name' cluster ($_PG_DATA) is already running on port $runport, but port $port was requested.
  Stop it first (scripts/pg.sh stop $name) or set GOVERNANCE_PG_PORT=$runport."
    fi
    _pg_log "reusing running '$name' cluster on 127.0.0.1:$port (data: $_PG_DATA)"
  else
    if _pg_port_in_use "$port"; then
      _pg_die "port $port is already in use by another process; set GOVERNANCE_PG_PORT to a free port"
    fi

    if [[ ! -f "$_PG_DATA/PG_VERSION" ]]; then
      if [[ -d "$_PG_DATA" && -n "$(ls -A "$_PG_DATA" 2>/dev/null)" ]]; then
        _pg_die "$_PG_DATA exists and is not empty but is not a PostgreSQL data directory; move it away or set PGDATA_DIR"
      fi
      mkdir -p "$_PG_DATA"
      chmod 0700 "$_PG_DATA"
      _pg_is_root && chown postgres:postgres "$_PG_DATA"
      _pg_log "initializing '$name' cluster in $_PG_DATA ($(basename "$(dirname "$GOVERNANCE_PG_BIN")"))"
      local initlog
      initlog="$(mktemp /tmp/governance-initdb.XXXXXX.log)"
      chmod 0644 "$initlog"
      if ! _pg_as_owner "$GOVERNANCE_PG_BIN/initdb" -D "$_PG_DATA" -U postgres --no-locale -E UTF8 \
          --auth=trust >"$initlog" 2>&1; then
        cat "$initlog" >&2
        _pg_die "initdb failed for $_PG_DATA"
      fi
      rm -f "$initlog"
    fi

    mkdir -p "$_PG_SOCK"
    chmod 0755 "$_PG_SOCK"
    _pg_is_root && chown postgres:postgres "$_PG_SOCK"

    local opts="-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$_PG_SOCK -c max_connections=200"
    if [[ "$name" == test ]]; then
      # Test data only: trade durability for speed. The "run" cluster keeps the durable defaults.
      opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi

    _pg_log "starting '$name' cluster on 127.0.0.1:$port (log: $_PG_LOG)"
    if ! _pg_as_owner "$GOVERNANCE_PG_BIN/pg_ctl" start -w -t 60 -D "$_PG_DATA" -l "$_PG_LOG" -o "$opts" >/dev/null; then
      _pg_log "last lines of $_PG_LOG:"
      tail -n 30 "$_PG_LOG" >&2 2>/dev/null || true
      _pg_die "PostgreSQL ('$name' cluster) failed to start on port $port"
    fi
    GOVERNANCE_PG_STARTED=1 # set at once: a caller's cleanup trap may rely on it
  fi

  local i ready=0
  for ((i = 0; i < 60; i++)); do
    if "$GOVERNANCE_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres; then
      ready=1
      break
    fi
    sleep 0.5
  done
  if (( ! ready )); then
    _pg_log "last lines of $_PG_LOG:"
    tail -n 30 "$_PG_LOG" >&2 2>/dev/null || true
    _pg_die "PostgreSQL ('$name' cluster) is not accepting connections on 127.0.0.1:$port.
  If it crashed, run 'scripts/pg.sh stop $name' and try again."
  fi

  local dbs=(governance)
  [[ "$db" != governance ]] && dbs+=("$db")
  _pg_ensure_role_and_dbs "${dbs[@]}"

  export GOVERNANCE_DB="Host=127.0.0.1;Port=$port;Database=$db;Username=governance;Password=governance"
  export GOVERNANCE_PG_NAME="$name"
  export GOVERNANCE_PG_DATABASE="$db"
  export GOVERNANCE_PG_PORT_ACTIVE="$port"
  export GOVERNANCE_PG_DATA="$_PG_DATA"
  export GOVERNANCE_PG_SOCKET_DIR="$_PG_SOCK"
  export GOVERNANCE_PG_LOG="$_PG_LOG"
  export GOVERNANCE_PG_BIN
  export GOVERNANCE_PG_STARTED
}

# stop_postgres [name]   (fast shutdown; no-op if not running)
stop_postgres() {
  local name="${1:-${GOVERNANCE_PG_NAME:-run}}"
  _pg_defaults_for "$name"
  GOVERNANCE_PG_BIN="$(_pg_newest_bindir)"
  [[ -n "$GOVERNANCE_PG_BIN" ]] || { _pg_log "PostgreSQL is not installed; nothing to stop"; return 0; }
  _pg_resolve_paths "$name"
  if [[ -f "$_PG_DATA/PG_VERSION" ]]; then
    local datver
    datver="$(tr -d '[:space:]' <"$_PG_DATA/PG_VERSION")"
    [[ -x "/usr/lib/postgresql/$datver/bin/pg_ctl" ]] && GOVERNANCE_PG_BIN="/usr/lib/postgresql/$datver/bin"
  fi
  if _pg_running "$_PG_DATA"; then
    _pg_log "stopping '$name' cluster ($_PG_DATA)"
    _pg_as_owner "$GOVERNANCE_PG_BIN/pg_ctl" stop -D "$_PG_DATA" -m fast -w >/dev/null ||
      _pg_die "pg_ctl stop failed for $_PG_DATA (log: $_PG_LOG)"
  else
    _pg_log "'$name' cluster is not running ($_PG_DATA)"
  fi
}

_pg_status() {
  local name="${1:-run}" port
  _pg_defaults_for "$name"
  GOVERNANCE_PG_BIN="$(_pg_newest_bindir)"
  [[ -n "$GOVERNANCE_PG_BIN" ]] || { echo "PostgreSQL is not installed"; return 3; }
  _pg_resolve_paths "$name"
  if _pg_running "$_PG_DATA"; then
    port="$(_pg_running_port "$_PG_DATA")"
    echo "'$name' cluster: running on 127.0.0.1:$port"
    echo "  data:   $_PG_DATA"
    echo "  socket: $_PG_SOCK"
    echo "  log:    $_PG_LOG"
    echo "  GOVERNANCE_DB=Host=127.0.0.1;Port=$port;Database=$_PG_DEFDB;Username=governance;Password=governance"
  else
    echo "'$name' cluster: not running (data: $_PG_DATA)"
    return 3
  fi
}

_pg_main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    start)
      ensure_postgres "${1:-run}"
      printf "export GOVERNANCE_DB='%s'\n" "$GOVERNANCE_DB"
      ;;
    stop) stop_postgres "${1:-run}" ;;
    status) _pg_status "${1:-run}" ;;
    psql)
      local name="${1:-run}"
      [[ $# -gt 0 ]] && shift
      ensure_postgres "$name" >/dev/null
      exec "$GOVERNANCE_PG_BIN/psql" "host=127.0.0.1 port=$GOVERNANCE_PG_PORT_ACTIVE user=governance dbname=$GOVERNANCE_PG_DATABASE" "$@"
      ;;
    *)
      echo "usage: $0 start|stop|status|psql [run|test]" >&2
      exit 2
      ;;
  esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  _pg_main "$@"
fi
