using System.Text.Encodings.Web;
using System.Text.Json;
using Governance.Scan.Detection;
using Governance.Scan.Findings;
using Governance.Scan.Response;

namespace Governance.Scan.Reports;

/// <summary>
/// SARIF 2.1.0, as code-scanning tools read it: every rule in tool.driver.rules, one result per finding with its
/// physical location (relative to SRCROOT, the scanned root) and the secret's fingerprint as a partial fingerprint
/// (so a tool tracks a finding across runs), the repository in versionControlProvenance, and skipped content as
/// tool execution notifications.
/// </summary>
public static class SarifReport
{
    public const string FingerprintKey = "secretSha256/v1";

    public static void Write(Report report, Stream output)
    {
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        var result = report.Result;
        json.WriteStartObject();
        json.WriteString("$schema", "https://json.schemastore.org/sarif-2.1.0.json");
        json.WriteString("version", "2.1.0");
        json.WriteStartArray("runs");
        json.WriteStartObject();

        json.WriteStartObject("tool");
        json.WriteStartObject("driver");
        json.WriteString("name", Report.Tool);
        json.WriteString("version", Report.Version);
        json.WriteString("semanticVersion", Report.Version);
        json.WriteStartArray("rules");
        foreach (var rule in SecretRules.All)
            WriteRule(json, rule);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();

        json.WriteStartArray("invocations");
        json.WriteStartObject();
        json.WriteBoolean("executionSuccessful", report.Error is null);
        json.WriteStartArray("toolExecutionNotifications");
        foreach (var skipped in report.Notable)
        {
            json.WriteStartObject();
            json.WriteString("level", skipped.Reason is SkipReason.TooLarge or SkipReason.Unreadable ? "warning" : "note");
            WriteMessage(json, $"Skipped ({Report.Name(skipped.Reason)}): {skipped.Detail}");
            json.WriteStartArray("locations");
            WriteLocation(json, skipped.Path, null);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        if (report.Error is not null)
        {
            json.WriteStartObject();
            json.WriteString("level", "error");
            WriteMessage(json, report.Error);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();

        json.WriteStartObject("originalUriBaseIds");
        json.WriteStartObject("SRCROOT");
        json.WriteString("uri", new Uri(Path.TrimEndingDirectorySeparator(result.Root) + "/").AbsoluteUri);
        json.WriteEndObject();
        json.WriteEndObject();

        if (result.Repository is { } repository)
        {
            json.WriteStartArray("versionControlProvenance");
            json.WriteStartObject();
            json.WriteString("repositoryUri", repository.Uri);
            if (repository.Head is not null)
                json.WriteString("revisionId", repository.Head);
            if (repository.Branch is not null)
                json.WriteString("branch", repository.Branch);
            json.WriteStartObject("mappedTo");
            json.WriteString("uriBaseId", "SRCROOT");
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndArray();
        }

        json.WriteStartArray("results");
        foreach (var outcome in report.Outcomes)
            WriteResult(json, outcome);
        json.WriteEndArray();
        json.WriteString("columnKind", "utf16CodeUnits");
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteRule(Utf8JsonWriter json, SecretRule rule)
    {
        json.WriteStartObject();
        json.WriteString("id", rule.Id);
        json.WriteString("name", rule.Name);
        json.WriteStartObject("shortDescription");
        json.WriteString("text", rule.Title + ".");
        json.WriteEndObject();
        json.WriteStartObject("fullDescription");
        json.WriteString("text", rule.Help);
        json.WriteEndObject();
        json.WriteStartObject("help");
        json.WriteString("text", rule.Help);
        json.WriteEndObject();
        json.WriteStartObject("defaultConfiguration");
        json.WriteString("level", rule.Confidence == Confidence.Low ? "warning" : "error");
        json.WriteEndObject();
        json.WriteStartObject("properties");
        json.WriteString("precision", rule.Confidence switch { Confidence.High => "very-high", Confidence.Medium => "high", _ => "medium" });
        json.WriteString("security-severity", rule.Confidence == Confidence.Low ? "7.0" : "9.0");
        json.WriteStartArray("tags");
        json.WriteStringValue("security");
        json.WriteStringValue("secret");
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteResult(Utf8JsonWriter json, Outcome outcome)
    {
        var (finding, location) = (outcome.Finding, outcome.Finding.Location);
        json.WriteStartObject();
        json.WriteString("ruleId", finding.Rule.Id);
        json.WriteNumber("ruleIndex", IndexOf(finding.Rule));
        json.WriteString("level", outcome.Status == Status.AlreadyRevoked ? "note" : finding.Rule.Confidence == Confidence.Low ? "warning" : "error");
        var where = location.Commit is null ? "" : $" It was introduced in commit {location.Commit}.";
        WriteMessage(json, $"{finding.Rule.Title} {finding.Preview}: {Outcome.Describe(outcome.Status)}{(outcome.Detail is null ? "" : $" ({outcome.Detail})")}.{where}");
        json.WriteStartArray("locations");
        WriteLocation(json, location.Path, location);
        json.WriteEndArray();
        json.WriteStartObject("partialFingerprints");
        json.WriteString(FingerprintKey, finding.Fingerprint);
        json.WriteEndObject();
        json.WriteStartObject("properties");
        json.WriteString("confidence", Report.Name(finding.Rule.Confidence));
        json.WriteString("status", Outcome.Name(outcome.Status));
        if (finding.KeyId is not null)
            json.WriteString("keyId", finding.KeyId);
        if (location.Commit is not null)
            json.WriteString("commit", location.Commit);
        if (location.AuthorTime is { } time)
            json.WriteString("authorTime", time.UtcDateTime);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static int IndexOf(SecretRule rule)
    {
        for (var i = 0; i < SecretRules.All.Count; i++)
            if (SecretRules.All[i] == rule)
                return i;
        throw new ArgumentException($"unknown rule {rule.Id}", nameof(rule));
    }

    private static void WriteLocation(Utf8JsonWriter json, string path, Location? region)
    {
        json.WriteStartObject();
        json.WriteStartObject("physicalLocation");
        json.WriteStartObject("artifactLocation");
        json.WriteString("uri", string.Join('/', path.Split('/').Select(Uri.EscapeDataString)));
        json.WriteString("uriBaseId", "SRCROOT");
        json.WriteEndObject();
        if (region is not null)
        {
            json.WriteStartObject("region");
            json.WriteNumber("startLine", region.Line);
            json.WriteNumber("startColumn", region.Column);
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteMessage(Utf8JsonWriter json, string text)
    {
        json.WriteStartObject("message");
        json.WriteString("text", text);
        json.WriteEndObject();
    }
}
