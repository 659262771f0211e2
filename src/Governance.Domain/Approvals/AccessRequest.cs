namespace Governance.Domain.Approvals;

public enum AccessStatus
{
    Pending,
    Granted,
    Rejected,
    Withdrawn,
    Lapsed,
    Expired,
    Revoked,
}

public sealed record Approval(string By, string? Comment, DateTimeOffset At)
{
    /// <summary>The person who approved, through the token <see cref="By"/> (null for approvals recorded before people were).</summary>
    public string? Person { get; init; }

    public string PersonOrToken => Person ?? By;
}

/// <summary>An access request and, once granted, its grant. Folded from the request's stream.</summary>
public sealed record AccessRequest(
    string Id, string? KeyId, string App, string Model, string Justification, int DurationDays, decimal? SpendCap, ModelPolicy Policy,
    string RequestedBy, DateTimeOffset RequestedAt, AccessStatus Status, IReadOnlyList<Approval> Approvals,
    DateTimeOffset? GrantStart, DateTimeOffset? GrantExpiry, string? StatusReason, string? DecidedBy, DateTimeOffset? DecidedAt)
{
    public const string IdPrefix = "acr_";

    /// <summary>The person who asked (null for requests recorded before people were).</summary>
    public string? RequestedByPerson { get; init; }

    public string RequesterPerson => RequestedByPerson ?? RequestedBy;

    public bool WasGranted => GrantStart is not null;

    /// <summary>Enforced by time: a grant past its expiry gives nothing, whether or not the expiry event was written.</summary>
    public bool IsActiveAt(DateTimeOffset now) => Status == AccessStatus.Granted && now >= GrantStart && now < GrantExpiry;

    /// <summary>A grant for a key covers that key; a grant for an app covers every key of the app.</summary>
    public bool Covers(string keyId, string app) => KeyId is null ? App == app : KeyId == keyId;

    public static AccessRequest? Evolve(AccessRequest? state, object @event) => (state, @event) switch
    {
        (null, AccessRequested e) => new AccessRequest(e.RequestId, e.KeyId, e.App, e.Model, e.Justification, e.DurationDays, e.SpendCap,
            e.Policy, e.RequestedBy, e.RequestedAt, AccessStatus.Pending, [], null, null, null, null, null) { RequestedByPerson = e.RequestedByPerson },
        (null, _) => null,
        (_, AccessApproved e) => state with
        {
            Approvals = [.. state.Approvals, new Approval(e.ApprovedBy, e.Comment, e.ApprovedAt) { Person = e.ApprovedByPerson }],
        },
        (_, AccessGranted e) => state with
        {
            Status = AccessStatus.Granted, GrantStart = e.Start, GrantExpiry = e.Expiry, SpendCap = e.SpendCap, DecidedAt = e.GrantedAt,
            DecidedBy = state.Approvals.LastOrDefault()?.By,
        },
        (_, AccessRejected e) => state with { Status = AccessStatus.Rejected, StatusReason = e.Reason, DecidedBy = e.RejectedBy, DecidedAt = e.RejectedAt },
        (_, AccessWithdrawn e) => state with { Status = AccessStatus.Withdrawn, DecidedBy = e.WithdrawnBy, DecidedAt = e.WithdrawnAt },
        (_, AccessRequestLapsed e) => state with { Status = AccessStatus.Lapsed, DecidedBy = e.LapsedBy, DecidedAt = e.LapsedAt },
        (_, GrantExpired) => state with { Status = AccessStatus.Expired },
        (_, GrantRevoked e) => state with { Status = AccessStatus.Revoked, StatusReason = e.Reason },
        _ => state,
    };

    /// <summary>The active grant covering this key and model now, if any (the one expiring last wins).</summary>
    public static AccessRequest? ActiveGrant(IEnumerable<AccessRequest> candidates, string keyId, string app, string model, DateTimeOffset now) =>
        candidates.Where(g => g.Model == model && g.Covers(keyId, app) && g.IsActiveAt(now)).MaxBy(g => g.GrantExpiry);
}
