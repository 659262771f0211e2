using Governance.Contracts.Feed;
using Marten;

namespace Governance.Projections.Feed;

/// <summary>A change to deliver, and the cursor a client may resume from once it has received it.</summary>
public sealed record FeedDelivery(FeedChange Change, long Cursor);

/// <summary>A batch of deliveries; <see cref="Cursor"/> holds once all of them are received; <see cref="More"/>: ask again at once.</summary>
public sealed record FeedBatch(IReadOnlyList<FeedDelivery> Deliveries, long Cursor, bool More);

/// <summary>
/// One client's position in the feed. Changes are delivered as soon as they are committed, in sequence order except
/// that a transaction committing late is delivered when it commits (after higher sequences). The resume cursor only
/// moves to stable positions (<see cref="FeedView.Mark"/>), so resuming never skips a late commit; it may deliver a
/// change again, which the state it carries makes harmless (and its <c>seq</c> lets a client drop).
/// </summary>
public sealed class FeedCursor(IDocumentStore store, long after)
{
    /// <summary>Changes above the cursor already delivered (they were above the stable mark when they went out).</summary>
    private readonly HashSet<long> _delivered = [];

    public long Position { get; private set; } = after;

    public async Task<FeedBatch> NextAsync(FeedView view, int limit, CancellationToken ct)
    {
        if (Position < view.Floor)
        {
            // Behind the hub's memory: everything up to the floor is stable, read it from the database in order.
            await using var session = store.QuerySession();
            var page = await FeedReader.ReadAsync(session, Position, view.Floor, limit, ct);
            var end = page.Count == limit ? page[^1].Seq : view.Floor;
            var caughtUp = page.Where(c => !_delivered.Contains(c.Seq)).Select(c => new FeedDelivery(c, c.Seq)).ToList();
            Advance(end);
            return new FeedBatch(caughtUp, Position, More(view));
        }

        var pending = view.Changes.Where(c => c.Seq > Position && !_delivered.Contains(c.Seq)).Take(limit + 1).ToList();
        var truncated = pending.Count > limit;
        if (truncated)
            pending.RemoveAt(limit);
        var stable = Math.Max(Position, truncated ? Math.Min(view.Mark, pending[^1].Seq) : view.Mark);
        // In sequence order every change at or below the stable position comes first, so after receiving one of them
        // the client has everything up to it; after one above, everything up to the stable position.
        var deliveries = pending.Select(c => new FeedDelivery(c, Math.Min(c.Seq, stable))).ToList();
        foreach (var change in pending.Where(c => c.Seq > stable))
            _delivered.Add(change.Seq);
        Advance(stable);
        return new FeedBatch(deliveries, Position, More(view));
    }

    private bool More(FeedView view) => Position < view.Floor || view.Changes.Any(c => c.Seq > Position && !_delivered.Contains(c.Seq));

    private void Advance(long to)
    {
        Position = Math.Max(Position, to);
        _delivered.RemoveWhere(seq => seq <= Position);
    }
}
