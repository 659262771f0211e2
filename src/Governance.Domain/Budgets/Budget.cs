namespace Governance.Domain.Budgets;

/// <summary>A budget's current definition.</summary>
public sealed record Budget(string Id, BudgetLevel Level, string Owner, decimal Limit, BudgetPeriod Period, IReadOnlyList<int> Thresholds, DateTimeOffset SetAt)
{
    public static readonly IReadOnlyList<int> DefaultThresholds = [50, 80, 100];

    public Window WindowAt(DateTimeOffset instant) => Window.For(Period, instant);

    public string WindowStreamAt(DateTimeOffset instant) => BudgetIds.Window(Level, Owner, WindowAt(instant));

    public static Budget? Evolve(Budget? state, object @event) => @event switch
    {
        BudgetSet e => new Budget(BudgetIds.Definition(e.Level, e.Owner), e.Level, e.Owner, e.Limit, e.Period, e.Thresholds, e.SetAt),
        _ => state,
    };

    /// <summary>What <paramref name="actual"/> cost beyond the <paramref name="admittedFor"/> worst case (0 when unknown).</summary>
    private static decimal Beyond(decimal actual, decimal? admittedFor) => admittedFor is { } worst && actual > worst ? actual - worst : 0m;
}

public sealed record OpenHold(string ReservationId, decimal Amount, DateTimeOffset ExpiresAt);

/// <summary>Money in one budget window: settled spend, open holds and adapters' leases. Folded from the window's stream.</summary>
public sealed record BudgetWindowState(
    string Id, string BudgetId, DateTimeOffset WindowStart, DateTimeOffset? WindowEnd, decimal Settled,
    IReadOnlyList<OpenHold> Holds, IReadOnlyList<int> CrossedThresholds)
{
    /// <summary>Holds count until they are captured, released, or their expiry passes (by time, even before the event).</summary>
    public decimal HeldAt(DateTimeOffset now) => Holds.Where(h => h.ExpiresAt > now).Sum(h => h.Amount);

    /// <summary>Adapters' leases (docs/leases-and-feed.md). Their remaining counts like a hold until drawn, returned or expired.</summary>
    public IReadOnlyList<OpenLease> Leases { get; init; } = [];

    public decimal LeasedAt(DateTimeOffset now) => Leases.Where(l => l.IsOpenAt(now)).Sum(l => l.Remaining);

    /// <summary>
    /// Spend above what requests were admitted for: for each captured hold and each lease draw that says its worst case,
    /// what the request cost beyond it. That spend is settled in full all the same; this shows that it happened.
    /// </summary>
    public decimal Overrun { get; init; }

    public static BudgetWindowState? Evolve(BudgetWindowState? state, string id, object @event) => (state, @event) switch
    {
        (null, BudgetWindowOpened e) => new BudgetWindowState(id, e.BudgetId, e.WindowStart, e.WindowEnd, e.OpeningSettled, [], []),
        (null, _) => null,
        (_, HoldPlaced e) => state with { Holds = [.. state.Holds, new OpenHold(e.ReservationId, e.Amount, e.ExpiresAt)] },
        (_, HoldCaptured e) => state with
        {
            Settled = state.Settled + e.Actual,
            Holds = state.Holds.Where(h => h.ReservationId != e.ReservationId).ToList(),
            Overrun = state.Overrun + Beyond(e.Actual, state.Holds.FirstOrDefault(h => h.ReservationId == e.ReservationId)?.Amount),
        },
        (_, HoldReleased e) => state with { Holds = state.Holds.Where(h => h.ReservationId != e.ReservationId).ToList() },
        (_, SpendSettled e) => state with { Settled = state.Settled + e.Entries.Sum(x => x.Amount) },
        (_, BudgetThresholdCrossed e) => state with { CrossedThresholds = [.. state.CrossedThresholds, e.Percent] },
        // A draw is spend: settled grows by it, whether or not the lease still had that much.
        (_, LeaseDrawn e) => state with
        {
            Settled = state.Settled + e.Draws.Sum(d => d.Amount), Leases = OpenLease.Evolve(state.Leases, e),
            Overrun = state.Overrun + e.Draws.Sum(d => Beyond(d.Amount, d.WorstCase)),
        },
        (_, LeaseGranted or LeaseExtended or LeaseReturned or LeaseRecalled or LeaseExpired) => state with { Leases = OpenLease.Evolve(state.Leases, @event) },
        _ => state,
    };

    /// <summary>What <paramref name="actual"/> cost beyond the <paramref name="admittedFor"/> worst case (0 when unknown).</summary>
    private static decimal Beyond(decimal actual, decimal? admittedFor) => admittedFor is { } worst && actual > worst ? actual - worst : 0m;
}
