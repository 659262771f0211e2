using System.Diagnostics;
using System.Text.Json;

namespace Governance.Tests.Scan;

/// <summary>
/// Microsoft's SARIF multitool (npm package @microsoft/sarif-multitool-linux, pinned in scripts/sarif.sh, which ./test.sh
/// runs): validates a log against the SARIF 2.1.0 JSON schema and the SARIF rules. Its exit code is 0 whatever it finds,
/// so the findings are read from the log it writes.
/// </summary>
public static class SarifValidator
{
    public static string Path => Environment.GetEnvironmentVariable("GOVERNANCE_SARIF_MULTITOOL")
        ?? System.IO.Path.Combine(RepositoryRoot(), ".tools", "sarif-multitool", "node_modules", "@microsoft", "sarif-multitool-linux", "Sarif.Multitool");

    /// <summary>Each problem the validator reports: (level, rule id, message).</summary>
    public static IReadOnlyList<(string Level, string Rule, string Message)> Validate(string sarifFile)
    {
        if (!File.Exists(Path))
            throw new InvalidOperationException(
                $"The SARIF multitool was not found at {Path}; the scanner's SARIF test needs it. Install it with scripts/sarif.sh " +
                "(./test.sh does this) or set GOVERNANCE_SARIF_MULTITOOL to its binary.");
        var output = sarifFile + ".validation.sarif";
        var start = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "validate", sarifFile, "--output", output, "--log", "ForceOverwrite" })
            start.ArgumentList.Add(argument);
        // A self-contained .NET app: without this it would look for ICU, which a minimal image may lack.
        start.Environment["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("the SARIF multitool did not finish in 2 minutes");
        }
        if (process.ExitCode != 0 || !File.Exists(output))
            throw new InvalidOperationException($"the SARIF multitool failed (exit code {process.ExitCode}): {stdout.Result}{stderr.Result}");
        using var log = JsonDocument.Parse(File.ReadAllText(output));
        return log.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray()
            // SARIF's default level is "warning": the validator leaves it out then.
            .Select(r => (r.TryGetProperty("level", out var level) ? level.GetString()! : "warning", r.GetProperty("ruleId").GetString()!, r.GetProperty("message").ToString()))
            .ToList();
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "Governance.sln")))
                return directory.FullName;
        throw new InvalidOperationException("Governance.sln not found above " + AppContext.BaseDirectory);
    }
}
