using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace Governance.Projections.Audit;

/// <summary>
/// Signs checkpoints with ECDSA P-256 (SHA-256, signature as r ‖ s) and checks them with the matching public key. API
/// nodes hold the private key (<c>Audit:SigningKeyFile</c> or <c>Audit:SigningKey</c>); auditors get only the public key,
/// so nobody who can verify can also sign. <see cref="KeyId"/> (the first 8 bytes of the SHA-256 of the public key's DER
/// form) names the key. Checkpoints written before this were HMAC-SHA-256 (legacy): they verify only with the old shared
/// key, when <c>Audit:LegacyHmacKey</c> holds it (docs/audit.md).
/// </summary>
public sealed class CheckpointSigner : IDisposable
{
    public const string Algorithm = "ecdsa-p256-sha256";
    public const string KeyFileSetting = "Audit:SigningKeyFile";
    public const string KeySetting = "Audit:SigningKey";
    public const string LegacyHmacKeySetting = "Audit:LegacyHmacKey";
    private const string Purpose = "governance-audit-checkpoint/v2";
    private const string LegacyPurpose = "governance-audit-checkpoint/v1";
    private const string P256Oid = "1.2.840.10045.3.1.7";

    private readonly ECDsa _key;
    private readonly byte[]? _legacyHmacKey;

    public CheckpointSigner(ECDsa privateKey, byte[]? legacyHmacKey = null)
    {
        var parameters = privateKey.ExportParameters(includePrivateParameters: true);
        if (parameters.Curve.Oid.Value != P256Oid && parameters.Curve.Oid.FriendlyName is not ("nistP256" or "ECDSA_P256"))
            throw new ArgumentException("The audit signing key must be an ECDSA key on the P-256 curve.", nameof(privateKey));
        _key = privateKey;
        _legacyHmacKey = legacyHmacKey;
        PublicKeyPem = privateKey.ExportSubjectPublicKeyInfoPem();
        KeyId = KeyIdOf(privateKey.ExportSubjectPublicKeyInfo());
        LegacyKeyId = legacyHmacKey is null ? null : KeyIdOf(legacyHmacKey);
    }

    /// <summary>The first 8 bytes of the SHA-256 of the public key's SubjectPublicKeyInfo (or of a legacy HMAC key), in hex.</summary>
    public string KeyId { get; }

    /// <summary>What auditors need: the public key as PEM ("PUBLIC KEY").</summary>
    public string PublicKeyPem { get; }

    public string? LegacyKeyId { get; }

    public static string KeyIdOf(byte[] keyBytes) => Convert.ToHexStringLower(SHA256.HashData(keyBytes))[..16];

    public static CheckpointSigner From(IConfiguration configuration)
    {
        var file = configuration[KeyFileSetting];
        var inline = configuration[KeySetting];
        if (!string.IsNullOrWhiteSpace(file) && !string.IsNullOrWhiteSpace(inline))
            throw new InvalidOperationException("Set Audit__SigningKeyFile or Audit__SigningKey, not both.");
        string text;
        try
        {
            text = !string.IsNullOrWhiteSpace(file) ? File.ReadAllText(file)
                : !string.IsNullOrWhiteSpace(inline) ? inline
                : throw new InvalidOperationException(
                    "No audit signing key: set Audit__SigningKeyFile to an ECDSA P-256 private key in PEM (run.sh generates .data/audit-signing.pem).");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"Audit__SigningKeyFile '{file}' cannot be read: {e.Message}", e);
        }
        var key = ParsePrivateKey(text);
        try
        {
            return new CheckpointSigner(key, LegacyKey(configuration[LegacyHmacKeySetting]));
        }
        catch (ArgumentException e)
        {
            key.Dispose();
            throw new InvalidOperationException(e.Message, e);
        }
    }

    private static ECDsa ParsePrivateKey(string text)
    {
        var key = ECDsa.Create();
        try
        {
            if (text.Contains("-----BEGIN", StringComparison.Ordinal))
                key.ImportFromPem(text);
            else if (Convert.FromBase64String(text.Trim()) is { Length: 32 })
                throw new InvalidOperationException(
                    "The audit signing key is a 32-byte HMAC key: checkpoints are now signed with ECDSA P-256. Move that key to " +
                    "Audit__LegacyHmacKey (it still verifies the checkpoints it signed) and set Audit__SigningKeyFile to a P-256 private key " +
                    "(openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256).");
            else
                key.ImportPkcs8PrivateKey(Convert.FromBase64String(text.Trim()), out _);
            // A public key imports too, but cannot sign.
            key.ExportParameters(includePrivateParameters: true);
            return key;
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            key.Dispose();
            throw new InvalidOperationException("The audit signing key must be an ECDSA P-256 private key in PEM (PKCS#8 or SEC1).", e);
        }
    }

    private static byte[]? LegacyKey(string? configured)
    {
        if (string.IsNullOrWhiteSpace(configured))
            return null;
        try
        {
            var key = Convert.FromBase64String(configured.Trim());
            return key.Length >= 32 ? key : throw new FormatException();
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException("Audit__LegacyHmacKey must be the old Audit__SigningKey: base64 of at least 32 bytes.", e);
        }
    }

    public string Sign(long sequence, long previousSequence, long events, string digest, string previousDigest, long chainStart) =>
        Convert.ToHexStringLower(_key.SignData(SignedBytes(sequence, previousSequence, events, digest, previousDigest, chainStart),
            HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));

    /// <summary>Null when <paramref name="checkpoint"/> carries a valid signature by this node's key (or the legacy key); otherwise why not.</summary>
    public string? Check(AuditCheckpointed checkpoint)
    {
        byte[] signature;
        try
        {
            signature = Convert.FromHexString(checkpoint.Signature);
        }
        catch (FormatException)
        {
            return "its signature is not hex";
        }
        if (checkpoint.Algorithm is null)
        {
            if (_legacyHmacKey is null)
                return "it is a legacy HMAC checkpoint and Audit__LegacyHmacKey is not set, so its signature cannot be checked";
            var expected = HMACSHA256.HashData(_legacyHmacKey, LegacySignedBytes(checkpoint));
            return CryptographicOperations.FixedTimeEquals(expected, signature) ? null : $"its HMAC does not verify with the legacy key {LegacyKeyId}";
        }
        if (checkpoint.Algorithm != Algorithm || checkpoint.ChainStart is not { } chainStart)
            return $"its algorithm '{checkpoint.Algorithm}' is unknown";
        if (checkpoint.KeyId != KeyId)
            return $"it names key {checkpoint.KeyId}, not this node's key {KeyId}";
        var valid = _key.VerifyData(
            SignedBytes(checkpoint.Sequence, checkpoint.PreviousSequence, checkpoint.Events, checkpoint.Digest, checkpoint.PreviousDigest, chainStart),
            signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return valid ? null : $"its signature does not verify with key {KeyId}";
    }

    /// <summary>Length-prefixed fields (as an event record): purpose, sequence, previous sequence, events, previous digest, digest, chain start.</summary>
    public static byte[] SignedBytes(long sequence, long previousSequence, long events, string digest, string previousDigest, long chainStart) =>
        Fields(Purpose, Decimal(sequence), Decimal(previousSequence), Decimal(events), previousDigest, digest, Decimal(chainStart));

    private static byte[] LegacySignedBytes(AuditCheckpointed c) =>
        Fields(LegacyPurpose, Decimal(c.Sequence), Decimal(c.PreviousSequence), Decimal(c.Events), c.PreviousDigest, c.Digest);

    private static byte[] Fields(params string[] fields)
    {
        using var bytes = new MemoryStream();
        Span<byte> length = stackalloc byte[4];
        foreach (var field in fields)
        {
            var utf8 = Encoding.UTF8.GetBytes(field);
            BinaryPrimitives.WriteInt32BigEndian(length, utf8.Length);
            bytes.Write(length);
            bytes.Write(utf8);
        }
        return bytes.ToArray();
    }

    private static string Decimal(long value) => value.ToString(CultureInfo.InvariantCulture);

    public void Dispose() => _key.Dispose();
}
