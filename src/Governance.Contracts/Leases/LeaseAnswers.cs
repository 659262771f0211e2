namespace Governance.Contracts.Leases;

/// <summary>
/// Always 200 for a decision, like /api/authorize. <see cref="Granted"/> with a slice per budget level (none when the
/// key has no budget). Otherwise <see cref="Reason"/>: a key or model refusal (<c>revoked</c>, <c>approval_required</c>, …);
/// <c>retry</c>: other adapters' leases were recalled (<see cref="Recalled"/>), or the caller's own lease holds its share
/// (<c>Leases__MaxShare</c>) until usage draws on it: ask again after <see cref="RetryAfterMs"/>;
/// <c>budget_exceeded</c>: even with them the level in <see cref="Shortfall"/> cannot give the need;
/// <c>too_many_leases</c>: the adapter holds as many open leases as it may.
/// </summary>
public sealed record LeaseResult(
    bool Granted, string? Reason, string KeyId, IReadOnlyList<LeaseSliceView> Slices, IReadOnlyList<string> Recalled, int? RetryAfterMs,
    LeaseShortfall? Shortfall)
{
    public const string Retry = "retry";

    /// <summary>The adapter holds <c>Leases__MaxOpenPerAdapter</c> open leases already: it must return or let some expire first.</summary>
    public const string TooManyLeases = "too_many_leases";

    public static LeaseResult Refused(string keyId, string reason) => new(false, reason, keyId, [], [], null, null);
}

/// <summary>A lease after a renewal or a return: <see cref="Changed"/> is what was added (renew) or given back (return).</summary>
public sealed record LeaseView(
    string LeaseId, string AdapterId, string Level, string Owner, decimal Changed, decimal Remaining, DateTimeOffset ExpiresAt, string Status, int Grants);
