using Governance.Api.Infrastructure;
using Governance.Domain.Budgets;
using Governance.Domain.Operators;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Budgets;

[Roles(OperatorRoles.Admin, OperatorRoles.Auditor, OperatorRoles.AppOwner)]
public static class ListBudgetsEndpoint
{
    public const int MaxPage = 200;

    /// <summary>
    /// Every budget in its current window (settled, held, remaining, window end): the dashboard's status bars. An
    /// app-owner sees its apps' budgets and their keys' budgets only.
    /// </summary>
    [WolverineGet("/api/budgets")]
    public static async Task<IReadOnlyList<BudgetStatus>> List(IQuerySession session, HttpContext context, TimeProvider clock, CancellationToken ct)
    {
        var budgets = await session.Query<Budget>().OrderBy(b => b.Id).Take(MaxPage).ToListAsync(ct);
        var scope = context.AppScope();
        if (scope.IsLimited)
        {
            var keyIds = budgets.Where(b => b.Level == BudgetLevel.Key).Select(b => b.Owner).ToArray();
            var keyApps = (await session.LoadManyAsync<Domain.Keys.VirtualKey>(ct, keyIds)).ToDictionary(k => k.Id, k => k.App);
            budgets = budgets.Where(b => b.Level switch
            {
                BudgetLevel.App => scope.Allows(b.Owner),
                BudgetLevel.Key => keyApps.TryGetValue(b.Owner, out var app) && scope.Allows(app),
                _ => false,
            }).ToList();
        }
        var now = clock.GetUtcNow();
        List<BudgetStatus> statuses = [];
        foreach (var budget in budgets)
            statuses.Add(await BudgetStatus.LoadAsync(session, budget, now, ct));
        return statuses;
    }
}
