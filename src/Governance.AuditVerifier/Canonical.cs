using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Governance.AuditVerifier;

/// <summary>
/// The bytes that are hashed and signed. Every field is written as a 4-byte big-endian length followed by its UTF-8
/// bytes; numbers are decimal; a missing (null) value is the empty string.
/// </summary>
public static class Canonical
{
    public const int HashLength = 32;
    public const string CheckpointPurpose = "governance-audit-checkpoint/v2";
    public const string LegacyCheckpointPurpose = "governance-audit-checkpoint/v1";

    /// <summary>hash = SHA-256(previous hash ‖ sequence, stream, version, type, timestamp, actor, correlation id, causation id, data).</summary>
    public static byte[] EventHash(ReadOnlySpan<byte> previousHash, ExportLine line)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(previousHash);
        AppendField(hash, Encoding.UTF8.GetBytes(Decimal(line.Sequence)));
        AppendField(hash, Encoding.UTF8.GetBytes(line.Stream));
        AppendField(hash, Encoding.UTF8.GetBytes(Decimal(line.Version)));
        AppendField(hash, Encoding.UTF8.GetBytes(line.Type));
        AppendField(hash, Encoding.UTF8.GetBytes(line.Timestamp));
        AppendField(hash, Encoding.UTF8.GetBytes(line.Actor ?? ""));
        AppendField(hash, Encoding.UTF8.GetBytes(line.CorrelationId ?? ""));
        AppendField(hash, Encoding.UTF8.GetBytes(line.CausationId ?? ""));
        AppendField(hash, line.Data.Span);
        return hash.GetHashAndReset();
    }

    /// <summary>What a checkpoint's ECDSA signature signs: purpose, sequence, previous sequence, events, previous digest, digest, chain start.</summary>
    public static byte[] CheckpointSignedBytes(long sequence, long previousSequence, long events, string digest, string previousDigest, long chainStart) =>
        Fields(CheckpointPurpose, Decimal(sequence), Decimal(previousSequence), Decimal(events), previousDigest, digest, Decimal(chainStart));

    /// <summary>What a legacy checkpoint's HMAC-SHA-256 signs: the same without the chain start, under the v1 purpose.</summary>
    public static byte[] LegacyCheckpointSignedBytes(long sequence, long previousSequence, long events, string digest, string previousDigest) =>
        Fields(LegacyCheckpointPurpose, Decimal(sequence), Decimal(previousSequence), Decimal(events), previousDigest, digest);

    private static byte[] Fields(params string[] fields)
    {
        using var bytes = new MemoryStream();
        foreach (var field in fields)
        {
            var utf8 = Encoding.UTF8.GetBytes(field);
            var length = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(length, utf8.Length);
            bytes.Write(length);
            bytes.Write(utf8);
        }
        return bytes.ToArray();
    }

    /// <summary>A checkpoint's digest: SHA-256(previous digest ‖ for each covered event in sequence order: 8-byte big-endian sequence ‖ hash).</summary>
    public static IncrementalHash StartDigest(ReadOnlySpan<byte> previousDigest)
    {
        var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        digest.AppendData(previousDigest);
        return digest;
    }

    public static void AppendToDigest(IncrementalHash digest, long sequence, ReadOnlySpan<byte> eventHash)
    {
        Span<byte> number = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(number, sequence);
        digest.AppendData(number);
        digest.AppendData(eventHash);
    }

    private static void AppendField(IncrementalHash hash, ReadOnlySpan<byte> utf8)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, utf8.Length);
        hash.AppendData(length);
        hash.AppendData(utf8);
    }

    private static string Decimal(long value) => value.ToString(CultureInfo.InvariantCulture);
}
