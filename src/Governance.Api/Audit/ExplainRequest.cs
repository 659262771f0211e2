using Governance.Api.Approvals;
using Governance.Api.Archive;
using Governance.Api.Infrastructure;
using Governance.Api.Keys;
using Governance.Domain.Access;
using Governance.Domain.Apps;
using Governance.Domain.Approvals;
using Governance.Domain.Budgets;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Governance.Domain.Usage;
using Governance.Projections.Usage;
using JasperFx.Events;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Audit;

[Roles(OperatorRoles.Admin, OperatorRoles.Auditor, OperatorRoles.AppOwner)]
public static class ExplainRequestEndpoint
{
    /// <summary>
    /// Why a request was allowed (its ledger entry) or denied (its denial record). An app-owner sees its own apps' requests;
    /// another app's request, or a denial whose key was never recognised, looks unknown to it. An id of another shape than
    /// a request id's is a 400, unless it names a request recorded before the shape was enforced (only its first event is
    /// read: a request's record opens its stream, and another stream, a budget window's say, is never read whole).
    /// </summary>
    [WolverineGet("/api/requests/{requestId}/explanation")]
    public static async Task<IResult> Get(string requestId, IQuerySession session, HttpContext context, CancellationToken ct)
    {
        var shaped = RequestIds.IsValid(requestId);
        var recorded = (await session.Events.FetchStreamAsync(requestId, version: shaped ? 0 : 1, token: ct))
            .FirstOrDefault(e => e.Data is RequestCompleted or RequestDenied);
        if (!shaped && recorded is null)
            return Problems.Field("requestId", $"'requestId' must be {RequestIds.Shape}.");
        var app = recorded?.Data switch
        {
            RequestCompleted c => c.App,
            RequestDenied d => d.App,
            _ => null,
        };
        var scope = context.AppScope();
        if (recorded is null && shaped && await ArchivedAsync(session, requestId, ct) is { } archived && (!scope.IsLimited || scope.Allows(archived.App)))
            return ArchivedProblem(requestId, archived.At, await ArchivedSegments.AroundAsync(session, archived.At, ct));
        if (recorded is null || (scope.IsLimited && (app is null || !scope.Allows(app))))
            return Problems.NotFound($"Request '{requestId}'");
        return Results.Ok(recorded.Data is RequestCompleted completed
            ? await Explainer.CompletedAsync(session, completed, ct)
            : await Explainer.DeniedAsync(session, recorded, (RequestDenied)recorded.Data, ct));
    }

    /// <summary>The request log keeps a row for every recorded request, also once its event was archived.</summary>
    private static async Task<LoggedRequest?> ArchivedAsync(IQuerySession session, string requestId, CancellationToken ct) =>
        (await session.AdvancedSql.QueryAsync<LoggedRequest>(
            $"select json_build_object('App', app, 'At', recorded_at) from {session.DocumentStore.Options.Events.DatabaseSchemaName}.{RequestLogProjection.TableName} where id = ?",
            ct, requestId)).FirstOrDefault();

    private sealed record LoggedRequest(string App, DateTimeOffset At);

    /// <summary>An archived request's event is in a segment: say which one to restore rather than "unknown".</summary>
    private static IResult ArchivedProblem(string requestId, DateTimeOffset at, IReadOnlyList<SegmentView> segments)
    {
        var which = segments.Count == 0
            ? "no archived segment covers that time (it may have been deleted: GET /api/archive/segments)"
            : string.Join(" or ", segments.Select(s => s.Segment)) + $" (restore with POST /api/archive/segments/{segments[0].Segment}/restore)";
        var problem = Problems.Create(409, "Archived.",
            $"Request '{requestId}' (recorded {at:O}) was archived: its event is in {which}. Restore the segment to explain it.", "request_archived");
        problem.Extensions["segments"] = segments.Select(s => s.Segment).ToArray();
        return Results.Problem(problem);
    }
}

internal static class Explainer
{
    /// <summary>
    /// An allowed request is judged at its hold (the reservation's opening event, exact to the sequence) or, without one
    /// (usage reported without authorization, or no budget to hold), at the time it says it happened.
    /// </summary>
    public static async Task<Explanation> CompletedAsync(IQuerySession session, RequestCompleted c, CancellationToken ct)
    {
        var opened = c.ReservationId is null
            ? null
            : (await session.Events.FetchStreamAsync(c.ReservationId, token: ct)).FirstOrDefault(e => e.Data is ReservationOpened);
        var reservation = opened?.Data as ReservationOpened;
        // An adapter deciding from memory says which sequence its copy had reached: the decision is judged there.
        var cutoff = opened is null ? new Cutoff(c.OccurredAt, c.DecidedAtSequence) : new Cutoff(reservation!.OpenedAt, opened.Sequence);
        var worstCase = reservation?.Amount ?? c.WorstCaseCost;

        var past = await History.LoadAsync(session, OfNonNull(c.KeyId, c.Model, c.GrantId), cutoff, ct);
        var key = past.Fold<VirtualKey>(c.KeyId, VirtualKey.Evolve);
        var model = past.Fold<ModelDefinition>(c.Model, ModelDefinition.Evolve);
        var grant = c.GrantId is null ? null : past.Fold<AccessRequest>(c.GrantId, AccessRequest.Evolve);
        var budgets = await PastBudgets.StandingsAsync(session, Definitions(c.KeyId, c.App, c.Team, c.GrantId), cutoff, cutoff.At, c.ReservationId, ct, c.LeaseIds,
            c.DecidedAtSequence is null ? null : c);

        return new Explanation(
            c.RequestId, "allowed", null, cutoff.At, c.ReportedBy, c.KeyId, c.App, c.Team, c.Model,
            key is null ? null : KeyView.From(key), model?.Policy, model?.Prices.FirstOrDefault(p => p.Version == c.PriceVersion),
            grant is null ? null : AccessRequestView.From(grant, cutoff.At), c.ReservationId, worstCase,
            budgets.Select(b => b.Status).ToList(), null,
            DecisionChecks.Evaluate(null, key, c.Model, model, grant, budgets, worstCase, cutoff.At),
            new RequestOutcome(c.Status, c.InputTokens, c.CachedTokens, c.OutputTokens, c.ReasoningTokens, c.Cost, c.PriceVersion, c.LatencyMs,
                c.OccurredAt, c.RecordedAt));
    }

    /// <summary>A denial is judged at its record, which the gateway appends right after deciding.</summary>
    public static async Task<Explanation> DeniedAsync(IQuerySession session, IEvent recorded, RequestDenied d, CancellationToken ct)
    {
        var cutoff = new Cutoff(d.DeniedAt, recorded.Sequence);
        var at = d.DeniedAt;
        // Grants that could have admitted the request: granted by then, for this model and the key's app.
        var candidates = d.App is null
            ? []
            : await session.Query<AccessRequest>()
                .Where(r => r.Model == d.Model && r.App == d.App && r.GrantStart != null && r.GrantStart <= at)
                .Select(r => r.Id).ToListAsync(ct);

        var past = await History.LoadAsync(session, [.. OfNonNull(d.KeyId, d.Model, d.App is null ? null : BudgetIds.App(d.App)), .. candidates], cutoff, ct);
        var key = d.KeyId is null ? null : past.Fold<VirtualKey>(d.KeyId, VirtualKey.Evolve);
        var model = past.Fold<ModelDefinition>(d.Model, ModelDefinition.Evolve);
        var team = d.App is null ? null : past.Fold<App>(BudgetIds.App(d.App), App.Evolve)?.Team;
        var grant = key is null || model is not { IsRestricted: true }
            ? null
            : AccessRequest.ActiveGrant(candidates.Select(id => past.Fold<AccessRequest>(id, AccessRequest.Evolve)).OfType<AccessRequest>(),
                key.Id, key.App, d.Model, at);
        // Budgets only counted once the key and model passed; a key that was never recognised has none to show.
        var budgets = key is null || d.App is null
            ? []
            : await PastBudgets.StandingsAsync(session, Definitions(key.Id, d.App, team, grant?.Id), cutoff, at, null, ct);

        return new Explanation(
            d.RequestId, "denied", d.Reason, at, d.DeniedBy, d.KeyId, d.App, team, d.Model,
            key is null ? null : KeyView.From(key), model?.Policy, model?.PriceAt(at),
            grant is null ? null : AccessRequestView.From(grant, at), null, d.WorstCaseCost,
            budgets.Select(b => b.Status).ToList(),
            d.Level is null ? null : new Shortfall(d.Level, d.Owner!, d.Remaining ?? 0m),
            DecisionChecks.Evaluate(d.Reason, key, d.Model, model, grant, budgets, d.WorstCaseCost, at),
            null);
    }

    /// <summary>The budget definitions a request by this key counts against, as the gateway looks them up.</summary>
    private static string[] Definitions(string keyId, string app, string? team, string? grantId) =>
        OfNonNull(
            BudgetIds.Definition(BudgetLevel.Key, keyId),
            BudgetIds.Definition(BudgetLevel.App, app),
            team is null ? null : BudgetIds.Definition(BudgetLevel.Team, team),
            grantId is null ? null : BudgetIds.Definition(BudgetLevel.Grant, grantId));

    private static string[] OfNonNull(params string?[] ids) => ids.OfType<string>().ToArray();
}
