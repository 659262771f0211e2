using Governance.Scan.Findings;

namespace Governance.Scan.Sources;

/// <summary>
/// Scans every blob reachable from any ref (branches, tags, remote-tracking branches, notes, every stash entry),
/// deleted files included, each blob once. Where a blob came from is read from <c>git log --raw</c> in topological
/// order (children first), so the last commit seen adding a blob at a path is the one that introduced it there; a
/// blob that only a tag reaches (no commit adds it) is found by <c>git rev-list --objects</c> and has no commit.
/// Submodules (gitlinks) are reported, not entered.
/// </summary>
public sealed class GitHistorySource(string path)
{
    public async Task ScanAsync(ScanSink sink, CancellationToken ct)
    {
        var repository = await GitRepository.OpenAsync(path, ct);
        sink.Result.Root = repository.Root;
        sink.Result.Repository = await repository.DescribeAsync(ct);
        if (repository.Shallow)
            sink.Result.Warnings.Add("this is a shallow clone: commits before its depth are not scanned (fetch the whole history, e.g. actions/checkout with fetch-depth: 0)");
        var stashes = await repository.StashesAsync(ct);

        var blobs = new Dictionary<string, List<Origin>>(StringComparer.Ordinal);
        var submodules = new HashSet<string>(StringComparer.Ordinal);
        await using (var log = GitProcess.Start(repository.Directory,
            ["log", "--all", "--stdin", "--raw", "-c", "--root", "--no-abbrev", "--no-renames", "--topo-order", "-z", RawDiff.HeaderFormat], input: true))
        {
            await WriteRevisionsAsync(log, stashes, ct);
            CommitHeader? commit = null;
            long age = 0;
            await foreach (var record in RawDiff.ReadAsync(log.Output, ct))
            {
                if (record is CommitHeader header)
                {
                    (commit, age) = (header, age + 1);
                    continue;
                }
                var change = (PathChange)record;
                if (change.IsDeletion || commit is null)
                    continue;
                var origin = new Origin(change.Path, commit.Commit, commit.AuthorTime, age);
                if (change.IsSubmodule)
                {
                    if (submodules.Add(change.Path))
                        sink.Skip(origin, SkipReason.Submodule, $"a submodule (at commit {change.Object}): not entered; scan its repository on its own");
                    continue;
                }
                Remember(blobs, change.Object, origin);
            }
            await log.CompleteAsync(ct);
        }

        await using (var reachable = GitProcess.Start(repository.Directory,
            ["rev-list", "--all", "--stdin", "--objects", "--filter=object:type=blob", "--filter-provided-objects"], input: true))
        {
            await WriteRevisionsAsync(reachable, stashes, ct);
            using var reader = new StreamReader(reachable.Output);
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                // Without -z a path holding a newline spills onto a line of its own: only lines led by an object id count.
                var id = line.Split(' ', 2)[0];
                if (id.Length is 40 or 64 && id.All(char.IsAsciiHexDigitLower) && !blobs.ContainsKey(id))
                    blobs[id] = [new Origin(line.Length > id.Length + 1 ? line[(id.Length + 1)..] : $"(blob {id})")];
            }
            await reachable.CompleteAsync(ct);
        }

        await BlobReader.ScanAsync(repository.Directory, blobs, sink, ct);
    }

    /// <summary>Keeps, per blob and path, the oldest commit seen adding it there.</summary>
    private static void Remember(Dictionary<string, List<Origin>> blobs, string blob, Origin origin)
    {
        if (!blobs.TryGetValue(blob, out var origins))
            blobs[blob] = origins = [];
        var index = origins.FindIndex(o => o.Path == origin.Path);
        if (index < 0)
            origins.Add(origin);
        else if (origin.Age > origins[index].Age)
            origins[index] = origin;
    }

    private static async Task WriteRevisionsAsync(GitProcess git, IReadOnlyList<string> revisions, CancellationToken ct)
    {
        await using var input = new StreamWriter(git.Input) { NewLine = "\n" };
        foreach (var revision in revisions)
            await input.WriteLineAsync(revision.AsMemory(), ct);
    }
}
