using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Governance.Domain.Keys;

namespace Governance.Scan.Detection;

/// <summary>A secret found in one piece of content. Carries its fingerprint and a redacted preview, never the secret.</summary>
public sealed record Hit(SecretRule Rule, int Line, int Column, string Fingerprint, string Preview, string? KeyId);

/// <summary>
/// Finds secrets in bytes. Content is read as Latin-1 (every byte one character, so any input decodes and no invalid
/// UTF-8 can stop a scan; the shapes are all ASCII); columns are counted in UTF-16 code units of the line read as
/// UTF-8, as SARIF expects. Not thread-safe: it reuses one buffer.
/// </summary>
public sealed class Detector
{
    /// <summary>Git's test: a NUL byte in the first 8,000 bytes makes content binary.</summary>
    public const int BinarySniffLength = 8000;

    // Two vectorized passes tell which rules can match at all: most content holds no anchor, and no rule runs on it.
    private static readonly SearchValues<string> Literal = SearchValues.Create(
        SecretRules.All.Where(r => !r.Contextual).SelectMany(r => r.Anchors).Distinct().ToArray(), StringComparison.Ordinal);
    private static readonly SearchValues<string> Context = SearchValues.Create(
        SecretRules.All.Where(r => r.Contextual).SelectMany(r => r.Anchors).Distinct().ToArray(), StringComparison.OrdinalIgnoreCase);

    private char[] _text = [];

    public static bool LooksBinary(ReadOnlySpan<byte> content) =>
        content[..Math.Min(content.Length, BinarySniffLength)].Contains((byte)0);

    public List<Hit> Scan(ReadOnlySpan<byte> content)
    {
        if (_text.Length < content.Length)
            _text = new char[Math.Max(content.Length, _text.Length * 2)];
        var text = _text.AsSpan(0, Encoding.Latin1.GetChars(content, _text));

        var (literal, context) = (text.ContainsAny(Literal), text.ContainsAny(Context));
        var candidates = new List<(int Start, int Priority, Hit Hit, int End)>();
        var rules = SecretRules.All;
        for (var priority = 0; priority < rules.Count; priority++)
        {
            var rule = rules[priority];
            if (!(rule.Contextual ? context : literal))
                continue;
            foreach (var match in rule.Pattern.EnumerateMatches(text))
            {
                // Matches are rare: only now build strings, and match again for the named groups.
                var groups = rule.Pattern.Match(new string(text.Slice(match.Index, match.Length)));
                var secretGroup = groups.Groups["secret"];
                var (secret, offset) = secretGroup.Success ? (secretGroup.Value, secretGroup.Index) : (groups.Value, 0);
                var keyId = rule.IsVirtualKey ? KeyFormat.TryGetKeyId(secret) : null;
                if (rule.IsVirtualKey && keyId is null)
                    continue; // a gk_ look-alike whose checksum fails: not one of ours, and not a finding
                var start = match.Index + offset;
                candidates.Add((start, priority, new Hit(rule, 0, 0, Fingerprint(secret), Preview(rule, groups.Groups["prefix"].Value, keyId, secret), keyId),
                    start + secret.Length));
            }
        }
        return Place(content, candidates);
    }

    /// <summary>SHA-256 of the secret, lower-case hex: the same value as the gateway's stored hash of a virtual key.</summary>
    public static string Fingerprint(string secret) => Governance.Domain.Secrets.SecretFingerprint.Of(secret);

    /// <summary>What a report may show: a virtual key's prefix and id, or a provider key's documented prefix and fingerprint.</summary>
    private static string Preview(SecretRule rule, string prefix, string? keyId, string secret) => rule.IsVirtualKey
        ? $"{KeyFormat.Prefix}{keyId}_…"
        : $"{prefix}… sha256:{Fingerprint(secret)[..12]}";

    /// <summary>Drops matches overlapping an earlier or higher-priority one, and gives the rest their line and column.</summary>
    private static List<Hit> Place(ReadOnlySpan<byte> content, List<(int Start, int Priority, Hit Hit, int End)> candidates)
    {
        candidates.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.Priority.CompareTo(b.Priority));
        var hits = new List<Hit>(candidates.Count);
        int line = 1, lineStart = 0, counted = 0, end = 0;
        foreach (var (start, _, hit, candidateEnd) in candidates)
        {
            if (start < end)
                continue;
            end = candidateEnd;
            var skipped = content[counted..start];
            var newlines = skipped.Count((byte)'\n');
            if (newlines > 0)
            {
                line += newlines;
                lineStart = counted + skipped.LastIndexOf((byte)'\n') + 1;
            }
            counted = start;
            var column = Encoding.UTF8.GetCharCount(content[lineStart..start]) + 1;
            hits.Add(hit with { Line = line, Column = column });
        }
        return hits;
    }
}
