namespace Governance.Domain.Approvals;

/// <summary>
/// Pure rules of the approval workflow. Separation of duties: the requester never approves or rejects their own
/// request; each approver counts once; the quorum is the policy's in force when the request was made.
/// </summary>
public static class AccessDecider
{
    public const int MaxApprovals = 3;

    public static AccessRequested Request(
        string requestId, string? keyId, string app, string model, string justification, int durationDays, decimal? spendCap,
        ModelPolicy? policy, string requester, DateTimeOffset now)
    {
        if (policy is not { Restricted: true })
            throw new DomainException("not_restricted", $"Model '{model}' is not restricted; no approval is needed.");
        if (durationDays > policy.MaxGrantDays)
            throw new DomainException("duration_above_policy", $"The policy grants at most {policy.MaxGrantDays} days.", DomainErrorKind.Unprocessable);
        // The tighter of the requested cap and the policy's cap applies.
        var cap = (spendCap, policy.SpendCap) switch
        {
            ({ } asked, { } allowed) => Math.Min(asked, allowed),
            (var asked, var allowed) => asked ?? allowed,
        };
        return new AccessRequested(requestId, keyId, app, model, justification, durationDays, cap, policy, requester, now);
    }

    public static object[] Approve(AccessRequest request, string approver, string? comment, DateTimeOffset now)
    {
        if (approver == request.RequestedBy)
            throw new DomainException("self_approval", "Separation of duties: the requester cannot approve their own request.", DomainErrorKind.Forbidden);
        EnsurePending(request);
        if (request.Approvals.Any(a => a.By == approver))
            return [];

        var approved = new AccessApproved(request.Id, approver, comment, now);
        return request.Approvals.Count + 1 >= request.Policy.ApprovalsRequired
            ? [approved, new AccessGranted(request.Id, now, now.AddDays(request.DurationDays), request.SpendCap, now)]
            : [approved];
    }

    public static object[] Reject(AccessRequest request, string approver, string reason, DateTimeOffset now)
    {
        if (approver == request.RequestedBy)
            throw new DomainException("self_decision", "Separation of duties: the requester cannot decide their own request; withdraw it instead.", DomainErrorKind.Forbidden);
        EnsurePending(request);
        return [new AccessRejected(request.Id, reason, approver, now)];
    }

    public static object[] Withdraw(AccessRequest request, string actor, DateTimeOffset now)
    {
        EnsurePending(request);
        return [new AccessWithdrawn(request.Id, actor, now)];
    }

    public static object[] RevokeGrant(AccessRequest request, string reason, string actor, DateTimeOffset now)
    {
        if (request.Status == AccessStatus.Revoked)
            return [];
        if (request.Status != AccessStatus.Granted)
            throw new DomainException("not_granted", $"Request {request.Id} is {Describe(request)}; only a granted request can be revoked.");
        return [new GrantRevoked(request.Id, reason, actor, now)];
    }

    /// <summary>The scheduled end of a grant. Nothing when it is not due yet (an early message) or no longer granted.</summary>
    public static object[] Expire(AccessRequest request, string actor, DateTimeOffset now) =>
        request.Status == AccessStatus.Granted && now >= request.GrantExpiry ? [new GrantExpired(request.Id, actor, now)] : [];

    /// <summary>The scheduled end of an undecided request.</summary>
    public static object[] Lapse(AccessRequest request, string actor, DateTimeOffset now) =>
        request.Status == AccessStatus.Pending && request.Policy.UndecidedExpiryDays is { } days && now >= request.RequestedAt.AddDays(days)
            ? [new AccessRequestLapsed(request.Id, actor, now)]
            : [];

    private static void EnsurePending(AccessRequest request)
    {
        if (request.Status != AccessStatus.Pending)
            throw new DomainException("not_pending", $"Request {request.Id} is {Describe(request)}, no longer pending.");
    }

    private static string Describe(AccessRequest request) => request.Status.ToString().ToLowerInvariant();
}
