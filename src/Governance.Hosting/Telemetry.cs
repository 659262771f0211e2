using System.Diagnostics.Metrics;
using Governance.Hosting.Audit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Governance.Hosting;

/// <summary>
/// Traces, metrics and logs, set up the same way on every node (docs/observability.md): OpenTelemetry for ASP.NET Core,
/// HttpClient, Npgsql, Marten, Wolverine and the node's own meter; a Prometheus scrape endpoint; OTLP export only when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set; JSON console logs on request.
/// </summary>
public static class Telemetry
{
    public const string MetricsPath = "/metrics";

    /// <param name="serviceName">OpenTelemetry's <c>service.name</c> (unless <c>OTEL_SERVICE_NAME</c> says otherwise).</param>
    /// <param name="meterName">The node's own meter (its <c>gov_…</c> series).</param>
    /// <remarks>A node with a Marten store adds Marten's own counters with <c>AddMartenTelemetry</c> (Governance.Projections).</remarks>
    public static IServiceCollection AddGovernanceTelemetry(
        this IServiceCollection services, IConfiguration configuration, string serviceName, string meterName)
    {
        var otlp = IsOtlpExported(configuration);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(configuration["OTEL_SERVICE_NAME"] ?? serviceName))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                // Npgsql, Marten and Wolverine publish their own meters; Wolverine's is named "Wolverine:<service name>".
                .AddMeter("Npgsql", "Marten", "Wolverine*", meterName)
                .AddPrometheusExporter(o =>
                {
                    // Answer every scrape from current values (the default serves a cached answer for 300 ms).
                    o.ScrapeResponseCacheDurationMilliseconds = 0;
                }));
        // Meters from IMeterFactory (ours, ASP.NET Core's) belong to one host; where several hosts share a process (tests),
        // each host reports only its own instead of a sum over all of them.
        services.ConfigureOpenTelemetryMeterProvider((sp, metrics) =>
        {
            if (sp.GetService<IMeterFactory>() is not { } own)
                return;
            metrics.AddView(instrument => instrument.Meter.Scope is IMeterFactory factory && factory != own ? MetricStreamConfiguration.Drop : null);
        });
        // Spans cost on every request; they are only recorded when someone collects them.
        if (otlp)
        {
            telemetry.WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !IsOperational(http.Request.Path))
                .AddHttpClientInstrumentation()
                .AddSource("Npgsql", "Marten", "Wolverine", meterName));
            // Reads OTEL_EXPORTER_OTLP_ENDPOINT / _PROTOCOL / _HEADERS itself, for traces and metrics.
            telemetry.UseOtlpExporter();
        }
        return services;
    }

    /// <summary>
    /// JSON console logs when <c>Logging:Console:FormatterName</c> is <c>json</c> (the framework's own switch) or when
    /// <c>Logging:Format</c> is <c>json</c>; either way each line carries its scopes, so the request id and correlation id.
    /// </summary>
    public static ILoggingBuilder AddGovernanceLogFormat(this ILoggingBuilder logging, IConfiguration configuration)
    {
        var json = string.Equals(configuration["Logging:Format"], "json", StringComparison.OrdinalIgnoreCase)
                   || string.Equals(configuration["Logging:Console:FormatterName"], "json", StringComparison.OrdinalIgnoreCase);
        if (json)
            logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        return logging;
    }

    /// <summary>
    /// Every log line written while handling a request carries <c>RequestId</c> (what the caller sees in
    /// <c>x-request-id</c> on the proxy; ASP.NET Core's trace identifier on the API) and <c>CorrelationId</c> (what the
    /// request's events record, docs/audit.md).
    /// </summary>
    public static IApplicationBuilder UseRequestLogScope(this IApplicationBuilder app, Func<HttpContext, string> requestIdOf) =>
        app.Use(async (http, next) =>
        {
            var log = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Governance.Requests");
            using (log.BeginScope(new Dictionary<string, object>
                   {
                       ["RequestId"] = requestIdOf(http),
                       ["CorrelationId"] = AuditHttp.CorrelationIdOf(http),
                   }))
                await next(http);
        });

    /// <summary>
    /// GET /metrics in Prometheus' text format, without authentication: it serves counts, durations and the names of
    /// projections, deployments and denial reasons — never a key, token or provider secret (a test checks).
    /// Keep the port off the public network, as for /health. With <paramref name="servedTo"/>, a request it refuses gets
    /// a 404, as if there were no such path (the proxy serves it on its management listener only).
    /// </summary>
    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app, Func<HttpContext, bool>? servedTo = null)
    {
        Action<IApplicationBuilder>? gate = servedTo is null
            ? null
            : branch => branch.Use((http, next) =>
            {
                if (servedTo(http))
                    return next(http);
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            });
        app.MapPrometheusScrapingEndpoint(MetricsPath, meterProvider: null, gate, optionsName: null)
            .WithMetadata(new HttpMethodMetadata(["GET"])).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    /// <summary>Spans and OTLP export only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.</summary>
    public static bool IsOtlpExported(IConfiguration configuration) => !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    private static bool IsOperational(PathString path) =>
        path.StartsWithSegments(MetricsPath) || path.StartsWithSegments("/health");
}
