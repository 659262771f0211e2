using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Governance.Api.Infrastructure;
using Governance.Domain.Operators;
using Governance.Domain.Usage;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Governance.Api.Dashboards;

/// <summary>A page of the request log; <see cref="Next"/> fetches the following page and is null on the last one.</summary>
public sealed record RequestPage(IReadOnlyList<RequestRecord> Items, string? Next);

[Roles(OperatorRoles.Admin, OperatorRoles.Auditor)]
public static class GetRequestsEndpoint
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    /// <summary>
    /// The request log across keys, newest first (by completion time, then request id), filtered by any of key, app,
    /// model, team, HTTP status and completion time in [from, to). Keyset paging: a page costs the same however deep
    /// it is, and requests recorded while a client pages never shift or repeat the pages that follow.
    /// </summary>
    [WolverineGet("/api/requests")]
    [ProducesResponseType<RequestPage>(StatusCodes.Status200OK)]
    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    public static async Task<IResult> Get(
        string? key, string? app, string? model, string? team, string? status, string? from, string? to,
        string? limit, string? after, IQuerySession session, CancellationToken ct)
    {
        var start = DashboardQuery.Instant("from", from);
        if (start.Problem is not null)
            return start.Problem;
        var end = DashboardQuery.Instant("to", to);
        if (end.Problem is not null)
            return end.Problem;
        if (start.Value >= end.Value)
            return Problems.Field("to", "Must be later than from.");
        var take = DashboardQuery.Limit(limit, DefaultLimit, MaxLimit);
        if (take.Problem is not null)
            return take.Problem;
        int? statusCode = null;
        if (status is not null)
        {
            if (!int.TryParse(status, NumberStyles.None, CultureInfo.InvariantCulture, out var code) || code is < 100 or > 599)
                return Problems.Field("status", "Must be an HTTP status code from 100 to 599.");
            statusCode = code;
        }

        IQueryable<RequestRecord> requests = session.Query<RequestRecord>();
        if (key is not null)
            requests = requests.Where(r => r.KeyId == key);
        if (app is not null)
            requests = requests.Where(r => r.App == app);
        if (model is not null)
            requests = requests.Where(r => r.Model == model);
        if (team is not null)
            requests = requests.Where(r => r.Team == team);
        if (statusCode is { } s)
            requests = requests.Where(r => r.Status == s);
        if (start.Value is { } f)
            requests = requests.Where(r => r.CompletedAt >= f);
        if (end.Value is { } t)
            requests = requests.Where(r => r.CompletedAt < t);

        if (after is not null)
        {
            var lastId = Cursor.Decode(after);
            // PostgreSQL orders by its own microsecond reading of CompletedAt; seek from that value, not from the
            // 100 ns .NET one, or requests in the same microsecond as the cursor would be skipped or repeated.
            var lastAt = lastId is null
                ? []
                : await session.Query<RequestRecord>().Where(r => r.Id == lastId).Select(r => r.CompletedAt).ToListAsync(ct);
            if (lastAt is not [var at])
                return Problems.Field("after", "Not a cursor from a previous page.");
            requests = requests.Where(r => r.CompletedAt < at || (r.CompletedAt == at && r.Id.CompareTo(lastId!) < 0));
        }

        // One extra row says whether another page follows without a count.
        var rows = await requests
            .OrderByDescending(r => r.CompletedAt).ThenByDescending(r => r.Id)
            .Take(take.Value + 1)
            .ToListAsync(ct);
        var items = rows.Take(take.Value).ToList();
        return Results.Ok(new RequestPage(items, rows.Count > take.Value ? Cursor.Encode(items[^1].Id) : null));
    }

    /// <summary>The cursor names the last request of a page; opaque so clients don't build or edit one.</summary>
    private static class Cursor
    {
        public static string Encode(string requestId) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(requestId));

        public static string? Decode(string cursor)
        {
            try
            {
                return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            }
            catch (FormatException)
            {
                return null;
            }
        }
    }
}
