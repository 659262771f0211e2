using Governance.Scan.Findings;
using Governance.Scan.Reports;
using Governance.Scan.Response;
using Governance.Scan.Sources;

namespace Governance.Scan.Cli;

/// <summary>What the command takes from its process: environment variables (the token) and HTTP clients (tests pass their own).</summary>
public sealed record ScanHost(Func<string, string?> Variable, Func<Uri, HttpClient> HttpClient)
{
    public static ScanHost Process { get; } = new(Environment.GetEnvironmentVariable, GovernanceApi.CreateClient);
}

/// <summary>
/// The command, start to end:
/// 1. parse the command line (a usage error is exit code 2);
/// 2. scan the source (directory, history or index) into findings; of one secret at one path, keep where it appeared first;
/// 3. set aside the findings the baseline accepts (and, with --write-baseline, write every fingerprint);
/// 4. with --api, ask the gateway about each virtual key, and with --revoke revoke the live ones; match provider keys to
///    the gateway's providers by fingerprint;
/// 5. write the report; exit 1 when a live or unknown secret remains, 2 when the run could not finish.
/// </summary>
public static class ScanCommand
{
    public const int Clean = 0, Found = 1, Failed = 2;

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter errors, ScanHost host, CancellationToken ct = default)
    {
        ScanOptions? options;
        try
        {
            options = ScanOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            await errors.WriteLineAsync($"error: {e.Message}\n{ScanOptions.Usage}");
            return Failed;
        }
        if (options is null)
        {
            await output.WriteLineAsync(ScanOptions.Usage);
            return Clean;
        }

        try
        {
            var token = options.Api is null ? null : Token(options, host);
            var baseline = options.Baseline is null ? [] : Baseline.Read(options.Baseline);
            var sink = new ScanSink(options.MaxFileSize);
            await ScanAsync(options, sink, ct);
            var findings = FirstAppearances(sink.Result.Findings);
            if (options.WriteBaseline is not null)
                Baseline.Write(options.WriteBaseline, findings);
            var open = findings.Where(f => !baseline.Contains(f.Fingerprint)).ToList();

            using var http = options.Api is null ? null : host.HttpClient(options.Api);
            var keys = http is null ? null : new GovernanceApi(http, token!);
            // The same API matches provider keys by fingerprint (admin tokens only; others leave them unverified).
            var (outcomes, error) = await new LeakResponder(keys, providers: keys, options.Revoke).RespondAsync(open, ct);

            var report = new Report(options.Mode, sink.Result, outcomes, findings.Count - open.Count, error);
            await WriteAsync(report, options, output, errors);
            if (error is not null)
            {
                await errors.WriteLineAsync($"error: {Printable.Of(error)}");
                return Failed;
            }
            return options.WriteBaseline is null && report.LiveOrUnknown > 0 ? Found : Clean;
        }
        catch (ScanException e)
        {
            await errors.WriteLineAsync($"error: {Printable.Of(e.Message)}");
            return Failed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await errors.WriteLineAsync($"error: {Printable.Of(e.Message)}");
            return Failed;
        }
    }

    private static string Token(ScanOptions options, ScanHost host) =>
        host.Variable(options.TokenVariable)?.Trim() is { Length: > 0 } token
            ? token
            : throw new ScanException($"--api needs an operator token in the environment variable {options.TokenVariable} (it is never read from the command line)");

    private static Task ScanAsync(ScanOptions options, ScanSink sink, CancellationToken ct) => options.Mode switch
    {
        ScanMode.Git => new GitHistorySource(options.Path).ScanAsync(sink, ct),
        ScanMode.Staged => new StagedSource(options.Path).ScanAsync(sink, ct),
        _ => new DirectorySource(options.Path, options.FollowSymlinks).ScanAsync(sink, ct),
    };

    /// <summary>
    /// One finding per secret, path and line in a directory or the index; in the history, the same secret at the same path
    /// in many versions of a file is one finding, at the commit that introduced it (the oldest).
    /// </summary>
    public static List<Finding> FirstAppearances(IEnumerable<Finding> findings) => findings
        .GroupBy(f => (f.Fingerprint, f.Location.Path, Line: f.Location.Commit is null ? f.Location.Line : 0))
        .Select(g => g.OrderByDescending(f => f.Age).ThenBy(f => f.Location.Line).First())
        .OrderBy(f => f.Location.Path, StringComparer.Ordinal).ThenBy(f => f.Location.Line).ThenBy(f => f.Location.Column)
        .ToList();

    private static async Task WriteAsync(Report report, ScanOptions options, TextWriter output, TextWriter errors)
    {
        if (options.Format == Format.Text && options.Output is null)
        {
            TextReport.Write(report, output);
            return;
        }
        await using var file = options.Output is null ? null : File.Create(options.Output);
        using var buffer = new MemoryStream();
        switch (options.Format)
        {
            case Format.Json: JsonReport.Write(report, buffer); break;
            case Format.Sarif: SarifReport.Write(report, buffer); break;
            default:
                await using (var text = new StreamWriter(buffer, leaveOpen: true))
                    TextReport.Write(report, text);
                break;
        }
        if (file is not null)
        {
            buffer.Position = 0;
            await buffer.CopyToAsync(file);
            await output.WriteLineAsync(TextReport.Summary(report));
        }
        else
        {
            // Standard output carries the document alone; the summary goes to standard error.
            await output.WriteLineAsync(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
            await errors.WriteLineAsync(TextReport.Summary(report));
        }
    }
}
