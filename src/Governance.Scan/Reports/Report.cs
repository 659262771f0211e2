using Governance.Scan.Findings;
using Governance.Scan.Response;

namespace Governance.Scan.Reports;

public enum ScanMode
{
    Directory,
    Git,
    Staged,
}

/// <summary>Everything a report shows: the outcomes (never a secret), what was skipped, and the run's error if any.</summary>
public sealed record Report(ScanMode Mode, ScanResult Result, IReadOnlyList<Outcome> Outcomes, int Baselined, string? Error)
{
    public const string Tool = "governance-scan";
    public const string Version = "1.0.0";

    /// <summary>Skips worth a line of their own; binary files and symbolic links are only counted.</summary>
    public IEnumerable<Skipped> Notable => Result.Skipped.Where(s => s.Reason is not (SkipReason.Binary or SkipReason.Symlink));

    public int LiveOrUnknown => Outcomes.Count(o => o.IsLiveOrUnknown);

    public static string Name(SkipReason reason) => reason switch
    {
        SkipReason.Binary => "binary",
        SkipReason.TooLarge => "too_large",
        SkipReason.Unreadable => "unreadable",
        SkipReason.Symlink => "symlink",
        SkipReason.SymlinkLoop => "symlink_loop",
        SkipReason.Submodule => "submodule",
        _ => throw new ArgumentOutOfRangeException(nameof(reason)),
    };

    public static string Name(Detection.Confidence confidence) => confidence.ToString().ToLowerInvariant();
}
