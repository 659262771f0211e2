using Governance.Contracts.Leases;
using Governance.Domain.Keys;
using Marten;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Governance.Store.Leases;

/// <summary>How long an adapter's hold on a key's parallel slots lasts unless renewed (<c>RateLeases__ParallelTtlSeconds</c>).</summary>
public sealed record RateLeaseOptions(TimeSpan ParallelTtl)
{
    public static RateLeaseOptions From(IConfiguration configuration) =>
        new(TimeSpan.FromSeconds(configuration.GetValue("RateLeases:ParallelTtlSeconds", 60.0) is var ttl and >= 1
            ? ttl
            : throw new InvalidOperationException("RateLeases__ParallelTtlSeconds must be at least 1.")));
}

/// <summary>
/// Loads, locks and writes a key's fleet-wide rate allowance (<see cref="RateAllowance"/>). Every ask about a key runs
/// under that key's advisory transaction lock, so PostgreSQL serialises the adapters of every API node.
/// </summary>
public static class RateBook
{
    public static async Task<RateLeaseAnswer> RequestAsync(
        IDocumentStore store, string keyId, KeyRateLimits limits, RateAsk ask, RateLeaseReturn? returned, RateLeaseOptions options,
        DateTimeOffset now, CancellationToken ct)
    {
        var schema = store.Options.DatabaseSchemaName;
        var (grantsTable, parallelTable) = ($"{schema}.gov_rate_grants", $"{schema}.gov_rate_parallel");
        var slot = RateAllowance.SlotOf(now);
        var oldest = RateAllowance.OldestCounted(slot);

        await using var connection = (NpgsqlConnection)store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await ExecuteAsync(connection, "select pg_advisory_xact_lock(hashtextextended(@lock, 0))", ct, ("lock", $"rate:{keyId}"));
        await ExecuteAsync(connection, $"delete from {grantsTable} where key_id = @key and slot < @oldest; delete from {parallelTable} where key_id = @key and expires_at <= @now",
            ct, ("key", keyId), ("oldest", oldest), ("now", now));
        if (returned is { } back && back.Slot >= oldest && back.Slot <= slot)
            await ExecuteAsync(connection,
                $"update {grantsTable} set requests = greatest(0, requests - @requests), tokens = greatest(0, tokens - @tokens) where key_id = @key and slot = @slot and adapter_id = @adapter",
                ct, ("key", keyId), ("slot", back.Slot), ("adapter", ask.AdapterId), ("requests", back.Requests), ("tokens", back.Tokens));

        var grants = new List<SlotGrant>();
        await using (var read = Command(connection, $"select slot, adapter_id, requests, tokens from {grantsTable} where key_id = @key", ("key", keyId)))
        await using (var reader = await read.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                grants.Add(new SlotGrant(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3)));
        var holds = new List<ParallelHold>();
        await using (var read = Command(connection, $"select adapter_id, slots from {parallelTable} where key_id = @key", ("key", keyId)))
        await using (var reader = await read.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                holds.Add(new ParallelHold(reader.GetString(0), reader.GetInt32(1)));

        var grant = RateAllowance.Decide(limits, ask, grants, holds, slot, now);
        if (grant.Granted && (grant.Requests > 0 || grant.Tokens > 0))
            await ExecuteAsync(connection,
                $"""
                insert into {grantsTable} (key_id, slot, adapter_id, requests, tokens) values (@key, @slot, @adapter, @requests, @tokens)
                on conflict (key_id, slot, adapter_id) do update set requests = {grantsTable}.requests + excluded.requests, tokens = {grantsTable}.tokens + excluded.tokens
                """,
                ct, ("key", keyId), ("slot", slot), ("adapter", ask.AdapterId), ("requests", grant.Requests), ("tokens", grant.Tokens));
        // Any ask renews the adapter's parallel hold; a granted one sets it (0 gives it all back).
        if (grant.Granted && grant.Parallel == 0)
            await ExecuteAsync(connection, $"delete from {parallelTable} where key_id = @key and adapter_id = @adapter", ct, ("key", keyId), ("adapter", ask.AdapterId));
        else if (grant.Granted)
            await ExecuteAsync(connection,
                $"""
                insert into {parallelTable} (key_id, adapter_id, slots, expires_at) values (@key, @adapter, @slots, @expires)
                on conflict (key_id, adapter_id) do update set slots = excluded.slots, expires_at = excluded.expires_at
                """,
                ct, ("key", keyId), ("adapter", ask.AdapterId), ("slots", grant.Parallel), ("expires", now + options.ParallelTtl));
        else
            await ExecuteAsync(connection, $"update {parallelTable} set expires_at = @expires where key_id = @key and adapter_id = @adapter",
                ct, ("key", keyId), ("adapter", ask.AdapterId), ("expires", now + options.ParallelTtl));
        await tx.CommitAsync(ct);

        return new RateLeaseAnswer(grant.Granted, grant.Limit, slot, RateAllowance.EndOf(slot), grant.Requests, grant.Tokens, grant.Parallel,
            grant.Granted ? 0 : (int)Math.Ceiling(grant.RetryAfter.TotalMilliseconds));
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value);
        return command;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        await command.ExecuteNonQueryAsync(ct);
    }
}
