using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Governance.AuditVerifier;

namespace Governance.Tests.Audit;

/// <summary>One export line. <see cref="Data"/> is the data's JSON text exactly as it appears in the line.</summary>
public sealed record AuditEvent(
    long Sequence, string Stream, long Version, string Type, string Timestamp, string? Actor, string? CorrelationId, string? CausationId,
    string Data, string PrevHash, string Hash)
{
    public const string CheckpointStream = "audit:checkpoints";
    public bool IsCheckpoint => Stream == CheckpointStream && Type == "audit_checkpoint";
}

/// <summary>
/// Histories and exports built in memory with this test's own copy of the canonical form (docs/audit.md), so the
/// verifier is checked against the specification rather than against itself; an export from the API proves the
/// database trigger computes the same.
/// </summary>
public sealed class AuditHistory(List<AuditEvent> events, ECDsa key)
{
    public const string Zero = "0000000000000000000000000000000000000000000000000000000000000000";

    public List<AuditEvent> Events { get; } = events;

    /// <summary>The API nodes' signing key (private).</summary>
    public ECDsa Key { get; } = key;

    /// <summary>What an auditor is given: the public key only.</summary>
    public CheckpointKeys PublicKey => new([CheckpointKeys.ParsePublicKey(Key.ExportSubjectPublicKeyInfoPem())]);

    public AuditHistory With(List<AuditEvent> events) => new(events, Key);

    public string ToExport() => string.Concat(Events.Select(e => Line(e) + "\n"));

    public static string Line(AuditEvent e) =>
        $"{{\"sequence\":{e.Sequence},\"stream\":{Json(e.Stream)},\"version\":{e.Version},\"type\":{Json(e.Type)},\"timestamp\":{Json(e.Timestamp)}," +
        $"\"actor\":{Json(e.Actor)},\"correlationId\":{Json(e.CorrelationId)},\"causationId\":{Json(e.CausationId)},\"data\":{e.Data}," +
        $"\"prevHash\":{Json(e.PrevHash)},\"hash\":{Json(e.Hash)}}}";

    private static string Json(string? value) => value is null ? "null" : JsonSerializer.Serialize(value);

    public static AuditHistory FromExport(string export, ECDsa key) => new(
        export.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            var e = JsonDocument.Parse(line).RootElement;
            string? Text(string name) => e.GetProperty(name).ValueKind == JsonValueKind.Null ? null : e.GetProperty(name).GetString();
            return new AuditEvent(e.GetProperty("sequence").GetInt64(), Text("stream")!, e.GetProperty("version").GetInt64(), Text("type")!,
                Text("timestamp")!, Text("actor"), Text("correlationId"), Text("causationId"), e.GetProperty("data").GetRawText(),
                Text("prevHash")!, Text("hash")!);
        }).ToList(), key);

    /// <summary>SHA-256(previous ‖ length-prefixed UTF-8 fields: sequence, stream, version, type, timestamp, actor, correlation, causation, data).</summary>
    public static string HashOf(string prevHash, AuditEvent e)
    {
        var bytes = new List<byte>(Convert.FromHexString(prevHash));
        foreach (var field in new[] { Decimal(e.Sequence), e.Stream, Decimal(e.Version), e.Type, e.Timestamp, e.Actor ?? "", e.CorrelationId ?? "", e.CausationId ?? "", e.Data })
        {
            var utf8 = Encoding.UTF8.GetBytes(field);
            var length = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(length, utf8.Length);
            bytes.AddRange(length);
            bytes.AddRange(utf8);
        }
        return Convert.ToHexStringLower(SHA256.HashData(bytes.ToArray()));
    }

    /// <summary>The event re-hashed after <paramref name="prevHash"/>.</summary>
    public static AuditEvent Chained(AuditEvent e, string prevHash)
    {
        var linked = e with { PrevHash = prevHash };
        return linked with { Hash = HashOf(prevHash, linked) };
    }

    /// <summary>Re-links and re-hashes every event of <paramref name="stream"/> from the start, as someone with database access could.</summary>
    public AuditHistory Rechain(string stream)
    {
        var head = Zero;
        var events = Events.Select(e =>
        {
            if (e.Stream != stream)
                return e;
            var rechained = Chained(e, head);
            head = rechained.Hash;
            return rechained;
        }).ToList();
        return With(events);
    }

    /// <summary>A checkpoint's data (as Marten writes it: PascalCase) signed with ECDSA P-256 by <paramref name="key"/>.</summary>
    public static string CheckpointData(long sequence, long previousSequence, long count, string digest, string previousDigest, ECDsa key,
        long chainStart = 0, string? keyId = null)
    {
        var signature = Convert.ToHexStringLower(key.SignData(SignedBytes(sequence, previousSequence, count, digest, previousDigest, chainStart),
            HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        keyId ??= Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];
        return $"{{\"At\": \"2026-11-02T14:03:00+00:00\", \"Actor\": \"system:audit-checkpoint\", \"KeyId\": \"{keyId}\", \"Digest\": \"{digest}\", " +
               $"\"Events\": {count}, \"Sequence\": {sequence}, \"Algorithm\": \"ecdsa-p256-sha256\", \"Signature\": \"{signature}\", " +
               $"\"ChainStart\": {chainStart}, \"PreviousDigest\": \"{previousDigest}\", \"PreviousSequence\": {previousSequence}}}";
    }

    /// <summary>A legacy checkpoint's data: HMAC-SHA-256 with the old shared key, no algorithm, no chain start.</summary>
    public static string LegacyCheckpointData(long sequence, long previousSequence, long count, string digest, string previousDigest, byte[] key)
    {
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(key,
            Fields("governance-audit-checkpoint/v1", Decimal(sequence), Decimal(previousSequence), Decimal(count), previousDigest, digest)));
        var keyId = Convert.ToHexStringLower(SHA256.HashData(key))[..16];
        return $"{{\"At\": \"2026-11-02T14:03:00+00:00\", \"Actor\": \"system:audit-checkpoint\", \"KeyId\": \"{keyId}\", \"Digest\": \"{digest}\", " +
               $"\"Events\": {count}, \"Sequence\": {sequence}, \"Signature\": \"{signature}\", \"PreviousDigest\": \"{previousDigest}\", \"PreviousSequence\": {previousSequence}}}";
    }

    public static byte[] SignedBytes(long sequence, long previousSequence, long count, string digest, string previousDigest, long chainStart) =>
        Fields("governance-audit-checkpoint/v2", Decimal(sequence), Decimal(previousSequence), Decimal(count), previousDigest, digest, Decimal(chainStart));

    private static byte[] Fields(params string[] fields)
    {
        var bytes = new List<byte>();
        foreach (var field in fields)
        {
            var utf8 = Encoding.UTF8.GetBytes(field);
            var length = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(length, utf8.Length);
            bytes.AddRange(length);
            bytes.AddRange(utf8);
        }
        return bytes.ToArray();
    }

    public static string Digest(string previousDigest, IEnumerable<AuditEvent> covered)
    {
        var bytes = new List<byte>(Convert.FromHexString(previousDigest));
        foreach (var e in covered)
        {
            var sequence = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(sequence, e.Sequence);
            bytes.AddRange(sequence);
            bytes.AddRange(Convert.FromHexString(e.Hash));
        }
        return Convert.ToHexStringLower(SHA256.HashData(bytes.ToArray()));
    }

    private static string Decimal(long value) => value.ToString(CultureInfo.InvariantCulture);
}
