using Governance.Api.Infrastructure;
using Governance.Domain.Operators;
using Governance.Projections.Dashboards;
using Governance.Projections.Usage;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Governance.Api.Dashboards;

/// <summary>One owner's spend in one hour or one UTC day.</summary>
public sealed record SpendPoint(string Owner, DateTimeOffset BucketStart, decimal Cost, long Requests, long InputTokens, long OutputTokens)
{
    /// <summary>By user: the id the app sent for this pseudonym, from the erasable mapping (null once erased).</summary>
    public string? EndUser { get; init; }
}

[Roles(OperatorRoles.Admin, OperatorRoles.Auditor)]
public static class GetSpendEndpoint
{
    public static readonly TimeSpan MaxHourlyRange = TimeSpan.FromDays(31);
    public static readonly TimeSpan MaxDailyRange = TimeSpan.FromDays(366);

    /// <summary>
    /// Spend over time per owner along one dimension, ordered by owner then time. A bucket is included when it starts
    /// inside [from, to); a day sums its hours in that range. By default: the last 24 hours (current hour included)
    /// or the last 30 UTC days (today included).
    /// </summary>
    [WolverineGet("/api/spend")]
    [ProducesResponseType<IReadOnlyList<SpendPoint>>(StatusCodes.Status200OK)]
    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    public static async Task<IResult> Get(
        string? by, string? granularity, string? from, string? to, string? owner,
        IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        var dimension = DashboardQuery.Dimension(by);
        if (dimension.Problem is not null)
            return dimension.Problem;
        if (granularity is not (null or "hour" or "day"))
            return Problems.Field("granularity", "Must be hour or day.");

        var daily = granularity == "day";
        var now = clock.GetUtcNow();
        var range = daily
            ? DashboardQuery.Range(from, to, SpendBucket.DayOf(now).AddDays(1), TimeSpan.FromDays(30), MaxDailyRange)
            : DashboardQuery.Range(from, to, SpendBucket.HourOf(now).AddHours(1), TimeSpan.FromHours(24), MaxHourlyRange);
        if (range.Problem is not null)
            return range.Problem;

        var (start, end) = range.Value;
        IQueryable<SpendBucket> buckets = session.Query<SpendBucket>()
            .Where(b => b.Dimension == dimension.Value && b.Hour >= start && b.Hour < end);
        if (owner is not null)
            buckets = buckets.Where(b => b.Owner == owner);

        var points = daily
            ? await buckets
                .GroupBy(b => new { b.Owner, b.Day })
                .Select(g => new SpendPoint(g.Key.Owner, g.Key.Day, g.Sum(b => b.Cost), g.Sum(b => b.Requests),
                    g.Sum(b => b.InputTokens), g.Sum(b => b.OutputTokens)))
                .ToListAsync(ct)
            : await buckets
                .Select(b => new SpendPoint(b.Owner, b.Hour, b.Cost, b.Requests, b.InputTokens, b.OutputTokens))
                .ToListAsync(ct);

        if (dimension.Value == SpendDimension.User)
        {
            var readable = await EndUserDirectory.ReadableAsync(session, points.Select(p => p.Owner), ct);
            points = points.Select(p => p with { EndUser = readable.GetValueOrDefault(p.Owner) }).ToList();
        }
        // Ordinal in memory: the same order whatever the database's collation.
        return Results.Ok(points.OrderBy(p => p.Owner, StringComparer.Ordinal).ThenBy(p => p.BucketStart).ToList());
    }
}
