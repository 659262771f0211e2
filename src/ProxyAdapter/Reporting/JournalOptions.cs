namespace ProxyAdapter.Reporting;

/// <summary>
/// Where the usage journal lives and how it is shipped (docs/gateway.md, "Cost reporting"). Every setting is under
/// <c>Proxy:</c>; the defaults suit one adapter per directory.
/// </summary>
public sealed record JournalOptions(
    string Directory, long SegmentBytes, int BatchSize, TimeSpan MinBackoff, TimeSpan MaxBackoff, TimeSpan RequestTimeout)
{
    /// <summary>A record larger than this is refused at append (a usage report is well under 4 KB).</summary>
    public const int MaxRecordBytes = 1 << 20;

    public static JournalOptions From(IConfiguration configuration, AdapterIdentity adapter) => new(
        Path.GetFullPath(configuration["Proxy:JournalPath"] ?? Path.Combine(".data", "proxy-journal", SafeName(adapter.Id))),
        Math.Clamp(configuration.GetValue("Proxy:JournalSegmentMegabytes", 16L), 1, 1024) << 20,
        Math.Clamp(configuration.GetValue("Proxy:ReportBatchSize", 500), 1, 5_000),
        TimeSpan.FromMilliseconds(Math.Max(1, configuration.GetValue("Proxy:ReportMinBackoffMilliseconds", 100))),
        TimeSpan.FromSeconds(Math.Max(0.01, configuration.GetValue("Proxy:ReportMaxBackoffSeconds", 5.0))),
        TimeSpan.FromSeconds(Math.Max(1, configuration.GetValue("Proxy:ReportTimeoutSeconds", 30))));

    public static JournalOptions InDirectory(string directory) =>
        new(Path.GetFullPath(directory), 16L << 20, 500, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30));

    /// <summary>An adapter id as one path segment: it comes from configuration, but must never climb out of .data.</summary>
    private static string SafeName(string id)
    {
        var safe = new string(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray()).Trim('.');
        return safe.Length == 0 ? "adapter" : safe;
    }
}

/// <summary>What is waiting to be shipped: readable as a metric (records, bytes on disk, the oldest record's age).</summary>
public sealed record JournalBacklog(long PendingRecords, long Bytes, DateTimeOffset? OldestPendingAt, long DeadLettered);
