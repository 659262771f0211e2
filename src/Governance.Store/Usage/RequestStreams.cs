using Governance.Domain.Usage;
using Governance.Hosting.Audit;
using Governance.Projections.Audit;
using Governance.Projections.Usage;
using JasperFx;
using Marten;
using Marten.Events;
using Npgsql;
using NpgsqlTypes;

namespace Governance.Store.Usage;

/// <summary>
/// Writes a usage batch's new request streams the way Marten's quick append would, but set-based: one statement for the
/// streams, one for their events and one for the <see cref="RequestLogProjection"/> rows, however large the batch (Marten
/// runs <c>mt_quick_append_events</c> and the request log's upsert once per request). What lands in the tables is what
/// Marten writes for <c>StartStream&lt;RequestRecord&gt;(id, completed)</c> with the inline request log projection: a
/// stream row at version 1, one event at version 1 numbered from <c>mt_events_sequence</c>, with Marten's type names,
/// serializer, tenant, server timestamp and <see cref="AuditAttribution"/>'s actor, correlation and causation; the audit
/// chain trigger hashes every event as it is inserted, like any other.
/// </summary>
/// <remarks>
/// The streams go first with <c>on conflict do nothing</c>: a request id a concurrent batch wrote meanwhile (committed, or
/// waited for until it commits) comes back missing, and the caller retries before any event — and any event sequence
/// number — is spent. The event sequence therefore only has the gaps Marten's own appends can leave (a transaction that
/// fails after its inserts). The streams are inserted in id order, so two batches sharing request ids wait for each other
/// in one order and cannot deadlock.
/// </remarks>
internal static class RequestStreams
{
    /// <summary>False when a concurrent batch recorded one of these request ids first (then nothing was written).</summary>
    public static async Task<bool> StartAsync(
        IDocumentStore store, NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<RequestCompleted> requests, CancellationToken ct)
    {
        var graph = (EventGraph)store.Options.Events;
        var schema = graph.DatabaseSchemaName;
        var mapping = graph.EventMappingFor(typeof(RequestCompleted));
        var serializer = store.Options.Serializer();
        var ids = requests.Select(r => r.RequestId).ToArray();

        await using (var streams = new NpgsqlCommand(
            $"insert into {schema}.mt_streams (id, type, version, timestamp, created, tenant_id, is_archived) " +
            $"select id, @type, 1, now(), now(), @tenant, false from unnest(@ids) as id order by id on conflict (id) do nothing", connection, transaction))
        {
            streams.Parameters.AddWithValue("type", graph.AggregateAliasFor(typeof(RequestRecord)));
            streams.Parameters.AddWithValue("tenant", StorageConstants.DefaultTenantId);
            streams.Parameters.AddWithValue("ids", NpgsqlDbType.Array | NpgsqlDbType.Varchar, ids);
            if (await streams.ExecuteNonQueryAsync(ct) != ids.Length)
                return false;
        }

        var who = AuditContext.Current;
        await using var batch = new NpgsqlBatch(connection, transaction);
        var events = new NpgsqlBatchCommand(
            $"insert into {schema}.mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived, " +
            "user_name, correlation_id, causation_id) " +
            $"select nextval('{schema}.mt_events_sequence'), e.id, e.stream, 1, e.data, @type, @tenant, @timestamp, @dotnet_type, false, " +
            "@user_name, @correlation_id, @causation_id from unnest(@event_ids, @ids, @bodies) as e(id, stream, data)");
        events.Parameters.AddWithValue("type", mapping.EventTypeName);
        events.Parameters.AddWithValue("tenant", StorageConstants.DefaultTenantId);
        events.Parameters.AddWithValue("timestamp", graph.TimeProvider.GetUtcNow().ToUniversalTime());
        events.Parameters.AddWithValue("dotnet_type", mapping.DotNetTypeName);
        events.Parameters.AddWithValue("user_name", who?.Actor ?? AuditContext.Unattributed);
        events.Parameters.AddWithValue("correlation_id", NpgsqlDbType.Varchar, (object?)who?.CorrelationId ?? DBNull.Value);
        events.Parameters.AddWithValue("causation_id", NpgsqlDbType.Varchar, (object?)who?.CausationId ?? DBNull.Value);
        events.Parameters.AddWithValue("event_ids", requests.Select(_ => Guid.CreateVersion7()).ToArray());
        events.Parameters.AddWithValue("ids", NpgsqlDbType.Array | NpgsqlDbType.Varchar, ids);
        events.Parameters.AddWithValue("bodies", NpgsqlDbType.Array | NpgsqlDbType.Jsonb, requests.Select(r => serializer.ToJson(r)).ToArray());
        batch.BatchCommands.Add(events);

        // The request log projection's rows, as its generated upsert function writes them.
        var log = new NpgsqlBatchCommand(
            $"insert into {schema}.{RequestLogProjection.TableName} (id, key_id, app, team, grant_id, model, status, cost, completed_at, recorded_at, end_user, tags) " +
            "select * from unnest(@ids, @key_ids, @apps, @teams, @grant_ids, @models, @statuses, @costs, @completed_at, @recorded_at, @end_users, @tags) " +
            "on conflict (id) do update set key_id = excluded.key_id, app = excluded.app, team = excluded.team, grant_id = excluded.grant_id, " +
            "model = excluded.model, status = excluded.status, cost = excluded.cost, completed_at = excluded.completed_at, recorded_at = excluded.recorded_at, " +
            "end_user = excluded.end_user, tags = excluded.tags");
        void Strings(string name, Func<RequestCompleted, string?> value) =>
            log.Parameters.AddWithValue(name, NpgsqlDbType.Array | NpgsqlDbType.Varchar, requests.Select(r => (object?)value(r) ?? DBNull.Value).ToArray());
        Strings("ids", r => r.RequestId);
        Strings("key_ids", r => r.KeyId);
        Strings("apps", r => r.App);
        Strings("teams", r => r.Team);
        Strings("grant_ids", r => r.GrantId);
        Strings("models", r => r.Model);
        Strings("end_users", r => r.User);
        Strings("tags", r => r.TagIndex);
        log.Parameters.AddWithValue("statuses", requests.Select(r => r.Status).ToArray());
        log.Parameters.AddWithValue("costs", requests.Select(r => r.Cost).ToArray());
        log.Parameters.AddWithValue("completed_at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, requests.Select(r => r.OccurredAt.ToUniversalTime()).ToArray());
        log.Parameters.AddWithValue("recorded_at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, requests.Select(r => r.RecordedAt.ToUniversalTime()).ToArray());
        batch.BatchCommands.Add(log);

        await batch.ExecuteNonQueryAsync(ct);
        return true;
    }
}
