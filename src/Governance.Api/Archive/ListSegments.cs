using Governance.Api.Infrastructure;
using Governance.Domain.Operators;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Archive;

[Roles(OperatorRoles.Admin, OperatorRoles.Auditor)]
public static class ListSegmentsEndpoint
{
    /// <summary>Every archive segment with its range, digest and state (archived, restored, deleted).</summary>
    [WolverineGet("/api/archive/segments")]
    public static Task<IReadOnlyList<SegmentView>> Get(IQuerySession session, CancellationToken ct) => ArchivedSegments.AllAsync(session, ct);
}
