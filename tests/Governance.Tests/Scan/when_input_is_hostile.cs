using System.Diagnostics;
using System.Text;

namespace Governance.Tests.Scan;

/// <summary>Binary and huge files, link loops, FIFOs, submodules, invalid UTF-8, corrupt repositories, bad arguments: never a crash, never an endless run.</summary>
public sealed class when_input_is_hostile : IDisposable
{
    private readonly GitRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task binary_content_is_skipped_by_its_nul_bytes_and_counted()
    {
        File.WriteAllBytes(_repo.File("image.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 0, 0, .. Encoding.ASCII.GetBytes(Secrets.Google())]);
        _repo.Commit("binary");

        var directory = await Scanner.RunAsync(_repo.Path);
        var history = await Scanner.RunAsync(_repo.Path, "--git");

        Assert.Equal((0, 0), (directory.ExitCode, history.ExitCode));
        Assert.Contains("skipped: 1 binary", directory.Output);
        Assert.Contains("skipped: 1 binary", history.Output);
    }

    [Fact]
    public async Task content_over_the_size_limit_is_reported_as_skipped_and_never_read()
    {
        _repo.Write("dump.sql", new string('x', 5000) + Secrets.Google()).Write("small.txt", Secrets.Replicate());
        var commit = _repo.Commit("big");

        var directory = await Scanner.RunAsync(_repo.Path, "--max-file-size", "4k", "--format", "json");
        var history = await Scanner.RunAsync(_repo.Path, "--git", "--max-file-size", "4096", "--format", "json");

        foreach (var run in new[] { directory, history })
        {
            Assert.Equal(1, run.ExitCode);
            Assert.Equal("small.txt", Assert.Single(run.Findings()).GetProperty("path").GetString());
            var skipped = Assert.Single(run.Json().GetProperty("skipped").EnumerateArray());
            Assert.Equal(("dump.sql", "too_large"), (skipped.GetProperty("path").GetString(), skipped.GetProperty("reason").GetString()));
        }
        Assert.Equal(commit, history.Json().GetProperty("skipped")[0].GetProperty("commit").GetString());
    }

    [Fact]
    public async Task a_symbolic_link_loop_ends_whether_links_are_followed_or_not()
    {
        _repo.Write("tree/inner/key.txt", Secrets.Google());
        File.CreateSymbolicLink(_repo.File("tree/inner/up"), "..");
        File.CreateSymbolicLink(_repo.File("tree/self"), "self");
        File.CreateSymbolicLink(_repo.File("tree/key-link.txt"), "inner/key.txt");

        // On a thread of its own: a scan that looped would fail the test by its timeout instead of hanging the run.
        var plain = await Task.Run(() => Scanner.RunAsync(_repo.File("tree"), "--format", "json")).WaitAsync(TimeSpan.FromSeconds(60));
        var followed = await Task.Run(() => Scanner.RunAsync(_repo.File("tree"), "--follow-symlinks", "--format", "json")).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(["inner/key.txt"], plain.Findings().Select(f => f.GetProperty("path").GetString()));
        Assert.Contains("skipped: 3 symlink", plain.Errors);
        Assert.Equal(["inner/key.txt", "key-link.txt"], followed.Findings().Select(f => f.GetProperty("path").GetString()));
        var skipped = followed.Json().GetProperty("skipped").EnumerateArray().Select(s => (s.GetProperty("path").GetString(), s.GetProperty("reason").GetString())).ToList();
        Assert.Contains(("inner/up", "symlink_loop"), skipped);
        Assert.Contains(("self", "unreadable"), skipped);
    }

    [Fact]
    public async Task a_fifo_does_not_block_the_scan()
    {
        using (var mkfifo = Process.Start("mkfifo", [_repo.File("pipe")]))
            await mkfifo.WaitForExitAsync();
        _repo.Write("key.txt", Secrets.Google());

        // On a thread of its own: opening the FIFO would block until a writer came, and the timeout fails the test instead.
        var run = await Task.Run(() => Scanner.RunAsync(_repo.Path)).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, run.ExitCode);
    }

    [Fact]
    public async Task a_submodule_is_reported_and_not_entered()
    {
        using var inner = new GitRepo();
        inner.Write("inner-secret.txt", Secrets.Google()).Commit("inner");
        _repo.Write("outer.txt", "outer\n").Commit("outer");
        _repo.Git("submodule", "add", "-q", inner.Path, "vendor/lib");
        _repo.Commit("add submodule");

        var directory = await Scanner.RunAsync(_repo.Path, "--format", "json");
        var history = await Scanner.RunAsync(_repo.Path, "--git", "--format", "json");

        foreach (var run in new[] { directory, history })
        {
            Assert.Equal(0, run.ExitCode);
            Assert.Empty(run.Findings());
            var skipped = Assert.Single(run.Json().GetProperty("skipped").EnumerateArray());
            Assert.Equal(("vendor/lib", "submodule"), (skipped.GetProperty("path").GetString(), skipped.GetProperty("reason").GetString()));
        }
    }

    [Fact]
    public async Task content_that_is_not_utf8_is_still_scanned()
    {
        var key = Secrets.VirtualKey();
        File.WriteAllBytes(_repo.File("latin1.txt"), [.. "caf"u8, 0xE9, (byte)' ', 0xFF, 0xFE, 0xC3, (byte)' ', .. Encoding.ASCII.GetBytes(key), 0x80, (byte)'\n']);
        File.WriteAllBytes(_repo.File("nonutf8-\u00e9.txt"), [0xC0, 0xAF, 0xED, 0xA0, 0x80, (byte)'\n', .. Encoding.ASCII.GetBytes(Secrets.Google())]);
        _repo.Commit("bytes");

        var directory = await Scanner.RunAsync(_repo.Path, "--format", "json");
        var history = await Scanner.RunAsync(_repo.Path, "--git", "--format", "json");

        foreach (var run in new[] { directory, history })
        {
            Assert.Equal(1, run.ExitCode);
            var found = run.Findings();
            Assert.Equal(2, found.Count);
            var virtualKey = found.Single(f => f.GetProperty("path").GetString() == "latin1.txt");
            // "caf\xE9 \xFF\xFE\xC3 ": each invalid byte is one replacement character, so the key starts at UTF-16 column 10.
            Assert.Equal((1, 10), (virtualKey.GetProperty("line").GetInt32(), virtualKey.GetProperty("column").GetInt32()));
            Assert.Equal(key[3..19], virtualKey.GetProperty("keyId").GetString());
        }
    }

    [Fact]
    public async Task the_repositorys_own_configuration_cannot_change_what_git_tells_the_scanner_or_run_a_command()
    {
        var commit = _repo.Write("top.txt", Secrets.Google()).Write("sub/dir/a.txt", "x\n").Commit("one");
        var marker = _repo.File(".git/fsmonitor-ran");
        File.WriteAllText(_repo.File(".git/fsmonitor.sh"), $"#!/bin/sh\ntouch '{marker}'\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(_repo.File(".git/fsmonitor.sh"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
        foreach (var (name, value) in new[] { ("color.ui", "always"), ("log.showSignature", "true"), ("diff.relative", "true"), ("core.fsmonitor", _repo.File(".git/fsmonitor.sh")) })
            _repo.Git("config", name, value);
        _repo.Write("staged.txt", Secrets.Replicate());
        _repo.Git("add", "staged.txt");
        File.Delete(marker); // git add itself runs the hook; the scanner's commands must not

        var history = await Scanner.RunAsync(_repo.File("sub/dir"), "--git", "--format", "json");
        var staged = await Scanner.RunAsync(_repo.File("sub/dir"), "--staged", "--format", "json");

        var found = Assert.Single(history.Findings());
        Assert.Equal(("top.txt", commit), (found.GetProperty("path").GetString(), found.GetProperty("commit").GetString()));
        Assert.Equal("staged.txt", Assert.Single(staged.Findings()).GetProperty("path").GetString());
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task a_corrupt_repository_is_a_clear_error_with_exit_code_2()
    {
        _repo.Write("a.txt", Secrets.Google()).Commit("one");
        var tree = _repo.Git("rev-parse", "HEAD^{tree}");
        var objectFile = _repo.File($".git/objects/{tree[..2]}/{tree[2..]}");
        File.SetAttributes(objectFile, FileAttributes.Normal);
        File.WriteAllText(objectFile, "not a zlib stream");

        var run = await Scanner.RunAsync(_repo.Path, "--git").WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("error: git log failed", run.Errors);
        Assert.Contains("corrupt", run.Errors);
    }

    [Fact]
    public async Task a_missing_blob_is_a_clear_error_with_exit_code_2()
    {
        _repo.Write("a.txt", "hello\n").Commit("one");
        var blob = _repo.Git("rev-parse", "HEAD:a.txt");
        File.Delete(_repo.File($".git/objects/{blob[..2]}/{blob[2..]}"));

        var run = await Scanner.RunAsync(_repo.Path, "--git");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("missing", run.Errors);
        Assert.Contains(blob, run.Errors);
    }

    [Fact]
    public async Task a_directory_that_is_not_a_repository_is_an_error_with_exit_code_2()
    {
        using var plain = new GitRepo(init: false);

        var run = await Scanner.RunAsync(plain.Path, "--git");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("not a git repository", run.Errors);
    }

    [Theory]
    [InlineData("--max-file-size", "10x", "--max-file-size: '10x' is not a size")]
    [InlineData("--max-file-size", "-5", "--max-file-size: '-5' is not a size")]
    [InlineData("--max-file-size", "99999999999999999999g", "is not a size")]
    [InlineData("--max-file-size", "2g", "outside 1 byte .. 1g")]
    [InlineData("--format", "xml", "--format: 'xml' is not one of text, json, sarif")]
    [InlineData("--revoke", "--git", "--revoke needs --api URL")]
    [InlineData("--api", "http://governance.example.test", "plain http is allowed to a loopback address only")]
    [InlineData("--api", "https://user:pw@governance.example.test", "may not carry credentials")]
    [InlineData("--token=s3cr3t", "--git", "--token: the token is read from an environment variable only")]
    [InlineData("--git", "--staged", "--git and --staged exclude each other")]
    [InlineData("--bogus", ".", "unknown option '--bogus'")]
    public async Task a_bad_argument_is_a_usage_error_with_exit_code_2(string first, string second, string message)
    {
        var run = await Scanner.RunAsync(first, second);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Errors);
        Assert.DoesNotContain("s3cr3t", run.Errors);
    }
}
