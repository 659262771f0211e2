using Governance.Api.Infrastructure;
using Governance.Domain.Operators;
using Governance.Projections.Audit;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Governance.Api.Audit;

[Roles(OperatorRoles.Admin)]
public static class CreateCheckpointEndpoint
{
    /// <summary>
    /// Signs a checkpoint over the whole history now (the periodic one runs every Audit__CheckpointIntervalSeconds), after
    /// checking the newest one. A refusal is a 409 with its code (docs/audit.md, "When checkpointing stops").
    /// </summary>
    [WolverinePost("/api/audit/checkpoints")]
    [ProducesResponseType<AuditCheckpointed>(StatusCodes.Status201Created)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, "application/problem+json")]
    public static async Task<IResult> Post(CheckpointRound round, CancellationToken ct)
    {
        try
        {
            var checkpoint = await round.RunAsync(periodic: false, ct);
            return Results.Created($"/api/audit/streams/{AuditCheckpointed.StreamId}", checkpoint);
        }
        catch (AuditChainIncomplete e)
        {
            return Results.Problem(Problems.Create(409, "The hash chain is incomplete.", e.Message, e.Code));
        }
        catch (CheckpointRefused e)
        {
            return Results.Problem(Problems.Create(409, "Checkpointing is stopped: the history is not the one last signed.", e.Message, e.Code));
        }
        catch (CheckpointBusy e)
        {
            return Results.Problem(Problems.Create(503, "Busy.", e.Message, "checkpoint_busy"));
        }
    }
}
