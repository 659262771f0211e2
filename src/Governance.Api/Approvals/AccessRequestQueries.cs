using System.Security.Claims;
using Governance.Api.Infrastructure;
using Governance.Domain.Approvals;
using Governance.Domain.Catalog;
using Governance.Domain.Operators;
using Governance.Domain.Pricing;
using JasperFx.Events;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Approvals;

/// <summary>An access request as approvers and auditors see it. <see cref="Active"/> is judged by time, now.</summary>
public sealed record AccessRequestView(
    string Id, string? KeyId, string App, string Model, string Justification, int DurationDays, decimal? SpendCap, string Status,
    bool Active, string RequestedBy, DateTimeOffset RequestedAt, IReadOnlyList<Approval> Approvals, int ApprovalsRequired,
    DateTimeOffset? GrantStart, DateTimeOffset? GrantExpiry, string? StatusReason)
{
    public static AccessRequestView From(AccessRequest r, DateTimeOffset now) => new(
        r.Id, r.KeyId, r.App, r.Model, r.Justification, r.DurationDays, r.SpendCap,
        r.Status == AccessStatus.Granted && !r.IsActiveAt(now) ? "expired" : r.Status.ToString().ToLowerInvariant(),
        r.IsActiveAt(now), r.RequestedBy, r.RequestedAt, r.Approvals, r.Policy.ApprovalsRequired, r.GrantStart, r.GrantExpiry, r.StatusReason);

    public static AccessRequestView After(AccessRequest request, IEnumerable<object> events, DateTimeOffset now) =>
        From(events.Aggregate(request, (state, e) => AccessRequest.Evolve(state, e)!), now);
}

/// <summary>The approver's queue entry: who asks, for what, why, at what price, for how long already.</summary>
public sealed record QueueEntry(AccessRequestView Request, PriceVersion? Price, TimeSpan Age);

public sealed record HistoryEntry(long Version, string Type, DateTimeOffset Timestamp, object Data);

public sealed record AccessRequestDetail(AccessRequestView Request, PriceVersion? Price, IReadOnlyList<HistoryEntry> History);

[Roles(OperatorRoles.Admin, OperatorRoles.Approver, OperatorRoles.Auditor, OperatorRoles.AppOwner)]
public static class AccessRequestQueries
{
    [WolverineGet("/api/access-requests")]
    public static async Task<IResult> List(string? status, IQuerySession session, HttpContext context, TimeProvider clock, CancellationToken ct)
    {
        var scope = context.AppScope();
        IQueryable<AccessRequest> query = session.Query<AccessRequest>();
        if (status is not null)
        {
            if (!Enum.TryParse<AccessStatus>(status, ignoreCase: true, out var parsed) || int.TryParse(status, out _))
                return Problems.Field("status", "'status' must be one of: pending, granted, rejected, withdrawn, lapsed, expired, revoked.");
            query = query.Where(r => r.Status == parsed);
        }
        var now = clock.GetUtcNow();
        var requests = (await query.OrderBy(r => r.RequestedAt).Take(1000).ToListAsync(ct)).Where(r => scope.Allows(r.App)).ToList();
        var models = (await session.LoadManyAsync<ModelDefinition>(ct, requests.Select(r => r.Model).Distinct())).ToDictionary(m => m.Id);
        return Results.Ok(requests.Select(r => new QueueEntry(AccessRequestView.From(r, now), models.GetValueOrDefault(r.Model)?.PriceAt(now), now - r.RequestedAt)));
    }

    [WolverineGet("/api/access-requests/{id}")]
    public static async Task<IResult> Get(string id, IQuerySession session, HttpContext context, TimeProvider clock, CancellationToken ct)
    {
        var request = await session.LoadAsync<AccessRequest>(id, ct);
        if (request is null || !context.AppScope().Allows(request.App))
            return Problems.NotFound($"Access request '{id}'");
        var now = clock.GetUtcNow();
        var model = await session.LoadAsync<ModelDefinition>(request.Model, ct);
        var history = (await session.Events.FetchStreamAsync(id, token: ct))
            .Select(e => new HistoryEntry(e.Version, e.EventTypeName, e.Timestamp, e.Data)).ToList();
        return Results.Ok(new AccessRequestDetail(AccessRequestView.From(request, now), model?.PriceAt(now), history));
    }
}
