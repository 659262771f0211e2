
namespace ProxyAdapter.Governance;

/// <summary>Returns every lease's unused part when the adapter stops (docs/leases-and-feed.md, "Keeping and giving back").</summary>
internal sealed class LeaseReturns(LeaseWallet wallet) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <remarks>
    /// Not cut short by the host's token: each return is bounded by the governance API's call timeout
    /// (<c>Proxy__GovernanceTimeoutMs</c>), and money not given back waits in its lease until the lease expires.
    /// </remarks>
    public Task StopAsync(CancellationToken cancellationToken) => wallet.ReturnAllAsync();
}

public static class LeaseGovernorServices
{
    /// <summary>
    /// The in-memory governor and what it runs on: the feed's copy, the follower that keeps it current, the lease wallet
    /// and its shutdown returns. Needs an <see cref="Reporting.IUsageSink"/> and the governance API client.
    /// </summary>
    public static IServiceCollection AddLeaseGovernor(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(AdapterOptions.From(configuration));
        services.AddSingleton<AdapterState>();
        services.AddSingleton<GovernanceClient>();
        services.AddSingleton<FeedFollower>();
        services.AddHostedService(sp => sp.GetRequiredService<FeedFollower>());
        services.AddSingleton<LeaseWallet>();
        services.AddHostedService<LeaseReturns>();
        services.AddSingleton<IGovernor, LeaseGovernor>();
        // Readiness is the copy's freshness (AddProxyObservability's default only asks whether the API answers).
        services.AddSingleton<Observability.IFeedHealth, FeedFreshness>();
        return services;
    }
}
