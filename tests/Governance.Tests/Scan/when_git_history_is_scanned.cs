namespace Governance.Tests.Scan;

public sealed class when_git_history_is_scanned : IDisposable
{
    private static readonly DateTimeOffset Introduced = new(2024, 5, 1, 10, 0, 0, TimeSpan.Zero);
    private readonly GitRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task a_key_in_a_file_a_later_commit_deleted_is_found_with_the_commit_and_author_time_that_introduced_it()
    {
        var virtualKey = Secrets.VirtualKey();
        var openAi = Secrets.OpenAi();
        _repo.Write("README.md", "service\n").Commit("start", Introduced.AddDays(-1));
        var introducing = _repo.Write("old/config.txt", $"# old\nkey = \"{virtualKey}\"\n").Commit("add config", Introduced);
        _repo.Write("old/config.txt", $"# old, edited\nkey = \"{virtualKey}\"\nmore = 1\n").Commit("edit config", Introduced.AddDays(1));
        _repo.Git("rm", "-q", "-r", "old");
        _repo.Commit("remove the config", Introduced.AddDays(2));
        var envCommit = _repo.Write(".env", $"OPENAI_API_KEY={openAi}\n").Commit("env", Introduced.AddDays(3));

        var directory = await Scanner.RunAsync(_repo.Path, "--format", "json");
        var history = await Scanner.RunAsync(_repo.Path, "--git", "--format", "json");

        Assert.Equal(["openai-api-key"], directory.Findings().Select(f => f.GetProperty("rule").GetString()));
        Assert.Equal(1, history.ExitCode);
        var found = history.Findings();
        Assert.Equal(2, found.Count);
        var env = found.Single(f => f.GetProperty("path").GetString() == ".env");
        Assert.Equal(("openai-api-key", envCommit, 1, 16), (env.GetProperty("rule").GetString(), env.GetProperty("commit").GetString(), env.GetProperty("line").GetInt32(), env.GetProperty("column").GetInt32()));
        // Two versions of the file held the key: one finding, at the commit that put it there.
        var deleted = found.Single(f => f.GetProperty("path").GetString() == "old/config.txt");
        Assert.Equal("governance-virtual-key", deleted.GetProperty("rule").GetString());
        Assert.Equal(introducing, deleted.GetProperty("commit").GetString());
        Assert.Equal(Introduced, deleted.GetProperty("authorTime").GetDateTimeOffset());
        Assert.Equal((2, 8), (deleted.GetProperty("line").GetInt32(), deleted.GetProperty("column").GetInt32()));
        Assert.Equal(history.Json().GetProperty("repository").GetProperty("head").GetString(), envCommit);

        var text = await Scanner.RunAsync(_repo.Path, "--git");
        Assert.Contains($"old/config.txt:2:8  governance-virtual-key (high)  gk_{virtualKey[3..19]}_…  unverified  introduced in {introducing[..12]} (authored 2024-05-01 10:00:00 UTC)", text.Output);
    }

    [Fact]
    public async Task every_ref_is_scanned_branches_tags_every_stash_entry_and_notes()
    {
        _repo.Write("a.txt", "nothing\n").Commit("start");
        _repo.Git("checkout", "-q", "-b", "feature");
        var onBranch = Secrets.Replicate();
        _repo.Write("feature.txt", onBranch).Commit("feature");
        _repo.Git("checkout", "-q", "main");
        var tagged = Secrets.Google();
        _repo.Write("release.txt", tagged).Commit("release");
        _repo.Git("tag", "-a", "v1", "-m", "v1");
        _repo.Git("reset", "-q", "--hard", "HEAD~1");
        var olderStash = Secrets.AwsAccessKeyId();
        _repo.Write("a.txt", olderStash);
        _repo.Git("stash", "-q");
        var newerStash = Secrets.OpenAi();
        _repo.Write("a.txt", newerStash);
        _repo.Git("stash", "-q");
        var note = Secrets.Anthropic();
        _repo.Git("notes", "add", "-m", note, "HEAD");
        var blobOnlyTag = Secrets.OpenAiLegacy();
        _repo.Git("tag", "loose", WriteBlob(blobOnlyTag));

        var run = await Scanner.RunAsync(_repo.Path, "--git", "--format", "json");

        Assert.Equal(1, run.ExitCode);
        var fingerprints = run.Findings().Select(f => f.GetProperty("fingerprint").GetString()).ToHashSet();
        foreach (var secret in new[] { onBranch, tagged, olderStash, newerStash, note, blobOnlyTag })
            Assert.Contains(Governance.Scan.Detection.Detector.Fingerprint(secret), fingerprints);
    }

    private string WriteBlob(string content)
    {
        var file = _repo.File("blob.tmp");
        File.WriteAllText(file, content);
        var id = _repo.Git("hash-object", "-w", "blob.tmp");
        File.Delete(file);
        return id;
    }

    [Fact]
    public async Task a_shallow_clone_says_that_its_older_history_was_not_scanned()
    {
        _repo.Write("old.txt", Secrets.Google()).Commit("old", Introduced);
        _repo.Git("rm", "-q", "old.txt");
        _repo.Write("new.txt", "clean\n").Commit("new", Introduced.AddDays(1));
        using var clone = new GitRepo(init: false);
        clone.Git("clone", "-q", "--depth", "1", "file://" + _repo.Path, ".");

        var shallow = await Scanner.RunAsync(clone.Path, "--git");
        var full = await Scanner.RunAsync(_repo.Path, "--git");

        Assert.Equal((0, 1), (shallow.ExitCode, full.ExitCode));
        Assert.Contains("warning: this is a shallow clone: commits before its depth are not scanned", shallow.Output);
    }

    [Fact]
    public async Task a_repository_without_commits_has_nothing_to_find()
    {
        _repo.Write("staged.txt", Secrets.Google());

        var run = await Scanner.RunAsync(_repo.Path, "--git");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("no secrets found in 0 blobs", run.Output);
    }
}
