using Microsoft.Extensions.Configuration;

namespace Governance.Hosting.Secrets;

/// <summary>The master key both services read from configuration; missing, it fails at start-up with a message that names it.</summary>
public static class MasterKeys
{
    /// <summary>
    /// The deployment's master key (encrypts providers' API keys; the proxy decrypts the ciphertext the feed carries).
    /// The proxy needs it alone, without a connection string.
    /// </summary>
    public static string KeyFrom(IConfiguration configuration) =>
        configuration["GOVERNANCE_MASTER_KEY"]
        ?? throw new InvalidOperationException("GOVERNANCE_MASTER_KEY is not set (base64 of 32 random bytes; run.sh generates a dev one).");

    /// <summary>
    /// This node's protector of provider keys and webhook secrets: the master key, and during a master key rotation also
    /// the previous one, GOVERNANCE_PREVIOUS_MASTER_KEY, which only decrypts (docs/deployment.md, "Rotating the master key").
    /// </summary>
    public static SecretProtector ProtectorFrom(IConfiguration configuration) =>
        new(KeyFrom(configuration), configuration["GOVERNANCE_PREVIOUS_MASTER_KEY"] is { Length: > 0 } previous ? previous : null);
}
