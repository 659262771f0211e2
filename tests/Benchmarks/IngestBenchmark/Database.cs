using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;
using NpgsqlTypes;

namespace IngestBenchmark;

/// <summary>
/// Database counters at one instant: last event sequence, WAL position, commits of this database, the slowest async
/// projection's position (-1 without async projections) and Wolverine's pending incoming messages (-1 without).
/// </summary>
internal sealed record DbSnapshot(long EventSeq, long WalBytes, long Commits, long DaemonSeq, long PendingMessages);

/// <summary>How long the background work a run left behind took to finish, and what was still left at the timeout.</summary>
internal sealed record Drain(double Seconds, long EventsBehind, long MessagesPending);

/// <summary>The ledger's events and the database work between two snapshots, with the CPU use.</summary>
internal sealed record Sample(DbSnapshot Db, CpuSnapshot Cpu);

internal sealed class Database(NpgsqlDataSource source, string schema) : IAsyncDisposable
{
    public string Schema { get; } = schema;
    public string RawSchema => Schema + "_raw";

    public static Database Open(string connectionString, string schema)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 100, Multiplexing = false };
        if (builder.Host is not ("127.0.0.1" or "localhost" or "::1"))
            throw new ArgumentException("The benchmark database must be on 127.0.0.1.");
        if (!Regex.IsMatch(schema, "^[a-z_][a-z0-9_]{0,50}$"))
            throw new ArgumentException($"Unexpected schema name '{schema}'.");
        return new Database(NpgsqlDataSource.Create(builder.ConnectionString), schema);
    }

    public NpgsqlDataSource Source => source;

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = source.CreateCommand(sql);
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T), CultureInfo.InvariantCulture);
    }

    public async Task<List<object?[]>> RowsAsync(string sql)
    {
        await using var command = source.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    private string? _snapshotSql;

    public async Task<DbSnapshot> SnapshotAsync()
    {
        if (_snapshotSql is null)
        {
            var progression = await ScalarAsync<bool>($"select to_regclass('{Schema}.mt_event_progression') is not null");
            var envelopes = await ScalarAsync<bool>($"select to_regclass('{Schema}_wolverine.wolverine_incoming_envelopes') is not null");
            _snapshotSql = $"""
                select coalesce((select max(seq_id) from {Schema}.mt_events), 0)::bigint,
                       pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint,
                       (select xact_commit from pg_stat_database where datname = current_database())::bigint,
                       {(progression ? $"coalesce((select min(last_seq_id) from {Schema}.mt_event_progression where name not like 'HighWater%'), -1)" : "-1")}::bigint,
                       {(envelopes ? $"(select count(*) from {Schema}_wolverine.wolverine_incoming_envelopes where status = 'Incoming')" : "-1")}::bigint
                """;
        }
        await using var command = source.CreateCommand(_snapshotSql);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new DbSnapshot(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
    }

    /// <summary>
    /// Waits until the async projections have caught up with the events and Wolverine has no incoming messages left
    /// (the work a run leaves behind: dashboards, anomaly checks), so the next run starts from a quiet system.
    /// </summary>
    public async Task<Drain> DrainAsync(TimeSpan timeout)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var s = await SnapshotAsync();
            var lag = s.DaemonSeq < 0 ? 0 : Math.Max(0, s.EventSeq - s.DaemonSeq);
            var pending = Math.Max(0, s.PendingMessages);
            if ((lag == 0 && pending == 0) || watch.Elapsed >= timeout)
                return new Drain(watch.Elapsed.TotalSeconds, lag, pending);
            await Task.Delay(250);
        }
    }

    public async Task<IReadOnlyDictionary<string, string>> SettingsAsync()
    {
        var rows = await RowsAsync("""
            select name, setting || coalesce(unit, '') from pg_settings
            where name in ('server_version', 'fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method',
                           'shared_buffers', 'max_wal_size', 'commit_delay', 'wal_level')
            """);
        return rows.ToDictionary(r => (string)r[0]!, r => (string)r[1]!);
    }

    // ---- raw baseline --------------------------------------------------------------------------

    public async Task CreateRawTableAsync()
    {
        await using var command = source.CreateCommand($"""
            create schema if not exists {RawSchema};
            drop table if exists {RawSchema}.usage_raw;
            create table {RawSchema}.usage_raw (id text primary key, data jsonb not null);
            """);
        await command.ExecuteNonQueryAsync();
    }

    public async Task DropRawSchemaAsync()
    {
        await using var command = source.CreateCommand($"drop schema if exists {RawSchema} cascade");
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>One sender of the baseline: its own connection; a batch is one autocommit INSERT (1 row) or one binary COPY.</summary>
    public sealed class RawSender(NpgsqlConnection connection, string table, int batch, string tag, int seed) : IAsyncDisposable
    {
        private readonly Random _random = new(seed);
        private readonly NpgsqlCommand _insert = new($"insert into {table} (id, data) values ($1, $2)", connection)
        {
            Parameters = { new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text }, new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb } },
        };
        private long _sequence;

        public async Task<Outcome> SendAsync()
        {
            if (batch == 1)
            {
                var (id, data) = NextRow();
                _insert.Parameters[0].Value = id;
                _insert.Parameters[1].Value = data;
                await _insert.ExecuteNonQueryAsync();
                return new Outcome(1, 0);
            }
            await using (var copy = await connection.BeginBinaryImportAsync($"copy {table} (id, data) from stdin (format binary)"))
            {
                for (var i = 0; i < batch; i++)
                {
                    var (id, data) = NextRow();
                    await copy.StartRowAsync();
                    await copy.WriteAsync(id, NpgsqlDbType.Text);
                    await copy.WriteAsync(data, NpgsqlDbType.Jsonb);
                }
                await copy.CompleteAsync();
            }
            return new Outcome(batch, 0);
        }

        /// <summary>A document shaped like a request_completed event body (same fields, similar size).</summary>
        private (string Id, string Data) NextRow()
        {
            var id = $"req_{tag}_{_sequence++}";
            var r = _random;
            var input = r.Next(150, 6000);
            var output = r.Next(20, 1500);
            var cost = (input * 0.15m + output * 0.6m) / 1_000_000m;
            var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
            var data = string.Create(CultureInfo.InvariantCulture,
                $$"""{"requestId":"{{id}}","keyId":"k{{r.Next(1_000_000_000):x16}}","app":"bench-app-{{r.Next(5)}}","team":null,"model":"bench-mini","provider":"bench-openai","inputTokens":{{input}},"cachedTokens":0,"outputTokens":{{output}},"reasoningTokens":0,"cost":{{cost}},"priceVersion":1,"latencyMs":{{r.Next(200, 9000)}},"status":200,"reservationId":null,"actor":"op_0123456789abcdef","occurredAt":"{{now}}","completedAt":"{{now}}"}""");
            return (id, data);
        }

        public async ValueTask DisposeAsync()
        {
            await _insert.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    public async Task<RawSender> RawSenderAsync(int batch, string tag, int seed)
    {
        var connection = await source.OpenConnectionAsync();
        var sender = new RawSender(connection, $"{RawSchema}.usage_raw", batch, tag, seed);
        return sender;
    }

    // ---- statement trace -----------------------------------------------------------------------

    public async Task SetStatementLoggingAsync(bool on)
    {
        await using var command = source.CreateCommand(on
            ? "alter system set log_min_duration_statement = 0"
            : "alter system reset log_min_duration_statement");
        await command.ExecuteNonQueryAsync();
        await using var reload = source.CreateCommand("select pg_reload_conf()");
        await reload.ExecuteScalarAsync();
        await Task.Delay(300); // backends pick the new setting up at their next command
    }

    public ValueTask DisposeAsync() => source.DisposeAsync();
}

/// <summary>Sums "duration: X ms" lines of the PostgreSQL log by statement shape, over the byte ranges it is given.</summary>
internal sealed partial class StatementLog(string path, string schema)
{
    public sealed record Group(string Statement, long Count, double TotalMs);

    private readonly Dictionary<string, (long Count, double Ms)> _groups = new();

    public double ParseBindMs { get; private set; }
    public double ExecuteMs => _groups.Values.Sum(g => g.Ms);
    public long Statements => _groups.Values.Sum(g => g.Count);
    public IReadOnlyList<Group> Groups => _groups.Select(g => new Group(g.Key, g.Value.Count, g.Value.Ms)).OrderByDescending(g => g.TotalMs).ToList();
    public double CommitMs => _groups.Where(g => g.Key.StartsWith("COMMIT", StringComparison.OrdinalIgnoreCase)).Sum(g => g.Value.Ms);

    public long Length => new FileInfo(path).Length;

    [GeneratedRegex(@"duration: (?<ms>[0-9.]+) ms\s+(?<kind>statement|parse|bind|execute)[^:]*:\s*(?<sql>.*)$")]
    private static partial Regex DurationLine();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"\$\d+|'[^']*'|\b\d+\b")]
    private static partial Regex Literals();

    /// <summary>Adds the statements logged between byte offsets <paramref name="from"/> and <paramref name="to"/>.</summary>
    public void Add(long from, long to)
    {
        if (to <= from)
            return;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(from, SeekOrigin.Begin);
        var buffer = new byte[to - from];
        stream.ReadExactly(buffer);
        foreach (var line in Encoding.UTF8.GetString(buffer).Split('\n'))
        {
            var m = DurationLine().Match(line);
            if (!m.Success)
                continue;
            var ms = double.Parse(m.Groups["ms"].Value, CultureInfo.InvariantCulture);
            if (m.Groups["kind"].Value is "parse" or "bind")
            {
                if (!m.Groups["sql"].Value.Contains("select coalesce((select max(seq_id) from", StringComparison.Ordinal))
                    ParseBindMs += ms;
                continue;
            }
            var sql = Spaces().Replace(m.Groups["sql"].Value, " ").Trim();
            if (sql.StartsWith("select coalesce((select max(seq_id) from", StringComparison.Ordinal))
                continue; // the benchmark's own progress probe
            sql = sql.Replace($"\"{schema}_wolverine\".", "<wolverine>.", StringComparison.Ordinal)
                .Replace($"{schema}_wolverine.", "<wolverine>.", StringComparison.Ordinal)
                .Replace(schema + ".", "", StringComparison.Ordinal);
            sql = Literals().Replace(sql, "?");
            if (sql.Length > 90)
                sql = sql[..90] + "…";
            var g = _groups.GetValueOrDefault(sql);
            _groups[sql] = (g.Count + 1, g.Ms + ms);
        }
    }
}
