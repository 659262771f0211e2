namespace Governance.Domain.Keys;

/// <summary>Pure decisions for the key lifecycle: state + command + time in, events out. No-ops return no events.</summary>
public static class VirtualKeyDecider
{
    public static readonly TimeSpan MaxRotationGrace = TimeSpan.FromDays(7);

    public static KeyIssued Issue(
        string keyId, string app, string name, IReadOnlyList<string> models, DateTimeOffset? expiresAt,
        string secretHash, string actor, DateTimeOffset now)
    {
        if (expiresAt is { } expiry && expiry <= now)
            throw new DomainException("expiry_in_past", "expiresAt must be in the future.", DomainErrorKind.Unprocessable);
        return new KeyIssued(keyId, app, name, models.Distinct(StringComparer.Ordinal).ToArray(), expiresAt, secretHash, actor, now);
    }

    public static object[] Revoke(VirtualKey key, string reason, string actor, DateTimeOffset now) =>
        key.Status == KeyStatus.Revoked ? [] : [new KeyRevoked(key.Id, reason, actor, now)];

    /// <param name="byAppOwner">The actor acts through an app-owner's rights only (not an admin's).</param>
    public static object[] Suspend(VirtualKey key, string reason, string actor, DateTimeOffset now, bool byAppOwner = false)
    {
        EnsureNotRevoked(key);
        return key.Status == KeyStatus.Suspended ? [] : [new KeySuspended(key.Id, reason, actor, now) { ByAppOwner = byAppOwner }];
    }

    /// <summary>
    /// An app-owner lifts only what app-owners put on: a suspension by an admin or by the anomaly detector stays until an
    /// admin resumes the key (otherwise the owner of a runaway key could switch its brake off).
    /// </summary>
    public static object[] Resume(VirtualKey key, string actor, DateTimeOffset now, bool byAppOwner = false)
    {
        EnsureNotRevoked(key);
        if (key.Status == KeyStatus.Active)
            return [];
        if (byAppOwner && !key.SuspendedByAppOwner)
            throw new DomainException("suspended_by_admin",
                $"Key {key.Id} was suspended by {key.SuspendedBy ?? "an admin"}; only an admin can resume it.", DomainErrorKind.Forbidden);
        return [new KeyResumed(key.Id, actor, now)];
    }

    public static object[] ChangeScope(VirtualKey key, IReadOnlyList<string> models, string actor, DateTimeOffset now)
    {
        EnsureNotRevoked(key);
        var distinct = models.Distinct(StringComparer.Ordinal).ToArray();
        return distinct.Order(StringComparer.Ordinal).SequenceEqual(key.Models.Order(StringComparer.Ordinal))
            ? []
            : [new KeyScopeChanged(key.Id, distinct, actor, now)];
    }

    public static KeyRotated Rotate(VirtualKey key, TimeSpan grace, string newSecretHash, string actor, DateTimeOffset now)
    {
        EnsureNotRevoked(key);
        if (key.IsExpiredAt(now))
            throw new DomainException("key_expired", $"Key {key.Id} has expired and cannot be rotated.");
        if (grace < TimeSpan.Zero || grace > MaxRotationGrace)
            throw new DomainException("grace_out_of_range", "The grace period must be between 0 and 7 days.", DomainErrorKind.Unprocessable);
        return new KeyRotated(key.Id, newSecretHash, now + grace, actor, now);
    }

    /// <summary>An app-owner may turn automatic suspension on, never off: that brake is the admins' to release.</summary>
    public static object[] SetPolicy(VirtualKey key, bool suspendOnAnomaly, string actor, DateTimeOffset now, bool byAppOwner = false)
    {
        EnsureNotRevoked(key);
        if (key.SuspendOnAnomaly == suspendOnAnomaly)
            return [];
        if (byAppOwner && !suspendOnAnomaly)
            throw new DomainException("admin_only",
                $"Only an admin can turn off suspendOnAnomaly on key {key.Id}.", DomainErrorKind.Forbidden);
        return [new KeyPolicyChanged(key.Id, suspendOnAnomaly, actor, now)];
    }

    /// <summary>Limits at issue: an event after <see cref="KeyIssued"/> when any limit is set, none otherwise.</summary>
    public static object[] InitialLimits(KeyIssued issued, KeyRateLimits? limits)
    {
        if (limits is null || limits.IsUnlimited)
            return [];
        EnsureInRange(limits);
        return [new KeyRateLimitsSet(issued.KeyId, limits.RequestsPerMinute, limits.TokensPerMinute, limits.MaxParallel, issued.IssuedBy, issued.IssuedAt)];
    }

    public static object[] SetRateLimits(VirtualKey key, KeyRateLimits limits, string actor, DateTimeOffset now)
    {
        EnsureNotRevoked(key);
        EnsureInRange(limits);
        return key.Limits == limits ? [] : [new KeyRateLimitsSet(key.Id, limits.RequestsPerMinute, limits.TokensPerMinute, limits.MaxParallel, actor, now)];
    }

    private static void EnsureInRange(KeyRateLimits limits)
    {
        if (limits.Problem() is { } problem)
            throw new DomainException("rate_limit_out_of_range", $"{problem.Field} {problem.Message}.", DomainErrorKind.Unprocessable);
    }

    private static void EnsureNotRevoked(VirtualKey key)
    {
        if (key.Status == KeyStatus.Revoked)
            throw new DomainException("key_revoked", $"Key {key.Id} is revoked; a revoked key cannot change.");
    }

    /// <summary>The key's own and required tags (validated by the caller: <see cref="Attribution.AttributionRules"/>); the same again is a no-op.</summary>
    public static object[] SetTags(VirtualKey key, IReadOnlyList<string> tags, IReadOnlyList<string> requiredTags, string actor, DateTimeOffset now)
    {
        EnsureNotRevoked(key);
        var required = requiredTags.Order(StringComparer.Ordinal).ToList();
        return key.Tags.SequenceEqual(tags) && key.RequiredTags.SequenceEqual(required) ? [] : [new KeyTagsSet(key.Id, tags, required, actor, now)];
    }
}
