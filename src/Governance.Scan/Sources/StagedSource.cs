namespace Governance.Scan.Sources;

/// <summary>
/// Scans what is staged for the next commit: the index's version of every added or changed path (<c>git diff --cached</c>,
/// the content <c>git show :path</c> would print), not the working tree. Git's own GIT_INDEX_FILE is honoured, so in a
/// pre-commit hook of <c>git commit -a</c> or of a partial commit it reads the index that commit will record.
/// </summary>
public sealed class StagedSource(string path)
{
    public async Task ScanAsync(ScanSink sink, CancellationToken ct)
    {
        var repository = await GitRepository.OpenAsync(path, ct);
        sink.Result.Root = repository.Root;
        var blobs = new Dictionary<string, List<Origin>>(StringComparer.Ordinal);
        await using (var diff = GitProcess.Start(repository.Directory,
            ["diff", "--cached", "--raw", "-z", "--no-abbrev", "--no-renames", "--no-ext-diff", "--no-textconv", "--diff-filter=ACMRT"]))
        {
            await foreach (var record in RawDiff.ReadAsync(diff.Output, ct))
            {
                if (record is not PathChange change || change.IsDeletion)
                    continue;
                var origin = new Origin(change.Path);
                if (change.IsSubmodule)
                    sink.Skip(origin, Findings.SkipReason.Submodule, $"a submodule (at commit {change.Object}): not entered");
                else if (blobs.TryGetValue(change.Object, out var origins))
                    origins.Add(origin);
                else
                    blobs[change.Object] = [origin];
            }
            await diff.CompleteAsync(ct);
        }
        await BlobReader.ScanAsync(repository.Directory, blobs, sink, ct);
    }
}
