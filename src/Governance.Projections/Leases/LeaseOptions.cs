using Governance.Domain.Budgets;
using Microsoft.Extensions.Configuration;

namespace Governance.Projections.Leases;

/// <summary>Lease sizing and lifetime (<c>Leases__*</c>), and how long a caller told to retry should wait.</summary>
public sealed record LeaseOptions(LeaseSizing Sizing, int RetryAfterMs)
{
    public static LeaseOptions From(IConfiguration configuration) => new(
        new LeaseSizing(
            configuration.GetValue("Leases:WantMultiplier", LeaseSizing.Default.WantMultiplier),
            configuration.GetValue("Leases:NearExhaustionMultiplier", LeaseSizing.Default.NearExhaustionMultiplier),
            TimeSpan.FromSeconds(configuration.GetValue("Leases:TtlSeconds", LeaseSizing.Default.Ttl.TotalSeconds))),
        configuration.GetValue("Leases:RetryAfterMs", 50));
}
