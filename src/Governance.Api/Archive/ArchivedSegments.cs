using Governance.Api.Infrastructure;
using System.Text.Json;
using Governance.AuditVerifier;
using Governance.Domain.Archive;
using Marten;
using Npgsql;

namespace Governance.Api.Archive;

/// <summary>A segment as its archive events leave it.</summary>
public sealed record SegmentView(
    string Segment, string State, string Sha256, long FirstSequence, long LastSequence, long Events, DateTimeOffset From, DateTimeOffset To,
    DateTimeOffset ArchivedAt, string? Redacted);

/// <summary>The archive stream's segments, folded from its events (a few per day of history: read whole).</summary>
public static class ArchivedSegments
{
    public static async Task<IReadOnlyList<SegmentView>> AllAsync(IQuerySession session, CancellationToken ct)
    {
        var segments = new Dictionary<string, SegmentView>(StringComparer.Ordinal);
        foreach (var e in await session.Events.FetchStreamAsync(ArchiveIds.Stream, token: ct))
        {
            switch (e.Data)
            {
                case RequestEventsArchived a:
                    segments[a.Segment] = new SegmentView(a.Segment, "archived", a.Sha256, a.FirstSequence, a.LastSequence, a.Events, a.From, a.To,
                        a.ArchivedAt, null);
                    break;
                case ArchiveSegmentRestored r when segments.TryGetValue(r.Segment, out var s):
                    segments[r.Segment] = s with { State = "restored" };
                    break;
                case ArchiveSegmentDeleted d when segments.TryGetValue(d.Segment, out var s):
                    segments[d.Segment] = s with { State = "deleted", Redacted = d.Redacted };
                    break;
            }
        }
        return segments.Values.OrderBy(s => s.FirstSequence).ToList();
    }

    /// <summary>The archived segments whose events' time range comes within a minute of <paramref name="at"/>.</summary>
    public static async Task<IReadOnlyList<SegmentView>> AroundAsync(IQuerySession session, DateTimeOffset at, CancellationToken ct) =>
        (await AllAsync(session, ct))
            .Where(s => s.State == "archived" && s.From <= at.AddMinutes(1) && s.To >= at.AddMinutes(-1)).ToList();

    /// <summary>
    /// Puts a segment's events back into <c>mt_events</c> (and their streams into <c>mt_streams</c>) with their original
    /// sequences, in one transaction with <see cref="ArchiveSegmentRestored"/>. The chain trigger hashes each row again as it
    /// is inserted: every hash must come out as the segment holds it, or nothing is restored.
    /// </summary>
    public static async Task<long> RestoreAsync(IDocumentStore store, string path, ArchiveSegmentRestored restored, CancellationToken ct)
    {
        var schema = store.Options.Events.DatabaseSchemaName;
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var sequences = new List<long>();
        var hashes = new List<string>();
        await using (var file = File.OpenRead(path))
        {
            var rows = new List<SegmentRow>();
            async Task FlushAsync()
            {
                await using var insert = new NpgsqlCommand($"""
                    insert into {schema}.mt_streams (id, type, version, timestamp, created, tenant_id, is_archived)
                    select r.stream, r.stream_type, 1, r.at::timestamptz, r.at::timestamptz, r.tenant, false
                      from unnest(@streams, @stream_types, @ats, @tenants) as r(stream, stream_type, at, tenant);
                    insert into {schema}.mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived,
                                                    user_name, correlation_id, causation_id)
                    select r.seq, r.id::uuid, r.stream, r.version, r.data::jsonb, r.type, r.tenant, r.at::timestamptz, r.dotnet_type, false,
                           r.actor, r.correlation, r.causation
                      from unnest(@seqs, @ids, @streams, @versions, @datas, @types, @tenants, @ats, @dotnet_types, @actors, @correlations, @causations)
                           as r(seq, id, stream, version, data, type, tenant, at, dotnet_type, actor, correlation, causation)
                     order by r.seq;
                    """, connection, transaction) { CommandTimeout = 0 };
                void Add<T>(string name, Func<SegmentRow, T> value) => insert.Parameters.AddWithValue(name, rows.Select(value).ToArray());
                Add("seqs", r => r.Sequence);
                Add("ids", r => r.EventId ?? "");
                Add("streams", r => r.Stream);
                Add("stream_types", r => r.StreamType);
                Add("versions", r => r.Version);
                Add("datas", r => r.Data ?? "null");
                Add("types", r => r.Type ?? "");
                Add("tenants", r => r.Tenant ?? "");
                Add("ats", r => r.Timestamp ?? "");
                Add("dotnet_types", r => r.DotnetType);
                Add("actors", r => r.Actor);
                Add("correlations", r => r.CorrelationId);
                Add("causations", r => r.CausationId);
                await insert.ExecuteNonQueryAsync(ct);
                rows.Clear();
            }
            await foreach (var row in ArchiveSegment.ReadAsync(file, ct))
            {
                rows.Add(row);
                sequences.Add(row.Sequence);
                hashes.Add(row.Hash);
                if (rows.Count == 5_000)
                    await FlushAsync();
            }
            if (rows.Count > 0)
                await FlushAsync();
        }

        await using (var check = new NpgsqlCommand($"""
            select count(*) from {schema}.mt_events e join unnest(@seqs, @hashes) as r(seq, hash) on e.seq_id = r.seq
             where e.headers ->> 'audit_hash' is distinct from r.hash
            """, connection, transaction) { CommandTimeout = 0 })
        {
            check.Parameters.AddWithValue("seqs", sequences.ToArray());
            check.Parameters.AddWithValue("hashes", hashes.ToArray());
            var differ = (long)(await check.ExecuteScalarAsync(ct))!;
            if (differ > 0)
                throw new InvalidDataException($"{differ} restored events do not hash as the segment says; nothing was restored.");
        }

        await using (var session = store.LightweightSession(Marten.Services.SessionOptions.ForTransaction(transaction)))
        {
            session.Events.Append(ArchiveIds.Stream, restored);
            await session.SaveChangesAsync(ct);
        }
        await transaction.CommitAsync(ct);
        return sequences.Count;
    }

    /// <summary>
    /// What restore and delete check before they touch a segment: a segment name, named by an archive event, still archived,
    /// its file what was recorded. Either a refusal (400, 404, 409 <c>segment_not_archived</c> or <c>segment_altered</c>,
    /// whose detail ends with <paramref name="whenAltered"/>) or the segment and its path.
    /// </summary>
    public static async Task<(IResult? Refusal, SegmentView Found, string Path)> ArchivedAndIntactAsync(
        string segment, IQuerySession session, ArchiveOptions options, string whenAltered, CancellationToken ct)
    {
        if (!ArchiveIds.IsSegmentName(segment))
            return (Problems.Field("segment", "'segment' must be a segment name (requests-<19 digits>-<19 digits>.parquet)."), null!, "");
        var found = (await AllAsync(session, ct)).FirstOrDefault(s => s.Segment == segment);
        if (found is null || options.Directory is null)
            return (Problems.NotFound($"Segment '{segment}'"), null!, "");
        if (found.State != "archived")
            return (Results.Problem(Problems.Create(409, "Not archived.", $"Segment '{segment}' is {found.State}.", "segment_not_archived")), found, "");
        var path = Path.Combine(options.Directory, segment);
        if (!await IntactAsync(path, found.Sha256, ct))
            return (Results.Problem(Problems.Create(409, "Segment altered.",
                $"{path} is missing or its SHA-256 is not the recorded {found.Sha256[..16]}{whenAltered}", "segment_altered")), found, path);
        return (null, found, path);
    }

    /// <summary>Whether the segment file still is what its archive event recorded.</summary>
    public static async Task<bool> IntactAsync(string path, string sha256, CancellationToken ct) =>
        File.Exists(path) && string.Equals(await ArchiveSegment.Sha256Async(path, ct), sha256, StringComparison.OrdinalIgnoreCase);

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
