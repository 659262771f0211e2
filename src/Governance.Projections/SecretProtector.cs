using System.Security.Cryptography;
using System.Text;

namespace Governance.Projections;

/// <summary>
/// AES-256-GCM for provider API keys at rest. Output: base64(nonce ‖ tag ‖ ciphertext).
/// The master key (32 bytes, base64) comes from GOVERNANCE_MASTER_KEY and never reaches the database.
/// The provider name is bound as associated data, so a ciphertext copied to another provider won't decrypt.
/// </summary>
public sealed class SecretProtector
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;

    public SecretProtector(string base64MasterKey)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64MasterKey);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException("GOVERNANCE_MASTER_KEY must be base64 of 32 random bytes.");
        }
        if (key.Length != 32)
            throw new InvalidOperationException("GOVERNANCE_MASTER_KEY must be base64 of 32 random bytes.");
        _key = key;
    }

    public string Protect(string plaintext, string context)
    {
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[NonceSize + TagSize + plain.Length];
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plain, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), Encoding.UTF8.GetBytes(context));
        nonce.CopyTo(output, 0);
        return Convert.ToBase64String(output);
    }

    public string Unprotect(string protectedValue, string context)
    {
        var input = new byte[protectedValue.Length];
        if (!Convert.TryFromBase64String(protectedValue, input, out var length) || length < NonceSize + TagSize)
            throw new CryptographicException("The protected value is malformed.");
        input = input[..length];
        var plain = new byte[input.Length - NonceSize - TagSize];
        using var aes = new AesGcm(_key, TagSize);
        aes.Decrypt(input.AsSpan(0, NonceSize), input.AsSpan(NonceSize + TagSize), input.AsSpan(NonceSize, TagSize), plain, Encoding.UTF8.GetBytes(context));
        return Encoding.UTF8.GetString(plain);
    }
}
