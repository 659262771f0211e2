using Marten;
using Npgsql;

namespace Governance.Projections.Hosting;

/// <summary>The non-unique secondary indexes of some tables, dropped until <see cref="RestoreAsync"/> (or disposal) builds them again.</summary>
internal sealed class SecondaryIndexes : IAsyncDisposable
{
    private readonly IDocumentStore _store;
    private readonly List<string> _definitions;

    private SecondaryIndexes(IDocumentStore store, List<string> definitions)
    {
        _store = store;
        _definitions = definitions;
    }

    public static async Task<SecondaryIndexes> DropAsync(IDocumentStore store, string schema, IReadOnlyList<string> tables, CancellationToken ct)
    {
        var found = new List<(string Name, string Definition)>();
        await using var connection = (NpgsqlConnection)store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using (var list = new NpgsqlCommand(
            """
            select i.relname, pg_get_indexdef(i.oid)
            from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid join pg_namespace n on n.oid = t.relnamespace
            where n.nspname = @schema and t.relname = any(@tables) and not x.indisprimary and not x.indisunique
            """, connection))
        {
            list.Parameters.AddWithValue("schema", schema);
            list.Parameters.AddWithValue("tables", tables.ToArray());
            await using var reader = await list.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                found.Add((reader.GetString(0), reader.GetString(1)));
        }
        var dropped = new List<string>();
        foreach (var (name, definition) in found)
        {
            await using var drop = new NpgsqlCommand($"drop index if exists {schema}.\"{name}\"", connection);
            await drop.ExecuteNonQueryAsync(ct);
            dropped.Add(definition);
        }
        return new SecondaryIndexes(store, dropped);
    }

    public async Task RestoreAsync(CancellationToken ct)
    {
        if (_definitions.Count == 0)
            return;
        // One connection per index: they build side by side.
        await Task.WhenAll(_definitions.Select(async definition =>
        {
            await using var connection = (NpgsqlConnection)_store.Storage.Database.CreateConnection();
            await connection.OpenAsync(ct);
            await using var create = new NpgsqlCommand(definition.Replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", StringComparison.Ordinal), connection);
            await create.ExecuteNonQueryAsync(ct);
        }));
        _definitions.Clear();
    }

    public async ValueTask DisposeAsync() => await RestoreAsync(CancellationToken.None);
}
