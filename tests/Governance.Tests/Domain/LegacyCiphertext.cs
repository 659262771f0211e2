using System.Security.Cryptography;
using System.Text;

namespace Governance.Tests.Domain;

/// <summary>
/// A ciphertext as the gateway wrote them before key ids: base64(nonce ‖ tag ‖ ciphertext), AES-256-GCM with the owner's
/// name (provider name, webhook scope) as associated data. Events from then still carry them.
/// </summary>
public static class LegacyCiphertext
{
    public static string Of(string base64MasterKey, string plaintext, string owner)
    {
        var nonce = RandomNumberGenerator.GetBytes(12);
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[12 + 16 + plain.Length];
        using var aes = new AesGcm(Convert.FromBase64String(base64MasterKey), 16);
        aes.Encrypt(nonce, plain, output.AsSpan(28), output.AsSpan(12, 16), Encoding.UTF8.GetBytes(owner));
        nonce.CopyTo(output, 0);
        return Convert.ToBase64String(output);
    }
}
