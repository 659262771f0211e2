namespace Governance.Tests.Scan;

/// <summary>The built command as a pre-commit hook and a CI step run it: a separate process, its exit code, the index.</summary>
public sealed class when_the_scanner_guards_commits : IDisposable
{
    private static readonly string Command = DotnetCommand.PathOf("governance-scan.dll");
    private readonly GitRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task staged_content_is_scanned_not_the_working_tree()
    {
        var staged = Secrets.VirtualKey();
        _repo.Write("app.py", $"KEY = '{staged}'\n");
        _repo.Git("add", "app.py");
        // Fixed in the working tree but not staged: the commit would still record the key.
        _repo.Write("app.py", "KEY = os.environ['KEY']\n").Write("notes.txt", Secrets.Google());

        var run = await Scanner.RunAsync(_repo.Path, "--staged", "--format", "json");

        Assert.Equal(1, run.ExitCode);
        var finding = Assert.Single(run.Findings());
        Assert.Equal(("app.py", staged[3..19]), (finding.GetProperty("path").GetString(), finding.GetProperty("keyId").GetString()));
    }

    [Fact]
    public async Task a_clean_index_exits_0()
    {
        _repo.Write("a.txt", "hello\n").Commit("one");
        _repo.Write("b.txt", "world\n");
        _repo.Git("add", "b.txt");

        var run = await Scanner.RunAsync(_repo.Path, "--staged");

        Assert.Equal(0, run.ExitCode);
    }

    [Fact]
    public void the_documented_pre_commit_hook_blocks_a_commit_that_holds_a_key_and_lets_a_clean_one_through()
    {
        var hook = _repo.File(".git/hooks/pre-commit");
        File.WriteAllText(hook, $"#!/bin/sh\nexec dotnet '{Command}' --staged\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var secret = Secrets.OpenAi();
        _repo.Write("clean.txt", "hello\n").Commit("clean");

        _repo.Write(".env", $"OPENAI_API_KEY={secret}\n");
        var blocked = Assert.Throws<InvalidOperationException>(() => _repo.Commit("leak"));

        Assert.Contains(".env:1:16  openai-api-key (high)  sk-proj-…", blocked.Message);
        Assert.DoesNotContain(secret, blocked.Message);
        Assert.Equal("clean", _repo.Git("log", "-1", "--format=%s"));
    }

    [Fact]
    public void as_a_process_it_exits_0_1_or_2_and_writes_sarif_to_a_file()
    {
        _repo.Write("clean.txt", "hello\n");
        var clean = Run(_repo.Path);
        _repo.Write("leak.txt", Secrets.Anthropic());
        var sarif = Path.Combine(_repo.Path, ".git", "out.sarif");
        var found = Run(_repo.Path, "--format", "sarif", "--output", sarif);
        var usage = Run("--max-file-size", "lots");

        Assert.Equal(0, clean.Code);
        Assert.Equal(1, found.Code);
        Assert.Contains("1 secret found", found.Output);
        Assert.Contains("\"ruleId\": \"anthropic-api-key\"", File.ReadAllText(sarif));
        Assert.Equal(2, usage.Code);
    }

    private static (int Code, string Output) Run(params string[] arguments) => DotnetCommand.Run("governance-scan.dll", arguments);
}
