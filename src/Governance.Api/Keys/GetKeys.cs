using Governance.Api.Infrastructure;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Governance.Domain.Usage;
using Governance.Projections.Usage;
using Marten;
using Wolverine.Http;
using Wolverine.Marten;

namespace Governance.Api.Keys;

[Roles(OperatorRoles.Admin, OperatorRoles.Auditor, OperatorRoles.Approver, OperatorRoles.AppOwner)]
public static class GetKeysEndpoints
{
    public const int MaxPage = 1000;

    [WolverineGet("/api/keys/{id}")]
    public static IResult Get([ReadAggregate] VirtualKey key, HttpContext context) =>
        context.AppScope().Allows(key.App) ? Results.Ok(KeyView.From(key)) : KeyAccess.NotFound();

    /// <summary>An app-owner sees its own apps' keys only, whatever <paramref name="app"/> asks for.</summary>
    [WolverineGet("/api/keys")]
    public static async Task<IReadOnlyList<KeyView>> List(string? app, IQuerySession session, HttpContext context, CancellationToken ct)
    {
        IQueryable<VirtualKey> query = session.Query<VirtualKey>();
        if (app is not null)
            query = query.Where(k => k.App == app);
        if (context.AppScope().Apps is { } owned)
        {
            var apps = owned.ToArray();
            query = query.Where(k => apps.Contains(k.App));
        }
        var keys = await query.OrderBy(k => k.IssuedAt).Take(MaxPage).ToListAsync(ct);
        return keys.Select(KeyView.From).ToList();
    }

    /// <summary>The key's request log, newest first.</summary>
    [WolverineGet("/api/keys/{id}/requests")]
    public static async Task<IResult> Requests(
        [ReadAggregate] VirtualKey key, int? limit, IQuerySession session, HttpContext context, CancellationToken ct)
    {
        if (!context.AppScope().Allows(key.App))
            return KeyAccess.NotFound();
        return Results.Ok(await RequestLog.PageAsync(session, new RequestFilter(KeyId: key.Id), null, Math.Clamp(limit ?? 100, 1, MaxPage), ct));
    }
}
