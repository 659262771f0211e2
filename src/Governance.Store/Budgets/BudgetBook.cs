using Governance.Domain.Apps;
using Governance.Domain.Budgets;
using Governance.Projections.Usage;
using Marten;

namespace Governance.Store.Budgets;

/// <summary>
/// Reads and opens budget windows. Every decision that changes a window runs under a PostgreSQL transaction-scoped
/// advisory lock per window stream, so concurrent holds and settlements on one budget are serialised by the
/// database itself (any number of API or adapter nodes), and "settled + open holds ≤ limit" cannot be raced.
/// </summary>
/// <summary>Who a request's money belongs to: its key, the key's app, the app's team, the grant that admitted it.</summary>
public sealed record BudgetScope(string KeyId, string App, string? Team, string? GrantId);

public static class BudgetBook
{
    public static async Task<string?> TeamOfAsync(IQuerySession session, string app, CancellationToken ct) =>
        (await TeamsOfAsync(session, [app], ct)).GetValueOrDefault(app);

    /// <summary>Each app's team (apps in no team are absent), in one query.</summary>
    public static async Task<IReadOnlyDictionary<string, string?>> TeamsOfAsync(IQuerySession session, IEnumerable<string> apps, CancellationToken ct) =>
        (await session.LoadManyAsync<App>(ct, apps.Distinct().Select(BudgetIds.App))).ToDictionary(a => a.Name, a => a.Team);

    /// <summary>
    /// Every team the app belonged to at some moment from <paramref name="from"/> to <paramref name="to"/>, from its history:
    /// what an adapter's copy may have shown while a team change was on its way to it.
    /// </summary>
    public static async Task<IReadOnlySet<string>> TeamsDuringAsync(IQuerySession session, string app, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        var teams = new HashSet<string>(StringComparer.Ordinal);
        string? before = null;
        foreach (var assigned in (await session.Events.FetchStreamAsync(BudgetIds.App(app), token: ct)).Select(e => e.Data).OfType<AppTeamAssigned>())
        {
            if (assigned.AssignedAt <= from)
                before = assigned.Team;
            else if (assigned.AssignedAt <= to && assigned.Team is not null)
                teams.Add(assigned.Team);
        }
        if (before is not null)
            teams.Add(before);
        return teams;
    }

    /// <summary>
    /// The budgets a request by this key (of this app, of this team, under this access grant) must fit, key level first.
    /// </summary>
    public static async Task<IReadOnlyList<Budget>> ForAsync(IQuerySession session, BudgetScope scope, CancellationToken ct) =>
        (await ForAsync(session, [scope], ct))[scope];

    /// <summary>The budgets of every scope, loaded in one query.</summary>
    public static async Task<IReadOnlyDictionary<BudgetScope, IReadOnlyList<Budget>>> ForAsync(
        IQuerySession session, IReadOnlyCollection<BudgetScope> scopes, CancellationToken ct)
    {
        var budgets = (await session.LoadManyAsync<Budget>(ct, scopes.SelectMany(Ids).Distinct())).ToDictionary(b => b.Id);
        return scopes.Distinct().ToDictionary(
            scope => scope,
            scope => (IReadOnlyList<Budget>)Ids(scope).Select(budgets.GetValueOrDefault).OfType<Budget>().OrderBy(b => b.Level).ToList());
    }

    private static IEnumerable<string> Ids(BudgetScope scope)
    {
        yield return BudgetIds.Definition(BudgetLevel.Key, scope.KeyId);
        yield return BudgetIds.Definition(BudgetLevel.App, scope.App);
        if (scope.Team is not null)
            yield return BudgetIds.Definition(BudgetLevel.Team, scope.Team);
        if (scope.GrantId is not null)
            yield return BudgetIds.Definition(BudgetLevel.Grant, scope.GrantId);
    }

    /// <summary>Starts the transaction and takes the window locks in one sorted order, so two callers never deadlock.</summary>
    public static async Task LockAsync(IDocumentSession session, IEnumerable<string> windowStreams, CancellationToken ct)
    {
        var ids = windowStreams.Distinct().Order(StringComparer.Ordinal).ToArray();
        await session.BeginTransactionAsync(ct);
        if (ids.Length == 0)
            return;
        await using var command = session.Connection!.CreateCommand();
        command.CommandText = "select count(pg_advisory_xact_lock(hashtextextended(id, 0))) from (select unnest(@ids) as id order by 1) locks";
        command.Parameters.AddWithValue("ids", ids);
        await command.ExecuteScalarAsync(ct);
    }

    /// <summary>
    /// The budget's window containing <paramref name="at"/>. A window seen for the first time is opened with the
    /// spend the ledger already holds for it, so a budget set mid-month still counts the month's earlier spend.
    /// Call under <see cref="LockAsync"/>. <paramref name="settling"/> names requests already in the ledger that the
    /// caller is about to settle into this window: the opening balance leaves them out, so they count once.
    /// </summary>
    public static async Task<BudgetWindowState> WindowAsync(
        IDocumentSession session, Budget budget, DateTimeOffset at, DateTimeOffset now, CancellationToken ct, IReadOnlyCollection<string>? settling = null)
    {
        var id = budget.WindowStreamAt(at);
        var state = await session.LoadAsync<BudgetWindowState>(id, ct);
        if (state is not null)
            return state;

        var opened = BudgetDecider.Open(budget, at, await SettledInLedgerAsync(session, budget, budget.WindowAt(at), ct, settling), now);
        session.Events.StartStream<BudgetWindowState>(id, opened);
        return BudgetWindowState.Evolve(null, id, opened)!;
    }

    /// <summary>Where the budget stands now. A window nobody has touched yet shows the spend the ledger holds for it.</summary>
    public static async Task<BudgetStanding> StandingAsync(IQuerySession session, Budget budget, DateTimeOffset now, CancellationToken ct)
    {
        var window = await session.LoadAsync<BudgetWindowState>(budget.WindowStreamAt(now), ct);
        return window is not null
            ? BudgetStanding.Of(budget, window, now)
            : BudgetStanding.Of(budget, null, now) with { Settled = await SettledInLedgerAsync(session, budget, budget.WindowAt(now), ct) };
    }

    /// <summary>Spend recorded in the ledger for this budget's owner within the window.</summary>
    public static Task<decimal> SettledInLedgerAsync(
        IQuerySession session, Budget budget, Window window, CancellationToken ct, IReadOnlyCollection<string>? except = null) =>
        RequestLog.SpentAsync(session, budget.Level, budget.Owner, window, ct, except);
}
