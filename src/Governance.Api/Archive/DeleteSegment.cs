using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.AuditVerifier;
using Governance.Domain.Archive;
using Governance.Domain.Operators;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Archive;

public sealed record DeleteSegment(string Reason)
{
    public sealed class Validator : AbstractValidator<DeleteSegment>
    {
        public Validator() => RuleFor(x => x.Reason).NotEmpty().MaximumLength(1000);
    }
}

[Roles(OperatorRoles.Admin)]
public static class DeleteSegmentEndpoint
{
    /// <summary>
    /// Deletes an archived segment's content, only when an operator says so, with a reason: writes the redacted copy (each
    /// event's sequence, stream, version and hashes, so the verifier still checks the chain and the checkpoints across the
    /// gap), records <c>archive_segment_deleted</c>, then removes the file. 409 <c>segment_not_archived</c> when it is
    /// restored (its events are in the database) or deleted already.
    /// </summary>
    [WolverinePost("/api/archive/segments/{segment}/delete")]
    public static async Task<IResult> Post(
        string segment, DeleteSegment command, IDocumentStore store, IQuerySession session, ArchiveOptions options, ClaimsPrincipal user,
        TimeProvider clock, CancellationToken ct)
    {
        var (refusal, found, path) = await ArchivedSegments.ArchivedAndIntactAsync(segment, session, options, ": its hashes cannot be kept.", ct);
        if (refusal is not null)
            return refusal;

        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        if (!await ArchiveLock.TryTakeAsync(connection, ct))
            return Results.Problem(Problems.Create(409, "Busy.", "Another node is archiving, restoring or deleting a segment; try again.", "archive_busy"));
        try
        {
            var redacted = ArchiveIds.RedactedName(segment);
            var redactedPath = Path.Combine(Path.GetDirectoryName(path)!, redacted);
            List<SegmentRow> rows = [];
            await using (var file = File.OpenRead(path))
                await foreach (var row in ArchiveSegment.ReadAsync(file, ct))
                    rows.Add(row.Redacted());
            await RequestArchive.WriteDurablyAsync(redactedPath, rows, ct);
            var deleted = new ArchiveSegmentDeleted(segment, found.Sha256, redacted, await ArchiveSegment.Sha256Async(redactedPath, ct), rows.Count,
                command.Reason, user.Actor(), clock.GetUtcNow());
            await using (var write = store.LightweightSession())
            {
                write.Events.Append(ArchiveIds.Stream, deleted);
                await write.SaveChangesAsync(ct);
            }
            File.Delete(path);
            return Results.Ok(deleted);
        }
        finally
        {
            await ArchiveLock.ReleaseAsync(connection);
        }
    }
}
