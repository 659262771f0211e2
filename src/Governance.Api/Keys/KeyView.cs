using Governance.Domain.Keys;

namespace Governance.Api.Keys;

/// <summary>What operators see of a key. Never the secret, never its hash.</summary>
public sealed record KeyView(
    string Id,
    string App,
    string Name,
    IReadOnlyList<string> Models,
    string Status,
    string? StatusReason,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset IssuedAt,
    string IssuedBy,
    DateTimeOffset? RotatedAt,
    DateTimeOffset? PreviousKeyValidUntil,
    bool SuspendOnAnomaly,
    DateTimeOffset? LastAnomalyAt,
    KeyRateLimits RateLimits)
{
    /// <summary>While suspended: the operator id, or <c>system:anomaly-detector</c>, that suspended the key.</summary>
    public string? SuspendedBy { get; init; }

    public static KeyView From(VirtualKey key) => new(
        key.Id, key.App, key.Name, key.Models, key.Status.ToString().ToLowerInvariant(), key.StatusReason,
        key.ExpiresAt, key.IssuedAt, key.IssuedBy, key.RotatedAt, key.PreviousValidUntil, key.SuspendOnAnomaly, key.LastAnomalyAt, key.Limits)
    {
        SuspendedBy = key.SuspendedBy,
    };

    /// <summary>The key as it is once <paramref name="events"/> are applied: the answer to a command.</summary>
    public static KeyView After(VirtualKey key, IEnumerable<object> events) =>
        From(events.Aggregate(key, (state, e) => VirtualKey.Evolve(state, e)!));
}
