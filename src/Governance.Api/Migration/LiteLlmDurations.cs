using System.Globalization;
using System.Text.RegularExpressions;
using Governance.Domain.Budgets;

namespace Governance.Api.Migration;

/// <summary>LiteLLM's durations: a whole number and a unit, <c>30s</c>, <c>30m</c>, <c>24h</c>, <c>30d</c>, <c>2w</c>, <c>1mo</c>, <c>1y</c>.</summary>
public static partial class LiteLlmDurations
{
    public static bool TryParse(string? text, out int amount, out string unit)
    {
        var match = Pattern().Match(text ?? "");
        amount = match.Success && int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
        unit = match.Success ? match.Groups[2].Value : "";
        return match.Success && amount > 0;
    }

    /// <summary>The instant <paramref name="text"/> after <paramref name="now"/> (months and years by the calendar), or null when unreadable.</summary>
    public static DateTimeOffset? After(string? text, DateTimeOffset now)
    {
        if (!TryParse(text, out var n, out var unit))
            return null;
        return unit switch
        {
            "s" => now.AddSeconds(n),
            "m" => now.AddMinutes(n),
            "h" => now.AddHours(n),
            "d" => now.AddDays(n),
            "w" => now.AddDays(7 * n),
            "mo" => now.AddMonths(n),
            _ => now.AddYears(n),
        };
    }

    /// <summary>
    /// Our budget period for LiteLLM's reset interval: the shortest of ours at least as long (up to 1 day → daily, 7 days →
    /// weekly, 31 days → monthly, longer → lifetime). The same limit over an equal or longer window is never looser. Our
    /// windows are calendar-aligned in UTC, LiteLLM's start when the key is created.
    /// </summary>
    public static BudgetPeriod? BudgetPeriod(string? text)
    {
        if (!TryParse(text, out var n, out var unit))
            return null;
        var days = unit switch
        {
            "s" => n / 86_400d,
            "m" => n / 1_440d,
            "h" => n / 24d,
            "d" => n,
            "w" => 7d * n,
            "mo" => 30d * n,
            _ => 365d * n,
        };
        return days switch
        {
            <= 1 => Governance.Domain.Budgets.BudgetPeriod.Daily,
            <= 7 => Governance.Domain.Budgets.BudgetPeriod.Weekly,
            <= 31 => Governance.Domain.Budgets.BudgetPeriod.Monthly,
            _ => Governance.Domain.Budgets.BudgetPeriod.Lifetime,
        };
    }

    [GeneratedRegex("^([0-9]{1,6})(s|m|h|d|w|mo|y)$")]
    private static partial Regex Pattern();
}
