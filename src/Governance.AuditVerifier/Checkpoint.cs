using System.Text.Json;

namespace Governance.AuditVerifier;

/// <summary>
/// The claims of an <c>audit_checkpoint</c> event: every event with a sequence in (<see cref="PreviousSequence"/>,
/// <see cref="Sequence"/>] — <see cref="Events"/> of them — digested into <see cref="Digest"/>, chained to
/// <see cref="PreviousDigest"/>, signed with HMAC-SHA-256.
/// </summary>
public sealed record Checkpoint(long Line, long Sequence, long PreviousSequence, long Events, string Digest, string PreviousDigest, string KeyId, string Signature)
{
    public static (Checkpoint? Checkpoint, string? Problem) Parse(long line, ReadOnlyMemory<byte> data)
    {
        try
        {
            using var document = JsonDocument.Parse(data);
            var fields = document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.OrdinalIgnoreCase);
            var checkpoint = new Checkpoint(line,
                fields["sequence"].GetInt64(), fields["previousSequence"].GetInt64(), fields["events"].GetInt64(),
                Hex(fields["digest"]), Hex(fields["previousDigest"]), fields["keyId"].GetString() ?? "", Hex(fields["signature"]));
            return (checkpoint, null);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException or ArgumentException)
        {
            return (null, e.Message);
        }
    }

    private static string Hex(JsonElement value)
    {
        var text = value.GetString() ?? throw new FormatException("a hash is null");
        return Convert.FromHexString(text).Length == Canonical.HashLength ? text : throw new FormatException($"'{text}' is not a SHA-256 value");
    }
}
