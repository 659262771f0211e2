using System.Diagnostics;
using System.Globalization;
using Governance.Projections;
using Governance.Projections.Hosting;
using JasperFx.Events;
using Marten;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using RebuildBenchmark;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var o = Options.Parse(args);
var cpu = new Cpu(o.PgData);
var cores = Environment.ProcessorCount;

await using var store = DocumentStore.For(opts => opts.ConfigureGovernance(o.Db, o.Schema));
await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();

// --- 1. a realistic history, appended in bulk (COPY), not through the API -----------------------------------
Console.Error.WriteLine($"rebuild: generating {o.Events:N0} events into schema {o.Schema} ...");
var generation = Stopwatch.StartNew();
var registry = (IEventRegistry)((DocumentStore)store).Options.Events;
var history = new History(o.Seed, o.RequestsPerDay);
long appended = 0;
async Task AppendAsync(IReadOnlyList<StreamBuffer> streams)
{
    var actions = streams.Select(s =>
    {
        var action = StreamAction.Start(registry, s.Id, s.Events.Select(e => e.Event).ToArray());
        for (var i = 0; i < s.Events.Count; i++)
            action.Events[i].Timestamp = s.Events[i].At;
        return action;
    }).ToList();
    await store.BulkInsertEventsAsync(actions, 20_000);
    appended += streams.Sum(s => s.Events.Count);
}
// Development aid: BENCH_REUSE=1 with an existing --schema measures again without generating.
if (Environment.GetEnvironmentVariable("BENCH_REUSE") == "1")
    appended = (await store.Advanced.FetchEventStoreStatistics()).EventCount;
else
{
    await AppendAsync(history.Setup());
    while (appended < o.Events)
        await AppendAsync(history.NextDay());
}
generation.Stop();
Console.Error.WriteLine($"rebuild: {appended:N0} events over {history.Day} simulated days in {generation.Elapsed.TotalSeconds:0.0} s "
    + $"({appended / generation.Elapsed.TotalSeconds:N0} events/s appended)");

// --- 2. rebuild every projection, several times ----------------------------------------------------------
var runs = new List<Run>();
for (var run = 1; run <= o.Runs; run++)
{
    var others = await cpu.WaitQuietAsync(o.QuietCores, TimeSpan.FromSeconds(o.QuietTimeoutSeconds));
    using var daemon = await store.BuildProjectionDaemonAsync();
    var before = cpu.Take();
    var report = await ProjectionRebuild.RunAsync(store, daemon, NullLogger.Instance, CancellationToken.None, o.Parallelism);
    var use = CpuUse.Between(before, cpu.Take(), cores);
    await daemon.StopAllAsync();
    runs.Add(new Run(run, report, use, others));
    Console.Error.WriteLine($"rebuild: run {run}: {report.Events:N0} events in {report.Seconds:0.00} s = {report.EventsPerSecond:N0} events/s "
        + $"(cores: benchmark {use.Benchmark:0.00}, PostgreSQL {use.Postgres:0.00}, other {use.Other:0.00}; others before: {others:0.00}) "
        + string.Join(", ", report.Projections.Select(p => $"{p.Name} {p.Seconds:0.0}s")));
}

Run? baseline = null;
if (o.Baseline)
{
    var others = await cpu.WaitQuietAsync(o.QuietCores, TimeSpan.FromSeconds(o.QuietTimeoutSeconds));
    using var daemon = await store.BuildProjectionDaemonAsync();
    var before = cpu.Take();
    var report = await ProjectionRebuild.RunAsync(store, daemon, NullLogger.Instance, CancellationToken.None, o.Parallelism, fold: false);
    baseline = new Run(0, report, CpuUse.Between(before, cpu.Take(), cores), others);
    await daemon.StopAllAsync();
    Console.Error.WriteLine($"rebuild: baseline (daemon replay only): {report.Events:N0} events in {report.Seconds:0.00} s = {report.EventsPerSecond:N0} events/s");
}

// --- 3. what the rebuild produced: one document per stream of each write model ---------------------------
var stats = await Database.StatsAsync(o.Db, o.Schema);
var machine = await Database.MachineAsync(o.Db, cores);
var markdown = Report.Markdown(o, machine, appended, history.Day, generation.Elapsed.TotalSeconds, runs, baseline, stats);
Console.WriteLine(markdown);
if (o.Out is { } path)
{
    Report.WriteInto(path, markdown);
    Console.Error.WriteLine($"rebuild: results written to {path}");
}
return 0;

internal sealed record Run(int Number, RebuildReport Report, CpuUse Cpu, double OthersBefore);

internal static class Database
{
    public static async Task<Stats> StatsAsync(string db, string schema)
    {
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        var types = new SortedDictionary<string, long>();
        await using (var command = new NpgsqlCommand($"select type, count(*) from {schema}.mt_events group by type", connection))
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                types[reader.GetString(0)] = reader.GetInt64(1);
        var documents = new SortedDictionary<string, long>();
        var tables = new List<string>();
        await using (var command = new NpgsqlCommand(
            "select table_name from information_schema.tables where table_schema = @s and table_name like 'mt\\_doc\\_%'", connection))
        {
            command.Parameters.AddWithValue("s", schema);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                tables.Add(reader.GetString(0));
        }
        foreach (var table in tables)
        {
            await using var count = new NpgsqlCommand($"select count(*) from {schema}.{table}", connection);
            documents[table] = (long)(await count.ExecuteScalarAsync())!;
        }
        return new Stats(types, documents);
    }

    public static async Task<Machine> MachineAsync(string db, int cores)
    {
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        var pg = new Dictionary<string, string>();
        await using (var command = new NpgsqlCommand(
            "select name, setting || coalesce(unit, '') from pg_settings where name in ('server_version', 'fsync', 'synchronous_commit', 'shared_buffers', 'work_mem')", connection))
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                pg[reader.GetString(0)] = reader.GetString(1);
        string Read(string file, string prefix) =>
            File.Exists(file) ? File.ReadLines(file).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?" : "?";
        var memory = Read("/proc/meminfo", "MemTotal");
        var gib = long.TryParse(memory.Split(' ')[0], CultureInfo.InvariantCulture, out var kb) ? $"{kb / 1048576.0:0.0} GiB" : memory;
        return new Machine(cores, Read("/proc/cpuinfo", "model name"), gib, Environment.OSVersion.VersionString,
            System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription, pg);
    }
}

internal sealed record Stats(IReadOnlyDictionary<string, long> EventTypes, IReadOnlyDictionary<string, long> Documents);

internal sealed record Machine(int Cores, string Cpu, string Memory, string Os, string Runtime, IReadOnlyDictionary<string, string> Pg);
