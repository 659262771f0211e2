using System.Diagnostics;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.Logging;

namespace Governance.Projections.Hosting;

public sealed record RebuiltProjection(string Name, string Lifecycle, double Seconds);

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
    /// Tears each projection down and replays the whole history through it, one projection after another, inline ones
    /// first (what allow/deny reads), then async ones. Uses <paramref name="daemon"/>, so a running daemon's own agents are
    /// stopped for the projection being rebuilt rather than racing it; the caller restarts them afterwards.
    /// </summary>
    public static async Task<RebuildReport> RunAsync(IDocumentStore store, IProjectionDaemon daemon, ILogger log, CancellationToken ct)
    {
        var before = await store.Advanced.FetchEventStoreStatistics(token: ct);
        var total = Stopwatch.StartNew();
        var rebuilt = new List<RebuiltProjection>();
        var projections = ((DocumentStore)store).Options.Projections.All;
        foreach (var projection in projections.Where(p => p.Lifecycle != ProjectionLifecycle.Live).OrderBy(p => p.Lifecycle == ProjectionLifecycle.Async))
        {
            var watch = Stopwatch.StartNew();
            await daemon.RebuildProjectionAsync(projection.Name, TimeSpan.FromMinutes(30), ct);
            rebuilt.Add(new RebuiltProjection(projection.Name, projection.Lifecycle.ToString(), watch.Elapsed.TotalSeconds));
            log.LogInformation("Rebuilt projection {Projection} in {Seconds:0.00} s", projection.Name, watch.Elapsed.TotalSeconds);
        }
        var after = await store.Advanced.FetchEventStoreStatistics(token: ct);
        return new RebuildReport(before.EventCount, before.StreamCount, total.Elapsed.TotalSeconds, rebuilt, after.EventCount - before.EventCount);
    }
}
