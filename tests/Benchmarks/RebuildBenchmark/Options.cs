using System.Globalization;

namespace RebuildBenchmark;

/// <summary>Command-line settings (<c>--name value</c>); tests/Benchmarks/rebuild.sh passes them.</summary>
internal sealed record Options
{
    public required string Db { get; init; }
    public required string Schema { get; init; }
    /// <summary>At least this many events are generated (whole simulated days, so a little more).</summary>
    public long Events { get; init; } = 1_000_000;
    public int RequestsPerDay { get; init; } = 12_000;
    public int Runs { get; init; } = 5;
    public int Seed { get; init; } = 42;
    /// <summary>Projections rebuilt at once (the product's default).</summary>
    public int Parallelism { get; init; } = 4;
    /// <summary>After the runs, one more through Marten's daemon alone (page-by-page replay), for comparison.</summary>
    public bool Baseline { get; init; } = true;
    public string? PgData { get; init; }
    public string? Out { get; init; }
    public string Command { get; init; } = "tests/Benchmarks/rebuild.sh";
    public string? Revision { get; init; }
    /// <summary>Before each run, wait until other processes (PostgreSQL included) use fewer cores than this (0: do not wait).</summary>
    public double QuietCores { get; init; } = 0.25;
    public double QuietTimeoutSeconds { get; init; } = 120;

    public static Options Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"Expected '--name value', got '{args[i]}'.");
            values[args[i][2..]] = args[++i];
        }
        string? Optional(string name) => values.TryGetValue(name, out var v) && v.Length > 0 ? v : null;
        string Required(string name) => Optional(name) ?? throw new ArgumentException($"--{name} is required.");
        double Number(string name, double fallback) => Optional(name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

        return new Options
        {
            Db = Required("db"),
            Schema = Required("schema"),
            Events = (long)Number("events", 1_000_000),
            RequestsPerDay = (int)Number("requests-per-day", 12_000),
            Runs = (int)Number("runs", 5),
            Seed = (int)Number("seed", 42),
            Parallelism = (int)Number("parallelism", 4),
            Baseline = Optional("baseline") is not ("off" or "0" or "false"),
            PgData = Optional("pg-data"),
            Out = Optional("out") is "-" ? null : Optional("out"),
            Command = Optional("command") ?? "tests/Benchmarks/rebuild.sh",
            Revision = Optional("revision"),
            QuietCores = Number("quiet", 0.25),
            QuietTimeoutSeconds = Number("quiet-timeout", 120),
        };
    }
}
