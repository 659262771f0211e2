using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Governance.Projections.Hosting;

/// <summary>Settings both services need; missing ones fail at start-up with a message that names them.</summary>
public sealed record GovernanceSettings(string ConnectionString, string Schema, string MasterKey)
{
    public static GovernanceSettings From(IConfiguration configuration) => new(
        WithAutoPrepare(configuration.GetConnectionString("Governance")
            ?? throw new InvalidOperationException("ConnectionStrings__Governance is not set (PostgreSQL connection string).")),
        configuration["Governance:Schema"] ?? "governance",
        MasterKeyFrom(configuration));

    /// <summary>
    /// The deployment's master key (encrypts providers' API keys; the proxy decrypts the ciphertext the feed carries).
    /// The proxy needs it alone, without a connection string.
    /// </summary>
    public static string MasterKeyFrom(IConfiguration configuration) =>
        configuration["GOVERNANCE_MASTER_KEY"]
        ?? throw new InvalidOperationException("GOVERNANCE_MASTER_KEY is not set (base64 of 32 random bytes; run.sh generates a dev one).");

    /// <summary>
    /// This node's protector of provider keys and webhook secrets: the master key, and during a master key rotation also
    /// the previous one, GOVERNANCE_PREVIOUS_MASTER_KEY, which only decrypts (docs/deployment.md, "Rotating the master key").
    /// </summary>
    public static SecretProtector ProtectorFrom(IConfiguration configuration) =>
        new(MasterKeyFrom(configuration), configuration["GOVERNANCE_PREVIOUS_MASTER_KEY"] is { Length: > 0 } previous ? previous : null);

    /// <summary>
    /// Npgsql prepares statements it sees repeatedly, unless the connection string says otherwise: the ledger sends
    /// the same few statements thousands of times, and parsing them again cost more than running them (docs/benchmarks.md).
    /// </summary>
    private static string WithAutoPrepare(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxAutoPrepare = 100;
            builder.AutoPrepareMinUsages = 2;
        }
        return builder.ConnectionString;
    }
}
