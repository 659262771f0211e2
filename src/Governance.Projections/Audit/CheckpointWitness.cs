using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Governance.Projections.Audit;

/// <summary>
/// Copies of the checkpoints kept outside the database, so a history cut after its last checkpoint (checkpoints
/// included) is still caught: by the next checkpoint round, which will not sign a history shorter than what was
/// witnessed, and by the verifier (<c>--witness</c>). A directory (<c>Audit:WitnessDirectory</c>, one file per
/// checkpoint) and/or a URL (<c>Audit:WitnessUrl</c>, each checkpoint POSTed as JSON). Each copy is the checkpoint's
/// signed claims: a receiver checks it with the public key, no shared secret needed.
/// </summary>
public sealed class CheckpointWitness(string? directory, Uri? url)
{
    public const string DirectorySetting = "Audit:WitnessDirectory";
    public const string UrlSetting = "Audit:WitnessUrl";
    private const string Prefix = "checkpoint-";

    public string? Directory { get; } = directory;
    public Uri? Url { get; } = url;

    public static CheckpointWitness From(IConfiguration configuration)
    {
        var directory = configuration[DirectorySetting];
        var url = configuration[UrlSetting];
        Uri? uri = null;
        if (!string.IsNullOrWhiteSpace(url)
            && (!Uri.TryCreate(url, UriKind.Absolute, out uri) || uri.Scheme is not ("http" or "https")))
            throw new InvalidOperationException("Audit__WitnessUrl must be an absolute http(s) URL.");
        return new CheckpointWitness(string.IsNullOrWhiteSpace(directory) ? null : directory, uri);
    }

    /// <summary>The file name of a checkpoint: zero-padded, so names sort as sequences do.</summary>
    public static string FileName(long sequence) => Prefix + sequence.ToString("D19", CultureInfo.InvariantCulture) + ".json";

    /// <summary>What the witness gets, in a file or a POST: the checkpoint with the property names of the event's data.</summary>
    public static byte[] Serialize(AuditCheckpointed checkpoint) => JsonSerializer.SerializeToUtf8Bytes(checkpoint);

    /// <summary>Writes the checkpoint's file (whole or not at all: a temporary file renamed into place).</summary>
    public async Task WriteAsync(AuditCheckpointed checkpoint, CancellationToken ct)
    {
        if (Directory is null)
            return;
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, FileName(checkpoint.Sequence));
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllBytesAsync(temporary, Serialize(checkpoint), ct);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The newest witnessed checkpoint (highest sequence), or null when the directory holds none.</summary>
    /// <exception cref="CheckpointRefused">The newest file cannot be read as a checkpoint.</exception>
    public async Task<AuditCheckpointed?> LatestAsync(CancellationToken ct)
    {
        if (Directory is null || !System.IO.Directory.Exists(Directory))
            return null;
        string? newest = null;
        try
        {
            newest = System.IO.Directory.EnumerateFiles(Directory, Prefix + "*.json").Max(StringComparer.Ordinal);
            return newest is null
                ? null
                : JsonSerializer.Deserialize<AuditCheckpointed>(await File.ReadAllBytesAsync(newest, ct)) ?? throw new JsonException("null");
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new CheckpointRefused("witness_unreadable", $"The witness {newest ?? Directory} cannot be read as a checkpoint: {e.Message}");
        }
    }
}
