using Governance.Scan.Detection;
using Governance.Scan.Findings;

namespace Governance.Scan.Sources;

/// <summary>Where content was found: a path, and in the history the commit that introduced it there.</summary>
/// <param name="Age">Larger is older (the position in git's topological order); 0 outside the history.</param>
public sealed record Origin(string Path, string? Commit = null, DateTimeOffset? AuthorTime = null, long Age = 0);

/// <summary>What every source hands its content to: skips binary content, runs the detector, records findings.</summary>
public sealed class ScanSink(long maxSize)
{
    private readonly Detector _detector = new();

    public ScanResult Result { get; } = new();

    public long MaxSize => maxSize;

    public void Content(ReadOnlySpan<byte> content, IReadOnlyList<Origin> origins)
    {
        if (Detector.LooksBinary(content))
        {
            Skip(origins[0], SkipReason.Binary, "binary content (a NUL byte)");
            return;
        }
        Result.ContentsScanned++;
        Result.BytesScanned += content.Length;
        foreach (var hit in _detector.Scan(content))
            foreach (var origin in origins)
                Result.Findings.Add(new Finding(hit.Rule, new Location(origin.Path, hit.Line, hit.Column, origin.Commit, origin.AuthorTime),
                    hit.Fingerprint, hit.Preview, hit.KeyId) { Age = origin.Age });
    }

    public void Skip(Origin origin, SkipReason reason, string detail) =>
        Result.Skipped.Add(new Skipped(origin.Path, reason, detail, origin.Commit));

    public static string Size(long bytes) => bytes switch
    {
        >= 1 << 30 => $"{bytes / (double)(1 << 30):0.#} GiB",
        >= 1 << 20 => $"{bytes / (double)(1 << 20):0.#} MiB",
        >= 1 << 10 => $"{bytes / (double)(1 << 10):0.#} KiB",
        _ => $"{bytes} B",
    };
}
