using System.Text;
using Governance.Scan.Sources;

namespace Governance.Scan.Findings;

/// <summary>
/// Accepted findings, by fingerprint: a text file, one SHA-256 (64 hex digits) a line; <c>#</c> starts a comment,
/// blank lines are ignored. Anything else is an error that names the line, never silently skipped: a baseline that
/// half-loaded would silence nothing and hide that it did.
/// </summary>
public static class Baseline
{
    public static HashSet<string> Read(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScanException($"--baseline {path}: {e.Message}");
        }
        var fingerprints = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Length; i++)
        {
            var hash = lines[i].IndexOf('#');
            var value = (hash >= 0 ? lines[i][..hash] : lines[i]).Trim();
            if (value.Length == 0)
                continue;
            if (value.Length != 64 || !value.All(char.IsAsciiHexDigit))
                throw new ScanException($"--baseline {path}, line {i + 1}: expected a fingerprint (64 hex digits), found '{Printable.Of(value, 200)}'");
            fingerprints.Add(value.ToLowerInvariant());
        }
        return fingerprints;
    }

    /// <summary>One line per fingerprint, with where it was seen first as a comment (a path and a line, never the secret).</summary>
    public static void Write(string path, IEnumerable<Finding> findings)
    {
        var text = new StringBuilder("# governance-scan baseline: fingerprints (SHA-256) of accepted findings, one a line\n");
        foreach (var group in findings.GroupBy(f => f.Fingerprint).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var first = group.First();
            text.Append(group.Key).Append("  # ").Append(first.Rule.Id).Append(' ').Append(Printable.Of(first.Location.Where, 200)).Append('\n');
        }
        try
        {
            File.WriteAllText(path, text.ToString());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScanException($"--write-baseline {path}: {e.Message}");
        }
    }
}
