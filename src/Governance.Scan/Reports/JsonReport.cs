using System.Text.Encodings.Web;
using System.Text.Json;
using Governance.Scan.Response;

namespace Governance.Scan.Reports;

/// <summary>The report as one JSON document (written field by field: no reflection, so the tool starts fast).</summary>
public static class JsonReport
{
    public static void Write(Report report, Stream output)
    {
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        var result = report.Result;
        json.WriteStartObject();
        json.WriteString("tool", Report.Tool);
        json.WriteString("version", Report.Version);
        json.WriteString("mode", report.Mode.ToString().ToLowerInvariant());
        json.WriteString("root", result.Root);
        if (result.Repository is { } repository)
        {
            json.WriteStartObject("repository");
            json.WriteString("uri", repository.Uri);
            json.WriteString("head", repository.Head);
            json.WriteString("branch", repository.Branch);
            json.WriteEndObject();
        }
        json.WriteStartObject("summary");
        json.WriteNumber("findings", report.Outcomes.Count);
        json.WriteNumber("liveOrUnknown", report.LiveOrUnknown);
        json.WriteNumber("baselined", report.Baselined);
        json.WriteNumber("contentsScanned", result.ContentsScanned);
        json.WriteNumber("bytesScanned", result.BytesScanned);
        json.WriteNumber("skipped", result.Skipped.Count);
        json.WriteEndObject();

        json.WriteStartArray("findings");
        foreach (var outcome in report.Outcomes)
            WriteFinding(json, outcome);
        json.WriteEndArray();

        json.WriteStartArray("skipped");
        foreach (var skipped in report.Notable)
        {
            json.WriteStartObject();
            json.WriteString("path", skipped.Path);
            json.WriteString("reason", Report.Name(skipped.Reason));
            json.WriteString("detail", skipped.Detail);
            if (skipped.Commit is not null)
                json.WriteString("commit", skipped.Commit);
            json.WriteEndObject();
        }
        json.WriteEndArray();

        json.WriteStartArray("warnings");
        foreach (var warning in result.Warnings)
            json.WriteStringValue(warning);
        json.WriteEndArray();
        json.WriteString("error", report.Error);
        json.WriteEndObject();
    }

    private static void WriteFinding(Utf8JsonWriter json, Outcome outcome)
    {
        var (finding, location) = (outcome.Finding, outcome.Finding.Location);
        json.WriteStartObject();
        json.WriteString("rule", finding.Rule.Id);
        json.WriteString("title", finding.Rule.Title);
        json.WriteString("confidence", Report.Name(finding.Rule.Confidence));
        json.WriteString("path", location.Path);
        json.WriteNumber("line", location.Line);
        json.WriteNumber("column", location.Column);
        json.WriteString("commit", location.Commit);
        if (location.AuthorTime is { } time)
            json.WriteString("authorTime", time.UtcDateTime);
        else
            json.WriteNull("authorTime");
        json.WriteString("fingerprint", finding.Fingerprint);
        json.WriteString("preview", finding.Preview);
        json.WriteString("keyId", finding.KeyId);
        json.WriteString("status", Outcome.Name(outcome.Status));
        json.WriteString("detail", outcome.Detail);
        json.WriteEndObject();
    }
}
