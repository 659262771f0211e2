namespace Governance.Domain.Keys;

// Persisted event names are mapped explicitly in the store configuration; renaming a record is safe,
// renaming a mapped name is not. Events carry hashes, never a plaintext secret.

public sealed record KeyIssued(
    string KeyId,
    string App,
    string Name,
    IReadOnlyList<string> Models,
    DateTimeOffset? ExpiresAt,
    string SecretHash,
    string IssuedBy,
    DateTimeOffset IssuedAt);

public sealed record KeyRevoked(string KeyId, string Reason, string RevokedBy, DateTimeOffset RevokedAt);

/// <summary>The new secret replaces the old one; the old one keeps working until <paramref name="PreviousValidUntil"/>.</summary>
public sealed record KeyRotated(
    string KeyId,
    string NewSecretHash,
    DateTimeOffset PreviousValidUntil,
    string RotatedBy,
    DateTimeOffset RotatedAt);

/// <summary>
/// <see cref="ByAppOwner"/>: suspended through an app-owner's rights (not an admin's, not the anomaly detector's), so an
/// app-owner of the key's app may resume it. Absent in events written before it existed: only an admin resumes those.
/// </summary>
public sealed record KeySuspended(string KeyId, string Reason, string SuspendedBy, DateTimeOffset SuspendedAt)
{
    public bool ByAppOwner { get; init; }
}

public sealed record KeyResumed(string KeyId, string ResumedBy, DateTimeOffset ResumedAt);

public sealed record KeyScopeChanged(string KeyId, IReadOnlyList<string> Models, string ChangedBy, DateTimeOffset ChangedAt);

/// <summary>Whether a spend anomaly suspends the key automatically.</summary>
public sealed record KeyPolicyChanged(string KeyId, bool SuspendOnAnomaly, string ChangedBy, DateTimeOffset ChangedAt);

/// <summary>
/// The key's spend in the hour before <paramref name="DetectedAt"/> exceeded <paramref name="Multiplier"/> × its trailing
/// hourly average and the floor amount.
/// </summary>
public sealed record SpendAnomalyDetected(
    string KeyId, decimal LastHourSpend, decimal TrailingHourlyAverage, decimal Multiplier, decimal Floor, string DetectedBy, DateTimeOffset DetectedAt);

/// <summary>The key's rate limits from now on (null fields: unlimited). Also written right after <see cref="KeyIssued"/> when the issue names limits.</summary>
public sealed record KeyRateLimitsSet(
    string KeyId, long? RequestsPerMinute, long? TokensPerMinute, int? MaxParallel, string SetBy, DateTimeOffset SetAt)
{
    // A method, not a property: the persisted event carries its fields once.
    public KeyRateLimits ToLimits() => new(RequestsPerMinute, TokensPerMinute, MaxParallel);
}

/// <summary>
/// The key's own tags (<c>key:value</c>, added to every request it makes; a request cannot change them) and the tag keys
/// each of its requests must carry, from now on.
/// </summary>
public sealed record KeyTagsSet(string KeyId, IReadOnlyList<string> Tags, IReadOnlyList<string> RequiredTags, string SetBy, DateTimeOffset SetAt);
