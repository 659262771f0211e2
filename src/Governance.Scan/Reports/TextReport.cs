using System.Globalization;
using Governance.Scan.Response;
using Governance.Scan.Sources;

namespace Governance.Scan.Reports;

/// <summary>One line per finding, then what was skipped, then a summary line.</summary>
public static class TextReport
{
    public static void Write(Report report, TextWriter output)
    {
        foreach (var outcome in report.Outcomes)
            output.WriteLine(Line(outcome));
        foreach (var skipped in report.Notable)
            output.WriteLine($"skipped {Printable.Of(skipped.Path)}{(skipped.Commit is null ? "" : $" (commit {skipped.Commit[..12]})")}: {Printable.Of(skipped.Detail)}");
        foreach (var warning in report.Result.Warnings)
            output.WriteLine($"warning: {warning}");
        output.WriteLine(Summary(report));
    }

    public static string Line(Outcome outcome)
    {
        var (finding, location) = (outcome.Finding, outcome.Finding.Location);
        var status = Outcome.Describe(outcome.Status) + (outcome.Detail is null ? "" : $" ({Printable.Of(outcome.Detail)})");
        var commit = location.Commit is null ? "" : $"  introduced in {location.Commit[..12]}" +
            (location.AuthorTime is { } time ? $" (authored {time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC)" : "");
        return $"{Printable.Of(location.Path)}:{location.Line}:{location.Column}  {finding.Rule.Id} ({Report.Name(finding.Rule.Confidence)})  {finding.Preview}  {status}{commit}";
    }

    public static string Summary(Report report)
    {
        var result = report.Result;
        var found = report.Outcomes.Count == 0 ? "no secrets found" : $"{report.Outcomes.Count} secret{(report.Outcomes.Count == 1 ? "" : "s")} found ({report.LiveOrUnknown} live or unknown)";
        var unit = (report.Mode == ScanMode.Git ? "blob" : "file") + (result.ContentsScanned == 1 ? "" : "s");
        var parts = new List<string> { $"{Report.Tool}: {found} in {result.ContentsScanned} {unit} ({ScanSink.Size(result.BytesScanned)})" };
        if (report.Baselined > 0)
            parts.Add($"{report.Baselined} baselined");
        var skipped = result.Skipped.GroupBy(s => s.Reason).OrderBy(g => g.Key).Select(g => $"{g.Count()} {Report.Name(g.Key).Replace('_', ' ')}").ToList();
        if (skipped.Count > 0)
            parts.Add("skipped: " + string.Join(", ", skipped));
        if (report.Error is not null)
            parts.Add("error: " + Printable.Of(report.Error));
        return string.Join("; ", parts);
    }
}
