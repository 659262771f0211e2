using Governance.Api.Audit;
using Governance.Api.Infrastructure;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Governance.Projections.Usage;
using Marten;
using Wolverine.Http;
using Wolverine.Marten;

namespace Governance.Api.Keys;

public static class GetKeysEndpoints
{
    public const int MaxPage = 1000;

    /// <summary>
    /// The key now, or with <c>?asOf=</c> as it was then, folded from its events. A responder reads a key by id (its status,
    /// before and after revoking it) but lists nothing.
    /// </summary>
    [WolverineGet("/api/keys/{id}")]
    [Roles(OperatorRoles.Admin, OperatorRoles.Auditor, OperatorRoles.Approver, OperatorRoles.AppOwner, OperatorRoles.Responder)]
    public static async Task<IResult> Get(string id, string? asOf, IQuerySession session, HttpContext context, TimeProvider clock, CancellationToken ct)
    {
        if (!AsOf.TryParse(asOf, clock.GetUtcNow(), out var at, out var problem))
            return problem;
        // A key's app never changes, so today's document decides who may see its past too.
        var key = await session.LoadAsync<VirtualKey>(id, ct);
        if (key is null || !context.AppScope().Allows(key.App))
            return KeyAccess.NotFound();
        if (at is not { } instant)
            return Results.Ok(KeyView.From(key));
        var past = (await History.LoadAsync(session, [id], new Cutoff(instant), ct)).Fold<VirtualKey>(id, VirtualKey.Evolve);
        return past is null ? Problems.NotFound($"Key '{id}' as of {instant:O}") : Results.Ok(KeyView.From(past));
    }

    /// <summary>An app-owner sees its own apps' keys only, whatever <paramref name="app"/> asks for.</summary>
    [WolverineGet("/api/keys")]
    [Roles(OperatorRoles.Admin, OperatorRoles.Auditor, OperatorRoles.Approver, OperatorRoles.AppOwner)]
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
    [Roles(OperatorRoles.Admin, OperatorRoles.Auditor, OperatorRoles.Approver, OperatorRoles.AppOwner)]
    public static async Task<IResult> Requests(
        [ReadAggregate] VirtualKey key, int? limit, IQuerySession session, HttpContext context, CancellationToken ct)
    {
        if (!context.AppScope().Allows(key.App))
            return KeyAccess.NotFound();
        return Results.Ok(await RequestLog.PageAsync(session, new RequestFilter(KeyId: key.Id), null, Math.Clamp(limit ?? 100, 1, MaxPage), ct));
    }
}
