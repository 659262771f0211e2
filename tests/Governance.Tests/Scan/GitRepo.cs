using System.Diagnostics;

namespace Governance.Tests.Scan;

/// <summary>
/// A real git repository in a temporary directory, built with the git CLI. Author and committer dates are set per commit,
/// so a test can assert the time a finding reports; the machine's git configuration is not read.
/// </summary>
public sealed class GitRepo : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("scan-repo-").FullName;

    public GitRepo(bool init = true)
    {
        if (init)
            Git("init", "-q", "-b", "main");
    }

    public string File(string relative) => System.IO.Path.Combine(Path, relative);

    public GitRepo Write(string relative, string content)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(File(relative))!);
        System.IO.File.WriteAllText(File(relative), content);
        return this;
    }

    /// <summary>Stages everything and commits it; returns the commit's id.</summary>
    public string Commit(string message, DateTimeOffset? authored = null)
    {
        Git("add", "-A");
        var date = (authored ?? new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero)).ToString("yyyy-MM-ddTHH:mm:sszzz");
        Git(["commit", "-q", "--allow-empty", "-m", message], ("GIT_AUTHOR_DATE", date), ("GIT_COMMITTER_DATE", date));
        return Git("rev-parse", "HEAD");
    }

    public string Git(params string[] arguments) => Git(arguments, []);

    public string Git(string[] arguments, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path };
        foreach (var (name, value) in new[] { ("user.name", "Scan Test"), ("user.email", "scan@test.invalid"), ("commit.gpgsign", "false"), ("protocol.file.allow", "always") })
        {
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add($"{name}={value}");
        }
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed: {error.Result}");
        return output.Result.Trim();
    }

    public void Dispose()
    {
        // Git writes its objects read-only.
        foreach (var file in Directory.EnumerateFiles(Path, "*", SearchOption.AllDirectories))
            System.IO.File.SetAttributes(file, FileAttributes.Normal);
        Directory.Delete(Path, recursive: true);
    }
}
