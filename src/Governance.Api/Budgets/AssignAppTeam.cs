using System.Security.Claims;
using FluentValidation;
using Governance.Api.Keys;
using Governance.Domain.Apps;
using Governance.Domain.Budgets;
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
    public static App Put(string app, AssignAppTeam command, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock)
    {
        var assigned = new AppTeamAssigned(app, command.Team, user.Actor(), clock.GetUtcNow());
        session.Events.Append(BudgetIds.App(app), assigned);
        return App.Evolve(null, assigned)!;
    }

    [WolverineGet("/api/apps/{app}")]
    public static async Task<App> Get(string app, IQuerySession session, CancellationToken ct) =>
        await session.LoadAsync<App>(BudgetIds.App(app), ct) ?? new App(BudgetIds.App(app), app, null);
}
