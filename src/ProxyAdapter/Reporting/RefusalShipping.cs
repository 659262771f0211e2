using Governance.Projections.Audit;

namespace ProxyAdapter.Reporting;

/// <summary>
/// Every few seconds, ships the minutes of refusals that have ended through the usage sink (the journal, then
/// <c>POST /api/refusals</c>); when the adapter stops, the current minute too. A crash loses the counts of the minute
/// in progress: they are counts of refusals, never money.
/// </summary>
public sealed partial class RefusalShipping(RefusalTally tally, IUsageSink sink, TimeProvider clock, ILogger<RefusalShipping> log) : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                await ShipAsync(all: false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await ShipAsync(all: true);
    }

    /// <summary>Seals and appends what is due (everything with <paramref name="all"/>); never throws.</summary>
    public async Task ShipAsync(bool all)
    {
        foreach (var report in tally.Seal(clock.GetUtcNow(), all))
        {
            try
            {
                await sink.AppendAsync(report, CancellationToken.None);
            }
            catch (Exception e)
            {
                LogLost(e, report.Minute, report.Counts.Sum(c => c.Count));
            }
        }
    }

    [LoggerMessage(LogLevel.Error, "Could not journal the refusals counted in minute {Minute} ({Refusals} refusals); they are lost")]
    private partial void LogLost(Exception e, DateTimeOffset minute, long refusals);
}
