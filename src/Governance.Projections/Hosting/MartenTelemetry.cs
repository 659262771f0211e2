using Governance.Hosting;
using JasperFx.OpenTelemetry;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Governance.Projections.Hosting;

/// <summary>Marten's own counters, on a node with a store (the API); the rest is <see cref="Telemetry"/>.</summary>
public static class MartenTelemetry
{
    public static IServiceCollection AddMartenTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var otlp = Telemetry.IsOtlpExported(configuration);
        return services.ConfigureMarten(opts =>
        {
            // marten_event_append_total by event type.
            opts.OpenTelemetry.TrackEventCounters();
            if (otlp)
                opts.OpenTelemetry.TrackConnections = TrackLevel.Normal;
        });
    }
}
