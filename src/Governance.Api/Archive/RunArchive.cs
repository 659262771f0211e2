using Governance.Api.Infrastructure;
using Governance.Domain.Operators;
using Wolverine.Http;

namespace Governance.Api.Archive;

[Roles(OperatorRoles.Admin)]
public static class RunArchiveEndpoint
{
    /// <summary>
    /// Archives now what the periodic run would (docs/audit.md, "Archive"): 200 with the segments written; 409
    /// <c>archive_disabled</c> without <c>Archive__Directory</c>, 409 <c>archive_busy</c> while another node archives, restores or deletes.
    /// </summary>
    [WolverinePost("/api/archive/runs")]
    public static async Task<IResult> Post(RequestArchive archive, CancellationToken ct)
    {
        var run = await archive.RunAsync(ct);
        return run.Outcome switch
        {
            "disabled" => Results.Problem(Problems.Create(409, "Archiving is off.", "Set Archive__Directory to archive request events.", "archive_disabled")),
            "busy" => Results.Problem(Problems.Create(409, "Busy.", "Another node is archiving, restoring or deleting a segment; try again.", "archive_busy")),
            _ => Results.Ok(run),
        };
    }
}
