using JasperFx.Events;
using Marten;

namespace Governance.Api.Audit;

/// <summary>
/// Where a point-in-time read stops: events recorded at or before <see cref="At"/>, or, when <see cref="Sequence"/> is
/// known, events up to that global sequence (exact even when several events share a timestamp).
/// </summary>
public readonly record struct Cutoff(DateTimeOffset At, long? Sequence = null);

/// <summary>
/// Some streams as they were at a <see cref="Cutoff"/>, read from the events (never from the current projections) in one
/// query, and folded with the domain's pure <c>Evolve</c> functions: the same code the inline projections run.
/// </summary>
public sealed class History
{
    private readonly Dictionary<string, List<IEvent>> _streams;

    private History(Dictionary<string, List<IEvent>> streams, Cutoff cutoff)
    {
        _streams = streams;
        Cutoff = cutoff;
    }

    public Cutoff Cutoff { get; }

    public static async Task<History> LoadAsync(IQuerySession session, IEnumerable<string> streamIds, Cutoff cutoff, CancellationToken ct)
    {
        var ids = streamIds.Distinct(StringComparer.Ordinal).ToArray();
        if (ids.Length == 0)
            return new History([], cutoff);
        var query = session.Events.QueryAllRawEvents().Where(e => ids.Contains(e.StreamKey));
        query = cutoff.Sequence is { } sequence
            ? query.Where(e => e.Sequence <= sequence)
            : query.Where(e => e.Timestamp <= cutoff.At);
        var events = await query.OrderBy(e => e.Sequence).ToListAsync(ct);
        return new History(events.GroupBy(e => e.StreamKey!).ToDictionary(g => g.Key, g => g.ToList()), cutoff);
    }

    /// <summary>The stream's state at the cutoff; null when it had no events yet (the resource did not exist).</summary>
    public T? Fold<T>(string streamId, Func<T?, object, T?> evolve) where T : class =>
        _streams.TryGetValue(streamId, out var events) ? events.Aggregate((T?)null, (state, e) => evolve(state, e.Data)) : null;
}
