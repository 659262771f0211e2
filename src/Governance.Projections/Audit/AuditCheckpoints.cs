using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using Governance.Hosting.Audit;
using Marten;
using Npgsql;

namespace Governance.Projections.Audit;

/// <summary>Writers were still in flight after the wait; nothing was written. Try again.</summary>
public sealed class CheckpointBusy(string message) : Exception(message);

/// <summary>What a round did: whether it checked the newest checkpoint (not when another node held the lock), and what it wrote.</summary>
public sealed record CheckpointOutcome(bool Checked, AuditCheckpointed? Written);

/// <summary>
/// Writes signed checkpoints, one at a time across every node (a PostgreSQL advisory lock). Each covers the events
/// with sequences in (previous checkpoint's sequence, high-water mark]. The high-water mark is the event sequence's
/// last value; before reading the range it waits for every transaction that had drawn a sequence number by then to
/// finish, so no event can later commit inside a range already signed (nextval holds a lock on the sequence until
/// the drawing transaction ends, which is what is waited on).
/// </summary>
/// <remarks>
/// The newest checkpoint in the database is never taken on trust (<see cref="CheckpointTrust"/>): its signature must
/// verify with this node's key, the events it covers must still digest to what it signed, and it must not be older
/// than the newest checkpoint the witness holds or this node has seen. Otherwise nothing is signed and
/// <see cref="CheckpointRefused"/> says why.
/// </remarks>
public sealed class AuditCheckpoints(IDocumentStore store, CheckpointSigner signer, CheckpointWitness witness, TimeProvider clock)
{
    public const string SystemActor = "system:audit-checkpoint";
    /// <summary>The PostgreSQL advisory lock that lets one checkpoint writer work at a time, across nodes.</summary>
    public const long LockKey = 0x6175_6469_7463_6b70; // "auditckp"
    private static readonly TimeSpan WriterWait = TimeSpan.FromSeconds(30);
    private AuditCheckpointed? _known;

    private string Schema => store.Options.Events.DatabaseSchemaName;

    /// <summary>The newest checkpoint this node verified or wrote since it started.</summary>
    public AuditCheckpointed? Known => Volatile.Read(ref _known);

    /// <summary>
    /// Appends a checkpoint. With <paramref name="periodic"/>: nothing when another node is writing one
    /// right now or when nothing but checkpoints was appended since the last one; otherwise waits for the other node.
    /// Either way the newest checkpoint is checked first.
    /// </summary>
    /// <exception cref="CheckpointRefused">The history to extend is not one this node can vouch for; nothing was written.</exception>
    public async Task<CheckpointOutcome> WriteAsync(bool periodic, CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (!await LockAsync(connection, wait: !periodic, ct))
            return new(Checked: false, null);

        var chainStart = await ChainStartAsync(connection, ct);
        var previous = await LatestAsync(connection, ct);
        var ecdsaExists = previous is { Algorithm: null } && await EcdsaCheckpointExistsAsync(connection, ct);
        if (CheckpointTrust.Check(previous, chainStart, await witness.LatestAsync(ct), Known, ecdsaExists, signer) is { } refused)
            throw refused;
        if (previous is not null)
        {
            await CheckRangeAsync(connection, previous, ct);
            Remember(previous);
        }

        var highWater = await HighWaterMarkAsync(connection, ct);
        var (digest, events, others) = await DigestAsync(connection, previous?.Sequence ?? 0, previous?.Digest ?? AuditChainSql.ZeroHash, highWater, ct);
        if (periodic && others == 0)
            return new(Checked: true, null);

        var previousSequence = previous?.Sequence ?? 0;
        var previousDigest = previous?.Digest ?? AuditChainSql.ZeroHash;
        var checkpoint = new AuditCheckpointed(highWater, previousSequence, events, digest, previousDigest, signer.KeyId,
            signer.Sign(highWater, previousSequence, events, digest, previousDigest, chainStart),
            AuditContext.Current?.Actor ?? SystemActor, clock.GetUtcNow(), CheckpointSigner.Algorithm, chainStart);

        await using (var session = store.LightweightSession())
        {
            session.Events.Append(AuditCheckpointed.StreamId, checkpoint);
            await session.SaveChangesAsync(ct);
        }
        await transaction.CommitAsync(ct);
        Remember(checkpoint);
        return new(Checked: true, checkpoint);
    }

    private void Remember(AuditCheckpointed checkpoint)
    {
        if (Known is not { } known || checkpoint.Sequence > known.Sequence)
            Volatile.Write(ref _known, checkpoint);
    }

    /// <summary>The events <paramref name="checkpoint"/> covers must still be the ones it signed: as many, with the same hashes.</summary>
    private async Task CheckRangeAsync(NpgsqlConnection connection, AuditCheckpointed checkpoint, CancellationToken ct)
    {
        var (digest, events, _) = await DigestAsync(connection, checkpoint.PreviousSequence, checkpoint.PreviousDigest, checkpoint.Sequence, ct);
        if (events != checkpoint.Events || !string.Equals(digest, checkpoint.Digest, StringComparison.OrdinalIgnoreCase))
        {
            throw new CheckpointRefused("checkpoint_range_altered",
                $"The events in sequences {checkpoint.PreviousSequence + 1} to {checkpoint.Sequence} no longer match the newest checkpoint " +
                $"({events} events now, {checkpoint.Events} signed; digest {digest[..16]}, {checkpoint.Digest[..16]} signed): they were " +
                "edited, removed or re-chained.");
        }
    }

    private async Task<bool> EcdsaCheckpointExistsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"select exists (select 1 from {Schema}.mt_events where stream_id = @stream and data ->> 'Algorithm' is not null)", connection);
        command.Parameters.AddWithValue("stream", AuditCheckpointed.StreamId);
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    private async Task<long> ChainStartAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var table = $"{Schema}.{AuditChainSql.ChainStartTable}";
        await using var exists = new NpgsqlCommand("select to_regclass(@table) is not null", connection);
        exists.Parameters.AddWithValue("table", table);
        if ((bool)(await exists.ExecuteScalarAsync(ct))!)
        {
            await using var read = new NpgsqlCommand($"select sequence from {table} where id = 1", connection);
            if (await read.ExecuteScalarAsync(ct) is long sequence)
                return sequence;
        }
        throw new CheckpointRefused("chain_start_missing", $"The record of where the chain starts ({table}) is gone: someone removed it.");
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
        if (!await reader.ReadAsync(ct))
            return null;
        try
        {
            return store.Options.Serializer().FromJson<AuditCheckpointed>(reader, 0);
        }
        catch (Exception e) when (e is not (OperationCanceledException or NpgsqlException))
        {
            throw new CheckpointRefused("checkpoint_signature_invalid", $"The newest checkpoint cannot be read as one: {e.Message}");
        }
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
        NpgsqlConnection connection, long from, string previousDigest, long highWater, CancellationToken ct)
    {
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        digest.AppendData(Convert.FromHexString(previousDigest));
        await using var command = new NpgsqlCommand($"""
            select seq_id, stream_id = @stream, headers ->> 'audit_hash' from {Schema}.mt_events
             where seq_id > @from and seq_id <= @to order by seq_id
            """, connection);
        command.Parameters.AddWithValue("stream", AuditCheckpointed.StreamId);
        command.Parameters.AddWithValue("from", from);
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
