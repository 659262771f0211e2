using System.Security.Cryptography;
using Governance.Contracts.Audit;
using Governance.Domain.Access;

namespace Governance.Hosting.Audit;

/// <summary>
/// Refusals decided from the key alone (the proxy's from the headers, <c>POST /api/authorize</c>'s from the key it is
/// asked about), counted in memory per minute, reason and (for a known key) key id, so a flood of bad keys costs a
/// counter, not an event per attempt. <paramref name="reporter"/> is who counts: an adapter's id, or an API node's. A
/// minute is sealed once it has ended and recorded as one <see cref="RefusalReport"/> (the adapter ships it, an API node
/// appends it); a count that arrives for a minute already sealed goes into the next one, so each minute of this process
/// is recorded once. Memory: at most <see cref="MaxKeysPerMinute"/> keyed counts per open minute (more keys are counted
/// without their id), and a handful of reasons.
/// </summary>
public sealed class RefusalTally(string reporter)
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

    /// <summary>This process, in the stream id of each minute it records: a restarted process never collides with its predecessor.</summary>
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
    /// process is stopping) and returns their reports, oldest first.
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
            .Select(m => new RefusalReport(reporter, Incarnation, new DateTimeOffset(m.Minute, TimeSpan.Zero),
                m.Counts.Counts.Select(c => new RefusalCount(c.Key.Reason, c.Key.KeyId, c.Value))
                    .OrderBy(c => c.Reason, StringComparer.Ordinal).ThenBy(c => c.KeyId, StringComparer.Ordinal).ToList()))
            .ToList();
    }
}

