using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;

namespace Governance.Domain.Keys;

/// <summary>
/// Virtual key wire format: <c>gk_{keyId}_{secret}{checksum}</c>.
/// keyId: 16 chars [a-z0-9]; secret: 32 base62 chars (~190 bits); checksum: CRC32 of everything before it,
/// as 6 base62 chars. Secret scanners can match <see cref="ScannerPattern"/> and validate the checksum offline.
/// </summary>
public static class KeyFormat
{
    public const string Prefix = "gk_";
    public const string ScannerPattern = @"\bgk_[a-z0-9]{16}_[A-Za-z0-9]{38}\b";
    private const int KeyIdLength = 16;
    private const int SecretLength = 32;
    private const int ChecksumLength = 6;
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const string LowerAlphanumeric = "0123456789abcdefghijklmnopqrstuvwxyz";

    public static readonly int Length = Prefix.Length + KeyIdLength + 1 + SecretLength + ChecksumLength;

    public static string NewKeyId() => RandomNumberGenerator.GetString(LowerAlphanumeric, KeyIdLength);

    /// <summary>A fresh full key for <paramref name="keyId"/>. Shown once; only its hash is kept.</summary>
    public static string NewKey(string keyId)
    {
        var body = $"{Prefix}{keyId}_{RandomNumberGenerator.GetString(Base62, SecretLength)}";
        return body + Checksum(body);
    }

    /// <summary>The key id embedded in a well-formed key with a valid checksum; null for anything else.</summary>
    public static string? TryGetKeyId(string? key)
    {
        if (key is null || key.Length != Length || !key.StartsWith(Prefix, StringComparison.Ordinal))
            return null;
        var keyId = key.Substring(Prefix.Length, KeyIdLength);
        var separator = key[Prefix.Length + KeyIdLength];
        var secret = key.Substring(Prefix.Length + KeyIdLength + 1, SecretLength);
        var body = key[..^ChecksumLength];
        var valid = separator == '_'
            && keyId.All(LowerAlphanumeric.Contains)
            && secret.All(Base62.Contains)
            && Checksum(body) == key[^ChecksumLength..];
        return valid ? keyId : null;
    }

    /// <summary>SHA-256 of the whole key, lower-case hex. High-entropy input, so no salt or KDF is needed.</summary>
    public static string Hash(string key) => Secrets.SecretFingerprint.Of(key);

    /// <summary>Constant-time comparison of a presented key against a stored hash.</summary>
    public static bool Matches(string presentedKey, string? storedHash)
    {
        Span<byte> stored = stackalloc byte[32];
        if (storedHash is null || storedHash.Length != 64 || Convert.FromHexString(storedHash, stored, out _, out _) != System.Buffers.OperationStatus.Done)
            return false;
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(presentedKey));
        return CryptographicOperations.FixedTimeEquals(presented, stored);
    }

    private static string Checksum(string body)
    {
        var crc = BinaryPrimitives.ReadUInt32BigEndian(Crc32.Hash(Encoding.ASCII.GetBytes(body)));
        var chars = new char[ChecksumLength];
        for (var i = ChecksumLength - 1; i >= 0; i--)
        {
            chars[i] = Base62[(int)(crc % 62)];
            crc /= 62;
        }
        return new string(chars);
    }
}
