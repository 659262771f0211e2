using Governance.Projections.Leases;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Governance.Projections.Feed;

public static class FeedServices
{
    /// <summary>Lease settings, and the node's change-feed hub (one LISTEN connection per API node, docs/leases-and-feed.md).</summary>
    public static IServiceCollection AddLeasesAndFeed(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(LeaseOptions.From(configuration));
        services.AddSingleton(FeedOptions.From(configuration));
        services.AddSingleton<FeedHub>();
        services.AddHostedService(provider => provider.GetRequiredService<FeedHub>());
        return services;
    }
}
