using System.Globalization;
using Governance.Api.Infrastructure;
using Governance.Domain.Operators;
using Governance.Projections.Audit;
using Marten;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Governance.Api.Audit;

/// <summary>
/// The history as NDJSON for auditors, one line per event with its chain hashes, streamed as it is read (docs/audit.md).
/// Verify it offline with <c>src/Governance.AuditVerifier</c>.
/// </summary>
[Roles(OperatorRoles.Admin, OperatorRoles.Auditor)]
public static class ExportAuditEndpoint
{
    public const string ContentType = "application/x-ndjson";

    /// <summary>Every event after sequence <c>after</c> (default 0: from the start) in global order; at most <c>limit</c> when given.</summary>
    [WolverineGet("/api/audit/events")]
    [ProducesResponseType(StatusCodes.Status200OK)]
    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    public static IResult GetEvents(string? after, string? limit, IDocumentStore store)
    {
        long from = 0;
        if (after is not null && (!long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out from)))
            return Problems.Field("after", "Must be a sequence number: a whole number, 0 or more.");
        long? take = null;
        if (limit is not null)
        {
            if (!long.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed < 1)
                return Problems.Field("limit", "Must be a whole number, 1 or more.");
            take = parsed;
        }
        return new NdjsonExport(store, AuditExportQuery.Events(from, take));
    }

    /// <summary>One stream's events in version order; verify with <c>--stream</c>.</summary>
    [WolverineGet("/api/audit/streams/{streamId}")]
    [ProducesResponseType(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static IResult GetStream(string streamId, IDocumentStore store) => new NdjsonExport(store, AuditExportQuery.OfStream(streamId));

    private sealed class NdjsonExport(IDocumentStore store, AuditExportQuery query) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            var ct = context.RequestAborted;
            var schema = store.Options.Events.DatabaseSchemaName;
            await using var connection = store.Storage.Database.CreateConnection();
            await connection.OpenAsync(ct);
            if (query.Stream is { } stream && !await AuditExport.StreamExistsAsync(connection, schema, stream, ct))
            {
                await Problems.NotFound($"Stream '{stream}'").ExecuteAsync(context);
                return;
            }
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = ContentType;
            await AuditExport.WriteAsync(connection, schema, query, context.Response.Body, ct);
        }
    }
}
