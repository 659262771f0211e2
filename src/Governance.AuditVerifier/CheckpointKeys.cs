using System.Security.Cryptography;

namespace Governance.AuditVerifier;

/// <summary>
/// What checkpoint signatures are checked with: the ECDSA P-256 public keys of the API nodes (all an auditor needs), and
/// optionally the old shared HMAC key for checkpoints signed before ECDSA (legacy). A key id is the first 8 bytes, in hex,
/// of the SHA-256 of the public key's DER form (SubjectPublicKeyInfo), or of the HMAC key.
/// </summary>
public sealed class CheckpointKeys(IReadOnlyList<ECDsa> publicKeys, byte[]? legacyHmacKey = null)
{
    private const string P256Oid = "1.2.840.10045.3.1.7";
    private readonly Dictionary<string, ECDsa> _byId = publicKeys.ToDictionary(k => KeyIdOf(k.ExportSubjectPublicKeyInfo()));

    public IReadOnlyCollection<string> KeyIds => _byId.Keys;
    public string? LegacyKeyId { get; } = legacyHmacKey is null ? null : KeyIdOf(legacyHmacKey);

    public static string KeyIdOf(byte[] key) => Convert.ToHexStringLower(SHA256.HashData(key))[..16];

    /// <summary>A public key: PEM ("BEGIN PUBLIC KEY") or base64 of its DER form. A private key is refused: auditors need none.</summary>
    public static ECDsa ParsePublicKey(string text)
    {
        if (text.Contains("PRIVATE KEY", StringComparison.Ordinal))
            throw new ArgumentException("that is a private key: give the verifier the public key only (openssl pkey -in key.pem -pubout)");
        var key = ECDsa.Create();
        try
        {
            if (text.Contains("-----BEGIN", StringComparison.Ordinal))
                key.ImportFromPem(text);
            else if (Convert.FromBase64String(text.Trim()) is { Length: 32 })
                throw new ArgumentException("that is a 32-byte HMAC key: pass it as --legacy-hmac-key-file (it checks legacy checkpoints only)");
            else
                key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(text.Trim()), out _);
            if (key.ExportParameters(false).Curve.Oid.Value != P256Oid)
                throw new ArgumentException("the public key is not on the P-256 curve");
            return key;
        }
        catch (CryptographicException e)
        {
            key.Dispose();
            throw new ArgumentException($"not an ECDSA public key: {e.Message}", e);
        }
    }

    /// <summary>Null when the checkpoint's signature verifies; otherwise how it fails.</summary>
    public (BreakKind Kind, string Detail)? Check(Checkpoint checkpoint)
    {
        var signature = Convert.FromHexString(checkpoint.Signature);
        if (checkpoint.IsLegacy)
        {
            if (legacyHmacKey is null)
                return (BreakKind.LegacyCheckpoint, "a legacy HMAC checkpoint (signed before ECDSA); it can be checked only with the old shared key, " +
                    "--legacy-hmac-key-file, and whoever holds that key could have signed it.");
            var expected = HMACSHA256.HashData(legacyHmacKey, Canonical.LegacyCheckpointSignedBytes(
                checkpoint.Sequence, checkpoint.PreviousSequence, checkpoint.Events, checkpoint.Digest, checkpoint.PreviousDigest));
            return CryptographicOperations.FixedTimeEquals(expected, signature)
                ? null
                : (BreakKind.BadCheckpointSignature, $"its HMAC does not verify with the legacy key {LegacyKeyId}.");
        }
        if (!_byId.TryGetValue(checkpoint.KeyId, out var key))
        {
            return (BreakKind.BadCheckpointSignature,
                $"signed with key {checkpoint.KeyId}, not with a key given ({(_byId.Count == 0 ? "no public key" : string.Join(", ", _byId.Keys))}).");
        }
        var valid = key.VerifyData(
            Canonical.CheckpointSignedBytes(checkpoint.Sequence, checkpoint.PreviousSequence, checkpoint.Events, checkpoint.Digest,
                checkpoint.PreviousDigest, checkpoint.ChainStart!.Value),
            signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return valid ? null : (BreakKind.BadCheckpointSignature, $"the signature does not verify with key {checkpoint.KeyId}.");
    }
}
