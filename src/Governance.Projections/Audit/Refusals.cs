using Governance.Domain.Access;
using Marten;

namespace Governance.Projections.Audit;

/// <summary>
/// One adapter's refusals from the headers in one minute, as it ships them (<c>POST /api/refusals</c>): the wire form of
/// <see cref="RefusalsCounted"/> without the actor. <paramref name="Incarnation"/> names the adapter process (hex, drawn
/// at its start), so each process's minute is one stream.
/// </summary>
public sealed record RefusalReport(string AdapterId, string Incarnation, DateTimeOffset Minute, IReadOnlyList<RefusalCount> Counts)
{
    public string StreamId => RefusalsCounted.StreamId(AdapterId, Minute, Incarnation);

    public RefusalsCounted ToEvent(string recordedBy, DateTimeOffset now) => new(AdapterId, Minute, Counts, recordedBy, now);
}

public static class Refusals
{
    /// <summary>
    /// Appends each report as its own stream, in one transaction; a report whose stream exists (shipped before) is a
    /// duplicate and writes nothing. Returns, per report, whether it was a duplicate.
    /// </summary>
    public static Task<IReadOnlyList<bool>> RecordBatchAsync(IDocumentStore store, IReadOnlyList<RefusalReport> reports, string recordedBy, DateTimeOffset now,
        CancellationToken ct) =>
        NewStreams.StartOnceAsync(store, reports.Select(r => (r.StreamId, (object)r.ToEvent(recordedBy, now))).ToList(), ct);
}
