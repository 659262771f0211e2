using Governance.Domain.Budgets;
using Governance.Domain.Usage;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections.Flattened;
using Marten.Services.BatchQuerying;
using Weasel.Postgresql.Tables;

namespace Governance.Projections.Usage;

/// <summary>
/// The ledger's index: one narrow row per recorded request (who, what, when, how much), written inline in the same
/// transaction as its <see cref="RequestCompleted"/> event. Sums for budgets and anomalies and the request log's
/// filters run on its typed columns; the full entry is the event itself, so nothing is stored twice.
/// </summary>
public sealed class RequestLogProjection : FlatTableProjection
{
    public const string TableName = "request_log";

    public RequestLogProjection() : base(TableName, SchemaNameSource.EventSchema)
    {
        Table.AddColumn<string>("id").AsPrimaryKey();
        Options.TeardownDataOnRebuild = true;
        Project<RequestCompleted>(map =>
        {
            map.Map(x => x.KeyId, "key_id");
            map.Map(x => x.App, "app");
            map.Map(x => x.Team, "team").AllowNulls();
            map.Map(x => x.GrantId, "grant_id").AllowNulls();
            map.Map(x => x.Model, "model");
            map.Map(x => x.Status, "status");
            map.Map(x => x.Cost, "cost");
            map.Map(x => x.OccurredAt, "completed_at");
            map.Map(x => x.RecordedAt, "recorded_at");
            map.Map(x => x.User, "end_user").AllowNulls();
            map.Map(x => x.TagIndex, "tags").AllowNulls();
        });
        Table.Indexes.Add(new IndexDefinition("ix_request_log_key") { Columns = ["key_id", "completed_at"] });
        Table.Indexes.Add(new IndexDefinition("ix_request_log_app") { Columns = ["app", "completed_at"] });
        Table.Indexes.Add(new IndexDefinition("ix_request_log_completed") { Columns = ["completed_at"] });
        // A user budget's window opens with the user's spend so far: one index lookup, however many users an app has.
        Table.Indexes.Add(new IndexDefinition("ix_request_log_end_user") { Columns = ["end_user", "completed_at"] });
    }
}

/// <summary>
/// A request log filter: every set field must match; completion time in [From, To) and in (After, Until]; request ids
/// in <see cref="Except"/> are left out; with <see cref="RecordedUntil"/>, only what the ledger had learnt by then.
/// </summary>
public sealed record RequestFilter(
    string? KeyId = null, string? App = null, string? Team = null, string? GrantId = null, string? Model = null, int? Status = null,
    DateTimeOffset? From = null, DateTimeOffset? To = null, DateTimeOffset? After = null, DateTimeOffset? Until = null,
    IReadOnlyCollection<string>? Except = null, DateTimeOffset? RecordedUntil = null, string? User = null, string? Tag = null);

public static class RequestLog
{
    /// <summary>The ledger entries already recorded under these request ids.</summary>
    public static async Task<IReadOnlyList<RequestCompleted>> RecordedAsync(IQuerySession session, IReadOnlyCollection<string> requestIds, CancellationToken ct) =>
        requestIds.Count == 0
            ? []
            : await session.AdvancedSql.QueryAsync<RequestCompleted>(
                $"select data from {Events(session)} where stream_id = any(?) and type = 'request_completed'", ct, [requestIds.ToArray()]);

    /// <summary>The same, as one query of a batch.</summary>
    public static Task<IReadOnlyList<RequestCompleted>> Recorded(IBatchedQuery batch, IQuerySession session, string[] requestIds) =>
        batch.Query<RequestCompleted>(
            $"select data from {Events(session)} where stream_id = any(?) and type = 'request_completed'", new object[] { requestIds });

    /// <summary>The total cost of the matching entries (0 when none match).</summary>
    public static async Task<decimal> TotalCostAsync(IQuerySession session, RequestFilter filter, CancellationToken ct)
    {
        var (where, args) = Where(filter);
        var sums = await session.AdvancedSql.QueryAsync<decimal>($"select coalesce(sum(cost), 0) from {Table(session)} r{where}", ct, args);
        return sums.Single();
    }

    /// <summary>Spend of a budget's owner within a window.</summary>
    public static Task<decimal> SpentAsync(
        IQuerySession session, BudgetLevel level, string owner, Window window, CancellationToken ct, IReadOnlyCollection<string>? except = null,
        DateTimeOffset? recordedUntil = null)
    {
        var within = new RequestFilter(From: window.Start, To: window.End, Except: except, RecordedUntil: recordedUntil);
        return TotalCostAsync(session, level switch
        {
            BudgetLevel.Key => within with { KeyId = owner },
            BudgetLevel.App => within with { App = owner },
            BudgetLevel.Team => within with { Team = owner },
            BudgetLevel.User => within with { User = owner },
            BudgetLevel.Tag => within with { Tag = owner },
            _ => within with { GrantId = owner },
        }, ct);
    }

    /// <summary>
    /// Newest first (completion time, then request id). <paramref name="after"/> continues after that request
    /// (keyset paging); null when that request is not in the log.
    /// </summary>
    public static async Task<IReadOnlyList<RequestRecord>?> PageAsync(
        IQuerySession session, RequestFilter filter, string? after, int take, CancellationToken ct)
    {
        var (where, args) = Where(filter);
        if (after is not null)
        {
            // Seek from PostgreSQL's own (microsecond) reading of the cursor's time, so rows in the same microsecond are
            // neither skipped nor repeated.
            var found = await session.AdvancedSql.QueryAsync<int>($"select count(*)::int from {Table(session)} where id = ?", ct, after);
            if (found.Single() == 0)
                return null;
            where += (where.Length == 0 ? " where " : " and ")
                + $"(r.completed_at, r.id) < (select c.completed_at, c.id from {Table(session)} c where c.id = ?)";
            args = [.. args, after];
        }
        var rows = await session.AdvancedSql.QueryAsync<RequestCompleted>(
            $"select e.data from {Table(session)} r join {Events(session)} e on e.stream_id = r.id and e.type = 'request_completed'{where} "
            + $"order by r.completed_at desc, r.id desc limit {take}", ct, args);
        return rows.Select(RequestRecord.From).ToList();
    }

    private static (string Sql, object[] Args) Where(RequestFilter filter)
    {
        var clauses = new List<string>();
        var args = new List<object>();
        void Add(string clause, object? value)
        {
            if (value is null)
                return;
            clauses.Add(clause);
            args.Add(value);
        }
        Add("r.key_id = ?", filter.KeyId);
        Add("r.app = ?", filter.App);
        Add("r.team = ?", filter.Team);
        Add("r.grant_id = ?", filter.GrantId);
        Add("r.model = ?", filter.Model);
        Add("r.status = ?", filter.Status);
        Add("r.end_user = ?", filter.User);
        Add("position(? in r.tags) > 0", filter.Tag is null ? null : "," + filter.Tag + ",");
        // Npgsql writes timestamptz only from UTC values.
        Add("r.completed_at >= ?", filter.From?.ToUniversalTime());
        Add("r.completed_at < ?", filter.To?.ToUniversalTime());
        Add("r.completed_at > ?", filter.After?.ToUniversalTime());
        Add("r.completed_at <= ?", filter.Until?.ToUniversalTime());
        Add("r.recorded_at <= ?", filter.RecordedUntil?.ToUniversalTime());
        if (filter.Except is { Count: > 0 } except)
            Add("not (r.id = any(?))", except.ToArray());
        return (clauses.Count == 0 ? "" : " where " + string.Join(" and ", clauses), args.ToArray());
    }

    private static string Table(IQuerySession session) => $"{session.DocumentStore.Options.Events.DatabaseSchemaName}.{RequestLogProjection.TableName}";

    private static string Events(IQuerySession session) => $"{session.DocumentStore.Options.Events.DatabaseSchemaName}.mt_events";
}
