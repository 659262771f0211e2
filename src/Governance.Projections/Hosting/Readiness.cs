using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Governance.Projections.Hosting;

/// <summary>
/// <c>/health/live</c>: the process answers HTTP (no dependency is checked, so a database outage never gets a node
/// restarted). <c>/health/ready</c>: every check tagged <see cref="ReadyTag"/> passes — PostgreSQL answers, plus what
/// the node adds (the API: the projection daemon; the proxy: the feed from the governance API). 503 when one fails.
/// Both are anonymous and say only check names, statuses and short reasons.
/// </summary>
public static class Readiness
{
    public const string ReadyTag = "ready";
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";

    public static IHealthChecksBuilder AddGovernanceHealthChecks(this IServiceCollection services, string connectionString) =>
        services.AddHealthChecks()
            .Add(new HealthCheckRegistration("database", _ => new DatabaseHealthCheck(connectionString), HealthStatus.Unhealthy, [ReadyTag], TimeSpan.FromSeconds(3)));

    public static IEndpointRouteBuilder MapGovernanceHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync })
            .WithMetadata(new HttpMethodMetadata(["GET"])).AllowAnonymous().ExcludeFromDescription();
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync })
            .WithMetadata(new HttpMethodMetadata(["GET"])).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static Task WriteAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json";
        http.Response.Headers.CacheControl = "no-store";
        return JsonSerializer.SerializeAsync(http.Response.Body, new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        }, JsonSerializerOptions.Web);
    }
}

/// <summary>A <c>select 1</c> within two seconds. The reason never includes the connection string.</summary>
public sealed class DatabaseHealthCheck(string connectionString) : IHealthCheck
{
    // One pool per process for all checks (the check object is created per run).
    private static readonly Dictionary<string, NpgsqlDataSource> Sources = [];

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        NpgsqlDataSource source;
        lock (Sources)
        {
            if (!Sources.TryGetValue(connectionString, out source!))
                Sources[connectionString] = source = NpgsqlDataSource.Create(connectionString);
        }
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await using var command = source.CreateCommand("select 1");
            await command.ExecuteScalarAsync(timeout.Token);
            return HealthCheckResult.Healthy("database answers");
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("database unreachable");
        }
    }
}
