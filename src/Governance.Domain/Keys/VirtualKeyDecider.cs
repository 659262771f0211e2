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

    public static object[] Suspend(VirtualKey key, string reason, string actor, DateTimeOffset now)
    {
        EnsureNotRevoked(key);
        return key.Status == KeyStatus.Suspended ? [] : [new KeySuspended(key.Id, reason, actor, now)];
    }

    public static object[] Resume(VirtualKey key, string actor, DateTimeOffset now)
    {
        EnsureNotRevoked(key);
        return key.Status == KeyStatus.Active ? [] : [new KeyResumed(key.Id, actor, now)];
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

    public static object[] SetPolicy(VirtualKey key, bool suspendOnAnomaly, string actor, DateTimeOffset now)
    {
        EnsureNotRevoked(key);
        return key.SuspendOnAnomaly == suspendOnAnomaly ? [] : [new KeyPolicyChanged(key.Id, suspendOnAnomaly, actor, now)];
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
}
