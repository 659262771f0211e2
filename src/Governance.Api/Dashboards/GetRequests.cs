using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Governance.Api.Infrastructure;
using Governance.Domain.Attribution;
using Governance.Domain.Operators;
using Governance.Hosting.Secrets;
using Governance.Domain.Usage;
using Governance.Projections.Usage;
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
        string? limit, string? after, string? user, string? tag, IQuerySession session, EndUserPseudonyms pseudonyms, CancellationToken ct)
    {
        // An end user is named by the id the app sent (with its app: pseudonyms are per app) or by its pseudonym.
        var pseudonym = EndUserFilter.Pseudonym(user, app, pseudonyms, out var badUser);
        if (badUser is not null)
            return badUser;
        if (tag is not null && AttributionRules.CheckTags("tag", [tag], out _) is { } badTag)
            return Problems.Field("tag", badTag.Message);
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

        var filter = new RequestFilter(KeyId: key, App: app, Team: team, Model: model, Status: statusCode, From: start.Value, To: end.Value,
            User: pseudonym, Tag: tag);
        string? lastId = null;
        if (after is not null && (lastId = Cursor.Decode(after)) is null)
            return Problems.Field("after", "Not a cursor from a previous page.");
        // One extra row says whether another page follows without a count.
        var rows = await RequestLog.PageAsync(session, filter, lastId, take.Value + 1, ct);
        if (rows is null)
            return Problems.Field("after", "Not a cursor from a previous page.");
        var readable = await EndUserDirectory.ReadableAsync(session, rows.Select(r => r.User), ct);
        var items = rows.Take(take.Value).Select(r => r with { EndUser = r.User is null ? null : readable.GetValueOrDefault(r.User) }).ToList();
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

/// <summary>The <c>user</c> filter of the request log and spend: an end-user pseudonym, or the id the app sent (with <c>app</c>).</summary>
internal static class EndUserFilter
{
    public static string? Pseudonym(string? user, string? app, EndUserPseudonyms pseudonyms, out IResult? problem)
    {
        problem = null;
        if (user is null || EndUserIds.IsPseudonym(user))
            return user;
        if (AttributionRules.CheckUser("user", user) is { } bad)
            problem = Problems.Field("user", bad.Message);
        else if (app is null)
            problem = Problems.Field("app", "An end user's id is per app: name the app too (or give the user's pseudonym, eu_…).");
        return problem is null ? pseudonyms.Of(app!, user) : null;
    }
}
