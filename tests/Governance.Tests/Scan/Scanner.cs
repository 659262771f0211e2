using System.Text.Json;
using Governance.Scan.Cli;

namespace Governance.Tests.Scan;

public sealed record ScanRun(int ExitCode, string Output, string Errors)
{
    public JsonElement Json() => JsonDocument.Parse(Output).RootElement;

    public IReadOnlyList<JsonElement> Findings() => Json().GetProperty("findings").EnumerateArray().ToList();

    public override string ToString() => $"exit {ExitCode}\n{Output}\n{Errors}";
}

/// <summary>Runs governance-scan in this process, as its Main would, with the environment and HTTP client a test gives it.</summary>
public static class Scanner
{
    public static Task<ScanRun> RunAsync(params string[] arguments) => RunAsync(arguments, new Dictionary<string, string>());

    public static async Task<ScanRun> RunAsync(string[] arguments, IReadOnlyDictionary<string, string> environment, Func<Uri, HttpClient>? http = null)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var host = new ScanHost(name => environment.GetValueOrDefault(name), http ?? (_ => throw new InvalidOperationException("this test gives the scanner no API")));
        var code = await ScanCommand.RunAsync(arguments, output, errors, host);
        return new ScanRun(code, output.ToString(), errors.ToString());
    }
}
