using System.Security.Claims;
using FluentValidation;
using Governance.Api.Audit;
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
    /// <summary>
    /// Grants, newest first, judged active or not now; with <c>?asOf=</c>, the grants that existed then, as their events had
    /// made them by that instant and judged at it (a grant revoked later shows as it was before its revocation).
    /// </summary>
    [Roles(OperatorRoles.Admin, OperatorRoles.Approver, OperatorRoles.Auditor, OperatorRoles.AppOwner)]
    [WolverineGet("/api/grants")]
    public static async Task<IResult> List(string? key, string? app, string? asOf, IQuerySession session, HttpContext context, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (!AsOf.TryParse(asOf, now, out var at, out var problem))
            return problem;
        var scope = context.AppScope();
        var query = session.Query<AccessRequest>().Where(r => r.GrantStart != null);
        if (app is not null)
            query = query.Where(r => r.App == app);
        if (key is not null)
            query = query.Where(r => r.KeyId == key);
        if (at is { } instant)
            // A grant starts when it is granted and keeps its start for good: later grants cannot have existed then.
            query = query.Where(r => r.GrantStart <= instant);
        var grants = (await query.OrderByDescending(r => r.GrantStart).Take(1000).ToListAsync(ct)).Where(r => scope.Allows(r.App)).ToList();
        if (at is not { } then)
            return Results.Ok(grants.Select(r => AccessRequestView.From(r, now)).ToList());

        var history = await History.LoadAsync(session, grants.Select(g => g.Id), new Cutoff(then), ct);
        return Results.Ok(grants
            .Select(g => history.Fold<AccessRequest>(g.Id, AccessRequest.Evolve))
            .Where(g => g is { WasGranted: true })
            .Select(g => AccessRequestView.From(g!, then))
            .ToList());
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
