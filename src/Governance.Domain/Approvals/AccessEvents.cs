namespace Governance.Domain.Approvals;

/// <summary>
/// A model's approval policy, appended to the model's stream, so an auditor sees which policy applied when.
/// Restricted models need an active grant; <paramref name="UndecidedExpiryDays"/> lapses requests nobody decided.
/// </summary>
public sealed record ModelPolicySet(
    string Model, bool Restricted, int ApprovalsRequired, int MaxGrantDays, decimal? SpendCap, int? UndecidedExpiryDays,
    string SetBy, DateTimeOffset SetAt)
{
    public ModelPolicy Policy => new(Restricted, ApprovalsRequired, MaxGrantDays, SpendCap, UndecidedExpiryDays);
}

public sealed record ModelPolicy(bool Restricted, int ApprovalsRequired, int MaxGrantDays, decimal? SpendCap, int? UndecidedExpiryDays);

// One stream per access request ("acr_…"). The request carries the policy in force when it was made.

public sealed record AccessRequested(
    string RequestId, string? KeyId, string App, string Model, string Justification, int DurationDays, decimal? SpendCap,
    ModelPolicy Policy, string RequestedBy, DateTimeOffset RequestedAt)
{
    /// <summary>The person behind <see cref="RequestedBy"/> (null in older events: the token counts as its own person).</summary>
    public string? RequestedByPerson { get; init; }
}

public sealed record AccessApproved(string RequestId, string ApprovedBy, string? Comment, DateTimeOffset ApprovedAt)
{
    /// <summary>The person behind <see cref="ApprovedBy"/>: the quorum counts people (null in older events: the token).</summary>
    public string? ApprovedByPerson { get; init; }
}

/// <summary>The quorum was reached: access from Start until Expiry, spend capped at SpendCap when set.</summary>
public sealed record AccessGranted(string RequestId, DateTimeOffset Start, DateTimeOffset Expiry, decimal? SpendCap, DateTimeOffset GrantedAt);

public sealed record AccessRejected(string RequestId, string Reason, string RejectedBy, DateTimeOffset RejectedAt);

public sealed record AccessWithdrawn(string RequestId, string WithdrawnBy, DateTimeOffset WithdrawnAt);

/// <summary>Nobody decided within the policy's window: the request lapsed.</summary>
public sealed record AccessRequestLapsed(string RequestId, string LapsedBy, DateTimeOffset LapsedAt);

public sealed record GrantExpired(string RequestId, string ExpiredBy, DateTimeOffset ExpiredAt);

public sealed record GrantRevoked(string RequestId, string Reason, string RevokedBy, DateTimeOffset RevokedAt);
