namespace Governance.Contracts.Feed;

/// <summary>
/// What an adapter needs to start deciding alone, consistent with <see cref="Cursor"/>: every change at or below it is
/// reflected; follow the feed from it (<c>GET /api/feed?after={cursor}</c>). Changes above it that the snapshot
/// already reflects are delivered again; applying their state is harmless. Grants: every granted one, active by time.
/// Adapter role only: it carries secret hashes and the providers' API keys as stored ciphertext.
/// </summary>
public sealed record FeedSnapshot(
    long Cursor, IReadOnlyList<FeedKey> Keys, IReadOnlyList<FeedModel> Models, IReadOnlyList<FeedApp> Apps, IReadOnlyList<FeedBudget> Budgets,
    IReadOnlyList<FeedGrant> Grants)
{
    /// <summary>Every registered provider, for forwarding (deployments name them).</summary>
    public IReadOnlyList<FeedProvider> Providers { get; init; } = [];
}
