using Marten;
using Npgsql;

namespace Governance.Api.Admin;

/// <summary>A PostgreSQL session advisory lock held for the length of a rebuild, so two API nodes never rebuild at once.</summary>
internal sealed class RebuildGuard : IAsyncDisposable
{
    private const string LockName = "governance:projection-rebuild";
    private readonly NpgsqlConnection _connection;

    private RebuildGuard(NpgsqlConnection connection) => _connection = connection;

    /// <summary>Null when another rebuild holds the lock.</summary>
    public static async Task<RebuildGuard?> TryAcquireAsync(IDocumentStore store, CancellationToken ct)
    {
        var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("select pg_try_advisory_lock(hashtextextended(@name, 0))", connection);
        command.Parameters.AddWithValue("name", LockName);
        if (await command.ExecuteScalarAsync(ct) is true)
            return new RebuildGuard(connection);
        await connection.DisposeAsync();
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await using (var command = new NpgsqlCommand("select pg_advisory_unlock(hashtextextended(@name, 0))", _connection))
        {
            command.Parameters.AddWithValue("name", LockName);
            await command.ExecuteScalarAsync();
        }
        await _connection.DisposeAsync();
    }
}
