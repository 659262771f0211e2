using System.Globalization;

namespace Governance.Api.Archive;

/// <summary>
/// Archive settings (docs/audit.md, "Archive"): <c>Archive:Directory</c> (none: archiving is off), <c>Archive:Horizon</c>
/// (a TimeSpan, default 90 days: request events older than that leave the database), <c>Archive:IntervalSeconds</c> (default
/// 3600; 0: only when an admin asks), <c>Archive:SegmentEvents</c> (events per segment, default 50,000).
/// </summary>
public sealed record ArchiveOptions(string? Directory, TimeSpan Horizon, TimeSpan Interval, int SegmentEvents)
{
    public static ArchiveOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection("Archive");
        var horizon = section["Horizon"] is { Length: > 0 } text
            ? TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var parsed) && parsed >= TimeSpan.FromHours(1)
                ? parsed
                : throw new InvalidOperationException($"Archive:Horizon '{text}' is not a duration of at least one hour (e.g. 90.00:00:00).")
            : TimeSpan.FromDays(90);
        var interval = section.GetValue("IntervalSeconds", 3600);
        var size = section.GetValue("SegmentEvents", 50_000);
        if (interval < 0 || size is < 1 or > 1_000_000)
            throw new InvalidOperationException("Archive:IntervalSeconds must be >= 0 and Archive:SegmentEvents between 1 and 1,000,000.");
        var directory = section["Directory"] is { Length: > 0 } d ? Path.GetFullPath(d) : null;
        return new ArchiveOptions(directory, horizon, TimeSpan.FromSeconds(interval), size);
    }
}
