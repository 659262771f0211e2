// Ingest benchmark for POST /api/usage (the usage ledger). Start it with tests/Benchmarks/ingest.sh, which brings up a
// durable PostgreSQL cluster and the API in Release, passes the settings below and cleans up afterwards.
//
//   dotnet IngestBenchmark.dll --api http://127.0.0.1:PORT --token ADMIN --db "Host=127.0.0.1;..." --schema bench_x
//       [--batches 1,100,1000] [--senders 1=4,100=2,1000=2] [--warmup 2] [--duration 10] [--repeats 3]
//       [--keys 50] [--apps 5] [--budget on] [--baseline on] [--trace on] [--api-pid N] [--pg-data DIR] [--pg-log FILE]
//       [--clk-tck 100] [--out docs/benchmarks.md] [--revision abc123] [--quiet 0.25] [--quiet-timeout 120] [--drain-timeout 300] [--api-note TEXT]
using System.Diagnostics;
using System.Globalization;
using IngestBenchmark;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

Options options;
try
{
    options = Options.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException or UriFormatException)
{
    Console.Error.WriteLine($"IngestBenchmark: {e.Message}");
    return 2;
}

await using var db = Database.Open(options.Db, options.Schema);
var settings = await db.SettingsAsync();
var machine = Machine.Describe(settings);
Console.WriteLine($"machine: {machine.Summary}");
if (settings.GetValueOrDefault("fsync") != "on" || settings.GetValueOrDefault("synchronous_commit") != "on")
    Console.WriteLine("WARNING: durability is OFF on this cluster (fsync/synchronous_commit); the numbers are not the durable ones.");

var cpu = new CpuSampler(options.ApiPid, options.PgData, options.ClockTicks);
if (!cpu.HasApi || !cpu.HasPostgres)
    Console.WriteLine($"note: CPU attribution incomplete (api pid found: {cpu.HasApi}, postmaster found: {cpu.HasPostgres}).");

var maxSenders = options.Batches.Max(options.SendersFor);
using var ledger = new Ledger(options.Api, options.Token, maxSenders);
var setupWatch = Stopwatch.StartNew();
await ledger.SetUpAsync(options.Keys, options.Apps, options.Budget);
Console.WriteLine($"set-up: provider, model, {options.Keys} keys over {options.Apps} apps, "
    + (options.Budget ? $"monthly budget on {Ledger.BudgetApp}" : "NO budget (experiment)") + $" ({setupWatch.ElapsedMilliseconds} ms)");

if (options.Baseline)
    await db.CreateRawTableAsync();

var runTag = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 4));
var warmup = TimeSpan.FromSeconds(options.WarmupSeconds);
var duration = TimeSpan.FromSeconds(options.DurationSeconds);
Task<Sample> TakeSample() => db.SnapshotAsync().ContinueWith(t => new Sample(t.Result, cpu.Take()), TaskScheduler.Default);

var idempotencyBatch = options.Batches.Contains(100) ? 100 : options.Batches.Max();
byte[]? idempotencyBody = null;
long ledgerAccepted = 0;
var configs = new List<ConfigResult>();
var seed = 1;

// The API was just started: let the JIT reach its steady state first (unrecorded, but its records count as accepted).
if (options.JitWarmupSeconds > 0)
{
    var share = TimeSpan.FromSeconds(options.JitWarmupSeconds / options.Batches.Count);
    foreach (var batch in options.Batches)
    {
        var factories = Enumerable.Range(0, options.SendersFor(batch))
            .Select(s => new RecordFactory(ledger.KeyIds, $"{runTag}b{batch}jit", s, seed++)).ToArray();
        var result = await LoadRunner.RunAsync(factories.Length, TimeSpan.Zero, share, options.MaxRecordsPerRun,
            sender => ledger.SendAsync(factories[sender].Next(batch)), TakeSample);
        ledgerAccepted += result.AllAccepted;
        await db.DrainAsync(TimeSpan.FromSeconds(options.DrainTimeoutSeconds));
    }
    Console.WriteLine($"JIT warm-up: {options.JitWarmupSeconds:0} s of unrecorded load across the batch sizes");
}

foreach (var batch in options.Batches)
{
    var senders = options.SendersFor(batch);
    var config = new ConfigResult(batch, senders);
    configs.Add(config);
    for (var repeat = 1; repeat <= options.Repeats; repeat++)
    {
        var factories = Enumerable.Range(0, senders)
            .Select(s => new RecordFactory(ledger.KeyIds, $"{runTag}b{batch}r{repeat}", s, seed++)).ToArray();
        async Task<Outcome> Send(int sender)
        {
            var body = factories[sender].Next(batch);
            if (idempotencyBody is null && batch == idempotencyBatch && sender == 0)
            {
                var copy = body.ToArray();
                var outcome = await ledger.SendAsync(copy);
                if (outcome.Error is null && outcome.Accepted == batch)
                    idempotencyBody = copy;
                return outcome;
            }
            return await ledger.SendAsync(body);
        }

        await Quiet.WaitAsync(cpu, options.QuietCores, TimeSpan.FromSeconds(options.QuietTimeoutSeconds));
        var result = await LoadRunner.RunAsync(senders, warmup, duration, options.MaxRecordsPerRun, Send, TakeSample);
        ledgerAccepted += result.AllAccepted;
        config.Ledger.Add(result);
        Console.WriteLine($"ledger   batch {batch,5} x{senders} run {repeat}: {Report.Line(result)}");
        var drain = await db.DrainAsync(TimeSpan.FromSeconds(options.DrainTimeoutSeconds));
        config.Drains.Add(drain);
        if (drain.Seconds >= 0.5 || drain.EventsBehind > 0 || drain.MessagesPending > 0)
            Console.WriteLine($"         background work left by the run finished in {drain.Seconds:0.0} s"
                + (drain.EventsBehind > 0 || drain.MessagesPending > 0 ? $" (timeout: {drain.EventsBehind} events behind, {drain.MessagesPending} messages pending)" : ""));
    }

    if (!options.Baseline)
        continue;
    for (var repeat = 1; repeat <= options.Repeats; repeat++)
    {
        var rawSenders = new Database.RawSender[senders];
        for (var s = 0; s < senders; s++)
            rawSenders[s] = await db.RawSenderAsync(batch, $"{runTag}b{batch}r{repeat}s{s}", seed++);
        try
        {
            await Quiet.WaitAsync(cpu, options.QuietCores, TimeSpan.FromSeconds(options.QuietTimeoutSeconds));
            var result = await LoadRunner.RunAsync(senders, warmup, duration, options.MaxRecordsPerRun, s => rawSenders[s].SendAsync(), TakeSample);
            config.Raw.Add(result);
            Console.WriteLine($"raw pg   batch {batch,5} x{senders} run {repeat}: {Report.Line(result)}");
        }
        finally
        {
            foreach (var sender in rawSenders)
                await sender.DisposeAsync();
        }
    }
}

// ---- idempotency: one batch that was accepted before, sent again ----------------------------------
string idempotency;
if (idempotencyBody is null)
{
    idempotency = "not checked (no batch was captured)";
}
else
{
    var again = await ledger.SendAsync(idempotencyBody);
    var ok = again.Error is null && again.Duplicates == idempotencyBatch && again.Accepted == 0;
    idempotency = again.Error is not null
        ? $"FAILED: re-sending a batch of {idempotencyBatch} returned {again.Error}"
        : $"{(ok ? "OK" : "FAILED")}: re-sent an already-recorded batch of {idempotencyBatch} records -> {again.Duplicates} marked duplicate, {again.Accepted} new";
}
Console.WriteLine($"idempotency: {idempotency}");

// ---- where the time goes: statement durations from the PostgreSQL log for a few sequential batches ----
var traces = new List<TraceResult>();
if (options.Trace && options.PgLog is not null && File.Exists(options.PgLog))
{
    var traceFactory = new RecordFactory(ledger.KeyIds, $"{runTag}trace", 0, seed++);
    await Quiet.WaitAsync(cpu, options.QuietCores, TimeSpan.FromSeconds(options.QuietTimeoutSeconds));
    await db.SetStatementLoggingAsync(true);
    try
    {
        foreach (var batch in options.Batches)
        {
            // Sequential requests; after each, wait for the background work it caused, so the log splits into what the
            // request itself ran (foreground) and what followed it (async projections, queued handlers).
            var requests = batch switch { 1 => 20, <= 100 => 10, _ => 4 };
            var foreground = new StatementLog(options.PgLog, options.Schema);
            var background = new StatementLog(options.PgLog, options.Schema);
            double clientMs = 0;
            await db.DrainAsync(TimeSpan.FromSeconds(30));
            for (var i = 0; i < requests; i++)
            {
                var start = foreground.Length;
                var watch = Stopwatch.StartNew();
                var outcome = await ledger.SendAsync(traceFactory.Next(batch));
                clientMs += watch.Elapsed.TotalMilliseconds;
                if (outcome.Error is not null)
                    throw new InvalidOperationException($"trace request failed: {outcome.Error}");
                ledgerAccepted += outcome.Accepted;
                // PostgreSQL writes a statement's log line when it finishes, so the request's own lines (up to its COMMIT)
                // are in the file now. Handlers that start right after the commit may still slip into this part.
                var answered = foreground.Length;
                await db.DrainAsync(TimeSpan.FromSeconds(30));
                await Task.Delay(50);
                var drained = background.Length;
                foreground.Add(start, answered);
                background.Add(answered, drained);
            }
            traces.Add(new TraceResult(batch, requests, clientMs, foreground, background));
            Console.WriteLine($"trace    batch {batch,5}: {clientMs / requests:0.00} ms/request client, "
                + $"{foreground.ExecuteMs / requests:0.00} ms/request executing SQL, {foreground.ParseBindMs / requests:0.00} ms parse+bind, "
                + $"{foreground.Statements / (double)requests:0.0} statements/request; afterwards in the background "
                + $"{background.ExecuteMs / requests:0.00} ms SQL, {background.Statements / (double)requests:0.0} statements");
        }
    }
    finally
    {
        await db.SetStatementLoggingAsync(false);
    }
}
else if (options.Trace)
{
    Console.WriteLine("trace: skipped (no readable --pg-log)");
}

// ---- what was written ---------------------------------------------------------------------------
var final = await FinalStats.ReadAsync(db, options.Baseline);
var ledgerEvents = final.EventTypes.GetValueOrDefault("request_completed");
var consistency = ledgerEvents == ledgerAccepted
    ? $"OK: {ledgerEvents:N0} request_completed events = {ledgerAccepted:N0} records the API reported accepted"
    : $"MISMATCH: {ledgerEvents:N0} request_completed events, but the API reported {ledgerAccepted:N0} records accepted";
Console.WriteLine($"consistency: {consistency}");

var report = Report.Markdown(options, machine, configs, traces, final, idempotency, consistency);
Console.WriteLine();
Console.WriteLine(report);
if (options.Out is not null)
{
    Report.WriteInto(options.Out, report);
    Console.WriteLine($"written to {options.Out}");
}

if (options.Baseline)
    await db.DropRawSchemaAsync();

var failed = idempotency.StartsWith("FAILED", StringComparison.Ordinal) || consistency.StartsWith("MISMATCH", StringComparison.Ordinal)
    || configs.Any(c => c.Ledger.Any(r => r.Errors > 0));
return failed ? 1 : 0;
