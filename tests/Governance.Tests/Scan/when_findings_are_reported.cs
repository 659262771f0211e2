using System.Text.Json;

namespace Governance.Tests.Scan;

public sealed class when_findings_are_reported : IDisposable
{
    private readonly GitRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    private string[] PlantEveryShape()
    {
        string[] secrets = [Secrets.VirtualKey(), Secrets.OpenAi(), Secrets.OpenAiLegacy(), Secrets.Anthropic(), Secrets.AwsAccessKeyId(), Secrets.Google(), Secrets.Replicate(), Secrets.Hex32()];
        _repo.Write("config/all.env", string.Join('\n', secrets[..^1].Select((s, i) => $"K{i}={s}")) + $"\nAZURE_OPENAI_KEY={secrets[^1]}\n");
        _repo.Commit("every shape", new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero));
        _repo.Git("rm", "-q", "config/all.env");
        _repo.Commit("gone");
        // Back in the working tree, uncommitted: a directory scan finds the same secrets.
        _repo.Write("config/all.env", string.Join('\n', secrets[..^1].Select((s, i) => $"K{i}={s}")) + $"\nAZURE_OPENAI_KEY={secrets[^1]}\n");
        return secrets;
    }

    [Fact]
    public async Task no_output_ever_holds_a_whole_secret_only_prefixes_key_ids_and_fingerprints()
    {
        var secrets = PlantEveryShape();
        var baseline = Path.Combine(_repo.Path, ".git", "baseline.txt");
        var runs = new List<ScanRun>();
        foreach (var format in new[] { "text", "json", "sarif" })
        {
            runs.Add(await Scanner.RunAsync(_repo.Path, "--git", "--format", format));
            runs.Add(await Scanner.RunAsync(_repo.File("config"), "--format", format));
        }
        runs.Add(await Scanner.RunAsync(_repo.Path, "--git", "--write-baseline", baseline));

        var everything = string.Join('\n', runs.Select(r => r.Output + r.Errors)) + File.ReadAllText(baseline);
        Assert.Equal(8, JsonDocument.Parse(runs[2].Output).RootElement.GetProperty("findings").GetArrayLength());
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, everything);
            Assert.DoesNotContain(Secrets.Tail(secret), everything);
            Assert.Contains(Governance.Scan.Detection.Detector.Fingerprint(secret), everything);
        }
        Assert.Contains($"gk_{secrets[0][3..19]}_…", everything);
    }

    [Fact]
    public async Task the_sarif_report_validates_against_the_sarif_2_1_0_schema()
    {
        PlantEveryShape();
        _repo.Git("remote", "add", "origin", "https://ci-bot:ghp_notARealToken0123456789@example.test/org/service.git");
        var sarif = Path.Combine(_repo.Path, ".git", "scan.sarif");

        var run = await Scanner.RunAsync(_repo.Path, "--git", "--format", "sarif", "--output", sarif);

        Assert.Equal(1, run.ExitCode);
        // The validator is real: a broken copy of the same log must fail it, or a pass would prove nothing.
        var broken = sarif + ".broken.sarif";
        File.WriteAllText(broken, File.ReadAllText(sarif).Replace("\"startLine\": ", "\"startLine\": -"));
        Assert.Contains(SarifValidator.Validate(broken), problem => problem.Level == "error");
        var problems = SarifValidator.Validate(sarif);
        Assert.DoesNotContain(problems, p => p.Level == "error");
        // The one warning left: no informationUri, for a tool that has no public home page.
        Assert.All(problems, p => Assert.Equal("SARIF2005", p.Rule));

        using var log = JsonDocument.Parse(File.ReadAllText(sarif));
        var runJson = log.RootElement.GetProperty("runs")[0];
        Assert.Equal(10, runJson.GetProperty("tool").GetProperty("driver").GetProperty("rules").GetArrayLength());
        var results = runJson.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(8, results.Count);
        var first = results.Single(r => r.GetProperty("ruleId").GetString() == "governance-virtual-key");
        Assert.Equal("error", first.GetProperty("level").GetString());
        var location = first.GetProperty("locations")[0].GetProperty("physicalLocation");
        Assert.Equal("config/all.env", location.GetProperty("artifactLocation").GetProperty("uri").GetString());
        Assert.Equal(1, location.GetProperty("region").GetProperty("startLine").GetInt32());
        Assert.Equal(4, location.GetProperty("region").GetProperty("startColumn").GetInt32());
        Assert.Equal(64, first.GetProperty("partialFingerprints").GetProperty("secretSha256/v1").GetString()!.Length);
        Assert.Equal("warning", results.Single(r => r.GetProperty("ruleId").GetString() == "azure-api-key").GetProperty("level").GetString());
        var provenance = runJson.GetProperty("versionControlProvenance")[0];
        Assert.Equal("https://example.test/org/service.git", provenance.GetProperty("repositoryUri").GetString());
        Assert.Equal(_repo.Git("rev-parse", "HEAD"), provenance.GetProperty("revisionId").GetString());
        Assert.DoesNotContain("ghp_notARealToken", File.ReadAllText(sarif));
    }

    [Fact]
    public async Task a_file_name_cannot_send_control_characters_to_the_terminal()
    {
        _repo.Write("evil\u001b]0;pwned\u0007.txt", Secrets.Google());

        var run = await Scanner.RunAsync(_repo.Path);

        Assert.Equal(1, run.ExitCode);
        Assert.DoesNotContain('\u001b', run.Output);
        Assert.Contains("evil?]0;pwned?.txt:1:1", run.Output);
    }
}
