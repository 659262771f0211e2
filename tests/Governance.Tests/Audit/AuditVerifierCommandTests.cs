namespace Governance.Tests.Audit;

/// <summary>The verifier as an auditor runs it: a file in, a verdict and an exit code out.</summary>
public sealed class AuditVerifierCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("audit-verifier-").FullName;

    private static (int Code, string Output) Run(params string[] arguments) => DotnetCommand.Run("Governance.AuditVerifier.dll", arguments);

    private string Write(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void exit_code_is_0_only_for_an_intact_export_1_for_a_broken_one_and_2_for_bad_arguments()
    {
        var history = RandomHistories.Generate(42);
        var intact = Write("intact.ndjson", history.ToExport());
        var broken = Write("broken.ndjson", AuditMutations.Truncate(history, new Random(1)).Export);
        var keyFile = Write("audit.key", Convert.ToBase64String(history.Key) + "\n");

        var ok = Run(intact, "--key", Convert.ToBase64String(history.Key));
        var fromFile = Run(intact, "--key-file", keyFile);
        var bad = Run(broken, "--key-file", keyFile);
        var usage = Run("--after", "x", intact);
        var missing = Run(Path.Combine(_directory, "missing.ndjson"));

        Assert.Equal(0, ok.Code);
        Assert.StartsWith("OK: ", ok.Output);
        Assert.Contains("signature verified", ok.Output);
        Assert.Equal(0, fromFile.Code);
        Assert.Equal(1, bad.Code);
        Assert.Contains("truncated stream", bad.Output);
        Assert.Equal(2, usage.Code);
        Assert.Equal(2, missing.Code);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
