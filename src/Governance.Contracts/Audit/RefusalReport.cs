using Governance.Domain.Access;

namespace Governance.Contracts.Audit;

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
