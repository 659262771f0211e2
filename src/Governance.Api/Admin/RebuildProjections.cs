using Governance.Api.Infrastructure;
using Governance.Domain.Operators;
using Governance.Projections.Hosting;
using JasperFx.Events.Daemon;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Admin;

/// <summary>
/// POST /api/admin/projections/rebuild: every projection torn down and replayed from the events. A maintenance
/// operation: while a write model is replayed, allow/deny finds no documents and denies (fails closed), and a write
/// during the rebuild may be overwritten by the replay (the answer's <c>appendedDuring</c> then says so; run it again
/// while nothing writes). One rebuild at a time across all API nodes.
/// </summary>
[Roles(OperatorRoles.Admin)]
public static class RebuildProjectionsEndpoint
{
    [WolverinePost("/api/admin/projections/rebuild")]
    public static async Task<IResult> Post(IDocumentStore store, IQuerySession session, IProjectionCoordinator coordinator, ILogger<RebuildReport> log)
    {
        // A replay sees only what is in mt_events: the request log (budgets' sums) and the dashboards would lose archived periods.
        if ((await Governance.Api.Archive.ArchivedSegments.AllAsync(session, CancellationToken.None)).FirstOrDefault(s => s.State != "restored") is { } archived)
            return Results.Problem(Problems.Create(409, "History archived.",
                $"Request events are archived (segment {archived.Segment}, {archived.State}): a rebuild would drop them from the request log, " +
                "budgets and dashboards. Restore the archived segments first.", "history_archived"));

        // Not the request's token: a rebuild stopped half-way leaves projections torn down. It runs to the end.
        var ct = CancellationToken.None;
        await using var guard = await RebuildGuard.TryAcquireAsync(store, ct);
        if (guard is null)
            return Results.Problem(Problems.Create(409, "Conflict.", "A projection rebuild is already running.", "rebuild_running"));

        // The daemon's own agents (the dashboards) stay stopped until every projection is rebuilt.
        await coordinator.PauseAsync();
        try
        {
            return Results.Ok(await ProjectionRebuild.RunAsync(store, coordinator.DaemonForMainDatabase(), log, ct));
        }
        finally
        {
            await coordinator.ResumeAsync();
        }
    }
}
