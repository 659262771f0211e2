using Governance.Api.Budgets;
using Governance.Domain.Budgets;
using Governance.Domain.Usage;
using Governance.Projections.Usage;
using Marten;

namespace Governance.Api.Audit;

/// <summary>A budget as it stood at a cutoff: its definition then, and its window containing the instant, as of then.</summary>
public sealed record PastStanding(Budget Budget, BudgetStanding Standing)
{
    public BudgetStatus Status => BudgetStatus.Of(Budget, Standing);
}

public static class PastBudgets
{
    public static async Task<BudgetStatus?> StatusAsync(IQuerySession session, string definitionId, Cutoff cutoff, DateTimeOffset at, CancellationToken ct) =>
        (await StandingsAsync(session, [definitionId], cutoff, at, null, ct)).SingleOrDefault()?.Status;

    /// <summary>
    /// Every budget in <paramref name="definitionIds"/> that existed at the cutoff, in the window containing <paramref name="at"/>,
    /// with holds counted as at <paramref name="at"/>. <paramref name="withoutReservation"/> leaves one reservation's hold out,
    /// so a decision can be shown against what was left before it.
    /// </summary>
    public static async Task<IReadOnlyList<PastStanding>> StandingsAsync(
        IQuerySession session, IReadOnlyList<string> definitionIds, Cutoff cutoff, DateTimeOffset at, string? withoutReservation, CancellationToken ct,
        IReadOnlyList<string>? withoutLeases = null, RequestCompleted? withoutRequest = null)
    {
        var definitions = await History.LoadAsync(session, definitionIds, cutoff, ct);
        var budgets = definitionIds.Select(id => definitions.Fold<Budget>(id, Budget.Evolve)).OfType<Budget>().ToList();
        var windows = await History.LoadAsync(session, budgets.Select(b => b.WindowStreamAt(at)), cutoff, ct);

        var standings = new List<PastStanding>();
        foreach (var budget in budgets)
        {
            var windowId = budget.WindowStreamAt(at);
            var window = windows.Fold<BudgetWindowState>(windowId, (state, e) => BudgetWindowState.Evolve(state, windowId, e));
            if (window is not null && withoutReservation is not null)
                window = window with { Holds = window.Holds.Where(h => h.ReservationId != withoutReservation).ToList() };
            // The request's own leases are what it was admitted from, as its own hold would be: not counted against it.
            if (window is not null && withoutLeases is { Count: > 0 })
                window = window with { Leases = window.Leases.Where(l => !withoutLeases.Contains(l.LeaseId)).ToList() };
            var standing = window is not null
                ? BudgetStanding.Of(budget, window, at)
                // Nobody had touched the window yet: its spend was what the ledger held for it then.
                : BudgetStanding.Of(budget, null, at) with { Settled = await LedgerSpendAsync(session, budget, budget.WindowAt(at), cutoff, ct) - Own(withoutRequest, cutoff) };
            standings.Add(new PastStanding(budget, standing));
        }
        return standings.OrderBy(s => s.Budget.Level).ToList();
    }

    /// <summary>
    /// The request being explained, when the ledger had it by the cutoff's time: an adapter deciding from memory is judged
    /// at its copy's sequence, but a window nobody had touched falls back to the ledger by time, which may include it.
    /// </summary>
    private static decimal Own(RequestCompleted? request, Cutoff cutoff) => request is not null && request.RecordedAt <= cutoff.At ? request.Cost : 0m;

    /// <summary>Spend the ledger had recorded by the cutoff for the budget's owner within the window (the request log's recording time).</summary>
    private static Task<decimal> LedgerSpendAsync(IQuerySession session, Budget budget, Window window, Cutoff cutoff, CancellationToken ct) =>
        RequestLog.SpentAsync(session, budget.Level, budget.Owner, window, ct, recordedUntil: cutoff.At);
}
