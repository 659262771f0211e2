namespace Governance.Scan.Findings;

/// <summary>What a scan saw: findings, what it skipped and why, and how much it read.</summary>
public sealed class ScanResult
{
    public List<Finding> Findings { get; } = [];
    public List<Skipped> Skipped { get; } = [];
    public long ContentsScanned { get; set; }
    public long BytesScanned { get; set; }
    /// <summary>Repository facts for reports (SARIF's versionControlProvenance); null outside git modes.</summary>
    public Repository? Repository { get; set; }
    public string Root { get; set; } = "";
    public List<string> Warnings { get; } = [];

    public int Count(SkipReason reason) => Skipped.Count(s => s.Reason == reason);
}

/// <param name="Uri">The origin remote's URL without any credentials in it, or the repository's file URI.</param>
public sealed record Repository(string Uri, string? Head, string? Branch);
