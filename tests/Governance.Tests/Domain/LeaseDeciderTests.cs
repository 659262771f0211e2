using Governance.Domain;
using Governance.Domain.Access;
using Governance.Domain.Budgets;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;
using Governance.Domain.Pricing;

namespace Governance.Tests.Domain;

public sealed class LeaseDeciderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 17, 12, 0, 0, TimeSpan.Zero);
    private const string KeyId = "k1abcdefghijklmn";
    private const string A = "edge-a", B = "edge-b", C = "edge-c";
    // The protocol's mechanics (shares, recalls, returns) with one adapter free to take a whole window; the per-adapter
    // caps have tests of their own, with the defaults.
    private static readonly LeaseSizing Sizing = LeaseSizing.Default with { MaxShare = 1m };

    private static Budget KeyBudget(decimal limit, BudgetPeriod period = BudgetPeriod.Monthly) =>
        new(BudgetIds.Definition(BudgetLevel.Key, KeyId), BudgetLevel.Key, KeyId, limit, period, Budget.DefaultThresholds, Now.AddDays(-30));

    private static Budget AppBudget(decimal limit) =>
        new(BudgetIds.Definition(BudgetLevel.App, "billing"), BudgetLevel.App, "billing", limit, BudgetPeriod.Monthly, Budget.DefaultThresholds, Now.AddDays(-30));

    private static LeaseLevel Level(Budget budget, decimal settled = 0m) =>
        new(budget, BudgetWindowState.Evolve(null, budget.WindowStreamAt(Now), BudgetDecider.Open(budget, Now, settled, Now.AddDays(-1)))!);

    private static LeaseLevel Apply(LeaseLevel level, IEnumerable<object> events) =>
        level with { Window = events.Aggregate(level.Window, (w, e) => BudgetWindowState.Evolve(w, w.Id, e)!) };

    private static int _ids;

    private static string NewId() => $"lse_{Interlocked.Increment(ref _ids)}";

    private static (LeaseLevel Level, LeaseDecision Decision) Ask(
        LeaseLevel level, string adapter, decimal need, decimal? want = null, DateTimeOffset? at = null)
    {
        var decision = LeaseDecider.Request([level], adapter, KeyId, need, want, Sizing, "op_" + adapter, at ?? Now, NewId);
        return (Apply(level, decision.Events.Select(e => e.Event)), decision);
    }

    private static decimal Free(LeaseLevel level, DateTimeOffset? at = null) => LeaseDecider.Free(level, at ?? Now);

    // ---- Granting ----

    [Fact]
    public void a_lease_is_carved_out_of_the_free_headroom_and_counts_like_a_hold()
    {
        var (level, decision) = Ask(Level(KeyBudget(1.00m)), A, need: 0.05m, want: 0.40m);

        Assert.Equal(LeaseVerdict.Granted, decision.Verdict);
        var slice = Assert.Single(decision.Slices);
        Assert.Equal((BudgetLevel.Key, KeyId, 0.40m, 0.40m, Now + Sizing.Ttl), (slice.Level, slice.Owner, slice.Added, slice.Remaining, slice.ExpiresAt));
        var granted = Assert.IsType<LeaseGranted>(Assert.Single(decision.Events).Event);
        Assert.Equal((A, level.Window.Id, 0.05m), (granted.AdapterId, granted.Window, granted.Need));
        Assert.Equal(0.40m, level.Window.LeasedAt(Now));
        Assert.Equal(0.60m, BudgetStanding.Of(level.Budget, level.Window, Now).Remaining);
    }

    [Fact]
    public void without_want_an_adapter_asks_for_ten_times_its_need()
    {
        var (_, decision) = Ask(Level(KeyBudget(100m)), A, need: 0.05m);

        Assert.Equal(0.50m, Assert.Single(decision.Slices).Added);
    }

    [Fact]
    public void a_second_adapter_gets_at_most_a_fair_share_of_what_is_free()
    {
        var (level, _) = Ask(Level(KeyBudget(1.00m)), A, need: 0.05m, want: 0.60m);
        var (_, second) = Ask(level, B, need: 0.05m, want: 1.00m);

        // 0.40 free, shared between A (already leasing) and B.
        Assert.Equal(0.20m, Assert.Single(second.Slices).Added);
    }

    [Fact]
    public void near_exhaustion_a_lease_is_exactly_one_request_so_two_adapters_both_keep_admitting()
    {
        var (level, first) = Ask(Level(KeyBudget(0.10m)), A, need: 0.05m, want: 0.10m);
        var (level2, second) = Ask(level, B, need: 0.05m, want: 0.10m);

        Assert.Equal(0.05m, Assert.Single(first.Slices).Added);
        Assert.Equal(0.05m, Assert.Single(second.Slices).Added);
        Assert.Equal(0m, Free(level2));
    }

    [Fact]
    public void asking_again_tops_up_the_adapters_one_lease_in_the_window_and_extends_it()
    {
        var (level, first) = Ask(Level(KeyBudget(10m)), A, need: 0.05m, want: 0.50m);
        var (level2, again) = Ask(level, A, need: 0.05m, want: 0.50m, at: Now.AddSeconds(30));

        var slice = Assert.Single(again.Slices);
        Assert.Equal(Assert.Single(first.Slices).LeaseId, slice.LeaseId);
        Assert.Equal((0.50m, 1.00m, Now.AddSeconds(30) + Sizing.Ttl), (slice.Added, slice.Remaining, slice.ExpiresAt));
        Assert.IsType<LeaseExtended>(Assert.Single(again.Events).Event);
        Assert.Single(level2.Window.Leases);
        Assert.Equal(1.00m, level2.Window.LeasedAt(Now.AddSeconds(30)));
    }

    [Fact]
    public void a_lease_never_outlives_its_window()
    {
        var lateInTheDay = new DateTimeOffset(2026, 11, 17, 23, 59, 30, TimeSpan.Zero);
        var budget = KeyBudget(1m, BudgetPeriod.Daily);
        var level = new LeaseLevel(budget, BudgetWindowState.Evolve(null, budget.WindowStreamAt(lateInTheDay), BudgetDecider.Open(budget, lateInTheDay, 0m, lateInTheDay))!);

        var (_, decision) = Ask(level, A, need: 0.05m, at: lateInTheDay);

        Assert.Equal(new DateTimeOffset(2026, 11, 18, 0, 0, 0, TimeSpan.Zero), Assert.Single(decision.Slices).ExpiresAt);
    }

    [Fact]
    public void every_level_gets_a_slice_or_none_does()
    {
        var levels = new[] { Level(KeyBudget(10m)), Level(AppBudget(0.03m)) };

        var denied = LeaseDecider.Request(levels, A, KeyId, 0.05m, null, Sizing, "op_a", Now, NewId);
        var granted = LeaseDecider.Request(levels, A, KeyId, 0.02m, null, Sizing, "op_a", Now, NewId);

        Assert.Equal(LeaseVerdict.Denied, denied.Verdict);
        Assert.Empty(denied.Events);
        Assert.Equal((BudgetLevel.App, 0.03m), (denied.Shortfall!.Level, denied.Shortfall.Remaining));
        Assert.Equal([BudgetLevel.Key, BudgetLevel.App], granted.Slices.Select(s => s.Level));
    }

    // ---- Recall, retry, deny ----

    [Fact]
    public void headroom_parked_in_another_adapters_lease_is_recalled_and_the_caller_told_to_retry()
    {
        var (level, held) = Ask(Level(KeyBudget(1.00m)), B, need: 0.05m, want: 1.00m);
        var (recalledLevel, decision) = Ask(level, A, need: 0.05m);

        Assert.Equal(LeaseVerdict.Retry, decision.Verdict);
        var leaseId = Assert.Single(held.Slices).LeaseId;
        Assert.Equal([leaseId], decision.Recalled);
        var recall = Assert.IsType<LeaseRecalled>(Assert.Single(decision.Events).Event);
        Assert.Equal((leaseId, B, A), (recall.LeaseId, recall.AdapterId, recall.RecalledFor));
        Assert.True(Assert.Single(recalledLevel.Window.Leases).Recalled);

        // Asking again before B answers recalls nothing new.
        var (_, again) = Ask(recalledLevel, A, need: 0.05m);
        Assert.Equal((LeaseVerdict.Retry, 0), (again.Verdict, again.Events.Count));
    }

    [Fact]
    public void once_the_holder_returns_what_it_does_not_use_the_retry_is_granted()
    {
        var (level, held) = Ask(Level(KeyBudget(1.00m)), B, need: 0.05m, want: 1.00m);
        var (recalled, _) = Ask(level, A, need: 0.05m);
        // B has one request of 0.05 in flight; it returns the rest.
        var returned = Apply(recalled, LeaseDecider.Return(recalled.Window, held.Slices[0].LeaseId, 0.95m, null, "op_b", Now));
        var (_, retry) = Ask(returned, A, need: 0.05m);

        Assert.Equal(LeaseVerdict.Granted, retry.Verdict);
        Assert.False(returned.Window.Leases[0].Recalled);
        Assert.Equal(0.05m, returned.Window.Leases[0].Remaining);
    }

    [Fact]
    public void a_request_is_denied_only_when_what_is_free_plus_what_others_could_return_is_below_its_need()
    {
        var (level, heldByB) = Ask(Level(KeyBudget(0.10m)), B, need: 0.05m);
        var (level2, heldByA) = Ask(level, A, need: 0.05m);
        // Both answered a recall: all they hold is in flight. Nothing can be gained from them.
        var settling = Apply(level2, LeaseDecider.Return(level2.Window, heldByB.Slices[0].LeaseId, 0m, null, "op_b", Now));
        settling = Apply(settling, LeaseDecider.Return(settling.Window, heldByA.Slices[0].LeaseId, 0m, null, "op_a", Now));

        var (_, decision) = Ask(settling, C, need: 0.05m);

        Assert.Equal(LeaseVerdict.Denied, decision.Verdict);
        Assert.Empty(decision.Events);
        Assert.Equal(0m, decision.Shortfall!.Remaining);
    }

    [Fact]
    public void a_top_up_ahead_of_need_takes_free_headroom_only_and_recalls_nothing()
    {
        var (level, held) = Ask(Level(KeyBudget(1.00m)), B, need: 0.05m, want: 0.90m);

        var ahead = LeaseDecider.Request([level], A, KeyId, 0.05m, null, Sizing, "op_a", Now, NewId, recall: false);
        Assert.Equal((LeaseVerdict.Granted, 0.05m), (ahead.Verdict, Assert.Single(ahead.Slices).Added));
        var tooMuch = LeaseDecider.Request([level], A, KeyId, 0.20m, null, Sizing, "op_a", Now, NewId, recall: false);

        Assert.Equal(LeaseVerdict.Retry, tooMuch.Verdict);
        Assert.Empty(tooMuch.Events);
        Assert.Empty(tooMuch.Recalled);
        Assert.False(Assert.Single(level.Window.Leases, l => l.LeaseId == held.Slices[0].LeaseId).Recalled);
    }

    [Fact]
    public void money_left_over_by_a_request_cheaper_than_its_worst_case_can_be_recalled_again()
    {
        var (level, heldByB) = Ask(Level(KeyBudget(0.10m)), B, need: 0.05m);
        var (level2, heldByA) = Ask(level, A, need: 0.05m);
        var settling = Apply(level2, LeaseDecider.Return(level2.Window, heldByB.Slices[0].LeaseId, 0m, null, "op_b", Now));
        settling = Apply(settling, LeaseDecider.Return(settling.Window, heldByA.Slices[0].LeaseId, 0m, null, "op_a", Now));
        // B's request in flight cost $0.02 of its $0.05 worst case: $0.03 sits unused in B's lease now.
        var drawn = Apply(settling, LeaseDecider.Settle(settling.Budget, settling.Window, [], [new LeaseDraw(heldByB.Slices[0].LeaseId, "q1", 0.02m)], Now));

        var (_, decision) = Ask(drawn, C, need: 0.03m);

        Assert.Equal(LeaseVerdict.Retry, decision.Verdict);
        Assert.Equal([heldByB.Slices[0].LeaseId], decision.Recalled);
    }

    [Fact]
    public void a_draw_that_cost_its_whole_worst_case_frees_nothing_and_a_settling_lease_is_not_recalled_again()
    {
        // B holds $0.06 for three requests in flight, A $0.02 for one; both answered a recall: nothing unused.
        var (level, heldByB) = Ask(Level(KeyBudget(0.10m)), B, need: 0.02m, want: 0.06m);
        var (level2, heldByA) = Ask(level, A, need: 0.02m);
        var settling = Apply(level2, LeaseDecider.Return(level2.Window, heldByB.Slices[0].LeaseId, 0m, null, "op_b", Now));
        settling = Apply(settling, LeaseDecider.Return(settling.Window, heldByA.Slices[0].LeaseId, 0m, null, "op_a", Now));
        // One of B's requests cost its whole $0.02 worst case: B's other $0.04 is still in flight.
        var drawn = Apply(settling, LeaseDecider.Settle(settling.Budget, settling.Window, [],
            [new LeaseDraw(heldByB.Slices[0].LeaseId, "q1", 0.02m, WorstCase: 0.02m)], Now));
        Assert.Equal(0.04m, drawn.Window.Leases.Single(l => l.AdapterId == B).Remaining);

        var (_, decision) = Ask(drawn, C, need: 0.03m);

        Assert.Equal(LeaseVerdict.Denied, decision.Verdict);
        Assert.Empty(decision.Recalled);
    }

    [Fact]
    public void a_return_that_crossed_a_top_up_leaves_the_lease_recallable_until_a_return_has_seen_every_grant()
    {
        var (level, heldByB) = Ask(Level(KeyBudget(0.10m)), B, need: 0.02m, want: 0.06m);
        var leaseId = heldByB.Slices[0].LeaseId;
        // A's shortfall recalls B's lease; before B's answer reaches the API, B tops its lease up for a request of its own.
        var (recalled, _) = Ask(level, A, need: 0.05m);
        var (toppedUp, topUp) = Ask(recalled, B, need: 0.02m);
        Assert.Equal((0.02m, 2), (topUp.Slices[0].Added, topUp.Slices[0].Grants));
        // B's answer was counted before it saw the top-up: all of the first $0.06 in flight, nothing unused.
        var returned = LeaseDecider.Return(toppedUp.Window, leaseId, 0m, grantsSeen: 1, "op_b", Now);
        var crossed = Apply(toppedUp, returned);

        // The $0.02 top-up may be unused: the lease is recalled again rather than A being denied.
        Assert.True(Assert.IsType<LeaseReturned>(Assert.Single(returned)).Partial);
        var (_, retry) = Ask(crossed, A, need: 0.03m);
        Assert.Equal(LeaseVerdict.Retry, retry.Verdict);
        Assert.Equal([leaseId], retry.Recalled);

        // B's next answer has seen both grants and gives the top-up back: A gets it.
        var answered = Apply(crossed, LeaseDecider.Return(crossed.Window, leaseId, 0.02m, grantsSeen: 2, "op_b", Now));
        var (_, granted) = Ask(answered, A, need: 0.03m);
        Assert.Equal(LeaseVerdict.Granted, granted.Verdict);
    }

    [Fact]
    public void an_adapters_own_remainder_counts_as_committed_when_it_asks_for_more()
    {
        var (level, _) = Ask(Level(KeyBudget(0.10m)), A, need: 0.05m, want: 0.10m);
        var (level2, _) = Ask(level, A, need: 0.05m);

        var (_, decision) = Ask(level2, A, need: 0.05m);

        Assert.Equal(LeaseVerdict.Denied, decision.Verdict);
    }

    // ---- Per-adapter caps (the defaults: half a window's limit, 10,000 open leases) ----

    private static (LeaseLevel Level, LeaseDecision Decision) AskCapped(LeaseLevel level, string adapter, decimal need, decimal? want = null, int open = 0)
    {
        var decision = LeaseDecider.Request([level], adapter, KeyId, need, want, LeaseSizing.Default, "op_" + adapter, Now, NewId, openLeases: open);
        return (Apply(level, decision.Events.Select(e => e.Event)), decision);
    }

    [Fact]
    public void one_adapter_holds_at_most_half_the_limit_and_waits_for_its_usage_before_it_gets_more()
    {
        var (level, greedy) = AskCapped(Level(KeyBudget(1.00m)), A, need: 0.05m, want: 1_000_000m);

        var (_, more) = AskCapped(level, A, need: 0.05m, want: 1_000_000m);
        var drawn = Apply(level, LeaseDecider.Settle(level.Budget, level.Window, [], [new LeaseDraw(greedy.Slices[0].LeaseId, "q1", 0.05m, 0.05m)], Now));
        var (_, afterDraw) = AskCapped(drawn, A, need: 0.05m);

        Assert.Equal(0.50m, greedy.Slices[0].Added);
        Assert.Equal(LeaseVerdict.Retry, more.Verdict);
        Assert.Empty(more.Events);
        Assert.Equal((LeaseVerdict.Granted, 0.50m), (afterDraw.Verdict, afterDraw.Slices[0].Remaining));
    }

    [Fact]
    public void one_request_that_needs_more_than_the_share_is_still_granted_its_need_alone()
    {
        var (_, big) = AskCapped(Level(KeyBudget(1.00m)), A, need: 0.80m);

        Assert.Equal((LeaseVerdict.Granted, 0.80m), (big.Verdict, big.Slices[0].Added));
    }

    [Fact]
    public void a_lease_below_its_share_still_gets_one_requests_need_beyond_it()
    {
        var (level, _) = AskCapped(Level(KeyBudget(1.00m)), A, need: 0.45m);

        var (past, big) = AskCapped(level, A, need: 0.30m);
        var (_, more) = AskCapped(past, A, need: 0.05m);

        Assert.Equal((LeaseVerdict.Granted, 0.75m), (big.Verdict, big.Slices[0].Remaining));
        Assert.Equal(LeaseVerdict.Retry, more.Verdict);
    }

    [Fact]
    public void a_renewal_never_tops_a_lease_up_past_the_share()
    {
        var (level, held) = AskCapped(Level(KeyBudget(1.00m)), A, need: 0.05m, want: 0.10m);

        var renewed = Assert.IsType<LeaseExtended>(Assert.Single(LeaseDecider.Renew(level, held.Slices[0].LeaseId, 1_000_000m, LeaseSizing.Default, "op_a", Now)));

        Assert.Equal(0.40m, renewed.Added);
    }

    [Fact]
    public void an_adapter_with_as_many_open_leases_as_it_may_hold_gets_no_new_one_but_tops_up_its_own()
    {
        var max = LeaseSizing.Default.MaxOpenLeases;
        var (level, _) = AskCapped(Level(KeyBudget(1.00m)), A, need: 0.05m, want: 0.10m, open: max - 1);

        var (_, newWindow) = AskCapped(Level(AppBudget(1.00m)), A, need: 0.05m, open: max);
        var (_, topUp) = AskCapped(level, A, need: 0.05m, open: max);

        Assert.Equal(LeaseVerdict.TooManyLeases, newWindow.Verdict);
        Assert.Empty(newWindow.Events);
        Assert.Equal(LeaseVerdict.Granted, topUp.Verdict);
    }

    // ---- Renew, return, expire ----

    [Fact]
    public void renewing_extends_the_lease_and_tops_it_up_towards_what_it_wants_within_its_fair_share()
    {
        var (level, held) = Ask(Level(KeyBudget(1.00m)), A, need: 0.05m, want: 0.20m);
        var leaseId = held.Slices[0].LeaseId;
        var drawn = Apply(level, LeaseDecider.Settle(level.Budget, level.Window, [], [new LeaseDraw(leaseId, "q1", 0.15m)], Now));

        var renewed = LeaseDecider.Renew(drawn, leaseId, null, Sizing, "op_a", Now.AddSeconds(40));

        var extended = Assert.IsType<LeaseExtended>(Assert.Single(renewed));
        Assert.Equal((0.45m, Now.AddSeconds(40) + Sizing.Ttl), (extended.Added, extended.ExpiresAt));
        Assert.Equal(0.50m, Apply(drawn, renewed).Window.Leases[0].Remaining);
    }

    [Fact]
    public void a_recalled_lease_is_neither_extended_nor_topped_up_until_its_holder_answers()
    {
        var (level, held) = Ask(Level(KeyBudget(1.00m)), B, need: 0.05m, want: 1.00m);
        var leaseId = held.Slices[0].LeaseId;
        var (recalled, _) = Ask(level, A, need: 0.05m);
        var drawn = Apply(recalled, LeaseDecider.Settle(recalled.Budget, recalled.Window, [], [new LeaseDraw(leaseId, "q1", 0.90m)], Now));

        var unanswered = LeaseDecider.Renew(drawn, leaseId, null, Sizing, "op_b", Now.AddSeconds(30));
        var answered = Apply(drawn, LeaseDecider.Return(drawn.Window, leaseId, 0m, null, "op_b", Now.AddSeconds(30)));
        var renewed = Assert.IsType<LeaseExtended>(Assert.Single(LeaseDecider.Renew(answered, leaseId, null, Sizing, "op_b", Now.AddSeconds(30))));

        // A holder that never answers keeps the headroom no longer than the lease already runs.
        Assert.Empty(unanswered);
        Assert.Equal(Now.AddSeconds(30) + Sizing.Ttl, renewed.ExpiresAt);
    }

    [Fact]
    public void an_expired_lease_cannot_be_renewed()
    {
        var (level, held) = Ask(Level(KeyBudget(1.00m)), A, need: 0.05m);

        var refused = Assert.Throws<DomainException>(() => LeaseDecider.Renew(level, held.Slices[0].LeaseId, null, Sizing, "op_a", Now + Sizing.Ttl));

        Assert.Equal("lease_expired", refused.Code);
    }

    [Fact]
    public void a_return_gives_back_at_most_what_the_lease_holds_and_repeating_it_writes_nothing()
    {
        var (level, held) = Ask(Level(KeyBudget(1.00m)), A, need: 0.05m, want: 0.30m);
        var leaseId = held.Slices[0].LeaseId;

        var first = LeaseDecider.Return(level.Window, leaseId, 5m, null, "op_a", Now);
        var after = Apply(level, first);

        Assert.Equal(0.30m, Assert.IsType<LeaseReturned>(Assert.Single(first)).Amount);
        Assert.Equal(0m, after.Window.LeasedAt(Now));
        Assert.Empty(LeaseDecider.Return(after.Window, leaseId, 1m, null, "op_a", Now));
        Assert.Empty(LeaseDecider.Return(after.Window, leaseId, 1m, null, "op_a", Now + Sizing.Ttl));
    }

    [Fact]
    public void a_lease_stops_counting_at_its_expiry_and_its_expiry_releases_what_it_held()
    {
        var (level, held) = Ask(Level(KeyBudget(1.00m)), A, need: 0.05m, want: 0.30m);
        var leaseId = held.Slices[0].LeaseId;

        Assert.Empty(LeaseDecider.Expire(level.Window, leaseId, Now.AddSeconds(59)));
        Assert.Equal(0m, level.Window.LeasedAt(Now + Sizing.Ttl));
        var expired = Assert.IsType<LeaseExpired>(Assert.Single(LeaseDecider.Expire(level.Window, leaseId, Now + Sizing.Ttl)));
        Assert.Equal(0.30m, expired.Released);
        var after = Apply(level, [expired]);
        Assert.Empty(after.Window.Leases);
        Assert.Empty(LeaseDecider.Expire(after.Window, leaseId, Now + Sizing.Ttl));
    }

    // ---- Settling draws ----

    [Fact]
    public void a_draw_moves_money_from_leased_to_settled()
    {
        var (level, held) = Ask(Level(KeyBudget(1.00m), settled: 0.10m), A, need: 0.05m, want: 0.30m);

        var events = LeaseDecider.Settle(level.Budget, level.Window, [new SettledEntry("q0", 0.01m)], [new LeaseDraw(held.Slices[0].LeaseId, "q1", 0.04m)], Now);
        var after = Apply(level, events);

        Assert.Equal(["SpendSettled", "LeaseDrawn"], events.Select(e => e.GetType().Name));
        Assert.Equal(0.15m, after.Window.Settled);
        Assert.Equal(0.26m, after.Window.LeasedAt(Now));
    }

    [Fact]
    public void a_draw_beyond_what_the_lease_holds_is_still_settled_in_full()
    {
        var (level, held) = Ask(Level(KeyBudget(1.00m)), A, need: 0.05m, want: 0.10m);

        var after = Apply(level, LeaseDecider.Settle(level.Budget, level.Window, [], [new LeaseDraw(held.Slices[0].LeaseId, "q1", 0.13m)], Now));

        Assert.Equal(0.13m, after.Window.Settled);
        Assert.Equal(0m, after.Window.LeasedAt(Now));
    }

    [Fact]
    public void a_draw_on_an_expired_lease_is_settled_as_plain_spend()
    {
        var (level, held) = Ask(Level(KeyBudget(1.00m)), A, need: 0.05m);

        var events = LeaseDecider.Settle(level.Budget, level.Window, [], [new LeaseDraw(held.Slices[0].LeaseId, "q1", 0.04m)], Now + Sizing.Ttl);

        var settled = Assert.IsType<SpendSettled>(Assert.Single(events));
        Assert.Equal(new SettledEntry("q1", 0.04m), Assert.Single(settled.Entries));
    }

    [Fact]
    public void draws_cross_thresholds_like_any_other_spend()
    {
        var (level, held) = Ask(Level(KeyBudget(1.00m), settled: 0.45m), A, need: 0.05m, want: 0.10m);

        var events = LeaseDecider.Settle(level.Budget, level.Window, [], [new LeaseDraw(held.Slices[0].LeaseId, "q1", 0.06m)], Now);

        Assert.Equal(50, Assert.Single(events.OfType<BudgetThresholdCrossed>()).Percent);
    }

    // ---- Who may lease, and the lease index ----

    [Theory]
    [InlineData("revoked", DenialReasons.Revoked)]
    [InlineData("suspended", DenialReasons.Suspended)]
    [InlineData("expired", DenialReasons.Expired)]
    [InlineData("other-model", DenialReasons.ModelNotAllowed)]
    [InlineData("unknown-model", DenialReasons.UnknownModel)]
    [InlineData("unpriced", DenialReasons.UnpricedModel)]
    [InlineData("fine", null)]
    [InlineData("no-model", null)]
    public void a_key_gets_leases_only_while_it_could_be_admitted(string situation, string? reason)
    {
        var key = Given.Key(Given.Issued(models: ["gpt-4o-mini", "other"], expiresAt: Given.Now.AddDays(1)));
        var priced = new ModelDefinition("gpt-4o-mini", "openai", "gpt-4o-mini",
            [new PriceVersion(1, 0.15m, 0.60m, null, Given.Now.AddDays(-10), "test")], Given.Now.AddDays(-10));
        (VirtualKey State, string? Model, ModelDefinition? Definition, DateTimeOffset At) c = situation switch
        {
            "revoked" => (key with { Status = KeyStatus.Revoked }, "gpt-4o-mini", priced, Given.Now),
            "suspended" => (key with { Status = KeyStatus.Suspended }, "gpt-4o-mini", priced, Given.Now),
            "expired" => (key, "gpt-4o-mini", priced, Given.Now.AddDays(2)),
            "other-model" => (key, "gpt-5", priced with { Id = "gpt-5" }, Given.Now),
            "unknown-model" => (key, "gpt-4o-mini", null, Given.Now),
            "unpriced" => (key, "other", priced with { Id = "other", Prices = [] }, Given.Now),
            "no-model" => (key, null, null, Given.Now),
            _ => (key, "gpt-4o-mini", priced, Given.Now),
        };

        Assert.Equal(reason, LeaseDecider.Refusal(c.State, c.Model, c.Definition, c.At));
        Assert.Equal(DenialReasons.UnknownKey, LeaseDecider.Refusal(null, null, null, Given.Now));
    }

    [Fact]
    public void the_lease_index_follows_the_grant_its_renewals_and_its_expiry()
    {
        var granted = new LeaseGranted("lse_1", A, KeyId, BudgetLevel.App, "billing", "budget:app:billing:lifetime", 1m, 0.05m, Now.AddMinutes(1), "op_a", Now);
        var lease = BudgetLease.Evolve(null, granted)!;
        var renewed = BudgetLease.Evolve(lease, new LeaseExtended("lse_1", 0m, 0.05m, Now.AddMinutes(2), "op_a", Now.AddSeconds(30)))!;
        var expired = BudgetLease.Evolve(renewed, new LeaseExpired("lse_1", 1m, Now.AddMinutes(2)))!;

        Assert.Equal(new BudgetLease("lse_1", A, KeyId, BudgetLevel.App, "billing", "budget:app:billing:lifetime", Now.AddMinutes(1), LeaseStatus.Open)
        {
            GrantedAt = Now,
        }, lease);
        Assert.True(renewed.IsOpenAt(Now.AddMinutes(1).AddSeconds(30)));
        Assert.False(expired.IsOpenAt(Now));
        Assert.Null(BudgetLease.Evolve(null, new LeaseExpired("lse_1", 1m, Now)));
    }

    // ---- Invariant: settled + holds + leases never exceed the limit ----

    /// <summary>
    /// Three adapters asking, renewing, drawing (never more than they hold), returning, answering recalls and dying
    /// (their leases expire), plus per-request holds, across a key and an app budget. After every step, at every
    /// level, settled + open holds + open leases stays within the limit.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(99)]
    [InlineData(2026)]
    public void no_sequence_of_lease_decisions_lets_settled_plus_holds_plus_leases_exceed_a_limit(int seed)
    {
        var random = new Random(seed);
        var now = Now;
        var levels = new[] { Level(KeyBudget(40m)), Level(AppBudget(60m)) };
        string[] adapters = [A, B, C];
        var (granted, retried, denied, drawn, returned) = (0, 0, 0, 0, 0);

        void ApplyAll(IEnumerable<WindowEvent> events)
        {
            foreach (var e in events)
                for (var i = 0; i < levels.Length; i++)
                    if (levels[i].Window.Id == e.Window)
                        levels[i] = Apply(levels[i], [e.Event]);
        }

        for (var step = 0; step < 1500; step++)
        {
            var adapter = adapters[random.Next(adapters.Length)];
            switch (random.Next(20))
            {
                case < 6:
                {
                    var need = random.Next(1, 40) / 100m;
                    var decision = LeaseDecider.Request(levels, adapter, KeyId, need, random.Next(2) == 0 ? null : need * random.Next(1, 20), Sizing, "op", now, NewId);
                    ApplyAll(decision.Events);
                    _ = decision.Verdict switch { LeaseVerdict.Granted => granted++, LeaseVerdict.Retry => retried++, _ => denied++ };
                    break;
                }
                case < 11:
                {
                    // Usage: a request drawn from the adapter's leases at every level, never more than the tightest holds.
                    var own = levels.Select(l => l.Window.Leases.FirstOrDefault(x => x.AdapterId == adapter && x.IsOpenAt(now))).ToList();
                    if (own.Any(l => l is null))
                        break;
                    var cost = Math.Min(own.Min(l => l!.Remaining), random.Next(0, 40) / 100m);
                    for (var i = 0; i < levels.Length; i++)
                        levels[i] = Apply(levels[i], LeaseDecider.Settle(levels[i].Budget, levels[i].Window, [], [new LeaseDraw(own[i]!.LeaseId, $"q{step}", cost)], now));
                    drawn++;
                    break;
                }
                case < 14:
                {
                    // Returns, including answers to recalls: keep a random part as "in flight".
                    for (var i = 0; i < levels.Length; i++)
                        if (levels[i].Window.Leases.FirstOrDefault(x => x.AdapterId == adapter && x.IsOpenAt(now)) is { } lease)
                            levels[i] = Apply(levels[i], LeaseDecider.Return(levels[i].Window, lease.LeaseId, Math.Round(lease.Remaining * (decimal)random.NextDouble(), 6), null, "op", now));
                    returned++;
                    break;
                }
                case < 16:
                {
                    for (var i = 0; i < levels.Length; i++)
                        if (levels[i].Window.Leases.FirstOrDefault(x => x.AdapterId == adapter && x.IsOpenAt(now)) is { } lease)
                            levels[i] = Apply(levels[i], LeaseDecider.Renew(levels[i], lease.LeaseId, random.Next(2) == 0 ? null : random.Next(1, 200) / 100m, Sizing, "op", now));
                    break;
                }
                case < 17:
                {
                    // A per-request hold next to the leases (authorize), when every level has room.
                    var amount = random.Next(1, 30) / 100m;
                    var standings = levels.Select(l => BudgetStanding.Of(l.Budget, l.Window, now)).ToList();
                    if (BudgetDecider.Shortfall(standings, amount) is null)
                        for (var i = 0; i < levels.Length; i++)
                            levels[i] = Apply(levels[i], [new HoldPlaced($"r{step}", amount, now.AddSeconds(random.Next(10, 120)), KeyId, "m", now)]);
                    break;
                }
                default:
                {
                    // Time passes; an adapter may have died, so its leases expire (the sweeper may run late).
                    now = now.AddSeconds(random.Next(0, 30));
                    if (random.Next(2) == 0)
                        break;
                    for (var i = 0; i < levels.Length; i++)
                        foreach (var lease in levels[i].Window.Leases.ToList())
                            levels[i] = Apply(levels[i], LeaseDecider.Expire(levels[i].Window, lease.LeaseId, now));
                    break;
                }
            }

            foreach (var level in levels)
            {
                var w = level.Window;
                Assert.True(w.Settled + w.HeldAt(now) + w.LeasedAt(now) <= level.Budget.Limit,
                    $"seed {seed}, step {step}, {level.Budget.Id}: settled {w.Settled} + held {w.HeldAt(now)} + leased {w.LeasedAt(now)} > {level.Budget.Limit}");
                Assert.True(w.Leases.Where(l => l.IsOpenAt(now)).GroupBy(l => l.AdapterId).All(g => g.Count() == 1), "one open lease per adapter per window");
            }
        }

        Assert.True(granted > 50 && retried > 5 && denied > 5 && drawn > 50 && returned > 50,
            $"granted {granted}, retried {retried}, denied {denied}, drawn {drawn}, returned {returned}");
    }
}
