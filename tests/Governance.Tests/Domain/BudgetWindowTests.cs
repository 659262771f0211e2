using System.Globalization;
using Governance.Domain.Budgets;

namespace Governance.Tests.Domain;

public sealed class BudgetWindowTests
{
    private static DateTimeOffset Utc(int year, int month, int day, int hour = 0, int minute = 0, int second = 0) =>
        new(year, month, day, hour, minute, second, TimeSpan.Zero);

    // The last tick of a day: one tick later is the next day.
    private static DateTimeOffset LastTickOf(int year, int month, int day) => Utc(year, month, day).AddDays(1).AddTicks(-1);

    // ---- Daily ----

    [Fact]
    public void a_daily_window_runs_from_utc_midnight_to_the_next_midnight()
    {
        var window = Window.For(BudgetPeriod.Daily, Utc(2026, 11, 17, 15, 42, 7));

        Assert.Equal(new Window(BudgetPeriod.Daily, Utc(2026, 11, 17), Utc(2026, 11, 18)), window);
        Assert.Equal("daily-2026-11-17", window.Label);
    }

    [Fact]
    public void spend_at_midnight_counts_in_the_new_day_not_the_old_one()
    {
        var yesterday = Window.For(BudgetPeriod.Daily, LastTickOf(2026, 11, 17));
        var today = Window.For(BudgetPeriod.Daily, Utc(2026, 11, 18));

        Assert.Equal(Utc(2026, 11, 17), yesterday.Start);
        Assert.Equal(Utc(2026, 11, 18), today.Start);
        Assert.False(yesterday.Contains(Utc(2026, 11, 18)));
        Assert.True(today.Contains(Utc(2026, 11, 18)));
        Assert.True(yesterday.Contains(LastTickOf(2026, 11, 17)));
    }

    // ---- Weekly ----

    [Theory]
    [InlineData("2026-11-30T00:00:00Z")] // Monday midnight
    [InlineData("2026-12-01T09:00:00Z")] // Tuesday, in December
    [InlineData("2026-12-06T23:59:59Z")] // Sunday, in December
    public void a_weekly_window_starts_on_the_iso_monday(string instant)
    {
        var window = Window.For(BudgetPeriod.Weekly, DateTimeOffset.Parse(instant, CultureInfo.InvariantCulture));

        Assert.Equal(new Window(BudgetPeriod.Weekly, Utc(2026, 11, 30), Utc(2026, 12, 7)), window);
        Assert.Equal("weekly-2026-11-30", window.Label);
    }

    [Fact]
    public void the_last_tick_of_sunday_and_monday_midnight_fall_in_different_weeks()
    {
        var sunday = Window.For(BudgetPeriod.Weekly, LastTickOf(2026, 11, 29));
        var monday = Window.For(BudgetPeriod.Weekly, Utc(2026, 11, 30));

        Assert.Equal(Utc(2026, 11, 23), sunday.Start);
        Assert.Equal(Utc(2026, 11, 30), sunday.End);
        Assert.Equal(Utc(2026, 11, 30), monday.Start);
        Assert.NotEqual(sunday.Label, monday.Label);
    }

    [Fact]
    public void a_week_spanning_new_year_is_one_window_named_by_its_monday()
    {
        var beforeNewYear = Window.For(BudgetPeriod.Weekly, Utc(2026, 12, 31, 12));
        var afterNewYear = Window.For(BudgetPeriod.Weekly, Utc(2027, 1, 3, 23, 59, 59));

        Assert.Equal(beforeNewYear, afterNewYear);
        Assert.Equal(new Window(BudgetPeriod.Weekly, Utc(2026, 12, 28), Utc(2027, 1, 4)), beforeNewYear);
        Assert.Equal("weekly-2026-12-28", afterNewYear.Label);
    }

    // ---- Monthly ----

    [Fact]
    public void the_31st_of_january_is_in_january_and_the_window_ends_on_the_first_of_february()
    {
        var window = Window.For(BudgetPeriod.Monthly, LastTickOf(2026, 1, 31));

        Assert.Equal(new Window(BudgetPeriod.Monthly, Utc(2026, 1, 1), Utc(2026, 2, 1)), window);
        Assert.Equal(Utc(2026, 2, 1), Window.For(BudgetPeriod.Monthly, Utc(2026, 2, 1)).Start);
    }

    [Fact]
    public void february_of_a_leap_year_includes_the_29th()
    {
        var window = Window.For(BudgetPeriod.Monthly, Utc(2028, 2, 29, 18));

        Assert.Equal(new Window(BudgetPeriod.Monthly, Utc(2028, 2, 1), Utc(2028, 3, 1)), window);
        Assert.True(window.Contains(LastTickOf(2028, 2, 29)));
        Assert.False(window.Contains(Utc(2028, 3, 1)));
    }

    [Fact]
    public void february_of_a_common_year_ends_after_the_28th()
    {
        Assert.Equal(Utc(2027, 3, 1), Window.For(BudgetPeriod.Monthly, Utc(2027, 2, 28, 23, 59, 59)).End);
    }

    [Fact]
    public void december_rolls_over_into_january_of_the_next_year()
    {
        var december = Window.For(BudgetPeriod.Monthly, LastTickOf(2026, 12, 31));
        var january = Window.For(BudgetPeriod.Monthly, Utc(2027, 1, 1));

        Assert.Equal(new Window(BudgetPeriod.Monthly, Utc(2026, 12, 1), Utc(2027, 1, 1)), december);
        Assert.Equal(new Window(BudgetPeriod.Monthly, Utc(2027, 1, 1), Utc(2027, 2, 1)), january);
        Assert.Equal("monthly-2026-12-01", december.Label);
        Assert.Equal("monthly-2027-01-01", january.Label);
    }

    // ---- Lifetime ----

    [Fact]
    public void a_lifetime_window_starts_at_the_epoch_and_never_ends()
    {
        var window = Window.For(BudgetPeriod.Lifetime, Utc(2026, 11, 17, 15));

        Assert.Equal(DateTimeOffset.UnixEpoch, window.Start);
        Assert.Null(window.End);
        Assert.Equal("lifetime", window.Label);
        Assert.True(window.Contains(Utc(2999, 12, 31)));
        Assert.Equal(window, Window.For(BudgetPeriod.Lifetime, Utc(2031, 1, 1)));
    }

    // ---- Boundaries, offsets, names ----

    [Theory]
    [InlineData(BudgetPeriod.Daily)]
    [InlineData(BudgetPeriod.Weekly)]
    [InlineData(BudgetPeriod.Monthly)]
    public void a_window_includes_its_start_and_excludes_its_end(BudgetPeriod period)
    {
        var window = Window.For(period, Utc(2026, 11, 30, 12));
        var end = window.End!.Value;

        Assert.True(window.Contains(window.Start));
        Assert.False(window.Contains(window.Start.AddTicks(-1)));
        Assert.True(window.Contains(end.AddTicks(-1)));
        Assert.False(window.Contains(end));
        Assert.Equal(window.Start, Window.For(period, window.Start).Start);
        Assert.Equal(end, Window.For(period, end).Start);
    }

    [Fact]
    public void an_evening_in_new_york_that_is_already_december_in_utc_counts_in_december()
    {
        var instant = new DateTimeOffset(2026, 11, 30, 23, 30, 0, TimeSpan.FromHours(-5));

        var monthly = Window.For(BudgetPeriod.Monthly, instant);
        var daily = Window.For(BudgetPeriod.Daily, instant);

        Assert.Equal(new Window(BudgetPeriod.Monthly, Utc(2026, 12, 1), Utc(2027, 1, 1)), monthly);
        Assert.Equal(new Window(BudgetPeriod.Daily, Utc(2026, 12, 1), Utc(2026, 12, 2)), daily);
        Assert.Equal("monthly-2026-12-01", monthly.Label);
        Assert.Equal(TimeSpan.Zero, monthly.Start.Offset);
    }

    [Fact]
    public void a_morning_in_tokyo_that_is_still_the_previous_day_in_utc_counts_in_the_utc_day()
    {
        var instant = new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.FromHours(9));

        Assert.Equal(Utc(2026, 11, 30), Window.For(BudgetPeriod.Daily, instant).Start);
        Assert.Equal(Utc(2026, 11, 1), Window.For(BudgetPeriod.Monthly, instant).Start);
        Assert.Equal("daily-2026-11-30", Window.For(BudgetPeriod.Daily, instant).Label);
    }

    [Fact]
    public void the_same_instant_in_different_offsets_lands_in_the_same_window()
    {
        var utc = Utc(2026, 12, 1, 4, 30);
        var newYork = utc.ToOffset(TimeSpan.FromHours(-5));
        var kolkata = utc.ToOffset(new TimeSpan(5, 30, 0));

        foreach (var period in Enum.GetValues<BudgetPeriod>())
        {
            Assert.Equal(Window.For(period, utc).Label, Window.For(period, newYork).Label);
            Assert.Equal(Window.For(period, utc).Label, Window.For(period, kolkata).Label);
        }
    }

    [Fact]
    public void windows_of_different_periods_starting_the_same_day_have_different_names()
    {
        // 2026-06-01 is a Monday and the first of a month: daily, weekly and monthly windows all start then.
        var instant = Utc(2026, 6, 1, 10);
        var labels = Enum.GetValues<BudgetPeriod>().Select(p => Window.For(p, instant).Label).ToList();

        Assert.Equal(Utc(2026, 6, 1), Window.For(BudgetPeriod.Daily, instant).Start);
        Assert.Equal(Utc(2026, 6, 1), Window.For(BudgetPeriod.Weekly, instant).Start);
        Assert.Equal(Utc(2026, 6, 1), Window.For(BudgetPeriod.Monthly, instant).Start);
        Assert.Equal(["daily-2026-06-01", "weekly-2026-06-01", "monthly-2026-06-01", "lifetime"], labels);
        Assert.Equal(labels.Count, labels.Distinct().Count());
    }

    [Fact]
    public void budget_stream_ids_name_the_level_the_owner_and_the_window()
    {
        var window = Window.For(BudgetPeriod.Monthly, Utc(2026, 11, 17));

        Assert.Equal("key:k1abc", BudgetIds.Owner(BudgetLevel.Key, "k1abc"));
        Assert.Equal("budget:app:billing", BudgetIds.Definition(BudgetLevel.App, "billing"));
        Assert.Equal("budget:team:payments:monthly-2026-11-01", BudgetIds.Window(BudgetLevel.Team, "payments", window));
        Assert.Equal("budget:key:k1abc:lifetime", BudgetIds.Window(BudgetLevel.Key, "k1abc", Window.For(BudgetPeriod.Lifetime, Utc(2026, 11, 17))));
        Assert.Equal("app:billing", BudgetIds.App("billing"));
    }

    [Fact]
    public void the_same_owner_at_different_levels_gets_different_streams()
    {
        var window = Window.For(BudgetPeriod.Daily, Utc(2026, 11, 17));

        Assert.NotEqual(BudgetIds.Definition(BudgetLevel.App, "billing"), BudgetIds.Definition(BudgetLevel.Team, "billing"));
        Assert.NotEqual(BudgetIds.Window(BudgetLevel.App, "billing", window), BudgetIds.Window(BudgetLevel.Team, "billing", window));
    }

    [Fact]
    public void a_budget_writes_to_the_window_stream_of_the_instant_it_is_asked_about()
    {
        var budget = new Budget(BudgetIds.Definition(BudgetLevel.Key, "k1abc"), BudgetLevel.Key, "k1abc", 100m, BudgetPeriod.Weekly,
            Budget.DefaultThresholds, Utc(2026, 11, 1));

        Assert.Equal("budget:key:k1abc:weekly-2026-11-23", budget.WindowStreamAt(LastTickOf(2026, 11, 29)));
        Assert.Equal("budget:key:k1abc:weekly-2026-11-30", budget.WindowStreamAt(Utc(2026, 11, 30)));
    }
}
