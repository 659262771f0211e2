using Governance.Contracts.Feed;
using Governance.Domain.Approvals;
using Governance.Domain.Catalog;

namespace ProxyAdapter.Governance;

/// <summary>
/// The feed's states as the domain's records, so the adapter decides with the same pure functions as the API
/// (<c>AccessDecision</c>, <c>AccessRequest.ActiveGrant</c>, <c>ModelDefinition.PriceAt</c>). Fields the feed does not
/// carry are ones no decision reads (names, issuers, justifications). Keys and budgets, which grow into the hundreds of
/// thousands, are kept compactly instead (<see cref="KeyEntry"/>, <see cref="BudgetEntry"/>).
/// </summary>
internal static class FeedMapping
{
    public static ModelDefinition ToModel(FeedModel m) => new(m.Name, m.Provider, m.UpstreamModel, m.Prices, m.RegisteredAt)
    {
        Deployments = m.Deployments,
        Fallbacks = m.Fallbacks,
        Policy = m.Restricted ? new ModelPolicy(true, 0, 0, null, null) : null,
        Limits = m.Limits,
        Group = m.Group,
    };

    public static AccessRequest ToGrant(FeedGrant g) => new(
        g.Id, g.KeyId, g.App, g.Model, "", 0, g.SpendCap, new ModelPolicy(true, 0, 0, null, null), "", default,
        Enum.Parse<AccessStatus>(g.Status, ignoreCase: true), [], g.Start, g.Expiry, null, null, null);

    public static Provider ToProvider(FeedProvider p) => new(p.Name, p.Kind, p.BaseUrl, p.EncryptedApiKey ?? "", default)
    {
        Settings = p.Settings ?? ProviderSettings.None,
    };
}
