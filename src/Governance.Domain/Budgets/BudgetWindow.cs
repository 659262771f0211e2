namespace Governance.Domain.Budgets;

/// <summary>A UTC calendar window. Lifetime windows start at the epoch and never end.</summary>
public readonly record struct Window(BudgetPeriod Period, DateTimeOffset Start, DateTimeOffset? End)
{
    /// <summary>"monthly-2026-11-01": period and start, so windows of different periods never share a name.</summary>
    public string Label => Period == BudgetPeriod.Lifetime
        ? "lifetime"
        : $"{Period.ToString().ToLowerInvariant()}-{Start.UtcDateTime:yyyy-MM-dd}";

    public bool Contains(DateTimeOffset instant) => instant >= Start && (End is null || instant < End);

    /// <summary>Windows roll over by time alone: the window is a pure function of the period and the instant.</summary>
    public static Window For(BudgetPeriod period, DateTimeOffset instant)
    {
        var day = new DateTimeOffset(instant.UtcDateTime.Date, TimeSpan.Zero);
        return period switch
        {
            BudgetPeriod.Daily => new Window(period, day, day.AddDays(1)),
            // ISO weeks: Monday 00:00 UTC to the next Monday.
            BudgetPeriod.Weekly => Weekly(day),
            BudgetPeriod.Monthly => Monthly(day),
            BudgetPeriod.Lifetime => new Window(period, DateTimeOffset.UnixEpoch, null),
            _ => throw new ArgumentOutOfRangeException(nameof(period)),
        };
    }

    private static Window Weekly(DateTimeOffset day)
    {
        var monday = day.AddDays(-(((int)day.DayOfWeek + 6) % 7));
        return new Window(BudgetPeriod.Weekly, monday, monday.AddDays(7));
    }

    private static Window Monthly(DateTimeOffset day)
    {
        var first = new DateTimeOffset(day.Year, day.Month, 1, 0, 0, 0, TimeSpan.Zero);
        return new Window(BudgetPeriod.Monthly, first, first.AddMonths(1));
    }
}

public static class BudgetIds
{
    public static string Owner(BudgetLevel level, string owner) => $"{level.ToString().ToLowerInvariant()}:{owner}";

    /// <summary>Stream of a budget's definition.</summary>
    public static string Definition(BudgetLevel level, string owner) => "budget:" + Owner(level, owner);

    /// <summary>Stream of one window's money movements: the window is part of the identity.</summary>
    public static string Window(BudgetLevel level, string owner, Window window) => $"budget:{Owner(level, owner)}:{window.Label}";

    public static string App(string app) => "app:" + app;
}
