namespace ProxyAdapter.Reporting;

/// <summary>
/// Where the usage journal lives and how it is shipped (docs/gateway.md, "Cost reporting"). Every setting is under
/// <c>Proxy:</c>; the defaults suit one adapter per directory.
/// </summary>
public sealed record JournalOptions(
    string Directory, long SegmentBytes, int BatchSize, TimeSpan MinBackoff, TimeSpan MaxBackoff, TimeSpan RequestTimeout)
{
    /// <summary>When an append completes: after its write (the default) or after the fsync that covers it.</summary>
    public JournalDurability Durability { get; init; } = JournalDurability.Write;

    /// <summary>
    /// With <see cref="JournalDurability.Write"/>, the pause between background fsyncs: an append that writes into the
    /// page an fsync is flushing waits for that fsync, so back-to-back fsyncs would stall requests (p99.9 of a 300-byte
    /// write here: 10–14 ms with back-to-back fsyncs, 76 µs with one every 100 ms). It bounds what a power loss can lose.
    /// </summary>
    public TimeSpan SyncInterval { get; init; } = TimeSpan.FromMilliseconds(DefaultSyncIntervalMilliseconds);

    /// <summary>
    /// How long the shipper lets a batch fill before it sends it (unless it is full sooner): many requests' usage in one
    /// call to the API instead of one call each. Zero sends whatever is there at once.
    /// </summary>
    public TimeSpan Linger { get; init; }

    /// <summary>A record larger than this is refused at append (a usage report is well under 4 KB).</summary>
    public const int MaxRecordBytes = 1 << 20;

    public static JournalOptions From(IConfiguration configuration, AdapterIdentity adapter) => new(
        Path.GetFullPath(configuration["Proxy:JournalPath"] ?? Path.Combine(".data", "proxy-journal", SafeName(adapter.Id))),
        Math.Clamp(configuration.GetValue("Proxy:JournalSegmentMegabytes", 16L), 1, 1024) << 20,
        Math.Clamp(configuration.GetValue("Proxy:ReportBatchSize", 500), 1, 5_000),
        TimeSpan.FromMilliseconds(Math.Max(1, configuration.GetValue("Proxy:ReportMinBackoffMilliseconds", 100))),
        TimeSpan.FromSeconds(Math.Max(0.01, configuration.GetValue("Proxy:ReportMaxBackoffSeconds", 5.0))),
        TimeSpan.FromSeconds(Math.Max(1, configuration.GetValue("Proxy:ReportTimeoutSeconds", 30))))
    {
        Durability = configuration["Proxy:JournalDurability"] is { Length: > 0 } durability
            ? Enum.TryParse<JournalDurability>(durability, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
                ? parsed
                : throw new InvalidOperationException($"Proxy:JournalDurability must be 'write' or 'fsync', not '{durability}'.")
            : JournalDurability.Write,
        SyncInterval = TimeSpan.FromMilliseconds(Math.Clamp(configuration.GetValue("Proxy:JournalSyncIntervalMilliseconds", DefaultSyncIntervalMilliseconds), 0, 10_000)),
        Linger = TimeSpan.FromMilliseconds(Math.Clamp(configuration.GetValue("Proxy:ReportLingerMilliseconds", DefaultLingerMilliseconds), 0, 10_000)),
    };

    public const int DefaultLingerMilliseconds = 20;

    public const int DefaultSyncIntervalMilliseconds = 100;

    public static JournalOptions InDirectory(string directory) =>
        new(Path.GetFullPath(directory), 16L << 20, 500, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30));

    /// <summary>An adapter id as one path segment: it comes from configuration, but must never climb out of .data.</summary>
    private static string SafeName(string id)
    {
        var safe = new string(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray()).Trim('.');
        return safe.Length == 0 ? "adapter" : safe;
    }
}

/// <summary>
/// What a completed append promises (docs/gateway.md, "Cost reporting"). <see cref="Write"/>: the record is in the
/// journal file, so it survives the adapter's crash or kill; a power loss or kernel crash can lose what the background
/// fsync had not covered yet (the last few milliseconds of records). <see cref="Fsync"/>: the record is on stable storage;
/// every request then waits for an fsync before its connection takes the next request.
/// </summary>
public enum JournalDurability
{
    Write,
    Fsync,
}

/// <summary>What is waiting to be shipped: readable as a metric (records, bytes on disk, the oldest record's age).</summary>
public sealed record JournalBacklog(long PendingRecords, long Bytes, DateTimeOffset? OldestPendingAt, long DeadLettered);
