using Governance.Api.Infrastructure;
using Governance.Domain.Operators;
using Governance.Projections.Dashboards;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Governance.Api.Dashboards;

public sealed record TopSpender(string Owner, decimal Cost, long Requests);

[Roles(OperatorRoles.Admin, OperatorRoles.Auditor)]
public static class GetTopSpendersEndpoint
{
    public const int DefaultLimit = 10;
    public const int MaxLimit = 100;

    /// <summary>
    /// The owners along one dimension that spent most in the hours starting inside [from, to), dearest first
    /// (ties by owner). By default: the last 30 UTC days, today included.
    /// </summary>
    [WolverineGet("/api/spend/top")]
    [ProducesResponseType<IReadOnlyList<TopSpender>>(StatusCodes.Status200OK)]
    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    public static async Task<IResult> Get(
        string? by, string? from, string? to, string? limit, IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        var dimension = DashboardQuery.Dimension(by);
        if (dimension.Problem is not null)
            return dimension.Problem;
        var range = DashboardQuery.Range(from, to, SpendBucket.DayOf(clock.GetUtcNow()).AddDays(1), TimeSpan.FromDays(30),
            GetSpendEndpoint.MaxDailyRange);
        if (range.Problem is not null)
            return range.Problem;
        var take = DashboardQuery.Limit(limit, DefaultLimit, MaxLimit);
        if (take.Problem is not null)
            return take.Problem;

        var (start, end) = range.Value;
        var spenders = await session.Query<SpendBucket>()
            .Where(b => b.Dimension == dimension.Value && b.Hour >= start && b.Hour < end)
            .GroupBy(b => b.Owner)
            .Select(g => new TopSpender(g.Key, g.Sum(b => b.Cost), g.Sum(b => b.Requests)))
            .OrderByDescending(s => s.Cost).ThenBy(s => s.Owner)
            .Take(take.Value)
            .ToListAsync(ct);
        return Results.Ok(spenders);
    }
}
