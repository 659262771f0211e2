using Governance.Contracts.Audit;
using Marten;

namespace Governance.Store.Audit;

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
