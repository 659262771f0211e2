#!/usr/bin/env bash
# Archive benchmark (not part of ./test.sh): a long history of request events, archived, then what stays hot.
#
#   BENCH_PG_PORT=6810 BENCH_EVENTS=1000000 tests/Benchmarks/archive.sh
#
# 1. ensures the private, DURABLE PostgreSQL cluster "bench" (bench-cluster.sh) on BENCH_PG_PORT,
# 2. builds the solution in Release (BENCH_SKIP_BUILD=1 skips it) and starts the API on a fresh schema with an archive
#    directory, the 90-day horizon and no periodic work,
# 3. appends BENCH_EVENTS request_completed events (one-event request streams, as the usage ingest writes them) straight
#    into mt_streams, mt_events and request_log with INSERT … SELECT, in chunks of 100,000: the audit chain trigger hashes
#    every row as it would on ingest, so the chain is the real one. Their timestamps spread evenly over the past
#    BENCH_DAYS days (default 365): with the 90-day horizon about three quarters are archivable,
# 4. signs two checkpoints (the archiver takes only what checkpoints cover), rebuilds the projections (the dashboards'
#    hourly buckets; faster than waiting for the daemon) and measures the hot size and query latencies,
# 5. archives (POST /api/archive/runs), measures again (after VACUUM, and after VACUUM FULL: the space autovacuum reuses
#    vs the space given back), exports and runs the verifier with --archive, and prints one table.
# The schema, the archive directory and the processes it started are removed at the end (also on failure or Ctrl-C).
#
# Environment: BENCH_PG_PORT (5435), BENCH_API_PORT (a free one), BENCH_EVENTS (1000000), BENCH_DAYS (365), BENCH_QUERIES (20 per latency figure),
#              BENCH_SKIP_BUILD, BENCH_KEEP_PG.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$REPO_ROOT"
# shellcheck source=bench-cluster.sh
source "$REPO_ROOT/tests/Benchmarks/bench-cluster.sh"
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
say() { printf 'archive.sh: %s\n' "$*" >&2; }
# shellcheck source=bench-apps.sh
source "$REPO_ROOT/tests/Benchmarks/bench-apps.sh"

PG_PORT="${BENCH_PG_PORT:-5435}"
EVENTS="${BENCH_EVENTS:-1000000}"
DAYS="${BENCH_DAYS:-365}"
QUERIES="${BENCH_QUERIES:-20}"
for n in "$EVENTS" "$DAYS" "$QUERIES"; do [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "not a positive number: '$n'"; done
rand_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
SCHEMA="bench_archive_$(rand_hex 4)"
MASTER_KEY="$(head -c32 /dev/urandom | base64 | tr -d '\n')"
AUDIT_KEY="$(audit_signing_key)"
ADMIN_TOKEN="bench-$(rand_hex 24)"
WORK="$(mktemp -d /tmp/archive-bench.XXXXXX)"
ARCHIVE_DIR="$WORK/archive"
stop_services_on_exit

start_bench_cluster
build_release
SCHEMA_CREATED=1
API_URL="http://127.0.0.1:${BENCH_API_PORT:-$(free_port)}"
GOVERNANCE_DB="Host=127.0.0.1;Port=$PG_PORT;Database=$GOVERNANCE_PG_DATABASE;Username=governance;Password=governance"
start_app api "$API_DIR" Governance.Api.dll "$API_URL" \
  "ConnectionStrings__Governance=$GOVERNANCE_DB" "GOVERNANCE_MASTER_KEY=$MASTER_KEY" "Audit__SigningKey=$AUDIT_KEY" \
  "GOVERNANCE_ADMIN_TOKEN=$ADMIN_TOKEN" "Governance__Schema=$SCHEMA" "Audit__CheckpointIntervalSeconds=0" \
  "Archive__Directory=$ARCHIVE_DIR" "Archive__Horizon=90.00:00:00" "Archive__IntervalSeconds=0"

now_ms() { date +%s%3N; }
seconds_since() { python3 -c "import sys; print(f'{(int(sys.argv[2]) - int(sys.argv[1])) / 1000:.1f}')" "$1" "$(now_ms)"; }

# --- 3. the history ---------------------------------------------------------------------------------------------
say "appending $EVENTS request events over $DAYS days ..."
started=$(now_ms)
for ((from = 0; from < EVENTS; from += 100000)); do
  to=$(( from + 100000 < EVENTS ? from + 100000 : EVENTS ))
  pgq "
    begin;
    create temp table batch on commit drop as
      select 'req_bench_' || i as id, 'key_' || (i % 500) as key_id, 'app-' || (i % 40) as app, 'team-' || (i % 8) as team,
             (array['gpt-4o-mini','gpt-4o','claude-sonnet-4'])[1 + i % 3] as model, (100 + i % 900) as input, (20 + i % 400) as output,
             round((100 + i % 900) * 0.00000015 + (20 + i % 400) * 0.0000006, 10) as cost,
             now() - make_interval(secs => ($DAYS * 86400.0) * (1 - i::float8 / $EVENTS)) as at
        from generate_series($from, $to - 1) as i;
    insert into $SCHEMA.mt_streams (id, type, version, timestamp, created, tenant_id, is_archived)
      select id, 'request_record', 1, at, at, '*DEFAULT*', false from batch;
    insert into $SCHEMA.mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived, user_name, correlation_id)
      select nextval('$SCHEMA.mt_events_sequence'), gen_random_uuid(), id, 1,
             jsonb_build_object('RequestId', id, 'KeyId', key_id, 'App', app, 'Team', team, 'Model', model, 'Provider', 'openai',
               'InputTokens', input, 'CachedTokens', 0, 'OutputTokens', output, 'ReasoningTokens', 0, 'Cost', cost, 'PriceVersion', 1,
               'LatencyMs', 120, 'Status', 200, 'ReservationId', null, 'ReportedBy', 'adapter:bench', 'OccurredAt', at, 'RecordedAt', at),
             'request_completed', '*DEFAULT*', at, 'Governance.Domain.Usage.RequestCompleted, Governance.Domain', false, 'adapter:bench', 'bench'
        from batch order by at;
    insert into $SCHEMA.request_log (id, key_id, app, team, grant_id, model, status, cost, completed_at, recorded_at)
      select id, key_id, app, team, null, model, 200, cost, at, at from batch;
    commit;" >/dev/null
done
generate_s=$(seconds_since "$started")
say "appended in ${generate_s} s"

# --- 4. checkpoints, projections, the hot figures before ---------------------------------------------------------
api POST /api/audit/checkpoints >/dev/null
api POST /api/keys '{"app":"bench","name":"after-the-history","models":["*"]}' >/dev/null
api POST /api/audit/checkpoints >/dev/null
say "rebuilding the projections (dashboard buckets) ..."
api POST /api/admin/projections/rebuild >/dev/null

hot_size() { pgq "select sum(pg_total_relation_size(c.oid)) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = '$SCHEMA' and c.relkind in ('r','p','m')"; }
table_size() { pgq "select pg_total_relation_size('$SCHEMA.$1')"; }
median_ms() { # path: median of QUERIES calls, in ms
  local i times=()
  for ((i = 0; i < QUERIES; i++)); do
    times+=("$(curl -sS -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $ADMIN_TOKEN" "$API_URL$1")")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)] * 1000}'
}
DASHBOARD="/api/spend?by=app&granularity=day"
REQUEST_LOG="/api/requests?app=app-7&limit=100"
measure() { # label
  eval "size_$1=$(hot_size) events_$1=$(table_size mt_events) streams_$1=$(table_size mt_streams) log_$1=$(table_size request_log)"
  eval "dash_$1=$(median_ms "$DASHBOARD") reqlog_$1=$(median_ms "$REQUEST_LOG")"
}
measure before

# --- 5. archive, the figures after, export and verify -------------------------------------------------------------
say "archiving ..."
started=$(now_ms)
run="$(api POST /api/archive/runs)"
archive_s=$(seconds_since "$started")
archived=$(printf '%s' "$run" | python3 -c 'import json,sys; print(sum(s["events"] for s in json.load(sys.stdin)["segments"]))')
segments=$(printf '%s' "$run" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["segments"]))')
archive_bytes=$(du -sb "$ARCHIVE_DIR" | cut -f1)
pgq "vacuum (analyze) $SCHEMA.mt_events; vacuum (analyze) $SCHEMA.mt_streams;" >/dev/null
measure vacuum
pgq "vacuum full $SCHEMA.mt_events; vacuum full $SCHEMA.mt_streams;" >/dev/null
measure full

api POST /api/audit/checkpoints >/dev/null
started=$(now_ms)
curl -sS -H "Authorization: Bearer $ADMIN_TOKEN" "$API_URL/api/audit/events" -o "$WORK/export.ndjson"
export_s=$(seconds_since "$started")
exported=$(wc -l < "$WORK/export.ndjson")
printf '%s' "$AUDIT_KEY" | base64 -d | openssl pkey -inform DER -pubout -out "$WORK/audit.pub.pem" 2>/dev/null
started=$(now_ms)
verdict="$(dotnet src/Governance.AuditVerifier/bin/Release/net10.0/Governance.AuditVerifier.dll "$WORK/export.ndjson" \
  --key-file "$WORK/audit.pub.pem" --archive "$ARCHIVE_DIR")" || die "the verifier failed: $verdict"
verify_s=$(seconds_since "$started")
say "$verdict"

rate() { python3 -c "import sys; print(f'{int(sys.argv[1]) / max(float(sys.argv[2]), 0.001):,.0f}')" "$1" "$2"; }
mb() { python3 -c "import sys; print(f'{int(sys.argv[1]) / 1048576:,.1f}')" "$1"; }
cat <<REPORT

Archive benchmark: $(printf "%'d" "$EVENTS") request events over $DAYS days, horizon 90 days ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))
| | before archiving | after (VACUUM) | after (VACUUM FULL) |
|---|---:|---:|---:|
| schema size, MB (tables + indexes + TOAST) | $(mb "$size_before") | $(mb "$size_vacuum") | $(mb "$size_full") |
| mt_events, MB | $(mb "$events_before") | $(mb "$events_vacuum") | $(mb "$events_full") |
| mt_streams, MB | $(mb "$streams_before") | $(mb "$streams_vacuum") | $(mb "$streams_full") |
| request_log, MB (kept hot) | $(mb "$log_before") | $(mb "$log_vacuum") | $(mb "$log_full") |
| dashboard \`GET $DASHBOARD\`, median ms of $QUERIES | $dash_before | $dash_vacuum | $dash_full |
| request log \`GET $REQUEST_LOG\`, median ms of $QUERIES | $reqlog_before | $reqlog_vacuum | $reqlog_full |

| step | events | seconds | events/s |
|---|---:|---:|---:|
| append (INSERT … SELECT, chain trigger) | $(printf "%'d" "$EVENTS") | $generate_s | $(rate "$EVENTS" "$generate_s") |
| archive ($segments segments, $(mb "$archive_bytes") MB of Parquet, $(python3 -c "print(f'{$archive_bytes / max($archived, 1):.0f}')") bytes/event) | $(printf "%'d" "$archived") | $archive_s | $(rate "$archived" "$archive_s") |
| export (GET /api/audit/events) | $(printf "%'d" "$exported") | $export_s | $(rate "$exported" "$export_s") |
| verify (export + segments, one history) | $(printf "%'d" $(( exported + archived ))) | $verify_s | $(rate $(( exported + archived )) "$verify_s") |
REPORT
