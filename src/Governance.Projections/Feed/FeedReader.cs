using Governance.Contracts.Feed;
using Governance.Domain.Approvals;
using Governance.Domain.Apps;
using Governance.Domain.Budgets;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;
using Governance.Domain.Pricing;
using JasperFx.Events;
using Marten;
using Marten.Events;

namespace Governance.Projections.Feed;

/// <summary>Reads the feed's events from <c>mt_events</c> and pairs each with the current state of what it changed.</summary>
public static class FeedReader
{
    /// <summary>Feed events with <paramref name="after"/> &lt; seq ≤ <paramref name="upTo"/>, in sequence order, at most <paramref name="limit"/>.</summary>
    public static async Task<IReadOnlyList<IEvent>> EventsAsync(IQuerySession session, long after, long? upTo, int limit, CancellationToken ct)
    {
        var query = session.Events.QueryAllRawEvents().Where(e => e.Sequence > after);
        if (upTo is { } last)
            query = query.Where(e => e.Sequence <= last);
        return await query.Where(e => e.EventTypesAre(FeedEvents.Types)).OrderBy(e => e.Sequence).Take(limit).ToListAsync(ct);
    }

    public static async Task<IReadOnlyList<FeedChange>> ReadAsync(IQuerySession session, long after, long? upTo, int limit, CancellationToken ct) =>
        await ChangesAsync(session, await EventsAsync(session, after, upTo, limit, ct), ct);

    /// <summary>The changes for these events, with one query per kind of state.</summary>
    public static async Task<IReadOnlyList<FeedChange>> ChangesAsync(IQuerySession session, IReadOnlyList<IEvent> events, CancellationToken ct)
    {
        async Task<Dictionary<string, T>> Load<T>(Func<object, bool> kind, Func<T, string> id) where T : notnull
        {
            var ids = events.Where(e => kind(e.Data)).Select(e => e.StreamKey!).Distinct().ToList();
            return ids.Count == 0 ? [] : (await session.LoadManyAsync<T>(ct, ids)).ToDictionary(id);
        }

        var keys = await Load<VirtualKey>(d => d is KeyIssued or KeyRevoked or KeySuspended or KeyResumed or KeyRotated or KeyScopeChanged or KeyPolicyChanged or KeyRateLimitsSet, k => k.Id);
        var budgets = await Load<Budget>(d => d is BudgetSet, b => b.Id);
        var apps = await Load<App>(d => d is AppTeamAssigned, a => a.Id);
        var models = await Load<ModelDefinition>(d => d is ModelRegistered or PriceSet or ModelPolicySet or ModelDeploymentsSet or ModelFallbacksSet or ModelGroupSet, m => m.Id);
        var providers = await Load<Provider>(d => d is ProviderRegistered or ProviderKeyReencrypted or ProviderKeyRotated, p => p.Id);
        var grants = await Load<AccessRequest>(d => d is AccessGranted or GrantExpired or GrantRevoked, g => g.Id);

        var changes = new List<FeedChange>(events.Count);
        foreach (var e in events)
        {
            var change = new FeedChange(e.Sequence, e.EventTypeName, e.StreamKey!, e.Timestamp);
            changes.Add(e.Data switch
            {
                LeaseRecalled recalled => change with { Lease = FeedLeaseRecall.From(recalled) },
                BudgetSet => change with { Budget = budgets.TryGetValue(e.StreamKey!, out var b) ? FeedBudget.From(b) : null },
                AppTeamAssigned => change with { App = apps.TryGetValue(e.StreamKey!, out var a) ? FeedApp.From(a) : null },
                ModelRegistered or PriceSet or ModelPolicySet or ModelDeploymentsSet or ModelFallbacksSet or ModelGroupSet => change with { Model = models.TryGetValue(e.StreamKey!, out var m) ? FeedModel.From(m) : null },
                ProviderRegistered or ProviderKeyReencrypted or ProviderKeyRotated => change with { Provider = providers.TryGetValue(e.StreamKey!, out var p) ? FeedProvider.From(p) : null },
                AccessGranted or GrantExpired or GrantRevoked => change with { Grant = grants.TryGetValue(e.StreamKey!, out var g) ? FeedGrant.From(g) : null },
                _ => change with { Key = keys.TryGetValue(e.StreamKey!, out var k) ? FeedKey.From(k) : null },
            });
        }
        return changes;
    }
}
