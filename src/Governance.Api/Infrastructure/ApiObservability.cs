using Governance.Hosting;
using Governance.Projections.Hosting;

namespace Governance.Api.Infrastructure;

public static class ApiObservability
{
    public const string MeterName = "Governance.Api";

    /// <summary>Traces, metrics (projection lag included) and readiness: the database and the projection daemon.</summary>
    public static IServiceCollection AddApiObservability(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddGovernanceTelemetry(configuration, "governance-api", MeterName).AddMartenTelemetry(configuration);
        var health = services.AddGovernanceHealthChecks();
        services.AddProjectionLag(health, MeterName);
        return services;
    }
}
