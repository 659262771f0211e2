using Governance.Projections;
using Marten;

namespace Governance.Store.Audit;

/// <summary>Records that are each a stream of their own, named by an idempotency key (a request id, a refusal count's minute).</summary>
public static class NewStreams
{
    private const int Attempts = 5;

    /// <summary>
    /// Starts each stream with its event, in one transaction. A stream id that already exists (recorded before, or earlier
    /// in the batch) is a duplicate and writes nothing, also when a concurrent batch starts it first (the batch is then
    /// retried). Returns, per item, whether it was a duplicate.
    /// </summary>
    public static async Task<IReadOnlyList<bool>> StartOnceAsync(IDocumentStore store, IReadOnlyList<(string StreamId, object Event)> items, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var session = store.LightweightSession();
            var ids = items.Select(i => i.StreamId).Distinct().ToArray();
            var existing = (await session.AdvancedSql.QueryAsync<string>(
                $"select id from {session.DocumentStore.Options.Events.DatabaseSchemaName}.mt_streams where id = any(?)", ct, [ids])).ToHashSet();
            var duplicates = new List<bool>(items.Count);
            foreach (var (streamId, @event) in items)
            {
                var duplicate = !existing.Add(streamId);
                duplicates.Add(duplicate);
                if (!duplicate)
                    session.Events.StartStream(streamId, @event);
            }
            try
            {
                await session.SaveChangesAsync(ct);
                return duplicates;
            }
            catch (Exception e) when (attempt < Attempts && e.IsStreamCollision())
            {
                // A concurrent writer started one of these streams first: the retry reports it as a duplicate.
            }
        }
    }
}
