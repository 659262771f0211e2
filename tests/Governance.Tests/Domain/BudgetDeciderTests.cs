using Governance.Domain.Budgets;

namespace Governance.Tests.Domain;

public sealed class BudgetDeciderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 17, 12, 0, 0, TimeSpan.Zero);
    private const string Owner = "k1abcdefghijklmn";
    private static readonly Budget Monthly100 = KeyBudget(100m);
    private static readonly string WindowId = Monthly100.WindowStreamAt(Now);

    private static Budget KeyBudget(decimal limit, IReadOnlyList<int>? thresholds = null) =>
        new(BudgetIds.Definition(BudgetLevel.Key, Owner), BudgetLevel.Key, Owner, limit, BudgetPeriod.Monthly,
            thresholds ?? Budget.DefaultThresholds, Now.AddDays(-30));

    private static BudgetWindowOpened Opened(decimal openingSettled = 0m) =>
        BudgetDecider.Open(Monthly100, Now, openingSettled, Now.AddDays(-1));

    private static HoldPlaced Hold(string reservationId, decimal amount, DateTimeOffset? expiresAt = null) =>
        new(reservationId, amount, expiresAt ?? Now.AddMinutes(5), Owner, "gpt-4o-mini", Now.AddMinutes(-1));

    private static BudgetWindowState? Fold(params object[] events) =>
        events.Aggregate((BudgetWindowState?)null, (state, e) => BudgetWindowState.Evolve(state, WindowId, e));

    private static BudgetWindowState WindowAfter(params object[] events) =>
        Fold(events) ?? throw new InvalidOperationException("The given events do not open a window.");

    private static BudgetStanding Standing(BudgetLevel level, decimal limit, decimal settled, decimal held = 0m) =>
        new(level, level.ToString().ToLowerInvariant(), limit, settled, held, Window.For(BudgetPeriod.Monthly, Now));

    // ---- Folding a window ----

    [Fact]
    public void a_window_opens_with_the_spend_already_in_the_ledger_and_no_holds()
    {
        var window = WindowAfter(Opened(openingSettled: 12.5m));

        Assert.Equal(WindowId, window.Id);
        Assert.Equal(Monthly100.Id, window.BudgetId);
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), window.WindowStart);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), window.WindowEnd);
        Assert.Equal(12.5m, window.Settled);
        Assert.Empty(window.Holds);
        Assert.Empty(window.CrossedThresholds);
    }

    [Fact]
    public void money_moved_before_the_window_opened_does_not_create_a_window()
    {
        Assert.Null(Fold(Hold("r1", 5m), new SpendSettled([new SettledEntry("q1", 1m)], Now)));
    }

    [Fact]
    public void a_placed_hold_is_held_but_not_spent()
    {
        var window = WindowAfter(Opened(10m), Hold("r1", 5m));

        Assert.Equal(10m, window.Settled);
        Assert.Equal(5m, window.HeldAt(Now));
        Assert.Equal(new OpenHold("r1", 5m, Now.AddMinutes(5)), Assert.Single(window.Holds));
    }

    [Fact]
    public void capturing_a_hold_charges_the_actual_cost_and_frees_the_rest_of_the_hold()
    {
        var window = WindowAfter(Opened(10m), Hold("r1", 5m), Hold("r2", 7m), new HoldCaptured("r1", "q1", 3.2m, Now));

        Assert.Equal(13.2m, window.Settled);
        Assert.Equal(7m, window.HeldAt(Now));
        Assert.Equal("r2", Assert.Single(window.Holds).ReservationId);
    }

    [Fact]
    public void releasing_a_hold_charges_nothing_and_frees_it()
    {
        var window = WindowAfter(Opened(10m), Hold("r1", 5m), new HoldReleased("r1", "expired", Now));

        Assert.Equal(10m, window.Settled);
        Assert.Equal(0m, window.HeldAt(Now));
        Assert.Empty(window.Holds);
    }

    [Fact]
    public void spend_settled_without_a_hold_adds_every_entry()
    {
        var window = WindowAfter(Opened(1m), new SpendSettled([new SettledEntry("q1", 0.25m), new SettledEntry("q2", 0.0000001m)], Now));

        Assert.Equal(1.2500001m, window.Settled);
    }

    [Fact]
    public void crossed_thresholds_are_remembered_in_the_window()
    {
        var window = WindowAfter(Opened(), new BudgetThresholdCrossed(BudgetLevel.Key, Owner, 50, 100m, 55m, Now, Now),
            new BudgetThresholdCrossed(BudgetLevel.Key, Owner, 80, 100m, 85m, Now, Now));

        Assert.Equal([50, 80], window.CrossedThresholds);
    }

    // ---- HeldAt: expiry by time alone ----

    [Fact]
    public void a_hold_stops_counting_at_its_expiry_even_before_it_is_released()
    {
        var expiry = Now.AddMinutes(5);
        var window = WindowAfter(Opened(), Hold("r1", 5m, expiry));

        Assert.Equal(5m, window.HeldAt(expiry.AddTicks(-1)));
        Assert.Equal(0m, window.HeldAt(expiry));
        Assert.Equal(0m, window.HeldAt(expiry.AddHours(1)));
        Assert.Single(window.Holds);
    }

    [Fact]
    public void only_holds_still_running_count_as_held()
    {
        var window = WindowAfter(Opened(), Hold("r1", 1m, Now.AddMinutes(1)), Hold("r2", 2m, Now.AddMinutes(2)), Hold("r3", 4m, Now.AddMinutes(3)));

        Assert.Equal(7m, window.HeldAt(Now));
        Assert.Equal(6m, window.HeldAt(Now.AddMinutes(1)));
        Assert.Equal(4m, window.HeldAt(Now.AddMinutes(2)));
        Assert.Equal(0m, window.HeldAt(Now.AddMinutes(3)));
    }

    [Fact]
    public void an_expired_hold_gives_its_room_back_to_the_standing()
    {
        var window = WindowAfter(Opened(40m), Hold("r1", 50m, Now.AddMinutes(5)));

        Assert.Equal(10m, BudgetStanding.Of(Monthly100, window, Now).Remaining);
        Assert.Equal(60m, BudgetStanding.Of(Monthly100, window, Now.AddMinutes(5)).Remaining);
    }

    [Fact]
    public void a_budget_whose_window_has_not_opened_has_its_whole_limit_left()
    {
        var standing = BudgetStanding.Of(Monthly100, null, Now);

        Assert.Equal(100m, standing.Remaining);
        Assert.Equal(Monthly100.WindowAt(Now), standing.Window);
    }

    // ---- Shortfall ----

    [Fact]
    public void a_request_that_uses_exactly_the_remaining_budget_is_allowed()
    {
        Assert.Null(BudgetDecider.Shortfall([Standing(BudgetLevel.Key, 10m, 6m, 1.5m)], 2.5m));
    }

    [Fact]
    public void a_request_one_ten_billionth_of_a_dollar_over_the_remaining_budget_is_refused()
    {
        var key = Standing(BudgetLevel.Key, 10m, 6m, 1.5m);

        Assert.Equal(key, BudgetDecider.Shortfall([key], 2.5000000001m));
    }

    [Fact]
    public void the_first_level_refused_is_the_key_then_the_app_then_the_team()
    {
        var key = Standing(BudgetLevel.Key, 10m, 9m);
        var app = Standing(BudgetLevel.App, 10m, 9m);
        var team = Standing(BudgetLevel.Team, 10m, 9m);
        var roomyKey = Standing(BudgetLevel.Key, 10m, 0m);

        Assert.Equal(key, BudgetDecider.Shortfall([team, app, key], 5m));
        Assert.Equal(app, BudgetDecider.Shortfall([team, app, roomyKey], 5m));
        Assert.Equal(team, BudgetDecider.Shortfall([team, roomyKey], 5m));
    }

    [Fact]
    public void a_request_that_fits_every_level_has_no_shortfall()
    {
        Assert.Null(BudgetDecider.Shortfall(
            [Standing(BudgetLevel.Team, 100m, 50m, 40m), Standing(BudgetLevel.Key, 10m, 0m), Standing(BudgetLevel.App, 20m, 5m)], 10m));
        Assert.Null(BudgetDecider.Shortfall([], 1_000_000m));
    }

    [Fact]
    public void an_overspent_budget_refuses_even_a_tiny_request()
    {
        var overspent = Standing(BudgetLevel.App, 10m, 10.5m);

        Assert.Equal(-0.5m, overspent.Remaining);
        Assert.Equal(overspent, BudgetDecider.Shortfall([overspent], 0.0000001m));
    }

    // ---- Open ----

    [Fact]
    public void opening_a_window_records_the_window_of_the_instant_and_the_spend_already_in_it()
    {
        var opened = BudgetDecider.Open(Monthly100, new DateTimeOffset(2026, 11, 30, 23, 30, 0, TimeSpan.FromHours(-5)), 7m, Now);

        Assert.Equal(new BudgetWindowOpened(Monthly100.Id, new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), 7m, Now), opened);
    }

    [Fact]
    public void a_lifetime_window_opens_without_an_end()
    {
        var lifetime = Monthly100 with { Period = BudgetPeriod.Lifetime };

        Assert.Null(BudgetDecider.Open(lifetime, Now, 0m, Now).WindowEnd);
    }

    // ---- Capture / Settle / Release ----

    [Fact]
    public void capturing_an_open_hold_records_the_actual_cost_against_the_hold()
    {
        var window = WindowAfter(Opened(), Hold("r1", 5m));

        var events = BudgetDecider.Capture(Monthly100, window, "r1", "q1", 3m, Now);

        Assert.Equal([new HoldCaptured("r1", "q1", 3m, Now)], events);
    }

    [Fact]
    public void capturing_a_hold_that_is_already_gone_still_charges_the_spend_as_settled()
    {
        var given = new object[] { Opened(), Hold("r1", 5m), new HoldReleased("r1", "expired", Now.AddMinutes(-1)) };

        var events = BudgetDecider.Capture(Monthly100, WindowAfter(given), "r1", "q1", 3m, Now);

        var settled = Assert.IsType<SpendSettled>(Assert.Single(events));
        Assert.Equal([new SettledEntry("q1", 3m)], settled.Entries);
        Assert.Equal(Now, settled.SettledAt);
        Assert.Equal(3m, WindowAfter([.. given, .. events]).Settled);
    }

    [Fact]
    public void a_hold_captured_after_its_expiry_but_before_its_release_is_still_charged()
    {
        var given = new object[] { Opened(), Hold("r1", 5m, Now.AddMinutes(-1)) };

        var events = BudgetDecider.Capture(Monthly100, WindowAfter(given), "r1", "q1", 3m, Now);

        var after = WindowAfter([.. given, .. events]);
        Assert.Equal(3m, after.Settled);
        Assert.Empty(after.Holds);
    }

    [Fact]
    public void settling_nothing_writes_nothing()
    {
        Assert.Empty(BudgetDecider.Settle(Monthly100, WindowAfter(Opened()), [], Now));
    }

    [Fact]
    public void settling_several_requests_records_them_in_one_event()
    {
        SettledEntry[] entries = [new("q1", 1m), new("q2", 2m)];

        var events = BudgetDecider.Settle(Monthly100, WindowAfter(Opened()), entries, Now);

        var settled = Assert.IsType<SpendSettled>(Assert.Single(events));
        Assert.Equal(entries, settled.Entries);
    }

    [Fact]
    public void releasing_an_open_hold_records_why()
    {
        var events = BudgetDecider.Release(WindowAfter(Opened(), Hold("r1", 5m)), "r1", "expired", Now);

        Assert.Equal([new HoldReleased("r1", "expired", Now)], events);
    }

    [Fact]
    public void releasing_a_hold_that_is_not_there_changes_nothing()
    {
        Assert.Empty(BudgetDecider.Release(WindowAfter(Opened()), "r1", "expired", Now));
        Assert.Empty(BudgetDecider.Release(WindowAfter(Opened(), Hold("r1", 5m), new HoldCaptured("r1", "q1", 1m, Now)), "r1", "expired", Now));
        Assert.Empty(BudgetDecider.Release(WindowAfter(Opened(), Hold("r1", 5m), new HoldReleased("r1", "expired", Now)), "r1", "expired", Now));
    }

    // ---- Thresholds ----

    [Fact]
    public void crossing_a_threshold_alerts_with_the_level_owner_limit_spend_and_window()
    {
        var window = WindowAfter(Opened(40m), Hold("r1", 20m));

        var events = BudgetDecider.Capture(Monthly100, window, "r1", "q1", 15m, Now);

        Assert.Equal(
            [new HoldCaptured("r1", "q1", 15m, Now), new BudgetThresholdCrossed(BudgetLevel.Key, Owner, 50, 100m, 55m, window.WindowStart, Now)],
            events);
    }

    [Fact]
    public void a_threshold_alerts_only_once_per_window()
    {
        var given = new List<object> { Opened() };
        var first = BudgetDecider.Settle(Monthly100, WindowAfter([.. given]), [new SettledEntry("q1", 55m)], Now);
        given.AddRange(first);

        var second = BudgetDecider.Settle(Monthly100, WindowAfter([.. given]), [new SettledEntry("q2", 5m)], Now);

        Assert.Equal([50], first.OfType<BudgetThresholdCrossed>().Select(t => t.Percent));
        Assert.Equal([typeof(SpendSettled)], second.Select(e => e.GetType()));
    }

    [Fact]
    public void a_settlement_that_jumps_past_several_thresholds_alerts_each_in_ascending_order()
    {
        var budget = KeyBudget(100m, thresholds: [100, 50, 80]);

        var events = BudgetDecider.Settle(budget, WindowAfter(Opened(10m)), [new SettledEntry("q1", 75m)], Now);

        Assert.Equal([50, 80], events.OfType<BudgetThresholdCrossed>().Select(t => t.Percent));
        Assert.IsType<SpendSettled>(events[0]);
    }

    [Fact]
    public void a_threshold_already_crossed_is_skipped_while_higher_ones_still_alert()
    {
        var window = WindowAfter(Opened(), new BudgetThresholdCrossed(BudgetLevel.Key, Owner, 50, 100m, 55m, Now, Now));

        var events = BudgetDecider.Settle(Monthly100, window, [new SettledEntry("q1", 100m)], Now);

        Assert.Equal([80, 100], events.OfType<BudgetThresholdCrossed>().Select(t => t.Percent));
    }

    [Fact]
    public void spending_exactly_the_limit_crosses_the_100_percent_threshold()
    {
        var window = WindowAfter(Opened(99m), new BudgetThresholdCrossed(BudgetLevel.Key, Owner, 50, 100m, 99m, Now, Now),
            new BudgetThresholdCrossed(BudgetLevel.Key, Owner, 80, 100m, 99m, Now, Now));

        var justUnder = BudgetDecider.Settle(Monthly100, window, [new SettledEntry("q1", 0.9999999999m)], Now);
        var exactly = BudgetDecider.Settle(Monthly100, window, [new SettledEntry("q1", 1m)], Now);

        Assert.Empty(justUnder.OfType<BudgetThresholdCrossed>());
        Assert.Equal([100], exactly.OfType<BudgetThresholdCrossed>().Select(t => t.Percent));
    }

    [Fact]
    public void a_budget_with_a_zero_limit_never_alerts()
    {
        var zero = KeyBudget(0m);

        var events = BudgetDecider.Settle(zero, WindowAfter(Opened()), [new SettledEntry("q1", 5m)], Now);

        Assert.Equal([typeof(SpendSettled)], events.Select(e => e.GetType()));
    }

    [Fact]
    public void spend_already_in_the_ledger_when_the_window_opened_counts_toward_thresholds()
    {
        var events = BudgetDecider.Settle(Monthly100, WindowAfter(Opened(79m)), [new SettledEntry("q1", 1m)], Now);

        Assert.Equal([50, 80], events.OfType<BudgetThresholdCrossed>().Select(t => t.Percent));
    }

    [Fact]
    public void holds_alone_do_not_cross_thresholds()
    {
        var window = WindowAfter(Opened(), Hold("r1", 95m));

        Assert.Empty(BudgetDecider.Thresholds(Monthly100, window, window.Settled, Now));
    }

    [Fact]
    public void a_new_window_alerts_again_for_thresholds_crossed_in_the_previous_one()
    {
        var december = BudgetDecider.Open(Monthly100, Now.AddMonths(1), 0m, Now.AddMonths(1));
        var window = BudgetWindowState.Evolve(null, Monthly100.WindowStreamAt(Now.AddMonths(1)), december)!;

        var events = BudgetDecider.Settle(Monthly100, window, [new SettledEntry("q1", 55m)], Now.AddMonths(1));

        var crossed = Assert.Single(events.OfType<BudgetThresholdCrossed>());
        Assert.Equal(50, crossed.Percent);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), crossed.WindowStart);
    }

    // ---- Invariant: settled + open holds never exceed the limit ----

    /// <summary>
    /// Random holds (placed only when every level has room), captures of running holds for at most their amount,
    /// releases and the passing of time, across a key, an app and a team budget. After every step, at every level,
    /// the settled spend plus the holds still running stays within the limit.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(42)]
    [InlineData(2026)]
    [InlineData(31337)]
    public void no_sequence_of_holds_captures_releases_and_expiries_lets_spend_plus_holds_exceed_a_limit(int seed)
    {
        var random = new Random(seed);
        var now = new DateTimeOffset(2026, 11, 10, 8, 0, 0, TimeSpan.Zero);
        Budget[] budgets =
        [
            KeyBudget(300m),
            new(BudgetIds.Definition(BudgetLevel.App, "billing"), BudgetLevel.App, "billing", 1000m, BudgetPeriod.Lifetime, [25, 50, 75, 100], now),
            new(BudgetIds.Definition(BudgetLevel.Team, "payments"), BudgetLevel.Team, "payments", 450m, BudgetPeriod.Monthly, [90, 100], now),
        ];
        var windows = budgets.Select(b => BudgetWindowState.Evolve(null, b.WindowStreamAt(now), BudgetDecider.Open(b, now, 0m, now))!).ToArray();
        var running = new List<(string Id, decimal Amount, DateTimeOffset ExpiresAt)>();
        var (placed, refused, captured, released, full) = (0, 0, 0, 0, 0);

        void Apply(int level, object[] events) =>
            windows[level] = events.Aggregate(windows[level], (w, e) => BudgetWindowState.Evolve(w, w.Id, e)!);

        for (var step = 0; step < 1000; step++)
        {
            switch (random.Next(20))
            {
                case < 6:
                {
                    var standings = budgets.Select((b, i) => BudgetStanding.Of(b, windows[i], now)).ToList();
                    // Now and then ask for exactly what is left at the tightest level, the boundary that must still fit.
                    var amount = random.Next(4) == 0
                        ? Math.Max(0m, standings.Min(s => s.Remaining))
                        : random.Next(1, 1_000_000) / 100_000m;
                    if (BudgetDecider.Shortfall(standings, amount) is not null)
                    {
                        Assert.Contains(standings, s => amount > s.Remaining);
                        refused++;
                        break;
                    }
                    var id = $"r{step}";
                    var expiresAt = now.AddMinutes(random.Next(1, 60));
                    for (var i = 0; i < budgets.Length; i++)
                        Apply(i, [new HoldPlaced(id, amount, expiresAt, Owner, "gpt-4o-mini", now)]);
                    running.Add((id, amount, expiresAt));
                    placed++;
                    break;
                }
                case < 13:
                {
                    var live = running.Where(r => r.ExpiresAt > now).ToList();
                    if (live.Count == 0)
                        break;
                    var hold = live[random.Next(live.Count)];
                    var actual = random.Next(3) == 0 ? hold.Amount : Math.Round(hold.Amount * (decimal)random.NextDouble(), 7);
                    for (var i = 0; i < budgets.Length; i++)
                        Apply(i, BudgetDecider.Capture(budgets[i], windows[i], hold.Id, $"q{step}", actual, now));
                    running.Remove(hold);
                    captured++;
                    break;
                }
                case < 15:
                {
                    if (running.Count == 0)
                        break;
                    var hold = running[random.Next(running.Count)];
                    for (var i = 0; i < budgets.Length; i++)
                        Apply(i, BudgetDecider.Release(windows[i], hold.Id, "cancelled", now));
                    running.Remove(hold);
                    released++;
                    break;
                }
                default:
                {
                    now = now.AddSeconds(random.Next(0, 300));
                    // The expiry sweeper runs late, or not at all for a while: holds past expiry must not count meanwhile.
                    if (random.Next(2) == 0)
                        break;
                    foreach (var hold in running.Where(r => r.ExpiresAt <= now).ToList())
                    {
                        for (var i = 0; i < budgets.Length; i++)
                            Apply(i, BudgetDecider.Release(windows[i], hold.Id, "expired", now));
                        running.Remove(hold);
                    }
                    break;
                }
            }

            for (var i = 0; i < budgets.Length; i++)
            {
                Assert.Equal(budgets[i].WindowStreamAt(now), windows[i].Id);
                Assert.True(windows[i].Settled + windows[i].HeldAt(now) <= budgets[i].Limit,
                    $"seed {seed}, step {step}, {budgets[i].Id}: settled {windows[i].Settled} + held {windows[i].HeldAt(now)} > limit {budgets[i].Limit}");
                Assert.Equal(windows[i].CrossedThresholds.Distinct().Count(), windows[i].CrossedThresholds.Count);
                if (windows[i].Settled + windows[i].HeldAt(now) == budgets[i].Limit)
                    full++;
            }
        }

        // The run exercised every path, not only refusals, and filled some level to the last cent.
        Assert.True(placed > 50 && refused > 10 && captured > 50 && released > 10 && full > 0,
            $"placed {placed}, refused {refused}, captured {captured}, released {released}, full {full}");
    }
}
