using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Domain.Approvals;
using Governance.Domain.Budgets;
using Governance.Domain.Operators;
using Governance.Projections.Approvals;
using Marten;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;

namespace Governance.Api.Approvals;

public sealed record ApproveAccess(string? Comment)
{
    public sealed class Validator : AbstractValidator<ApproveAccess>
    {
        public Validator() => RuleFor(x => x.Comment).MaximumLength(2000);
    }
}

public sealed record RejectAccess(string Reason)
{
    public sealed class Validator : AbstractValidator<RejectAccess>
    {
        public Validator() => RuleFor(x => x.Reason).NotEmpty().MaximumLength(2000);
    }
}

/// <summary>Approvers decide. Reaching the quorum grants access: the grant's cap becomes a budget, its expiry is scheduled.</summary>
[Roles(OperatorRoles.Approver)]
public static class DecideAccessEndpoints
{
    [WolverinePost("/api/access-requests/{id}/approve")]
    public static async Task<(AccessRequestView, Events)> Approve(
        ApproveAccess command, [WriteAggregate] AccessRequest request, IDocumentSession session, IMessageBus bus, ClaimsPrincipal user, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        var events = AccessDecider.Approve(request, user.Identity(), command.Comment, now);
        if (events.OfType<AccessGranted>().SingleOrDefault() is { } granted)
        {
            if (granted.SpendCap is { } cap)
                session.Events.Append(BudgetIds.Definition(BudgetLevel.Grant, request.Id),
                    new BudgetSet(BudgetLevel.Grant, request.Id, cap, BudgetPeriod.Lifetime, Budget.DefaultThresholds, user.Actor(), now));
            await bus.ScheduleAsync(new ExpireGrant(request.Id), granted.Expiry - now);
            await bus.PublishAsync(new AccessNotice("access.decided", request.Id));
        }
        return (AccessRequestView.After(request, events, now), new Events(events));
    }

    [WolverinePost("/api/access-requests/{id}/reject")]
    public static async Task<(AccessRequestView, Events)> Reject(
        RejectAccess command, [WriteAggregate] AccessRequest request, IMessageBus bus, ClaimsPrincipal user, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        var events = AccessDecider.Reject(request, user.Identity(), command.Reason, now);
        await bus.PublishAsync(new AccessNotice("access.decided", request.Id));
        return (AccessRequestView.After(request, events, now), new Events(events));
    }
}

/// <summary>The requester (or an admin) takes back a pending request.</summary>
[Roles(OperatorRoles.Admin, OperatorRoles.AppOwner)]
public static class WithdrawAccessEndpoint
{
    [WolverinePost("/api/access-requests/{id}/withdraw")]
    public static (IResult, Events) Withdraw([WriteAggregate] AccessRequest request, HttpContext context, ClaimsPrincipal user, TimeProvider clock)
    {
        if (!context.AppScope().Allows(request.App))
            return (Problems.NotFound($"Access request '{request.Id}'"), []);
        if (!user.IsInRole(OperatorRoles.Admin) && request.RequestedBy != user.Actor())
            return (Problems.Forbidden("Only the requester or an admin can withdraw a request."), []);
        var now = clock.GetUtcNow();
        var events = AccessDecider.Withdraw(request, user.Actor(), now);
        return (Results.Ok(AccessRequestView.After(request, events, now)), new Events(events));
    }
}
