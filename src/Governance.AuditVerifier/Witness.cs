namespace Governance.AuditVerifier;

/// <summary>
/// A witness directory (<c>Audit__WitnessDirectory</c> of the API nodes): one <c>checkpoint-&lt;sequence&gt;.json</c> per
/// checkpoint, names zero-padded so that the last in ordinal order is the newest.
/// </summary>
public static class Witness
{
    /// <summary>The newest checkpoint in <paramref name="directory"/>.</summary>
    /// <exception cref="ArgumentException">The directory holds no checkpoint, or its newest file is not one.</exception>
    public static Checkpoint Newest(string directory)
    {
        var newest = Directory.EnumerateFiles(directory, "checkpoint-*.json").Max(StringComparer.Ordinal)
            ?? throw new ArgumentException($"the witness directory {directory} holds no checkpoint-*.json file");
        var (checkpoint, problem) = Checkpoint.Parse(0, File.ReadAllBytes(newest));
        return checkpoint ?? throw new ArgumentException($"the witness file {newest} is not a checkpoint: {problem}");
    }
}
