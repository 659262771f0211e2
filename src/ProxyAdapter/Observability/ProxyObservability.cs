using Governance.Hosting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ProxyAdapter.Observability;

public static class ProxyObservability
{
    /// <summary>
    /// Traces, metrics (<see cref="GatewayMetrics"/>), and readiness: the feed from the governance API (whether the
    /// adapter's copy is current) and the usage journal's backlog. The proxy has no database to check.
    /// </summary>
    public static IServiceCollection AddProxyObservability(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddGovernanceTelemetry(configuration, "governance-proxy", GatewayMetrics.MeterName);
        services.AddSingleton<GatewayMetrics>();
        services.TryAddSingleton<IFeedHealth, GovernanceApiLiveness>();
        services.AddHttpClient(GovernanceApiLiveness.ClientName, client =>
            client.BaseAddress = GovernanceApiOptions.From(configuration).BaseUrl);
        services.AddHealthChecks()
            .AddCheck<FeedHealthCheck>("feed", tags: [Readiness.ReadyTag], timeout: TimeSpan.FromSeconds(3))
            .AddCheck<JournalHealthCheck>("journal", tags: [Readiness.ReadyTag]);
        return services;
    }

    /// <summary>
    /// GET /health, kept for probes set up before /health/ready existed. The proxy has no database of its own, so it
    /// answers as readiness does: 200 when the adapter could admit a call now, 503 otherwise.
    /// </summary>
    public static IEndpointRouteBuilder MapProxyHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health", new HealthCheckOptions { Predicate = c => c.Tags.Contains(Readiness.ReadyTag) })
            .WithMetadata(new HttpMethodMetadata(["GET"])).AllowAnonymous().ExcludeFromDescription();
        return app;
    }
}
