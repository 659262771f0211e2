using System.Globalization;
using System.Text;
using Governance.Scan.Findings;

namespace Governance.Scan.Sources;

/// <summary>
/// Reads blobs through <c>git cat-file</c>, each once however many commits and paths hold it. Sizes come first
/// (<c>--batch-check</c>), so a blob over the limit is reported and never read; the rest stream through one
/// <c>--batch</c> process into one reused buffer.
/// </summary>
internal static class BlobReader
{
    public static async Task ScanAsync(string repository, IReadOnlyDictionary<string, List<Origin>> blobs, ScanSink sink, CancellationToken ct)
    {
        var wanted = new List<string>(blobs.Count);
        await foreach (var (id, size) in SizesAsync(repository, blobs.Keys, ct))
        {
            if (size <= sink.MaxSize)
                wanted.Add(id);
            else
                sink.Skip(blobs[id][0], SkipReason.TooLarge, $"{ScanSink.Size(size)}, larger than the limit of {ScanSink.Size(sink.MaxSize)}");
        }
        if (wanted.Count == 0)
            return;

        await using var git = GitProcess.Start(repository, ["cat-file", "--batch"], input: true);
        var feeding = FeedAsync(git, wanted, ct);
        var output = new BufferedStream(git.Output, 256 * 1024);
        var buffer = new byte[Math.Min(sink.MaxSize, 1 << 20)];
        foreach (var id in wanted)
        {
            // Synchronous reads from the buffered pipe: one blob after another, nothing else to do while git works.
            ct.ThrowIfCancellationRequested();
            var (_, size) = ParseHeader(ReadLine(output), id);
            if (buffer.Length < size)
                buffer = new byte[Math.Max(size, Math.Min(sink.MaxSize, (long)buffer.Length * 2))];
            output.ReadExactly(buffer.AsSpan(0, (int)size));
            if (output.ReadByte() != '\n')
                throw new ScanException($"git cat-file's output for {id} did not end where its size said");
            sink.Content(buffer.AsSpan(0, (int)size), blobs[id]);
        }
        await feeding;
        await git.CompleteAsync(ct);
    }

    private static async IAsyncEnumerable<(string Id, long Size)> SizesAsync(string repository, IEnumerable<string> ids,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var all = ids.ToList();
        await using var git = GitProcess.Start(repository, ["cat-file", "--batch-check"], input: true);
        var feeding = FeedAsync(git, all, ct);
        using var reader = new StreamReader(git.Output, Encoding.ASCII);
        foreach (var id in all)
        {
            var line = await reader.ReadLineAsync(ct) ?? throw new ScanException("git cat-file --batch-check stopped early");
            yield return ParseHeader(line, id);
        }
        await feeding;
        await git.CompleteAsync(ct);
    }

    /// <summary><c>&lt;id&gt; blob &lt;size&gt;</c>, or <c>&lt;id&gt; missing</c> in a repository that lost objects.</summary>
    private static (string Id, long Size) ParseHeader(string line, string id)
    {
        var parts = line.Split(' ');
        if (parts is [_, "missing"])
            throw new ScanException($"the repository is corrupt: object {id} is missing (git fsck tells more)");
        if (parts.Length != 3 || parts[0] != id || parts[1] != "blob"
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size > int.MaxValue)
            // The line itself is not quoted: out of step with git, it could be a piece of a blob, and a blob may hold a secret.
            throw new ScanException($"git cat-file answered something other than a blob header for blob {id}");
        return (id, size);
    }

    /// <summary>Writes the ids while the caller reads: git answers as it goes, and a full pipe each way would deadlock.</summary>
    private static Task FeedAsync(GitProcess git, IEnumerable<string> ids, CancellationToken ct) => Task.Run(async () =>
    {
        await using var input = new StreamWriter(git.Input, new UTF8Encoding(false), 64 * 1024) { NewLine = "\n" };
        foreach (var id in ids)
            await input.WriteLineAsync(id.AsMemory(), ct);
    }, ct);

    private static string ReadLine(Stream output)
    {
        var line = new StringBuilder(64);
        while (true)
        {
            var next = output.ReadByte();
            if (next < 0)
                throw new ScanException("git cat-file stopped early");
            if (next == '\n')
                return line.ToString();
            if (line.Length > 200)
                throw new ScanException("git cat-file printed an unexpected header");
            line.Append((char)next);
        }
    }
}
