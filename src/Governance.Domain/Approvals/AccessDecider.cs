using Governance.Domain.Operators;

namespace Governance.Domain.Approvals;

/// <summary>
/// Pure rules of the approval workflow. Separation of duties between people, not tokens: the person who asked never
/// approves or rejects the request, through any of their tokens; each person counts once towards the quorum, however
/// many tokens they hold; the quorum is the policy's in force when the request was made.
/// </summary>
public static class AccessDecider
{
    public const int MaxApprovals = 3;

    public static AccessRequested Request(
        string requestId, string? keyId, string app, string model, string justification, int durationDays, decimal? spendCap,
        ModelPolicy? policy, OperatorIdentity requester, DateTimeOffset now)
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
        return new AccessRequested(requestId, keyId, app, model, justification, durationDays, cap, policy, requester.Id, now)
        {
            RequestedByPerson = requester.Person,
        };
    }

    /// <summary>A second approval by the same person (same token or another of theirs) changes nothing.</summary>
    public static object[] Approve(AccessRequest request, OperatorIdentity approver, string? comment, DateTimeOffset now)
    {
        if (IsRequester(request, approver))
            throw new DomainException("self_approval",
                $"Separation of duties: {approver.Person} is the requester and cannot approve this request, through any of their tokens.", DomainErrorKind.Forbidden);
        EnsurePending(request);
        if (request.Approvals.Any(a => a.By == approver.Id || OperatorToken.SamePerson(a.PersonOrToken, approver.Person)))
            return [];

        var approved = new AccessApproved(request.Id, approver.Id, comment, now) { ApprovedByPerson = approver.Person };
        var people = request.Approvals.Select(a => a.PersonOrToken).Append(approver.Person).Distinct(StringComparer.OrdinalIgnoreCase).Count();
        return people >= request.Policy.ApprovalsRequired
            ? [approved, new AccessGranted(request.Id, now, now.AddDays(request.DurationDays), request.SpendCap, now)]
            : [approved];
    }

    public static object[] Reject(AccessRequest request, OperatorIdentity approver, string reason, DateTimeOffset now)
    {
        if (IsRequester(request, approver))
            throw new DomainException("self_decision",
                $"Separation of duties: {approver.Person} is the requester and cannot decide this request, through any of their tokens; withdraw it instead.", DomainErrorKind.Forbidden);
        EnsurePending(request);
        return [new AccessRejected(request.Id, reason, approver.Id, now)];
    }

    private static bool IsRequester(AccessRequest request, OperatorIdentity actor) =>
        actor.Id == request.RequestedBy || OperatorToken.SamePerson(actor.Person, request.RequesterPerson);

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
