using System.Text.Json.Serialization;

namespace Governance.Domain.Keys;

public enum KeyStatus
{
    Active,
    Suspended,
    Revoked,
}

/// <summary>The state of one virtual key, folded from its stream. Holds secret hashes only.</summary>
public sealed record VirtualKey(
    string Id,
    string App,
    string Name,
    IReadOnlyList<string> Models,
    DateTimeOffset? ExpiresAt,
    KeyStatus Status,
    string SecretHash,
    string? PreviousSecretHash,
    DateTimeOffset? PreviousValidUntil,
    DateTimeOffset IssuedAt,
    string IssuedBy,
    string? StatusReason,
    DateTimeOffset? RotatedAt)
{
    public bool SuspendOnAnomaly { get; init; }

    public DateTimeOffset? LastAnomalyAt { get; init; }

    /// <summary>Who suspended the key (while it is suspended), and whether through an app-owner's rights only.</summary>
    public string? SuspendedBy { get; init; }

    public bool SuspendedByAppOwner { get; init; }

    /// <summary>Requests/min, tokens/min and parallel requests; null (a key issued before limits existed) means unlimited.</summary>
    public KeyRateLimits? RateLimits { get; init; }

    /// <summary>The key's own tags, added to each of its requests (<see cref="KeyTagsSet"/>); sorted.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Tag keys each of its requests must carry (a request without one is refused, 400).</summary>
    public IReadOnlyList<string> RequiredTags { get; init; } = [];

    [JsonIgnore]
    public KeyRateLimits Limits => RateLimits ?? KeyRateLimits.None;

    public static VirtualKey? Evolve(VirtualKey? state, object @event) => (state, @event) switch
    {
        (null, KeyIssued e) => new VirtualKey(
            e.KeyId, e.App, e.Name, e.Models, e.ExpiresAt, KeyStatus.Active, e.SecretHash,
            null, null, e.IssuedAt, e.IssuedBy, null, null),
        (null, _) => null,
        (_, KeyRevoked e) => state with { Status = KeyStatus.Revoked, StatusReason = e.Reason },
        (_, KeySuspended e) => state with { Status = KeyStatus.Suspended, StatusReason = e.Reason, SuspendedBy = e.SuspendedBy, SuspendedByAppOwner = e.ByAppOwner },
        (_, KeyResumed) => state with { Status = KeyStatus.Active, StatusReason = null, SuspendedBy = null, SuspendedByAppOwner = false },
        (_, KeyScopeChanged e) => state with { Models = e.Models },
        (_, KeyPolicyChanged e) => state with { SuspendOnAnomaly = e.SuspendOnAnomaly },
        (_, SpendAnomalyDetected e) => state with { LastAnomalyAt = e.DetectedAt },
        (_, KeyRateLimitsSet e) => state with { RateLimits = e.ToLimits().IsUnlimited ? null : e.ToLimits() },
        (_, KeyTagsSet e) => state with { Tags = e.Tags, RequiredTags = e.RequiredTags },
        (_, KeyRotated e) => state with
        {
            PreviousSecretHash = state.SecretHash,
            PreviousValidUntil = e.PreviousValidUntil,
            SecretHash = e.NewSecretHash,
            RotatedAt = e.RotatedAt,
        },
        _ => state,
    };

    public bool IsExpiredAt(DateTimeOffset now) => ExpiresAt is { } expiry && now >= expiry;

    /// <summary>"*" in the scope lets the key call any registered model.</summary>
    public bool Allows(string model) => Models.Contains("*") || Models.Contains(model, StringComparer.Ordinal);
}
