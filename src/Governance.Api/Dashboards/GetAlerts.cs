using Governance.Api.Infrastructure;
using Governance.Domain.Budgets;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Marten;
using Marten.Events;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Governance.Api.Dashboards;

/// <summary>
/// A recent alert: a key's spend anomaly or a budget crossing one of its thresholds. <see cref="Subject"/> is the key id
/// or "level:owner"; <see cref="Percent"/> and <see cref="Limit"/> are set for thresholds, <see cref="Multiplier"/> for anomalies.
/// </summary>
public sealed record AlertView(
    string Kind, DateTimeOffset At, string Subject, decimal Spend, decimal? Limit, int? Percent, decimal? Multiplier, decimal? Average);

[Roles(OperatorRoles.Admin, OperatorRoles.Auditor)]
public static class GetAlertsEndpoint
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 200;

    /// <summary>The latest anomalies and threshold crossings, newest first: what the webhooks were told, for people.</summary>
    [WolverineGet("/api/alerts")]
    [ProducesResponseType<IReadOnlyList<AlertView>>(StatusCodes.Status200OK)]
    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    public static async Task<IResult> Get(string? limit, IQuerySession session, CancellationToken ct)
    {
        var take = DashboardQuery.Limit(limit, DefaultLimit, MaxLimit);
        if (take.Problem is not null)
            return take.Problem;
        var events = await session.Events.QueryAllRawEvents()
            .Where(e => e.EventTypesAre(typeof(SpendAnomalyDetected), typeof(BudgetThresholdCrossed)))
            .OrderByDescending(e => e.Sequence)
            .Take(take.Value)
            .ToListAsync(ct);
        return Results.Ok(events.Select(e => e.Data switch
        {
            SpendAnomalyDetected a => new AlertView("anomaly", a.DetectedAt, a.KeyId, a.LastHourSpend, null, null, a.Multiplier, a.TrailingHourlyAverage),
            BudgetThresholdCrossed t => new AlertView("threshold", t.CrossedAt, BudgetIds.Owner(t.Level, t.Owner), t.Settled, t.Limit, t.Percent, null, null),
            _ => null,
        }).OfType<AlertView>().ToList());
    }
}
