using ProxyAdapter.Governance;
using ProxyAdapter.Reporting;

namespace ProxyAdapter.Observability;

/// <summary>
/// Points the lease and usage-buffer gauges of <see cref="GatewayMetrics"/> at their owners when the adapter starts:
/// the lease wallet's holdings and the usage journal's backlog, both in-memory reads under a short lock.
/// </summary>
internal sealed class AdapterGauges(GatewayMetrics metrics, LeaseWallet wallet, UsageJournal journal, TimeProvider clock) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        metrics.Leases = wallet.Readings;
        metrics.UsageBuffer = () =>
        {
            var backlog = journal.Backlog;
            var age = backlog.OldestPendingAt is { } oldest ? clock.GetUtcNow() - oldest : TimeSpan.Zero;
            return new UsageBufferReading(backlog.PendingRecords, backlog.Bytes, age < TimeSpan.Zero ? TimeSpan.Zero : age);
        };
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
