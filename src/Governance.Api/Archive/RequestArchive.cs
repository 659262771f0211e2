using Governance.AuditVerifier;
using Governance.Domain.Archive;
using Governance.Hosting.Audit;
using Governance.Projections.Audit;
using Marten;
using Npgsql;

namespace Governance.Api.Archive;

/// <summary>What an archiving run did: the segments it wrote, or why it did nothing.</summary>
public sealed record ArchiveRun(string Outcome, IReadOnlyList<RequestEventsArchived> Segments);

/// <summary>
/// Moves request events (<c>request_completed</c>, <c>request_denied</c>: one-event request streams) older than the horizon
/// out of <c>mt_events</c> into Parquet segments, one at a time across every API node (a PostgreSQL advisory lock).
/// Per segment: write the file and fsync it (and its directory) → read it back and compare every row → in one transaction,
/// append <see cref="RequestEventsArchived"/> and delete the rows. A crash before the commit leaves a file no event names,
/// which the next run overwrites; after it, nothing is left to do. Only events a signed checkpoint already covers
/// (up to the newest checkpoint's previous sequence, the range the checkpoint writer re-checks is never touched) and that
/// every async projection has processed are taken. The request log's narrow rows and the dashboards' hourly buckets stay.
/// </summary>
public sealed class RequestArchive(IDocumentStore store, ArchiveOptions options, TimeProvider clock, ILogger<RequestArchive> log)
{
    public const string SystemActor = "system:archive";
    /// <summary>The advisory lock the archiver, restore and delete take: one of them at a time, across nodes.</summary>
    public const long LockKey = 0x6172_6368_6976_6572; // "archiver"
    private static readonly string[] RequestTypes = ["request_completed", "request_denied"];

    private string Schema => store.Options.Events.DatabaseSchemaName;

    public async Task<ArchiveRun> RunAsync(CancellationToken ct)
    {
        if (options.Directory is not { } directory)
            return new("disabled", []);
        Directory.CreateDirectory(directory);
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        if (!await ArchiveLock.TryTakeAsync(connection, ct))
            return new("busy", []);
        try
        {
            var written = new List<RequestEventsArchived>();
            while (!ct.IsCancellationRequested && await NextSegmentAsync(connection, directory, ct) is { } segment)
                written.Add(segment);
            return new("done", written);
        }
        finally
        {
            await ArchiveLock.ReleaseAsync(connection);
        }
    }

    private async Task<RequestEventsArchived?> NextSegmentAsync(NpgsqlConnection connection, string directory, CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow() - options.Horizon;
        var rows = await CandidatesAsync(connection, cutoff, ct);
        if (rows.Count == 0)
            return null;

        var name = ArchiveIds.SegmentName(rows[0].Row.Sequence, rows[^1].Row.Sequence);
        var path = Path.Combine(directory, name);
        await WriteDurablyAsync(path, rows.Select(r => r.Row), ct);
        var sha = await CheckWrittenAsync(path, rows, ct);

        var archived = new RequestEventsArchived(name, sha, rows[0].Row.Sequence, rows[^1].Row.Sequence, rows.Count,
            rows.Min(r => r.At), rows.Max(r => r.At), AuditContext.Current?.Actor ?? SystemActor, clock.GetUtcNow());
        await using (var session = store.LightweightSession())
        {
            session.Events.Append(ArchiveIds.Stream, archived);
            var sequences = rows.Select(r => r.Row.Sequence).ToArray();
            var streams = rows.Select(r => r.Row.Stream).ToArray();
            session.QueueSqlCommand($"delete from {Schema}.mt_events where seq_id = any(?)", sequences);
            session.QueueSqlCommand($"delete from {Schema}.mt_streams where id = any(?) and version = 1", (object)streams);
            await session.SaveChangesAsync(ct);
        }
        log.LogInformation("Archived {Events} request events (sequences {First} to {Last}) into {Segment}",
            archived.Events, archived.FirstSequence, archived.LastSequence, name);
        return archived;
    }

    /// <summary>
    /// The next events to archive, in sequence order: after the last archived segment, covered by a checkpoint the checkpoint
    /// writer no longer re-reads, processed by every async projection, and older than the cutoff (stopping at the first
    /// request event that is not, so a later run continues from there).
    /// </summary>
    private async Task<List<(SegmentRow Row, DateTimeOffset At)>> CandidatesAsync(NpgsqlConnection connection, DateTimeOffset cutoff, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            with bounds as (
              select coalesce((select max((data ->> 'LastSequence')::bigint) from {Schema}.mt_events
                                where stream_id = @archive and type = 'request_events_archived'), 0) as after,
                     least(
                       coalesce((select (data ->> 'PreviousSequence')::bigint from {Schema}.mt_events
                                  where stream_id = @checkpoints order by version desc limit 1), 0),
                       coalesce((select min(last_seq_id) from {Schema}.mt_event_progression), 0)) as upto)
            select e.seq_id, e.id::text, e.stream_id, s.type, e.version, e.type, {Schema}.gov_audit_timestamp(e."timestamp"), e.mt_dotnet_type,
                   e.tenant_id, e.user_name, e.correlation_id, e.causation_id, e.data::text, e.headers ->> 'audit_prev', e.headers ->> 'audit_hash',
                   e."timestamp"
              from bounds, {Schema}.mt_events e join {Schema}.mt_streams s on s.id = e.stream_id
             where e.seq_id > bounds.after and e.seq_id <= bounds.upto and e.type = any(@types) and e.version = 1 and s.version = 1
             order by e.seq_id limit @limit
            """, connection) { CommandTimeout = 0 };
        command.Parameters.AddWithValue("archive", ArchiveIds.Stream);
        command.Parameters.AddWithValue("checkpoints", AuditCheckpointed.StreamId);
        command.Parameters.AddWithValue("types", RequestTypes);
        command.Parameters.AddWithValue("limit", options.SegmentEvents);
        var rows = new List<(SegmentRow, DateTimeOffset)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var at = reader.GetFieldValue<DateTimeOffset>(15);
            if (at >= cutoff)
                break;
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            if (Text(14) is null)
                break; // never chained (docs/audit.md): it stays where the verifier reports it
            rows.Add((new SegmentRow(reader.GetInt64(0), Text(1), reader.GetString(2), Text(3), reader.GetInt64(4), Text(5), Text(6), Text(7),
                Text(8), Text(9), Text(10), Text(11), Text(12), Text(13)!, Text(14)!), at));
        }
        return rows;
    }

    /// <summary>Writes to a temporary name, fsyncs, renames into place and fsyncs the directory: the name exists only whole.</summary>
    public static async Task WriteDurablyAsync(string path, IEnumerable<SegmentRow> rows, CancellationToken ct)
    {
        var temporary = path + ".tmp";
        await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            await ArchiveSegment.WriteAsync(file, rows, ct);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
        DirectorySync.Flush(Path.GetDirectoryName(path)!);
    }

    /// <summary>Reads the file back: every row as read from the database, in order. Returns its SHA-256.</summary>
    private static async Task<string> CheckWrittenAsync(string path, List<(SegmentRow Row, DateTimeOffset At)> rows, CancellationToken ct)
    {
        await using (var file = File.OpenRead(path))
        {
            var i = 0;
            await foreach (var row in ArchiveSegment.ReadAsync(file, ct))
            {
                if (i >= rows.Count || row != rows[i].Row)
                    throw new IOException($"Segment {path} does not read back as written (row {i + 1}); nothing was archived.");
                i++;
            }
            if (i != rows.Count)
                throw new IOException($"Segment {path} has {i} rows, {rows.Count} were written; nothing was archived.");
        }
        return await ArchiveSegment.Sha256Async(path, ct);
    }
}

/// <summary>The archive's session advisory lock (held across the transactions of one run).</summary>
internal static class ArchiveLock
{
    public static async Task<bool> TryTakeAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("select pg_try_advisory_lock(@key)", connection);
        command.Parameters.AddWithValue("key", RequestArchive.LockKey);
        return await command.ExecuteScalarAsync(ct) is true;
    }

    public static async Task ReleaseAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("select pg_advisory_unlock(@key)", connection);
        command.Parameters.AddWithValue("key", RequestArchive.LockKey);
        await command.ExecuteScalarAsync();
    }
}
