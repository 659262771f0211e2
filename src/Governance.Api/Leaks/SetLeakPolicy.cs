using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Domain.Apps;
using Governance.Domain.Budgets;
using Governance.Domain.Leaks;
using Governance.Domain.Operators;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Leaks;

public sealed record SetLeakPolicy(string Policy)
{
    public sealed class Validator : AbstractValidator<SetLeakPolicy>
    {
        public Validator() => RuleFor(x => x.Policy).Must(p => LeakPolicies.All.Contains(p))
            .WithMessage($"'policy' must be one of: {string.Join(", ", LeakPolicies.All)}.");
    }
}

/// <summary>
/// PUT /api/apps/{app}/leak-policy: what a reported leak of one of the app's keys does (<see cref="LeakPolicies"/>;
/// <c>revoke</c> until set). <c>GET /api/apps/{app}[?asOf=]</c> shows it. The same policy again changes nothing.
/// </summary>
public static class SetLeakPolicyEndpoint
{
    [WolverinePut("/api/apps/{app}/leak-policy")]
    [Roles(OperatorRoles.Admin)]
    public static async Task<App> Put(string app, SetLeakPolicy command, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        var current = await session.LoadAsync<App>(BudgetIds.App(app), ct) ?? App.New(app);
        if (current.LeakPolicy == command.Policy)
            return current;
        var set = new AppLeakPolicySet(app, command.Policy, user.Actor(), clock.GetUtcNow());
        session.Events.Append(BudgetIds.App(app), set);
        return App.Evolve(current, set)!;
    }
}
