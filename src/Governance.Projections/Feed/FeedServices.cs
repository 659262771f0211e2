using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Governance.Projections.Feed;

/// <summary>
/// <c>Feed__PollIntervalMs</c>: how often the stable mark moves (and a lost notification is caught up);
/// <c>Feed__HeartbeatSeconds</c>: the longest an idle SSE connection stays silent; <c>Feed__BufferSize</c>: changes kept
/// in memory per node; <c>Feed__PageSize</c>: changes per database read and default page size.
/// </summary>
public sealed record FeedOptions(TimeSpan PollInterval, TimeSpan HeartbeatInterval, int BufferSize, int PageSize)
{
    public static FeedOptions From(IConfiguration configuration) => new(
        TimeSpan.FromMilliseconds(configuration.GetValue("Feed:PollIntervalMs", 250)),
        TimeSpan.FromSeconds(configuration.GetValue("Feed:HeartbeatSeconds", 10)),
        configuration.GetValue("Feed:BufferSize", 10_000),
        configuration.GetValue("Feed:PageSize", 500));
}

public static class FeedServices
{
    /// <summary>The node's change-feed hub (one LISTEN connection per API node, docs/leases-and-feed.md).</summary>
    public static IServiceCollection AddLeasesAndFeed(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(FeedOptions.From(configuration));
        services.AddSingleton<FeedHub>();
        services.AddHostedService(provider => provider.GetRequiredService<FeedHub>());
        return services;
    }
}
