using System.Diagnostics.Metrics;
using Governance.Hosting;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Daemon.Coordination;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Governance.Projections.Hosting;

/// <summary>How far one async projection is behind the event store's high-water mark (the last gap-free sequence).</summary>
public sealed record ProjectionPosition(string Projection, long Sequence, long HighWaterMark)
{
    public long Lag => Math.Max(0, HighWaterMark - Sequence);
}

/// <summary>
/// Reads the async daemon's progress table every few seconds (<c>Metrics:ProjectionLagPollSeconds</c>, default 5) and
/// publishes it: <c>gov_projection_lag_events</c> and <c>gov_projection_position</c> per projection, and
/// <c>gov_events_high_water_mark</c>. The gauges read the last poll, so a scrape never waits on the database.
/// </summary>
public sealed class ProjectionLag : BackgroundService
{
    private readonly IDocumentStore _store;
    private readonly ILogger<ProjectionLag> _log;
    private readonly TimeSpan _interval;
    private volatile IReadOnlyList<ProjectionPosition> _last = [];
    private long _highWaterMark;

    public ProjectionLag(IDocumentStore store, IMeterFactory meters, IConfiguration configuration, ILogger<ProjectionLag> log, string meterName)
    {
        _store = store;
        _log = log;
        _interval = TimeSpan.FromSeconds(Math.Max(1, configuration.GetValue("Metrics:ProjectionLagPollSeconds", 5)));
        var meter = meters.Create(meterName);
        meter.CreateObservableGauge("gov.projection.lag_events", () => _last.Select(p => new Measurement<long>(p.Lag, new KeyValuePair<string, object?>("projection", p.Projection))),
            description: "Events the async projection has yet to process: the high-water mark minus its position.");
        meter.CreateObservableGauge("gov.projection.position", () => _last.Select(p => new Measurement<long>(p.Sequence, new KeyValuePair<string, object?>("projection", p.Projection))),
            description: "Last event sequence the async projection processed.");
        meter.CreateObservableGauge("gov.events.high_water_mark", () => Interlocked.Read(ref _highWaterMark),
            description: "Highest event sequence below which no gap remains (what async projections may process).");
    }

    public IReadOnlyList<ProjectionPosition> Last => _last;

    public async Task<IReadOnlyList<ProjectionPosition>> ReadAsync(CancellationToken ct)
    {
        var states = await _store.Advanced.AllProjectionProgress(token: ct);
        var highWater = states.FirstOrDefault(s => s.ShardName == ShardState.HighWaterMark)?.Sequence ?? 0;
        var positions = states.Where(s => s.ShardName != ShardState.HighWaterMark)
            .Select(s => new ProjectionPosition(s.ShardName, s.Sequence, highWater))
            .OrderBy(p => p.Projection, StringComparer.Ordinal)
            .ToList();
        Interlocked.Exchange(ref _highWaterMark, highWater);
        _last = positions;
        return positions;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval);
        do
        {
            try
            {
                await ReadAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                _log.LogWarning("Could not read projection progress: {Error}", e.Message);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}

/// <summary>
/// Ready when this node runs the async daemon, or when another node does (HotCold: one runner at a time) and the
/// projections are within <c>Health:MaxProjectionLag</c> events (default 10,000) of the high-water mark. Lag beyond that
/// with no daemon here is <see cref="HealthStatus.Degraded"/> (still 200: key management and decisions do not depend
/// on the dashboards), and reported as such.
/// </summary>
public sealed class ProjectionDaemonHealthCheck(IProjectionCoordinator coordinator, ProjectionLag lag, IConfiguration configuration) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        if (coordinator.DaemonForMainDatabase() is { IsRunning: true })
            return HealthCheckResult.Healthy("daemon running on this node");
        var behind = (await lag.ReadAsync(ct)).Select(p => p.Lag).DefaultIfEmpty(0).Max();
        var allowed = configuration.GetValue("Health:MaxProjectionLag", 10_000L);
        return behind <= allowed
            ? HealthCheckResult.Healthy($"daemon not on this node; projections {behind} events behind")
            : HealthCheckResult.Degraded($"daemon not on this node; projections {behind} events behind (more than {allowed})");
    }
}

public static class ProjectionLagRegistration
{
    /// <summary>The projection lag gauges and the daemon's readiness check, for a node that hosts the async daemon.</summary>
    public static IServiceCollection AddProjectionLag(this IServiceCollection services, IHealthChecksBuilder health, string meterName)
    {
        services.AddSingleton(sp => new ProjectionLag(sp.GetRequiredService<IDocumentStore>(), sp.GetRequiredService<IMeterFactory>(),
            sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<ILogger<ProjectionLag>>(), meterName));
        services.AddHostedService(sp => sp.GetRequiredService<ProjectionLag>());
        health.AddCheck<ProjectionDaemonHealthCheck>("projection_daemon", tags: [Readiness.ReadyTag], timeout: TimeSpan.FromSeconds(3));
        return services;
    }
}
