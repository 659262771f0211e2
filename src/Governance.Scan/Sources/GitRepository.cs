using Governance.Scan.Findings;

namespace Governance.Scan.Sources;

/// <summary>The repository at a path, as git sees it.</summary>
internal sealed record GitRepository(string Directory, string Root, bool Shallow)
{
    public static async Task<GitRepository> OpenAsync(string path, CancellationToken ct)
    {
        if (!System.IO.Directory.Exists(path))
            throw new ScanException($"{path}: no such directory");
        string[] facts;
        try
        {
            facts = (await GitProcess.RunAsync(path, ["rev-parse", "--absolute-git-dir", "--is-bare-repository", "--is-shallow-repository"], ct))!.Split('\n');
        }
        catch (ScanException e)
        {
            throw new ScanException($"{path}: not a git repository, or one git cannot read ({e.Message})");
        }
        if (facts.Length != 3)
            throw new ScanException($"{path}: git rev-parse answered something unexpected");
        var root = facts[1] == "true" ? facts[0] : (await GitProcess.RunAsync(path, ["rev-parse", "--show-toplevel"], ct))!;
        return new GitRepository(path, root, facts[2] == "true");
    }

    /// <summary>HEAD, its branch and the origin remote's URL (without credentials), for SARIF's versionControlProvenance.</summary>
    public async Task<Repository> DescribeAsync(CancellationToken ct)
    {
        var head = await GitProcess.RunAsync(Directory, ["rev-parse", "-q", "--verify", "HEAD^{commit}"], ct, absentCode: 1);
        var branch = await GitProcess.RunAsync(Directory, ["symbolic-ref", "-q", "--short", "HEAD"], ct, absentCode: 1);
        var remote = await GitProcess.RunAsync(Directory, ["config", "--get", "remote.origin.url"], ct, absentCode: 1);
        return new Repository(RemoteUri(remote) ?? new Uri(Root.EndsWith('/') ? Root : Root + "/").AbsoluteUri, head, branch);
    }

    /// <summary>Every stash entry, not only the newest one that refs/stash points at (older ones live in its reflog).</summary>
    public async Task<IReadOnlyList<string>> StashesAsync(CancellationToken ct)
    {
        if (await GitProcess.RunAsync(Directory, ["rev-parse", "-q", "--verify", "refs/stash"], ct, absentCode: 1) is null)
            return [];
        var entries = await GitProcess.RunAsync(Directory, ["log", "--walk-reflogs", "--format=%H", "refs/stash", "--"], ct);
        return entries!.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>
    /// The remote's URL as an absolute URI with any user name or token taken out (an https remote may carry a token,
    /// which must not reach a report); scp-like <c>git@host:path</c> becomes <c>ssh://host/path</c>. Null when it is neither.
    /// </summary>
    public static string? RemoteUri(string? remote)
    {
        if (string.IsNullOrWhiteSpace(remote))
            return null;
        if (!remote.Contains("://", StringComparison.Ordinal) && remote.IndexOf(':') is > 0 and var colon && !remote[..colon].Contains('/'))
            remote = "ssh://" + remote[..colon] + "/" + remote[(colon + 1)..].TrimStart('/');
        if (!Uri.TryCreate(remote, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http" or "ssh" or "git" or "file"))
            return null;
        return new UriBuilder(uri) { UserName = "", Password = "" }.Uri.AbsoluteUri;
    }
}
