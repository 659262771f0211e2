using System.Security.Cryptography;
using Governance.Domain.Access;
using Governance.Projections.Audit;

namespace ProxyAdapter.Reporting;

/// <summary>
/// Refusals decided from the headers, counted in memory per minute, reason and (for a known key) key id, so a flood of
/// bad keys costs a counter, not an event per attempt. A minute is sealed once it has ended and shipped as one
/// <see cref="RefusalReport"/> (<see cref="RefusalShipping"/>); a count that arrives for a minute already sealed goes
/// into the next one, so each minute of this process is shipped once. Memory: at most
/// <see cref="MaxKeysPerMinute"/> keyed counts per open minute (more keys are counted without their id), and a handful of
/// reasons.
/// </summary>
public sealed class RefusalTally(AdapterIdentity adapter)
{
    public const int MaxKeysPerMinute = 1_000;

    private sealed class Minute
    {
        public readonly Dictionary<(string Reason, string? KeyId), long> Counts = [];
        public int Keyed;
    }

    private readonly Lock _gate = new();
    private readonly SortedDictionary<long, Minute> _open = [];
    private long _sealedBefore = long.MinValue;

    /// <summary>This process, in the stream id of each minute it ships: a restarted adapter never collides with its predecessor.</summary>
    public string Incarnation { get; } = RandomNumberGenerator.GetHexString(16, lowercase: true);

    public void Count(RefusalCount refusal, DateTimeOffset now)
    {
        lock (_gate)
        {
            var minute = Math.Max(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerMinute, _sealedBefore);
            if (!_open.TryGetValue(minute, out var counts))
                _open[minute] = counts = new Minute();
            var key = (refusal.Reason, refusal.KeyId);
            if (key.KeyId is not null && !counts.Counts.ContainsKey(key))
            {
                if (counts.Keyed < MaxKeysPerMinute)
                    counts.Keyed++;
                else
                    key = (refusal.Reason, null);
            }
            counts.Counts[key] = counts.Counts.GetValueOrDefault(key) + refusal.Count;
        }
    }

    /// <summary>
    /// Seals every minute that ended by <paramref name="now"/> (with <paramref name="all"/>, the current one too: the
    /// adapter is stopping) and returns their reports, oldest first.
    /// </summary>
    public IReadOnlyList<RefusalReport> Seal(DateTimeOffset now, bool all = false)
    {
        var current = now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerMinute;
        var before = all ? current + TimeSpan.TicksPerMinute : current;
        var sealedMinutes = new List<(long Minute, Minute Counts)>();
        lock (_gate)
        {
            _sealedBefore = Math.Max(_sealedBefore, before);
            foreach (var (minute, counts) in _open.Where(m => m.Key < _sealedBefore).ToList())
            {
                sealedMinutes.Add((minute, counts));
                _open.Remove(minute);
            }
        }
        return sealedMinutes
            .Select(m => new RefusalReport(adapter.Id, Incarnation, new DateTimeOffset(m.Minute, TimeSpan.Zero),
                m.Counts.Counts.Select(c => new RefusalCount(c.Key.Reason, c.Key.KeyId, c.Value))
                    .OrderBy(c => c.Reason, StringComparer.Ordinal).ThenBy(c => c.KeyId, StringComparer.Ordinal).ToList()))
            .ToList();
    }
}

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
