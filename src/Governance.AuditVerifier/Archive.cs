using System.Text.Json;

namespace Governance.AuditVerifier;

/// <summary>Where a segment stands after the newest archive event that names it.</summary>
public enum SegmentState
{
    /// <summary>Its events left the database into the segment file.</summary>
    Archived,
    /// <summary>Its events were put back into the database: the export has them.</summary>
    Restored,
    /// <summary>An operator deleted its content; a redacted copy (sequences, streams, versions, hashes) keeps the chain.</summary>
    Deleted,
}

/// <summary>A segment as the export's archive events describe it. For a deleted one, the file to read is the redacted copy.</summary>
public sealed record SegmentRecord(
    string Name, string Sha256, long FirstSequence, long LastSequence, long Events, long Line, SegmentState State,
    string? Redacted = null, string? RedactedSha256 = null)
{
    public string File => State == SegmentState.Deleted ? Redacted! : Name;
    public string FileSha256 => State == SegmentState.Deleted ? RedactedSha256! : Sha256;
}

/// <summary>
/// The archive events of an export (stream <c>audit:archive</c>) and the segment files they name. The events are read
/// first, in a pass of their own, because the segments' events come before them in sequence order.
/// </summary>
public static class Archive
{
    public const string Stream = "audit:archive";
    public const string ArchivedType = "request_events_archived";
    public const string RestoredType = "archive_segment_restored";
    public const string DeletedType = "archive_segment_deleted";

    /// <summary>Every segment the export's archive events name, in sequence order, as the newest event about each leaves it.</summary>
    public static IReadOnlyList<SegmentRecord> Records(TextReader export)
    {
        var segments = new Dictionary<string, SegmentRecord>(StringComparer.Ordinal);
        long number = 0;
        while (export.ReadLine() is { } text)
        {
            number++;
            // Cheap filter first: most lines are not archive events.
            if (!text.Contains(Stream, StringComparison.Ordinal) || ExportLine.Parse(text).Line is not { Stream: Stream } line)
                continue;
            using var data = JsonDocument.Parse(line.Data);
            var d = data.RootElement;
            var name = d.GetProperty("Segment").GetString()!;
            switch (line.Type)
            {
                case ArchivedType:
                    segments[name] = new SegmentRecord(name, d.GetProperty("Sha256").GetString()!, d.GetProperty("FirstSequence").GetInt64(),
                        d.GetProperty("LastSequence").GetInt64(), d.GetProperty("Events").GetInt64(), number, SegmentState.Archived);
                    break;
                case RestoredType when segments.TryGetValue(name, out var restored):
                    segments[name] = restored with { State = SegmentState.Restored, Line = number };
                    break;
                case DeletedType when segments.TryGetValue(name, out var deleted):
                    segments[name] = deleted with
                    {
                        State = SegmentState.Deleted, Line = number,
                        Redacted = d.GetProperty("Redacted").GetString(), RedactedSha256 = d.GetProperty("RedactedSha256").GetString(),
                    };
                    break;
            }
        }
        return segments.Values.OrderBy(s => s.FirstSequence).ToList();
    }

    /// <summary>Each segment still archived (or deleted, by its redacted copy) must be in the directory, byte for byte as recorded.</summary>
    public static Break? CheckFiles(IReadOnlyList<SegmentRecord> segments, string directory)
    {
        foreach (var s in segments.Where(s => s.State != SegmentState.Restored))
        {
            var path = Path.Combine(directory, s.File);
            var what = $"segment {s.File} (sequences {s.FirstSequence} to {s.LastSequence}, {s.Events} events, recorded at line {s.Line})";
            if (!System.IO.File.Exists(path))
                return new Break(BreakKind.MissingSegment, s.Line, $"{what} is not in {directory}: its events are neither in the database nor in the archive.");
            var sha = ArchiveSegment.Sha256Async(path).GetAwaiter().GetResult();
            if (!string.Equals(sha, s.FileSha256, StringComparison.OrdinalIgnoreCase))
                return new Break(BreakKind.EditedData, s.Line, $"{what}: its SHA-256 is {sha[..16]}, the archive event recorded {s.FileSha256[..16]}; the segment was altered.");
        }
        return null;
    }

    /// <summary>The rows of the segments the export does not hold, in sequence order, each with where it was read.</summary>
    public static IEnumerable<(SegmentRow Row, string Where)> Rows(IReadOnlyList<SegmentRecord> segments, string directory)
    {
        foreach (var s in segments.Where(s => s.State != SegmentState.Restored))
        {
            using var file = System.IO.File.OpenRead(Path.Combine(directory, s.File));
            long row = 0;
            foreach (var r in ArchiveSegment.ReadAsync(file).ToBlockingEnumerable())
                yield return (r, $"segment {s.File}, row {++row}");
        }
    }
}
