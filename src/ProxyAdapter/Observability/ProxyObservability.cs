using Governance.Projections.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ProxyAdapter.Observability;

public static class ProxyObservability
{
    /// <summary>Traces, metrics (<see cref="GatewayMetrics"/>), and readiness: the database and the feed from the API.</summary>
    public static IServiceCollection AddProxyObservability(this IServiceCollection services, IConfiguration configuration, GovernanceSettings settings)
    {
        services.AddGovernanceTelemetry(configuration, "governance-proxy", GatewayMetrics.MeterName);
        services.AddSingleton<GatewayMetrics>();
        services.TryAddSingleton<IFeedHealth, GovernanceApiLiveness>();
        services.AddHttpClient(GovernanceApiLiveness.ClientName, client =>
            client.BaseAddress = GovernanceApiOptions.From(configuration).BaseUrl);
        services.AddGovernanceHealthChecks(settings.ConnectionString)
            .AddCheck<FeedHealthCheck>("feed", tags: [Readiness.ReadyTag], timeout: TimeSpan.FromSeconds(3));
        return services;
    }
}
