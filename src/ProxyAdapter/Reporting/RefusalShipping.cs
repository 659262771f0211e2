using Governance.Hosting.Audit;

namespace ProxyAdapter.Reporting;

/// <summary>
/// Every few seconds, ships the minutes of refusals that have ended through the usage sink (the journal, then
/// <c>POST /api/refusals</c>); when the adapter stops, the current minute too. A crash loses the counts of the minute
/// in progress: they are counts of refusals, never money.
/// </summary>
public sealed partial class RefusalShipping(RefusalTally tally, IUsageSink sink, TimeProvider clock, ILogger<RefusalShipping> log)
    : RefusalMinutes(clock)
{
    /// <summary>Seals and journals what is due (everything with <paramref name="all"/>); never throws.</summary>
    public override async Task FlushAsync(bool all)
    {
        foreach (var report in tally.Seal(Clock.GetUtcNow(), all))
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
