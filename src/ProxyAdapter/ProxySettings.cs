namespace ProxyAdapter;

/// <summary>Settings the proxy reads at start-up; a missing one fails with a message that names it.</summary>
internal static class ProxySettings
{
    /// <summary>The deployment's master key, which decrypts the providers' API keys the feed carries as ciphertext.</summary>
    public static string MasterKey(IConfiguration configuration) =>
        configuration["GOVERNANCE_MASTER_KEY"]
        ?? throw new InvalidOperationException("GOVERNANCE_MASTER_KEY is not set (the API's master key: base64 of 32 random bytes; run.sh generates a dev one).");
}
