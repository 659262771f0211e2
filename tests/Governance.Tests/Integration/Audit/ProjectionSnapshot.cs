using Npgsql;

namespace Governance.Tests.Integration.Audit;

/// <summary>
/// Every projection document of a schema (each mt_doc_* table), as JSON per id. Marten's bookkeeping columns (mt_*: last
/// modified, version, .NET type) are left out: they say when a row was written, not what the projection holds.
/// </summary>
public sealed record ProjectionSnapshot(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Tables)
{
    public static async Task<ProjectionSnapshot> TakeAsync(string connectionString, string schema)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand(
            "select table_name from information_schema.tables where table_schema = @schema and (table_name like 'mt\\_doc\\_%' or table_name = 'request_log') order by 1", connection))
        {
            list.Parameters.AddWithValue("schema", schema);
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                tables.Add(reader.GetString(0));
        }

        var result = new Dictionary<string, IReadOnlyDictionary<string, string>>();
        foreach (var table in tables)
        {
            var columns = new List<string>();
            await using (var describe = new NpgsqlCommand(
                "select column_name from information_schema.columns where table_schema = @schema and table_name = @table and column_name not like 'mt\\_%' order by 1",
                connection))
            {
                describe.Parameters.AddWithValue("schema", schema);
                describe.Parameters.AddWithValue("table", table);
                await using var reader = await describe.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                    columns.Add(reader.GetString(0));
            }

            var rows = new Dictionary<string, string>();
            var select = string.Join(", ", columns.Select(c => $"\"{c}\""));
            await using (var read = new NpgsqlCommand($"select id::text, row_to_json(x)::text from (select {select} from {schema}.{table}) x", connection))
            {
                await using var reader = await read.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                    rows[reader.GetString(0)] = reader.GetString(1);
            }
            result[table] = rows;
        }
        return new ProjectionSnapshot(result);
    }

    public int Count(string table) => Tables.TryGetValue(table, out var rows) ? rows.Count : 0;

    /// <summary>Every difference from <paramref name="other"/>: tables or documents only on one side, documents that differ.</summary>
    public IReadOnlyList<string> DifferencesFrom(ProjectionSnapshot other)
    {
        List<string> differences = [];
        foreach (var table in Tables.Keys.Union(other.Tables.Keys).Order())
        {
            var mine = Tables.GetValueOrDefault(table) ?? new Dictionary<string, string>();
            var theirs = other.Tables.GetValueOrDefault(table) ?? new Dictionary<string, string>();
            foreach (var id in mine.Keys.Except(theirs.Keys).Order())
                differences.Add($"{table}/{id}: only before: {mine[id]}");
            foreach (var id in theirs.Keys.Except(mine.Keys).Order())
                differences.Add($"{table}/{id}: only after: {theirs[id]}");
            foreach (var id in mine.Keys.Intersect(theirs.Keys).Where(id => mine[id] != theirs[id]).Order())
                differences.Add($"{table}/{id}:\n  before: {mine[id]}\n  after:  {theirs[id]}");
        }
        return differences;
    }
}
