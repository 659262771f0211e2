using Governance.Hosting.Secrets;
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
        MasterKeys.KeyFrom(configuration));

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
