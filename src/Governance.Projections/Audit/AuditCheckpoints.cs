using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using Marten;
using Npgsql;

namespace Governance.Projections.Audit;

/// <summary>Writers were still in flight after the wait; nothing was written. Try again.</summary>
public sealed class CheckpointBusy(string message) : Exception(message);

/// <summary>An event in range has no chain hash (the trigger was missing or disabled when it was written); nothing was signed.</summary>
public sealed class AuditChainIncomplete(long sequence)
    : Exception($"Event {sequence} has no chain hash: the audit trigger was missing or disabled when it was written.")
{
    public long Sequence { get; } = sequence;
}

/// <summary>
/// Writes signed checkpoints, one at a time across every node (a PostgreSQL advisory lock). Each covers the events
/// with sequences in (previous checkpoint's sequence, high-water mark]. The high-water mark is the event sequence's
/// last value; before reading the range it waits for every transaction that had drawn a sequence number by then to
/// finish, so no event can later commit inside a range already signed (nextval holds a lock on the sequence until
/// the drawing transaction ends, which is what is waited on).
/// </summary>
public sealed class AuditCheckpoints(IDocumentStore store, CheckpointSigner signer, TimeProvider clock)
{
    public const string SystemActor = "system:audit-checkpoint";
    /// <summary>The PostgreSQL advisory lock that lets one checkpoint writer work at a time, across nodes.</summary>
    public const long LockKey = 0x6175_6469_7463_6b70; // "auditckp"
    private static readonly TimeSpan WriterWait = TimeSpan.FromSeconds(30);

    private string Schema => store.Options.Events.DatabaseSchemaName;

    /// <summary>
    /// Appends a checkpoint and returns it. With <paramref name="periodic"/>: nothing when another node is writing one
    /// right now or when nothing but checkpoints was appended since the last one; otherwise waits for the other node.
    /// </summary>
    public async Task<AuditCheckpointed?> WriteAsync(bool periodic, CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (!await LockAsync(connection, wait: !periodic, ct))
            return null;

        var previous = await LatestAsync(connection, ct);
        var highWater = await HighWaterMarkAsync(connection, ct);
        var (digest, events, others) = await DigestAsync(connection, previous, highWater, ct);
        if (periodic && others == 0)
            return null;

        var previousSequence = previous?.Sequence ?? 0;
        var previousDigest = previous?.Digest ?? AuditChainSql.ZeroHash;
        var checkpoint = new AuditCheckpointed(highWater, previousSequence, events, digest, previousDigest, signer.KeyId,
            signer.Sign(highWater, previousSequence, events, digest, previousDigest),
            AuditContext.Current?.Actor ?? SystemActor, clock.GetUtcNow());

        await using (var session = store.LightweightSession())
        {
            session.Events.Append(AuditCheckpointed.StreamId, checkpoint);
            await session.SaveChangesAsync(ct);
        }
        await transaction.CommitAsync(ct);
        return checkpoint;
    }

    private static async Task<bool> LockAsync(NpgsqlConnection connection, bool wait, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(wait ? "select pg_advisory_xact_lock(@key), true" : "select pg_try_advisory_xact_lock(@key)", connection);
        command.Parameters.AddWithValue("key", LockKey);
        // pg_advisory_xact_lock returns void: the second column carries the answer.
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return reader.GetBoolean(reader.FieldCount - 1);
    }

    /// <summary>The latest checkpoint, or null before the first.</summary>
    private async Task<AuditCheckpointed?> LatestAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"select data from {Schema}.mt_events where stream_id = @stream order by version desc limit 1", connection);
        command.Parameters.AddWithValue("stream", AuditCheckpointed.StreamId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? store.Options.Serializer().FromJson<AuditCheckpointed>(reader, 0) : null;
    }

    private async Task<long> HighWaterMarkAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var sequence = $"{Schema}.mt_events_sequence";
        await using var read = new NpgsqlCommand($"select case when is_called then last_value else 0 end from {sequence}", connection);
        var highWater = (long)(await read.ExecuteScalarAsync(ct))!;

        // Every transaction that had drawn a number by now still holds its lock on the sequence; wait until each ended.
        await using var holders = new NpgsqlCommand("""
            select coalesce(array_agg(distinct virtualtransaction), '{}') from pg_locks
             where locktype = 'relation' and relation = to_regclass(@sequence)
               and database = (select oid from pg_database where datname = current_database()) and pid <> pg_backend_pid()
            """, connection);
        holders.Parameters.AddWithValue("sequence", sequence);
        var inFlight = (string[])(await holders.ExecuteScalarAsync(ct))!;

        await using var running = new NpgsqlCommand("select count(*) from pg_locks where locktype = 'virtualxid' and virtualxid = any(@ids)", connection);
        running.Parameters.AddWithValue("ids", inFlight);
        var started = Stopwatch.GetTimestamp();
        while (inFlight.Length > 0 && (long)(await running.ExecuteScalarAsync(ct))! > 0)
        {
            if (Stopwatch.GetElapsedTime(started) > WriterWait)
                throw new CheckpointBusy($"Transactions appending events did not finish within {WriterWait.TotalSeconds:0} s.");
            await Task.Delay(10, ct);
        }
        return highWater;
    }

    /// <summary>SHA-256(previous digest ‖ for each event in range, in sequence order: 8-byte big-endian sequence ‖ hash).</summary>
    private async Task<(string Digest, long Events, long Others)> DigestAsync(
        NpgsqlConnection connection, AuditCheckpointed? previous, long highWater, CancellationToken ct)
    {
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        digest.AppendData(Convert.FromHexString(previous?.Digest ?? AuditChainSql.ZeroHash));
        await using var command = new NpgsqlCommand($"""
            select seq_id, stream_id = @stream, headers ->> 'audit_hash' from {Schema}.mt_events
             where seq_id > @from and seq_id <= @to order by seq_id
            """, connection);
        command.Parameters.AddWithValue("stream", AuditCheckpointed.StreamId);
        command.Parameters.AddWithValue("from", previous?.Sequence ?? 0L);
        command.Parameters.AddWithValue("to", highWater);
        command.CommandTimeout = 0;
        await using var reader = await command.ExecuteReaderAsync(ct);
        long events = 0, others = 0;
        var sequence = new byte[8];
        while (await reader.ReadAsync(ct))
        {
            var seq = reader.GetInt64(0);
            if (reader.IsDBNull(2))
                throw new AuditChainIncomplete(seq);
            BinaryPrimitives.WriteInt64BigEndian(sequence, seq);
            digest.AppendData(sequence);
            digest.AppendData(Convert.FromHexString(reader.GetString(2)));
            events++;
            if (!reader.GetBoolean(1))
                others++;
        }
        return (Convert.ToHexStringLower(digest.GetHashAndReset()), events, others);
    }
}
