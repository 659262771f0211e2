using Marten;

namespace Governance.Projections.Usage;

/// <summary>
/// The readable id behind one end-user pseudonym of one app. A document, not an event stream: erasing it deletes the row
/// (docs/attribution.md says what that does and does not erase). Id: the pseudonym.
/// </summary>
public sealed record EndUserMapping(string Id, string App, string User, DateTimeOffset LastSeenAt);

/// <summary>The erasable mapping from pseudonyms to the ids apps sent: written by the ledger, read by the request log and spend.</summary>
public static class EndUserDirectory
{
    public static StoreOptions ConfigureEndUsers(this StoreOptions opts)
    {
        opts.Schema.For<EndUserMapping>().Index(x => x.App);
        return opts;
    }

    /// <summary>Keeps (or refreshes) each mapping in <paramref name="session"/>'s transaction.</summary>
    public static void Remember(IDocumentSession session, IEnumerable<EndUserMapping> mappings)
    {
        var distinct = mappings.DistinctBy(m => m.Id).ToArray();
        if (distinct.Length > 0)
            session.Store(distinct);
    }

    /// <summary>The readable ids of these pseudonyms, where a mapping exists (not erased, and the user was seen on a completed request).</summary>
    public static async Task<IReadOnlyDictionary<string, string>> ReadableAsync(IQuerySession session, IEnumerable<string?> pseudonyms, CancellationToken ct)
    {
        var ids = pseudonyms.OfType<string>().Distinct().ToArray();
        return ids.Length == 0 ? new Dictionary<string, string>() : (await session.LoadManyAsync<EndUserMapping>(ct, ids)).ToDictionary(m => m.Id, m => m.User);
    }
}
