using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Domain.Approvals;
using Governance.Domain.Operators;
using Marten;
using Wolverine.Http;
using Wolverine.Marten;

namespace Governance.Api.Approvals;

public sealed record RevokeGrant(string Reason)
{
    public sealed class Validator : AbstractValidator<RevokeGrant>
    {
        public Validator() => RuleFor(x => x.Reason).NotEmpty().MaximumLength(2000);
    }
}

/// <summary>A grant is the granted access request; its id is the request's id.</summary>
public static class GrantEndpoints
{
    [Roles(OperatorRoles.Admin, OperatorRoles.Approver, OperatorRoles.Auditor, OperatorRoles.AppOwner)]
    [WolverineGet("/api/grants")]
    public static async Task<IReadOnlyList<AccessRequestView>> List(string? key, string? app, IQuerySession session, HttpContext context, TimeProvider clock, CancellationToken ct)
    {
        var scope = context.AppScope();
        var query = session.Query<AccessRequest>().Where(r => r.GrantStart != null);
        if (app is not null)
            query = query.Where(r => r.App == app);
        if (key is not null)
            query = query.Where(r => r.KeyId == key);
        var now = clock.GetUtcNow();
        return (await query.OrderByDescending(r => r.GrantStart).Take(1000).ToListAsync(ct))
            .Where(r => scope.Allows(r.App)).Select(r => AccessRequestView.From(r, now)).ToList();
    }

    [Roles(OperatorRoles.Admin, OperatorRoles.Approver)]
    [WolverinePost("/api/grants/{id}/revoke")]
    public static (AccessRequestView, Events) Revoke(RevokeGrant command, [WriteAggregate] AccessRequest request, ClaimsPrincipal user, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        var events = AccessDecider.RevokeGrant(request, command.Reason, user.Actor(), now);
        return (AccessRequestView.After(request, events, now), new Events(events));
    }
}
