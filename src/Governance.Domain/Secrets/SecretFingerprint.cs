using System.Security.Cryptography;
using System.Text;

namespace Governance.Domain.Secrets;

/// <summary>
/// The one fingerprint of a secret everywhere: SHA-256 of its UTF-8 bytes, lower-case hex. A virtual key's stored hash,
/// a provider key's recorded fingerprint, the scanner's finding and a leak report's <c>token_hash</c> are all this, so
/// each can be matched against the others without the secret. It hides a random secret (a provider's or ours), not a
/// guessable one: whoever holds a fingerprint can test guesses against it.
/// </summary>
public static class SecretFingerprint
{
    public const string Pattern = "^[0-9a-f]{64}$";

    public static string Of(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static bool IsWellFormed(string? fingerprint) =>
        fingerprint is { Length: 64 } && fingerprint.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
