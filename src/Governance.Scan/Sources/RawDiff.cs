using System.Globalization;
using System.Text;

namespace Governance.Scan.Sources;

/// <summary>One record of <c>git log --raw -z</c> or <c>git diff --raw -z</c>: a commit header or a changed path.</summary>
internal abstract record RawRecord;

internal sealed record CommitHeader(string Commit, DateTimeOffset AuthorTime) : RawRecord;

/// <param name="Mode">The path's mode after the change (<c>160000</c>: a submodule).</param>
/// <param name="Object">The object after the change; all zeros when the path was deleted.</param>
internal sealed record PathChange(string Mode, string Object, string Path) : RawRecord
{
    public bool IsDeletion => Object.All(c => c == '0');

    public bool IsSubmodule => Mode == "160000";
}

/// <summary>
/// Reads git's NUL-separated raw diff output. With <c>-z</c> nothing is quoted and paths may hold any byte but NUL,
/// so records are told apart by position: a token starting with ':' is a change and the token after it is always its
/// path (whatever it starts with); a token starting with \x01 is a commit header (the format
/// <see cref="HeaderFormat"/>). Combined diffs of merges (<c>-c</c>) have one colon per parent, and the result is the
/// last mode and object.
/// </summary>
internal static class RawDiff
{
    public const string HeaderFormat = "--format=%x01%H %at";

    public static async IAsyncEnumerable<RawRecord> ReadAsync(Stream output, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        string? pending = null;
        await foreach (var token in TokensAsync(output, ct))
        {
            if (pending is not null)
            {
                yield return Change(pending, token);
                pending = null;
                continue;
            }
            var text = token.TrimStart('\n');
            if (text.Length == 0)
                continue;
            if (text[0] == ':')
                pending = text;
            else if (text[0] == '\u0001')
                yield return Header(text[1..]);
            else
                throw new ScanException($"git printed something this scanner does not understand: '{Printable.Of(text, 200)}'");
        }
        if (pending is not null)
            throw new ScanException("git's output ended in the middle of a change");
    }

    private static CommitHeader Header(string text)
    {
        var parts = text.Split(' ');
        if (parts.Length != 2 || parts[0].Length is not (40 or 64) || !long.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds)
            || seconds < -62135596800 || seconds > 253402300799)
            throw new ScanException($"git printed a commit header this scanner does not understand: '{Printable.Of(text, 200)}'");
        return new CommitHeader(parts[0], DateTimeOffset.FromUnixTimeSeconds(seconds));
    }

    private static PathChange Change(string meta, string path)
    {
        var parents = meta.TakeWhile(c => c == ':').Count();
        var fields = meta[parents..].Split(' ');
        if (fields.Length != 2 * (parents + 1) + 1)
            throw new ScanException($"git printed a change this scanner does not understand: '{Printable.Of(meta, 200)}'");
        return new PathChange(fields[parents], fields[2 * parents + 1], path);
    }

    private static async IAsyncEnumerable<string> TokensAsync(Stream output, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        var token = new MemoryStream();
        int read;
        while ((read = await output.ReadAsync(buffer, ct)) > 0)
        {
            var start = 0;
            for (var nul = Array.IndexOf(buffer, (byte)0, 0, read); nul >= 0; nul = Array.IndexOf(buffer, (byte)0, start, read - start))
            {
                token.Write(buffer, start, nul - start);
                yield return Decode(token);
                token.SetLength(0);
                start = nul + 1;
            }
            token.Write(buffer, start, read - start);
        }
        if (token.Length > 0)
            yield return Decode(token);
    }

    /// <summary>Paths are bytes to git; a path that is not UTF-8 still gets a name (with U+FFFD where bytes were invalid).</summary>
    private static string Decode(MemoryStream token) => Encoding.UTF8.GetString(token.GetBuffer(), 0, (int)token.Length);
}
