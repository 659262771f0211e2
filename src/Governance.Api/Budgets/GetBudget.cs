using Governance.Api.Audit;
using Governance.Api.Infrastructure;
using Governance.Domain.Budgets;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Governance.Store.Budgets;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Budgets;

/// <summary>
/// A budget in its current window. Read from the inline projections: never behind the decisions. <see cref="Leased"/>
/// is what adapters' open leases still hold, apart from <see cref="Held"/> (per-request holds); both count against the limit.
/// <see cref="Overrun"/> is the part of <see cref="Settled"/> that requests cost beyond the worst case they were admitted
/// for (usage above its hold is charged in full, never capped): when it is not 0, spend can exceed the limit.
/// </summary>
public sealed record BudgetStatus(
    string Level, string Owner, decimal Limit, string Period, IReadOnlyList<int> Thresholds, decimal Settled, decimal Held,
    decimal Remaining, DateTimeOffset WindowStart, DateTimeOffset? WindowEnd)
{
    public decimal Leased { get; init; }

    public decimal Overrun { get; init; }

    public static async Task<BudgetStatus> LoadAsync(IQuerySession session, Budget budget, DateTimeOffset now, CancellationToken ct) =>
        Of(budget, await BudgetBook.StandingAsync(session, budget, now, ct));

    public static BudgetStatus Of(Budget budget, BudgetStanding standing) =>
        new(budget.Level.ToString().ToLowerInvariant(), budget.Owner, budget.Limit, budget.Period.ToString().ToLowerInvariant(),
            budget.Thresholds, standing.Settled, standing.Held, standing.Remaining, standing.Window.Start, standing.Window.End)
        {
            Leased = standing.Leased,
            Overrun = standing.Overrun,
        };
}

[Roles(OperatorRoles.Admin, OperatorRoles.Auditor, OperatorRoles.AppOwner)]
public static class GetBudgetEndpoint
{
    /// <summary>The budget in its current window, or with <c>?asOf=</c> in the window containing that instant, as it stood then.</summary>
    [WolverineGet("/api/budgets/{level}/{id}")]
    public static async Task<IResult> Get(
        string level, string id, string? asOf, IQuerySession session, HttpContext context, TimeProvider clock, CancellationToken ct)
    {
        if (!BudgetRoutes.TryLevel(level, out var parsed))
            return Problems.Field("level", "'level' must be one of: key, app, team.");
        if (!AsOf.TryParse(asOf, clock.GetUtcNow(), out var at, out var problem))
            return problem;
        var scope = context.AppScope();
        if (scope.IsLimited)
        {
            // An app-owner sees its apps' and their keys' budgets. Another app's key looks unknown (key ids are not
            // public); an app or team is named by the caller, so refusing it is a plain 403.
            switch (parsed)
            {
                case BudgetLevel.Key when await session.LoadAsync<VirtualKey>(id, ct) is not { } key || !scope.Allows(key.App):
                    return Problems.NotFound($"A {level} budget for '{id}'");
                case BudgetLevel.App when !scope.Allows(id):
                    return Problems.Forbidden($"This operator token does not own app '{id}'.");
                case not (BudgetLevel.Key or BudgetLevel.App):
                    return Problems.Forbidden($"App-owners see key and app budgets only, not {level} budgets.");
            }
        }
        if (at is { } instant)
        {
            var past = await PastBudgets.StatusAsync(session, BudgetIds.Definition(parsed, id), new Cutoff(instant), instant, ct);
            return past is null ? Problems.NotFound($"A {level} budget for '{id}' as of {instant:O}") : Results.Ok(past);
        }
        var budget = await session.LoadAsync<Budget>(BudgetIds.Definition(parsed, id), ct);
        if (budget is null)
            return Problems.NotFound($"A {level} budget for '{id}'");
        return Results.Ok(await BudgetStatus.LoadAsync(session, budget, clock.GetUtcNow(), ct));
    }
}

internal static class BudgetRoutes
{
    public static bool TryLevel(string? value, out BudgetLevel level) =>
        Enum.TryParse(value, ignoreCase: true, out level) && Enum.IsDefined(level) && !int.TryParse(value, out _);

    public static bool TryPeriod(string? value, out BudgetPeriod period) =>
        Enum.TryParse(value, ignoreCase: true, out period) && Enum.IsDefined(period) && !int.TryParse(value, out _);
}
