using System.Text.Json;

namespace Governance.AuditVerifier;

/// <summary>
/// The claims of an <c>audit_checkpoint</c> event: every event with a sequence in (<see cref="PreviousSequence"/>,
/// <see cref="Sequence"/>] — <see cref="Events"/> of them — digested into <see cref="Digest"/>, chained to
/// <see cref="PreviousDigest"/>, signed with ECDSA P-256 (<see cref="Algorithm"/>), or with HMAC-SHA-256 on a legacy
/// checkpoint (no algorithm, no chain start).
/// </summary>
public sealed record Checkpoint(
    long Line, long Sequence, long PreviousSequence, long Events, string Digest, string PreviousDigest, string KeyId, string Signature,
    string? Algorithm, long? ChainStart)
{
    public const string EcdsaP256 = "ecdsa-p256-sha256";

    public bool IsLegacy => Algorithm is null;

    public static (Checkpoint? Checkpoint, string? Problem) Parse(long line, ReadOnlyMemory<byte> data)
    {
        try
        {
            using var document = JsonDocument.Parse(data);
            var fields = document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.OrdinalIgnoreCase);
            var algorithm = fields.TryGetValue("algorithm", out var a) && a.ValueKind != JsonValueKind.Null ? a.GetString() : null;
            long? chainStart = fields.TryGetValue("chainStart", out var c) && c.ValueKind != JsonValueKind.Null ? c.GetInt64() : null;
            if (algorithm is not null && (algorithm != EcdsaP256 || chainStart is null))
                throw new FormatException($"unknown algorithm '{algorithm}' (or no chain start)");
            var signature = fields["signature"].GetString() ?? throw new FormatException("the signature is null");
            if (Convert.FromHexString(signature).Length != (algorithm is null ? Canonical.HashLength : 64))
                throw new FormatException($"'{signature}' is not a signature of its algorithm");
            var checkpoint = new Checkpoint(line,
                fields["sequence"].GetInt64(), fields["previousSequence"].GetInt64(), fields["events"].GetInt64(),
                Hex(fields["digest"]), Hex(fields["previousDigest"]), fields["keyId"].GetString() ?? "", signature, algorithm, chainStart);
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
