using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace Governance.Projections.Audit;

/// <summary>
/// HMAC-SHA-256 over a checkpoint's claims, with the key in <c>Audit:SigningKey</c> (base64 of at least 32 random
/// bytes). The key never reaches the database, so whoever can rewrite rows there still cannot re-sign a checkpoint.
/// <see cref="KeyId"/> (the first 8 bytes of the key's SHA-256) names the key without revealing it.
/// </summary>
public sealed class CheckpointSigner
{
    public const string ConfigurationKey = "Audit:SigningKey";
    private const string Purpose = "governance-audit-checkpoint/v1";
    private readonly byte[] _key;

    public CheckpointSigner(byte[] key)
    {
        if (key.Length < 32)
            throw new ArgumentException("The audit signing key must be at least 32 bytes.", nameof(key));
        _key = key;
        KeyId = Convert.ToHexStringLower(SHA256.HashData(key))[..16];
    }

    public string KeyId { get; }

    public static CheckpointSigner From(IConfiguration configuration)
    {
        var configured = configuration[ConfigurationKey];
        if (string.IsNullOrWhiteSpace(configured))
            throw new InvalidOperationException("Audit__SigningKey is not set (base64 of 32 random bytes; run.sh generates a dev one).");
        try
        {
            return new CheckpointSigner(Convert.FromBase64String(configured.Trim()));
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new InvalidOperationException("Audit__SigningKey must be base64 of at least 32 random bytes.", e);
        }
    }

    public string Sign(long sequence, long previousSequence, long events, string digest, string previousDigest) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_key, SignedBytes(sequence, previousSequence, events, digest, previousDigest)));

    /// <summary>The same length-prefixed fields as an event record: purpose, sequence, previous sequence, events, previous digest, digest.</summary>
    public static byte[] SignedBytes(long sequence, long previousSequence, long events, string digest, string previousDigest)
    {
        using var bytes = new MemoryStream();
        Span<byte> length = stackalloc byte[4];
        foreach (var field in new[] { Purpose, Decimal(sequence), Decimal(previousSequence), Decimal(events), previousDigest, digest })
        {
            var utf8 = Encoding.UTF8.GetBytes(field);
            BinaryPrimitives.WriteInt32BigEndian(length, utf8.Length);
            bytes.Write(length);
            bytes.Write(utf8);
        }
        return bytes.ToArray();
    }

    private static string Decimal(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
