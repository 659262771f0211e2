using System.Security.Claims;
using FluentValidation;
using Governance.Api.Audit;
using Governance.Api.Infrastructure;
using Governance.Api.Keys;
using Governance.Domain.Apps;
using Governance.Domain.Budgets;
using Governance.Domain.Operators;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Budgets;

/// <summary>Places an app in a team (null leaves it teamless). Its later spend counts against the team's budget.</summary>
public sealed record AssignAppTeam(string? Team)
{
    public sealed class Validator : AbstractValidator<AssignAppTeam>
    {
        public Validator() => RuleFor(x => x.Team!).IsName().When(x => x.Team is not null);
    }
}

public static class AssignAppTeamEndpoint
{
    [WolverinePut("/api/apps/{app}")]
    [Roles(OperatorRoles.Admin)]
    public static App Put(string app, AssignAppTeam command, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock)
    {
        var assigned = new AppTeamAssigned(app, command.Team, user.Actor(), clock.GetUtcNow());
        session.Events.Append(BudgetIds.App(app), assigned);
        return App.Evolve(null, assigned)!;
    }

    /// <summary>
    /// The app's team and leak policy, now or with <c>?asOf=</c> as they were then. An app-owner sees its own apps only; the
    /// app is named by the caller, so another app is a plain 403. An app nothing was ever set for has no team and the
    /// default policy.
    /// </summary>
    [WolverineGet("/api/apps/{app}")]
    [Roles(OperatorRoles.Admin, OperatorRoles.Auditor, OperatorRoles.AppOwner)]
    public static async Task<IResult> Get(string app, string? asOf, IQuerySession session, HttpContext context, TimeProvider clock, CancellationToken ct)
    {
        if (!context.AppScope().Allows(app))
            return Problems.Forbidden($"This operator token does not own app '{app}'.");
        if (!AsOf.TryParse(asOf, clock.GetUtcNow(), out var at, out var problem))
            return problem;
        var state = at is { } instant
            ? (await History.LoadAsync(session, [BudgetIds.App(app)], new Cutoff(instant), ct)).Fold<App>(BudgetIds.App(app), App.Evolve)
            : await session.LoadAsync<App>(BudgetIds.App(app), ct);
        return Results.Ok(state ?? App.New(app));
    }
}
