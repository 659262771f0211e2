using System.Globalization;
using Governance.Api.Infrastructure;
using Governance.Projections.Dashboards;

namespace Governance.Api.Dashboards;

/// <summary>A query-string value, or the 400 problem that names the parameter it came from.</summary>
internal readonly record struct Parsed<T>(T Value, IResult? Problem)
{
    public static implicit operator Parsed<T>(T value) => new(value, null);
}

/// <summary>[From, To): From inclusive, To exclusive.</summary>
internal readonly record struct TimeRange(DateTimeOffset From, DateTimeOffset To);

/// <summary>
/// Query-string parsing shared by the dashboards. Values arrive as strings so a malformed one is a 400 naming the
/// parameter (Wolverine would otherwise bind it as null and silently answer with the default).
/// </summary>
internal static class DashboardQuery
{
    public static Parsed<string> Dimension(string? by) =>
        by is not null && SpendDimension.All.Contains(by)
            ? by
            : Fail<string>("by", $"Must be one of: {string.Join(", ", SpendDimension.All)}.");

    public static Parsed<int> Limit(string? raw, int defaultValue, int max) =>
        raw is null ? defaultValue
        : int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit is >= 1 && limit <= max ? limit
        : Fail<int>("limit", $"Must be a whole number from 1 to {max}.");

    public static Parsed<DateTimeOffset?> Instant(string field, string? raw) =>
        raw is null ? (DateTimeOffset?)null
        : DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant) ? instant
        : Fail<DateTimeOffset?>(field, "Must be an ISO 8601 instant, e.g. 2026-11-02T14:00:00Z.");

    /// <summary>
    /// The range asked for, or <paramref name="defaultSpan"/> ending at <paramref name="defaultTo"/> (or at
    /// <c>to</c>, or starting at <c>from</c>, whichever was given).
    /// </summary>
    public static Parsed<TimeRange> Range(string? from, string? to, DateTimeOffset defaultTo, TimeSpan defaultSpan, TimeSpan maxSpan)
    {
        var start = Instant("from", from);
        if (start.Problem is not null)
            return Fail<TimeRange>(start.Problem);
        var end = Instant("to", to);
        if (end.Problem is not null)
            return Fail<TimeRange>(end.Problem);

        var range = (start.Value, end.Value) switch
        {
            ({ } f, { } t) => new TimeRange(f, t),
            ({ } f, null) => new TimeRange(f, f + defaultSpan),
            (null, { } t) => new TimeRange(t - defaultSpan, t),
            _ => new TimeRange(defaultTo - defaultSpan, defaultTo),
        };
        if (range.To <= range.From)
            return Fail<TimeRange>("to", "Must be later than from.");
        if (range.To - range.From > maxSpan)
            return Fail<TimeRange>("from", $"The range may span at most {maxSpan.TotalDays:0} days.");
        return range;
    }

    private static Parsed<T> Fail<T>(string field, string message) => Fail<T>(Problems.Field(field, message));

    private static Parsed<T> Fail<T>(IResult problem) => new(default!, problem);
}
