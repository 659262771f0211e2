namespace Governance.Domain.Budgets;

/// <summary>Where a budget stands in its current window.</summary>
public sealed record BudgetStanding(BudgetLevel Level, string Owner, decimal Limit, decimal Settled, decimal Held, Window Window)
{
    /// <summary>What adapters' open leases still hold in the window: it counts like a hold.</summary>
    public decimal Leased { get; init; }

    public decimal Remaining => Limit - Settled - Held - Leased;

    /// <summary>Settled spend above what its requests were admitted for (<see cref="BudgetWindowState.Overrun"/>).</summary>
    public decimal Overrun { get; init; }

    public static BudgetStanding Of(Budget budget, BudgetWindowState? window, DateTimeOffset now) => new(
        budget.Level, budget.Owner, budget.Limit, window?.Settled ?? 0m, window?.HeldAt(now) ?? 0m, budget.WindowAt(now))
    {
        Leased = window?.LeasedAt(now) ?? 0m,
        Overrun = window?.Overrun ?? 0m,
    };
}

/// <summary>
/// Pure budget rules. The invariant at every level, always: settled + open holds + open leases ≤ limit. A hold is placed only
/// when it fits every level; callers serialise decisions per window (see the API's budget lock).
/// </summary>
public static class BudgetDecider
{
    /// <summary>The first level (key, then app, then team) the amount does not fit, or null when it fits them all.</summary>
    public static BudgetStanding? Shortfall(IEnumerable<BudgetStanding> levels, decimal amount) =>
        levels.OrderBy(l => l.Level).FirstOrDefault(l => amount > l.Remaining);

    public static BudgetWindowOpened Open(Budget budget, DateTimeOffset at, decimal openingSettled, DateTimeOffset now)
    {
        var window = budget.WindowAt(at);
        return new BudgetWindowOpened(budget.Id, window.Start, window.End, openingSettled, now);
    }

    public static object[] Capture(Budget budget, BudgetWindowState window, string reservationId, string requestId, decimal actual, DateTimeOffset now) =>
        window.Holds.Any(h => h.ReservationId == reservationId)
            ? [new HoldCaptured(reservationId, requestId, actual, now), .. Thresholds(budget, window, window.Settled + actual, now)]
            // The hold already expired: the spend still happened and is settled as such.
            : Settle(budget, window, [new SettledEntry(requestId, actual)], now);

    public static object[] Settle(Budget budget, BudgetWindowState window, IReadOnlyList<SettledEntry> entries, DateTimeOffset now) =>
        entries.Count == 0
            ? []
            : [new SpendSettled(entries, now), .. Thresholds(budget, window, window.Settled + entries.Sum(e => e.Amount), now)];

    public static object[] Release(BudgetWindowState window, string reservationId, string reason, DateTimeOffset now) =>
        window.Holds.Any(h => h.ReservationId == reservationId) ? [new HoldReleased(reservationId, reason, now)] : [];

    /// <summary>Thresholds newly crossed by settled spend, each once per window.</summary>
    public static IEnumerable<BudgetThresholdCrossed> Thresholds(Budget budget, BudgetWindowState window, decimal settledAfter, DateTimeOffset now) =>
        budget.Limit <= 0
            ? []
            : budget.Thresholds
                .Where(t => !window.CrossedThresholds.Contains(t) && settledAfter * 100m >= budget.Limit * t)
                .Order()
                .Select(t => new BudgetThresholdCrossed(budget.Level, budget.Owner, t, budget.Limit, settledAfter, window.WindowStart, now));
}
