using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Governance.Scan.Sources;

/// <summary>
/// One git command with its output as a stream. Git reads the repository (packs, deltas, alternates); this only reads
/// what git prints. Git never waits for a terminal (no prompt, standard input redirected), takes no optional locks,
/// and a failure is a <see cref="ScanException"/> that quotes git's own message.
/// </summary>
internal sealed class GitProcess : IAsyncDisposable
{
    private const int MaxErrorChars = 4000;
    private readonly Process _process;
    private readonly Task<string> _errors;
    private readonly string _command;

    private GitProcess(Process process, string command)
    {
        _process = process;
        _command = command;
        _errors = ReadBoundedAsync(process.StandardError);
    }

    private static readonly string[] Settings = ["core.fsmonitor=false", "color.ui=false", "log.showSignature=false", "diff.relative=false"];

    public Stream Output => _process.StandardOutput.BaseStream;

    public Stream Input => _process.StandardInput.BaseStream;

    public static GitProcess Start(string repository, IReadOnlyList<string> arguments, bool input = false)
    {
        var start = new ProcessStartInfo("git")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-C");
        start.ArgumentList.Add(repository);
        // The repository's (or the user's) configuration must not change what git prints to this parser or run
        // anything: no fsmonitor hook, no colour codes, no signature lines, no paths made relative to a subdirectory.
        foreach (var setting in Settings)
        {
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(setting);
        }
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        start.Environment["GIT_OPTIONAL_LOCKS"] = "0";
        start.Environment["LC_ALL"] = "C";
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new ScanException("git could not be started");
        }
        catch (Win32Exception e)
        {
            throw new ScanException($"git could not be started ({e.Message}); --git and --staged need git on the PATH");
        }
        var git = new GitProcess(process, arguments.FirstOrDefault(a => !a.StartsWith('-')) ?? "git");
        if (!input)
            process.StandardInput.Close();
        return git;
    }

    /// <summary>Runs a short command to its end; its output, or null when it exits with <paramref name="absentCode"/> (e.g. 1: "no such ref").</summary>
    public static async Task<string?> RunAsync(string repository, IReadOnlyList<string> arguments, CancellationToken ct, int? absentCode = null)
    {
        await using var git = Start(repository, arguments);
        using var reader = new StreamReader(git.Output, Encoding.UTF8);
        var output = await reader.ReadToEndAsync(ct);
        var code = await git.ExitAsync(ct);
        if (code == absentCode)
            return null;
        await git.ThrowIfFailedAsync(code);
        return output.TrimEnd('\n');
    }

    /// <summary>Waits for git to end; throws when it failed.</summary>
    public async Task CompleteAsync(CancellationToken ct) => await ThrowIfFailedAsync(await ExitAsync(ct));

    private async Task<int> ExitAsync(CancellationToken ct)
    {
        await _process.WaitForExitAsync(ct);
        return _process.ExitCode;
    }

    private async Task ThrowIfFailedAsync(int code)
    {
        if (code == 0)
            return;
        var message = string.Join("; ", (await _errors).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct());
        throw new ScanException($"git {_command} failed (exit code {code}): {(message.Length == 0 ? "no message" : message)}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // it ended in between
            }
        }
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    /// <summary>Keeps the first few thousand characters of git's errors and drains the rest, so git never blocks on a full pipe.</summary>
    private static async Task<string> ReadBoundedAsync(StreamReader errors)
    {
        var kept = new StringBuilder();
        var buffer = new char[4096];
        int read;
        while ((read = await errors.ReadAsync(buffer)) > 0)
            if (kept.Length < MaxErrorChars)
                kept.Append(buffer, 0, Math.Min(read, MaxErrorChars - kept.Length));
        return kept.ToString();
    }
}
