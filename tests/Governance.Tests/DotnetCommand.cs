using System.Diagnostics;

namespace Governance.Tests;

/// <summary>A console program of this solution (its build output is copied beside the tests), run as a user runs it: its own process.</summary>
public static class DotnetCommand
{
    public static string PathOf(string assembly) => Path.Combine(AppContext.BaseDirectory, assembly);

    /// <summary>Runs <paramref name="assembly"/> with <c>dotnet</c> to its end: the exit code and standard output followed by standard error.</summary>
    public static (int Code, string Output) Run(string assembly, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(PathOf(assembly));
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result + error.Result);
    }
}
