using System.Globalization;
using System.Text;
using Governance.Api.Infrastructure;
using Governance.Domain.Operators;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Governance.Api.Dashboards;

[Roles(OperatorRoles.Admin, OperatorRoles.Auditor)]
public static class ExportSpendEndpoint
{
    /// <summary>
    /// The spend series of <c>GET /api/spend</c> (same parameters, same range rules, any dimension it knows) as a CSV file
    /// for finance: one record per owner and hour or UTC day, cost in USD as an exact decimal.
    /// </summary>
    [WolverineGet("/api/spend/export")]
    [Produces("text/csv")]
    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    public static async Task<IResult> Get(
        string? by, string? granularity, string? from, string? to, string? owner,
        IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        var answer = await GetSpendEndpoint.Get(by, granularity, from, to, owner, session, clock, ct);
        if (answer is not IValueHttpResult { Value: IReadOnlyList<SpendPoint> points })
            return answer;

        var csv = new StringBuilder();
        Csv.AppendRecord(csv, "dimension", "owner", granularity == "day" ? "day_start_utc" : "hour_start_utc", "cost_usd", "requests", "input_tokens", "output_tokens");
        foreach (var p in points)
            Csv.AppendRecord(csv, Csv.Text(by), Csv.Text(p.Owner),
                p.BucketStart.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                p.Cost.ToString(CultureInfo.InvariantCulture), p.Requests.ToString(CultureInfo.InvariantCulture),
                p.InputTokens.ToString(CultureInfo.InvariantCulture), p.OutputTokens.ToString(CultureInfo.InvariantCulture));
        return Results.File(Encoding.UTF8.GetBytes(csv.ToString()), Csv.MediaType, $"spend-by-{by}.csv");
    }
}
