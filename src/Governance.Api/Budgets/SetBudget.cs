using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Domain.Budgets;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Budgets;

public sealed record SetBudget(decimal Limit, string Period, IReadOnlyList<int>? Thresholds)
{
    public sealed class Validator : AbstractValidator<SetBudget>
    {
        public Validator()
        {
            RuleFor(x => x.Limit).GreaterThanOrEqualTo(0).LessThanOrEqualTo(100_000_000)
                .Must(l => l.Scale <= 10).WithMessage("'limit' must have at most 10 decimal places.");
            RuleFor(x => x.Period).Must(p => BudgetRoutes.TryPeriod(p, out _))
                .WithMessage("'period' must be one of: daily, weekly, monthly, lifetime.");
            RuleForEach(x => x.Thresholds).InclusiveBetween(1, 1000);
        }
    }
}

/// <summary>PUT /api/budgets/{level}/{id}: set or change a key's, app's or team's budget. Takes effect at once.</summary>
public static class SetBudgetEndpoint
{
    public static async Task<IResult> ValidateAsync(string level, string id, IQuerySession session, CancellationToken ct)
    {
        if (!BudgetRoutes.TryLevel(level, out var parsed))
            return Problems.Field("level", "'level' must be one of: key, app, team.");
        // User and tag budgets are not enforced yet (issue 19, point 2): refused rather than set and silently ignored.
        if (parsed is BudgetLevel.User or BudgetLevel.Tag)
            return Problems.Field("level", $"'{level}' budgets are not supported yet; 'level' must be one of: key, app, team.");
        if (parsed == BudgetLevel.Key && await session.LoadAsync<VirtualKey>(id, ct) is null)
            return Problems.NotFound($"Key '{id}'");
        return WolverineContinue.Result();
    }

    [WolverinePut("/api/budgets/{level}/{id}")]
    [Roles(OperatorRoles.Admin)]
    public static async Task<BudgetStatus> Put(
        string level, string id, SetBudget command, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        BudgetRoutes.TryLevel(level, out var parsed);
        BudgetRoutes.TryPeriod(command.Period, out var period);
        var now = clock.GetUtcNow();
        var set = new BudgetSet(parsed, id, command.Limit, period,
            (command.Thresholds ?? Budget.DefaultThresholds).Distinct().Order().ToList(), user.Actor(), now);
        session.Events.Append(BudgetIds.Definition(parsed, id), set);
        return await BudgetStatus.LoadAsync(session, Budget.Evolve(null, set)!, now, ct);
    }
}
