using Microsoft.Extensions.Configuration;

namespace Governance.Projections.Hosting;

/// <summary>Settings both services need; missing ones fail at start-up with a message that names them.</summary>
public sealed record GovernanceSettings(string ConnectionString, string Schema, string MasterKey)
{
    public static GovernanceSettings From(IConfiguration configuration) => new(
        configuration.GetConnectionString("Governance")
            ?? throw new InvalidOperationException("ConnectionStrings__Governance is not set (PostgreSQL connection string)."),
        configuration["Governance:Schema"] ?? "governance",
        configuration["GOVERNANCE_MASTER_KEY"]
            ?? throw new InvalidOperationException("GOVERNANCE_MASTER_KEY is not set (base64 of 32 random bytes; run.sh generates a dev one)."));
}
