using Governance.Domain.Budgets;
using Microsoft.Extensions.Configuration;

namespace Governance.Store.Leases;

/// <summary>Lease sizing, lifetime and per-adapter caps (<c>Leases__*</c>), and how long a caller told to retry should wait.</summary>
public sealed record LeaseOptions(LeaseSizing Sizing, int RetryAfterMs)
{
    public static LeaseOptions From(IConfiguration configuration) => new(
        new LeaseSizing(
            configuration.GetValue("Leases:WantMultiplier", LeaseSizing.Default.WantMultiplier),
            configuration.GetValue("Leases:NearExhaustionMultiplier", LeaseSizing.Default.NearExhaustionMultiplier),
            TimeSpan.FromSeconds(configuration.GetValue("Leases:TtlSeconds", LeaseSizing.Default.Ttl.TotalSeconds)),
            configuration.GetValue("Leases:MaxShare", LeaseSizing.Default.MaxShare) is var share and > 0m and <= 1m
                ? share
                : throw new InvalidOperationException("Leases__MaxShare must be above 0 and at most 1 (a share of a budget's limit)."),
            configuration.GetValue("Leases:MaxOpenPerAdapter", LeaseSizing.Default.MaxOpenLeases) is var open and > 0
                ? open
                : throw new InvalidOperationException("Leases__MaxOpenPerAdapter must be at least 1.")),
        configuration.GetValue("Leases:RetryAfterMs", 50));
}
