using System.Security.Claims;
using Governance.Api.Infrastructure;
using Governance.Domain.Archive;
using Governance.Domain.Operators;
using Marten;
using Npgsql;
using Wolverine.Http;

namespace Governance.Api.Archive;

[Roles(OperatorRoles.Admin)]
public static class RestoreSegmentEndpoint
{
    /// <summary>
    /// Puts an archived segment's events back into the database (explanations and exports see them again) and records
    /// <c>archive_segment_restored</c>. The file stays; the archiver does not take those events again. 404 for a segment no
    /// archive event names; 409 <c>segment_not_archived</c> (restored or deleted already), <c>segment_altered</c> (the file is
    /// missing or is not what was recorded), <c>archive_busy</c>.
    /// </summary>
    [WolverinePost("/api/archive/segments/{segment}/restore")]
    public static async Task<IResult> Post(
        string segment, IDocumentStore store, IQuerySession session, ArchiveOptions options, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        var (refusal, found, path) = await ArchivedSegments.ArchivedAndIntactAsync(segment, session, options, "; restore the file from a backup first.", ct);
        if (refusal is not null)
            return refusal;

        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        if (!await ArchiveLock.TryTakeAsync(connection, ct))
            return Results.Problem(Problems.Create(409, "Busy.", "Another node is archiving, restoring or deleting a segment; try again.", "archive_busy"));
        try
        {
            var restored = new ArchiveSegmentRestored(segment, found.Sha256, found.Events, user.Actor(), clock.GetUtcNow());
            var events = await ArchivedSegments.RestoreAsync(store, path, restored, ct);
            return Results.Ok(new { segment, restored = events });
        }
        catch (Exception e) when (e is InvalidDataException or PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return Results.Problem(Problems.Create(409, "Cannot restore.", e.Message, "segment_conflict"));
        }
        finally
        {
            await ArchiveLock.ReleaseAsync(connection);
        }
    }
}
