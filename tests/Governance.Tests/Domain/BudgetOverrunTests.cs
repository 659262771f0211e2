using Governance.Domain.Budgets;

namespace Governance.Tests.Domain;

/// <summary>Usage above what a request was admitted for is settled in full and shows on its window as an overrun.</summary>
public sealed class BudgetOverrunTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 17, 12, 0, 0, TimeSpan.Zero);
    private const string Owner = "k1abcdefghijklmn";
    private static readonly Budget Monthly = new(BudgetIds.Definition(BudgetLevel.Key, Owner), BudgetLevel.Key, Owner, 1m, BudgetPeriod.Monthly,
        Budget.DefaultThresholds, Now.AddDays(-30));

    private static BudgetWindowState Window(params object[] events) =>
        events.Aggregate((BudgetWindowState?)BudgetWindowState.Evolve(null, "w", BudgetDecider.Open(Monthly, Now, 0m, Now)),
            (state, e) => BudgetWindowState.Evolve(state, "w", e))!;

    private static HoldPlaced Hold(string reservationId, decimal amount) => new(reservationId, amount, Now.AddMinutes(5), Owner, "m", Now);

    private static LeaseGranted Lease(decimal amount) =>
        new("lse_1", "edge-1", Owner, BudgetLevel.Key, Owner, "w", amount, 0.01m, Now.AddMinutes(1), "adapter:edge-1", Now);

    [Fact]
    public void a_capture_above_its_hold_is_settled_in_full_and_the_excess_is_an_overrun()
    {
        var window = Window(Hold("r1", 0.02m), new HoldCaptured("r1", "req_1", 0.05m, Now));

        Assert.Equal(0.05m, window.Settled);
        Assert.Equal(0.03m, window.Overrun);
        Assert.Equal(0.03m, BudgetStanding.Of(Monthly, window, Now).Overrun);
    }

    [Fact]
    public void a_capture_within_its_hold_is_no_overrun()
    {
        Assert.Equal(0m, Window(Hold("r1", 0.02m), new HoldCaptured("r1", "req_1", 0.02m, Now)).Overrun);
    }

    [Fact]
    public void a_lease_draw_above_the_worst_case_it_was_admitted_for_is_an_overrun()
    {
        var window = Window(Lease(0.5m), new LeaseDrawn(
            [new LeaseDraw("lse_1", "req_1", 0.04m, WorstCase: 0.01m), new LeaseDraw("lse_1", "req_2", 0.01m, WorstCase: 0.02m), new LeaseDraw("lse_1", "req_3", 0.3m)],
            Now));

        Assert.Equal(0.35m, window.Settled);
        // Only the draw that said its worst case and cost more than it; a draw that did not say cannot be judged.
        Assert.Equal(0.03m, window.Overrun);
    }
}
