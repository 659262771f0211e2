using Microsoft.Extensions.Diagnostics.HealthChecks;
using ProxyAdapter.Reporting;

namespace ProxyAdapter.Observability;

/// <summary>
/// The usage journal's backlog, in the readiness answer. Never Unhealthy: while the governance API does not acknowledge
/// usage, the adapter keeps admitting within its leases and keeps the reports on disk (docs/gateway.md), so taking it
/// out of rotation would turn an API outage into a gateway outage. Degraded (still 200) once the oldest unacknowledged
/// record is older than <see cref="Lagging"/>: spend and dashboards are behind by that much.
/// </summary>
internal sealed class JournalHealthCheck(UsageJournal journal, TimeProvider clock) : IHealthCheck
{
    public static readonly TimeSpan Lagging = TimeSpan.FromMinutes(5);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var backlog = journal.Backlog;
        var age = backlog.OldestPendingAt is { } oldest ? clock.GetUtcNow() - oldest : TimeSpan.Zero;
        var data = new Dictionary<string, object>
        {
            ["pending_records"] = backlog.PendingRecords,
            ["oldest_pending_age_seconds"] = Math.Max(0, age.TotalSeconds),
        };
        return Task.FromResult(age > Lagging
            ? HealthCheckResult.Degraded($"{backlog.PendingRecords} usage records not acknowledged, the oldest for {age.TotalSeconds:F0} s", data: data)
            : HealthCheckResult.Healthy($"{backlog.PendingRecords} usage records waiting to be acknowledged", data));
    }
}
