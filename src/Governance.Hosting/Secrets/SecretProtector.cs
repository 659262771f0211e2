using System.Security.Cryptography;
using System.Text;

namespace Governance.Hosting.Secrets;

/// <summary>
/// What a ciphertext is bound to (AES-GCM associated data): the owner and the URL the secret is sent to or signs for.
/// A ciphertext copied to another owner, or left in place while its URL is changed, does not decrypt.
/// <see cref="Legacy"/> is what ciphertexts written before key ids were bound to: the owner's name alone.
/// </summary>
public sealed record SecretBinding(string Legacy, string Bound)
{
    public static SecretBinding Provider(string name, string baseUrl) => new(name, $"provider\n{name}\n{baseUrl}");

    public static SecretBinding Webhook(string scope, string url) => new(scope, $"webhook\n{scope}\n{url}");
}

/// <summary>A ciphertext this node cannot decrypt; the message names why, never the secret.</summary>
public sealed class SecretUnavailableException(string message) : CryptographicException(message);

/// <summary>
/// AES-256-GCM for provider API keys and webhook secrets at rest. The master key (32 bytes, base64) comes from
/// GOVERNANCE_MASTER_KEY and never reaches the database. Output: <c>v2:&lt;key id&gt;:base64(nonce ‖ tag ‖ ciphertext)</c>,
/// the key id naming the master key that encrypted it, and the key id and <see cref="SecretBinding.Bound"/> as associated
/// data. A node may also hold the previous master key (GOVERNANCE_PREVIOUS_MASTER_KEY) while a rotation re-encrypts
/// everything (docs/deployment.md). A value without the prefix is a legacy ciphertext (base64 only, bound to the owner's
/// name): still read, with either key.
/// </summary>
public sealed class SecretProtector
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const string Version = "v2";
    private readonly (string Id, byte[] Key) _current;
    private readonly (string Id, byte[] Key)? _previous;

    public SecretProtector(string base64MasterKey, string? base64PreviousMasterKey = null)
    {
        _current = Load(base64MasterKey, "GOVERNANCE_MASTER_KEY");
        if (base64PreviousMasterKey is not null)
            _previous = Load(base64PreviousMasterKey, "GOVERNANCE_PREVIOUS_MASTER_KEY");
    }

    /// <summary>The id of the master key new ciphertexts are written with.</summary>
    public string CurrentKeyId => _current.Id;

    public string? PreviousKeyId => _previous?.Id;

    /// <summary>The key id a ciphertext names; null for a legacy ciphertext (or one that is not ours).</summary>
    public static string? KeyIdOf(string protectedValue)
    {
        var parts = protectedValue.Split(':');
        return parts.Length == 3 && parts[0] == Version ? parts[1] : null;
    }

    /// <summary>Whether the value is written with the current master key and bound to its URL (nothing to re-encrypt).</summary>
    public bool IsCurrent(string protectedValue) => KeyIdOf(protectedValue) == _current.Id;

    public string Protect(string plaintext, SecretBinding binding)
    {
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[NonceSize + TagSize + plain.Length];
        using var aes = new AesGcm(_current.Key, TagSize);
        aes.Encrypt(nonce, plain, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), Associated(_current.Id, binding));
        nonce.CopyTo(output, 0);
        return $"{Version}:{_current.Id}:{Convert.ToBase64String(output)}";
    }

    /// <exception cref="SecretUnavailableException">Malformed, under a master key this node does not hold, bound to another
    /// owner or URL, or altered.</exception>
    public string Unprotect(string protectedValue, SecretBinding binding)
    {
        if (protectedValue.StartsWith(Version + ":", StringComparison.Ordinal))
        {
            var keyId = KeyIdOf(protectedValue) ?? throw new SecretUnavailableException("The ciphertext is malformed.");
            var key = keyId == _current.Id ? _current.Key
                : keyId == _previous?.Id ? _previous.Value.Key
                : throw new SecretUnavailableException(
                    $"It was encrypted under master key {keyId}, which this node does not hold (it holds {Held()}).");
            return Decrypt(key, protectedValue[(Version.Length + keyId.Length + 2)..], Associated(keyId, binding))
                ?? throw new SecretUnavailableException(
                    $"It does not decrypt with master key {keyId}: its owner or URL was changed after it was encrypted, or it was altered.");
        }

        // Legacy: written by the current or the previous master key, whichever decrypts it.
        var legacy = Encoding.UTF8.GetBytes(binding.Legacy);
        return Decrypt(_current.Key, protectedValue, legacy)
            ?? (_previous is { } previous ? Decrypt(previous.Key, protectedValue, legacy) : null)
            ?? throw new SecretUnavailableException(
                $"This older ciphertext (no key id) does not decrypt with the master keys this node holds ({Held()}), or it was altered.");
    }

    private string Held() => _previous is { } previous ? $"{_current.Id} and {previous.Id}" : _current.Id;

    private static byte[] Associated(string keyId, SecretBinding binding) => Encoding.UTF8.GetBytes($"{Version}:{keyId}\n{binding.Bound}");

    /// <summary>The plaintext, or null when the tag does not verify (wrong key, binding or bytes).</summary>
    private static string? Decrypt(byte[] key, string base64, byte[] associated)
    {
        var input = new byte[base64.Length];
        if (!Convert.TryFromBase64String(base64, input, out var length) || length < NonceSize + TagSize)
            throw new SecretUnavailableException("The ciphertext is malformed.");
        input = input[..length];
        var plain = new byte[input.Length - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        try
        {
            aes.Decrypt(input.AsSpan(0, NonceSize), input.AsSpan(NonceSize + TagSize), input.AsSpan(NonceSize, TagSize), plain, associated);
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
        return Encoding.UTF8.GetString(plain);
    }

    /// <summary>The key and its id: the first 8 bytes of HMAC-SHA-256(key, a fixed label), in hex.</summary>
    private static (string Id, byte[] Key) Load(string base64, string setting)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{setting} must be base64 of 32 random bytes.");
        }
        if (key.Length != 32)
            throw new InvalidOperationException($"{setting} must be base64 of 32 random bytes.");
        var id = Convert.ToHexStringLower(HMACSHA256.HashData(key, "governance-master-key-id"u8)[..8]);
        return (id, key);
    }
}
