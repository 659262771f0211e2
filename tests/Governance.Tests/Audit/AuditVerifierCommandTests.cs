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
        var keyFile = Write("audit-signing.pub.pem", history.Key.ExportSubjectPublicKeyInfoPem() + "\n");

        var ok = Run(intact, "--key", Convert.ToBase64String(history.Key.ExportSubjectPublicKeyInfo()));
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

    [Fact]
    public void a_witness_directory_catches_a_history_cut_after_its_last_checkpoint_and_a_key_with_no_checkpoint_fails()
    {
        var history = RandomHistories.Generate(43);
        var checkpoints = history.Events.Where(e => e.IsCheckpoint).ToList();
        var cut = Write("cut.ndjson", history.With(history.Events.TakeWhile(e => e != checkpoints[^2]).Append(checkpoints[^2]).ToList()).ToExport());
        var unsigned = Write("unsigned.ndjson", history.With(history.Events.Where(e => !e.IsCheckpoint).ToList()).ToExport());
        var witness = Directory.CreateDirectory(Path.Combine(_directory, "witness")).FullName;
        var newest = Governance.AuditVerifier.Checkpoint.Parse(0, System.Text.Encoding.UTF8.GetBytes(checkpoints[^1].Data)).Checkpoint!;
        File.WriteAllText(Path.Combine(witness, $"checkpoint-{newest.Sequence:D19}.json"), checkpoints[^1].Data);
        var keyFile = Write("audit-signing.pub.pem", history.Key.ExportSubjectPublicKeyInfoPem());

        var withoutWitness = Run(cut, "--key-file", keyFile);
        var withWitness = Run(cut, "--key-file", keyFile, "--witness", witness);
        var noCheckpoint = Run(unsigned, "--key-file", keyFile);

        Assert.Equal(0, withoutWitness.Code);
        Assert.Equal(1, withWitness.Code);
        Assert.Contains("shorter than witnessed", withWitness.Output);
        Assert.Equal(1, noCheckpoint.Code);
        Assert.Contains("no checkpoint", noCheckpoint.Output);
    }

    [Fact]
    public void the_verifier_refuses_a_private_key_and_takes_the_old_hmac_key_only_as_the_legacy_key()
    {
        var history = RandomHistories.Generate(44);
        var export = Write("intact.ndjson", history.ToExport());
        var privateKey = Write("audit-signing.pem", history.Key.ExportPkcs8PrivateKeyPem());
        var hmacKey = Write("audit.key", Convert.ToBase64String(new byte[32]));

        var withPrivate = Run(export, "--key-file", privateKey);
        var withHmac = Run(export, "--key-file", hmacKey);

        Assert.Equal(2, withPrivate.Code);
        Assert.Contains("public key only", withPrivate.Output);
        Assert.Equal(2, withHmac.Code);
        Assert.Contains("--legacy-hmac-key-file", withHmac.Output);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
