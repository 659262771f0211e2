using Governance.Contracts.Usage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ProxyAdapter.Observability;
using ProxyAdapter.Reporting;

namespace Governance.Tests.Reporting;

/// <summary>
/// The journal's part of the proxy's readiness: reports waiting for the API never take the adapter out of rotation
/// (it keeps admitting within its leases), but a backlog older than five minutes shows as Degraded.
/// </summary>
public sealed class when_readiness_reads_the_journal : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "governance-journal-tests", Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 2, 14, 3, 0, TimeSpan.Zero));
    private UsageJournal _journal = null!;

    public Task InitializeAsync()
    {
        _journal = new UsageJournal(JournalOptions.InDirectory(_directory), _clock, NullLogger<UsageJournal>.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _journal.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private Task<HealthCheckResult> CheckAsync() => new JournalHealthCheck(_journal, _clock).CheckHealthAsync(new HealthCheckContext());

    [Fact]
    public async Task an_unacknowledged_backlog_is_healthy_until_it_is_five_minutes_old_then_degraded_never_unhealthy()
    {
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync()).Status);
        await _journal.AppendAsync(
            new UsageReport("req-1", "key_1", "gpt-test", "openai", 1000, 0, 100, 0, 12, 200, _clock.GetUtcNow(), null), CancellationToken.None);

        _clock.Advance(TimeSpan.FromMinutes(4));
        var waiting = await CheckAsync();
        Assert.Equal(HealthStatus.Healthy, waiting.Status);
        Assert.Equal(1L, waiting.Data["pending_records"]);

        _clock.Advance(TimeSpan.FromMinutes(2));
        var lagging = await CheckAsync();
        Assert.Equal(HealthStatus.Degraded, lagging.Status);
        Assert.Equal(360.0, (double)lagging.Data["oldest_pending_age_seconds"], precision: 0);
    }
}
