using Governance.Domain.Access;
using Marten;
using Microsoft.Extensions.Logging;

namespace Governance.Store.Audit;

/// <summary>Denials leave a trace, so they can be explained like completed requests. Only the deny path pays for it.</summary>
public static class Denials
{
    /// <summary>
    /// Appends <paramref name="denied"/> as its request's stream in a session of its own: for callers whose session is gone
    /// or must not commit. Never throws: the caller's answer is the denial either way, and a lost audit line must not turn
    /// it into a 500. Not cancelled with the caller's request: a caller that hangs up still made the attempt.
    /// </summary>
    public static async Task RecordAsync(IDocumentStore store, RequestDenied denied, ILogger log)
    {
        await using var session = store.LightweightSession();
        await RecordAsync(session, denied, log);
    }

    /// <summary>
    /// Appends <paramref name="denied"/> in <paramref name="session"/> and commits it, with whatever else the session holds
    /// (a budget decision's window openings, made under its locks, are safe to keep). Committing here, rather than in a
    /// second connection, releases the session's budget locks at once. Never throws.
    /// </summary>
    public static async Task RecordAsync(IDocumentSession session, RequestDenied denied, ILogger log)
    {
        try
        {
            session.Events.StartStream(denied.RequestId, denied);
            await session.SaveChangesAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            log.LogError(e, "Could not record the denial of request {RequestId} ({Reason})", denied.RequestId, denied.Reason);
        }
    }

    /// <summary>
    /// Appends a batch of denials in one transaction, each as its request's stream. A request id that already has a
    /// stream (recorded before, or earlier in the batch) is a duplicate and writes nothing, also when a concurrent batch
    /// records it first (the batch is then retried). Returns, per denial, whether it was a duplicate.
    /// </summary>
    public static Task<IReadOnlyList<bool>> RecordBatchAsync(IDocumentStore store, IReadOnlyList<RequestDenied> denials, CancellationToken ct) =>
        NewStreams.StartOnceAsync(store, denials.Select(d => (d.RequestId, (object)d)).ToList(), ct);
}
