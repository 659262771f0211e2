using System.Diagnostics;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Governance.Projections.Hosting;

/// <summary>One projection rebuilt: by the single pass that folds every pure-fold projection ("fold"), or by the daemon ("replay").</summary>
public sealed record RebuiltProjection(string Name, string Lifecycle, string Method, double Seconds);

/// <summary>
/// What a rebuild did. <see cref="Events"/> is the number of events in the store when it started. When
/// <see cref="AppendedDuring"/> is not 0, something wrote while projections were being replayed, and the documents of the
/// streams it wrote to may be stale: run the rebuild again while nothing writes.
/// </summary>
public sealed record RebuildReport(long Events, long Streams, double Seconds, IReadOnlyList<RebuiltProjection> Projections, long AppendedDuring)
{
    public double EventsPerSecond => Seconds > 0 ? Events / Seconds : 0;
}

/// <summary>Rebuilds every projection (inline write models and async dashboards) from the events.</summary>
public static class ProjectionRebuild
{
    /// <summary>
    /// Tears each projection down and replays the whole history through it. The projections that are pure folds of their
    /// events (all of ours) are rebuilt together by <see cref="FoldRebuild"/>: one pass over the events, each projection's
    /// own Evolve, COPY. Any other goes through <paramref name="daemon"/> (Marten's replay, page by page), up to
    /// <paramref name="parallelism"/> at once, alongside the pass. The caller keeps the daemon's own agents stopped
    /// meanwhile and restarts them afterwards; async projections resume after the last event the rebuild read.
    /// <paramref name="fold"/> false sends every projection through the daemon (the benchmark's baseline).
    /// </summary>
    public static async Task<RebuildReport> RunAsync(
        IDocumentStore store, IProjectionDaemon daemon, ILogger log, CancellationToken ct, int parallelism = 4, bool fold = true)
    {
        var before = await store.Advanced.FetchEventStoreStatistics(token: ct);
        var schema = store.Options.Events.DatabaseSchemaName;
        var ceiling = await CeilingAsync(store, schema, ct);
        var total = Stopwatch.StartNew();
        var rebuilt = new System.Collections.Concurrent.ConcurrentBag<RebuiltProjection>();
        var projections = ((DocumentStore)store).Options.Projections.All.Where(p => p.Lifecycle != ProjectionLifecycle.Live).ToList();
        var folds = projections.Select(p => (Projection: p, Fold: fold ? Fold.For(p) : null)).ToList();

        async Task FoldAllAsync(CancellationToken token)
        {
            var folded = folds.Where(f => f.Fold is not null).ToList();
            if (folded.Count == 0)
                return;
            var watch = Stopwatch.StartNew();
            await FoldRebuild.RunAsync(store, folded.Select(f => f.Fold!).ToList(), schema, ceiling, token);
            foreach (var (projection, _) in folded.Where(f => f.Projection.Lifecycle == ProjectionLifecycle.Async))
                await MarkProgressAsync(store, schema, projection.Shards().Select(s => s.Name.Identity), ceiling, token);
            foreach (var (projection, _) in folded)
                rebuilt.Add(new RebuiltProjection(projection.Name, projection.Lifecycle.ToString(), "fold", watch.Elapsed.TotalSeconds));
            log.LogInformation("Rebuilt {Count} projections in one pass over the events in {Seconds:0.00} s", folded.Count, watch.Elapsed.TotalSeconds);
        }

        async Task ReplayAsync(IProjectionSource<IDocumentOperations, IQuerySession> projection, CancellationToken token)
        {
            var watch = Stopwatch.StartNew();
            await daemon.RebuildProjectionAsync(projection.Name, TimeSpan.FromMinutes(30), token);
            rebuilt.Add(new RebuiltProjection(projection.Name, projection.Lifecycle.ToString(), "replay", watch.Elapsed.TotalSeconds));
            log.LogInformation("Rebuilt projection {Projection} through the daemon in {Seconds:0.00} s", projection.Name, watch.Elapsed.TotalSeconds);
        }

        var replayed = folds.Where(f => f.Fold is null).Select(f => f.Projection).ToList();
        await Task.WhenAll(
            FoldAllAsync(ct),
            Parallel.ForEachAsync(replayed, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct }, async (p, t) => await ReplayAsync(p, t)));
        var after = await store.Advanced.FetchEventStoreStatistics(token: ct);
        var ordered = projections.Select(p => rebuilt.Single(r => r.Name == p.Name)).ToList();
        return new RebuildReport(before.EventCount, before.StreamCount, total.Elapsed.TotalSeconds, ordered, after.EventCount - before.EventCount);
    }

    /// <summary>The last event the rebuild reads; later ones are left to the live projections (and counted as appended during).</summary>
    private static async Task<long> CeilingAsync(IDocumentStore store, string schema, CancellationToken ct)
    {
        await using var connection = (NpgsqlConnection)store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand($"select coalesce(max(seq_id), 0) from {schema}.mt_events", connection);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>An async projection rebuilt outside the daemon continues from where the rebuild stopped.</summary>
    private static async Task MarkProgressAsync(IDocumentStore store, string schema, IEnumerable<string> shards, long ceiling, CancellationToken ct)
    {
        await using var connection = (NpgsqlConnection)store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        foreach (var shard in shards)
        {
            await using var command = new NpgsqlCommand($"select {schema}.mt_mark_event_progression(@name, @ceiling)", connection);
            command.Parameters.AddWithValue("name", shard);
            command.Parameters.AddWithValue("ceiling", ceiling);
            await command.ExecuteNonQueryAsync(ct);
        }
    }
}
