namespace Governance.Domain.Archive;

/// <summary>
/// Request events older than the horizon left the database into a segment file: its name and SHA-256, the event
/// sequences it covers (first and last, and how many events), and the time range of those events. Stream:
/// <see cref="ArchiveIds.Stream"/>. It is what tells an archive from a truncation.
/// </summary>
public sealed record RequestEventsArchived(
    string Segment, string Sha256, long FirstSequence, long LastSequence, long Events, DateTimeOffset From, DateTimeOffset To,
    string ArchivedBy, DateTimeOffset ArchivedAt);

/// <summary>A segment's events were put back into the database, byte for byte (their hashes re-checked); the file stays.</summary>
public sealed record ArchiveSegmentRestored(string Segment, string Sha256, long Events, string RestoredBy, DateTimeOffset RestoredAt);

/// <summary>
/// An operator deleted a segment's content. <see cref="Redacted"/> is the copy that remains: each event's sequence,
/// stream, version and hashes, so the chain and the checkpoints still verify across the gap.
/// </summary>
public sealed record ArchiveSegmentDeleted(
    string Segment, string Sha256, string Redacted, string RedactedSha256, long Events, string Reason, string DeletedBy, DateTimeOffset DeletedAt);

public static class ArchiveIds
{
    public const string Stream = "audit:archive";

    /// <summary>A segment's file name: the first and last sequence it covers, 19 digits each, so names sort in history order.</summary>
    public static string SegmentName(long first, long last) => $"requests-{first:D19}-{last:D19}.parquet";

    public static string RedactedName(string segment) => segment[..^".parquet".Length] + ".redacted.parquet";

    /// <summary>Only names this archive writes: no path, nothing a caller can point elsewhere with.</summary>
    public static bool IsSegmentName(string name) =>
        name.Length == "requests-".Length + 19 + 1 + 19 + ".parquet".Length && name.StartsWith("requests-", StringComparison.Ordinal)
        && name.EndsWith(".parquet", StringComparison.Ordinal) && name[9..28].All(char.IsAsciiDigit) && name[28] == '-'
        && name[29..48].All(char.IsAsciiDigit);
}
