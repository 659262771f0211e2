using Governance.Domain.Approvals;
using Governance.Domain.Budgets;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;
using Governance.Domain.Pricing;
using Marten;

namespace Governance.Projections.Feed;

/// <summary>The events an adapter must act on: what the change feed carries, and what wakes its listeners.</summary>
public static class FeedEvents
{
    public static readonly Type[] Types =
    [
        typeof(KeyIssued), typeof(KeyRevoked), typeof(KeySuspended), typeof(KeyResumed), typeof(KeyRotated), typeof(KeyScopeChanged),
        typeof(KeyPolicyChanged), typeof(KeyRateLimitsSet),
        typeof(BudgetSet), typeof(AppTeamAssigned),
        typeof(ModelRegistered), typeof(PriceSet), typeof(ModelPolicySet), typeof(ModelDeploymentsSet), typeof(ModelFallbacksSet), typeof(ModelGroupSet),
        typeof(ProviderRegistered), typeof(ProviderKeyReencrypted), typeof(ProviderKeyRotated),
        typeof(AccessGranted), typeof(GrantExpired), typeof(GrantRevoked),
        typeof(LeaseRecalled),
    ];

    /// <summary>The persisted names of <see cref="Types"/>, as the store maps them (GovernanceStore.MapEvents).</summary>
    public static IReadOnlyList<string> NamesIn(IReadOnlyStoreOptions options)
    {
        var known = options.Events.AllKnownEventTypes().ToDictionary(t => t.EventType, t => t.EventTypeName);
        return Types.Select(t => known.TryGetValue(t, out var name)
            ? name
            : throw new InvalidOperationException($"Feed event {t.Name} has no mapped event name.")).ToList();
    }

    /// <summary>The NOTIFY channel of one schema: several deployments (or test runs) may share a database.</summary>
    public static string Channel(string schema) => schema + "_feed";
}
