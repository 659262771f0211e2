using System.Globalization;

namespace IngestBenchmark;

/// <summary>Command-line settings (<c>--name value</c>); tests/Benchmarks/ingest.sh passes them.</summary>
internal sealed record Options
{
    public required Uri Api { get; init; }
    public required string Token { get; init; }
    public required string Db { get; init; }
    public required string Schema { get; init; }
    public IReadOnlyList<int> Batches { get; init; } = [1, 100, 1000];
    /// <summary>Concurrent senders per batch size; batch sizes not listed use <see cref="DefaultSenders"/>.</summary>
    public IReadOnlyDictionary<int, int> Senders { get; init; } = new Dictionary<int, int> { [1] = 4 };
    public int DefaultSenders { get; init; } = 2;
    public double WarmupSeconds { get; init; } = 2;
    /// <summary>
    /// Once, before any measured run: load at every batch size for this long in all, unrecorded. A freshly started API
    /// spends its first half minute or so compiling (tiered JIT); a server that runs for days does not.
    /// </summary>
    public double JitWarmupSeconds { get; init; } = 30;
    public double DurationSeconds { get; init; } = 10;
    public int Repeats { get; init; } = 3;
    public int Keys { get; init; } = 50;
    public int Apps { get; init; } = 5;
    /// <summary>Safety bound: a sender stops after this many records in one run, whatever the duration.</summary>
    public long MaxRecordsPerRun { get; init; } = 2_000_000;
    public bool Baseline { get; init; } = true;
    public bool Trace { get; init; } = true;
    /// <summary>The monthly budget on one app (settlement into a budget window is part of the measured path); off only for experiments.</summary>
    public bool Budget { get; init; } = true;
    public int? ApiPid { get; init; }
    public string? PgData { get; init; }
    public string? PgLog { get; init; }
    public double ClockTicks { get; init; } = 100;
    public string? Out { get; init; }
    public string Command { get; init; } = "tests/Benchmarks/ingest.sh";
    public string? Revision { get; init; }
    /// <summary>Before each run, wait until other processes use fewer cores than this (0: do not wait).</summary>
    public double QuietCores { get; init; } = 0.25;
    public double QuietTimeoutSeconds { get; init; } = 120;
    /// <summary>After each ledger run, wait up to this long for async projections and queued messages to catch up.</summary>
    public double DrainTimeoutSeconds { get; init; } = 300;
    /// <summary>Free text for the report: how the API was configured beyond the defaults (e.g. a connection-string extra).</summary>
    public string? ApiNote { get; init; }

    public int SendersFor(int batch) => Senders.TryGetValue(batch, out var n) ? n : DefaultSenders;

    public static Options Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"Expected '--name value', got '{args[i]}'.");
            values[args[i][2..]] = args[++i];
        }

        string Required(string name) => values.TryGetValue(name, out var v) && v.Length > 0
            ? v
            : throw new ArgumentException($"--{name} is required.");
        string? Optional(string name) => values.TryGetValue(name, out var v) && v.Length > 0 ? v : null;
        double Number(string name, double fallback) =>
            Optional(name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;
        bool Flag(string name, bool fallback) => Optional(name) is { } v ? v is "1" or "true" or "on" or "yes" : fallback;

        var options = new Options
        {
            Api = new Uri(Required("api")),
            Token = Required("token"),
            Db = Required("db"),
            Schema = Required("schema"),
            WarmupSeconds = Number("warmup", 2),
            JitWarmupSeconds = Number("jit-warmup", 30),
            DurationSeconds = Number("duration", 10),
            Repeats = (int)Number("repeats", 3),
            Keys = (int)Number("keys", 50),
            Apps = (int)Number("apps", 5),
            MaxRecordsPerRun = (long)Number("max-records", 2_000_000),
            Baseline = Flag("baseline", true),
            Trace = Flag("trace", true),
            Budget = Flag("budget", true),
            ApiPid = Optional("api-pid") is { } pid ? int.Parse(pid, CultureInfo.InvariantCulture) : null,
            PgData = Optional("pg-data"),
            PgLog = Optional("pg-log"),
            ClockTicks = Number("clk-tck", 100),
            Out = Optional("out"),
            Command = Optional("command") ?? "tests/Benchmarks/ingest.sh",
            Revision = Optional("revision"),
            QuietCores = Number("quiet", 0.25),
            QuietTimeoutSeconds = Number("quiet-timeout", 120),
            DrainTimeoutSeconds = Number("drain-timeout", 300),
            ApiNote = Optional("api-note"),
        };
        if (Optional("batches") is { } batches)
            options = options with { Batches = batches.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(b => int.Parse(b, CultureInfo.InvariantCulture)).ToList() };
        if (Optional("senders") is { } senders)
        {
            // "1=4,100=2,1000=2" or a single number for every batch size.
            if (int.TryParse(senders, NumberStyles.Integer, CultureInfo.InvariantCulture, out var all))
                options = options with { Senders = new Dictionary<int, int>(), DefaultSenders = all };
            else
                options = options with
                {
                    Senders = senders.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(pair => pair.Split('='))
                        .ToDictionary(p => int.Parse(p[0], CultureInfo.InvariantCulture), p => int.Parse(p[1], CultureInfo.InvariantCulture)),
                };
        }

        if (options.Batches.Count == 0 || options.Batches.Any(b => b is < 1 or > 5000))
            throw new ArgumentException("--batches: sizes between 1 and 5000 (the API's limit).");
        if (options.Repeats is < 1 or > 20 || options.DurationSeconds is <= 0 or > 600 || options.WarmupSeconds is < 0 or > 120
            || options.JitWarmupSeconds is < 0 or > 600)
            throw new ArgumentException("--repeats 1..20, --duration (0, 600] s, --warmup [0, 120] s, --jit-warmup [0, 600] s.");
        if (options.Batches.Any(b => options.SendersFor(b) is < 1 or > 64))
            throw new ArgumentException("--senders: 1..64 per batch size.");
        if (options.Keys < 1 || options.Apps < 1 || options.Apps > options.Keys)
            throw new ArgumentException("--keys >= --apps >= 1.");
        if (!options.Api.IsLoopback)
            throw new ArgumentException("--api must be a loopback address: this benchmark only loads 127.0.0.1.");
        return options;
    }
}
