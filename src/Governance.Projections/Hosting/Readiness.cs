using System.Text.Json;
using Marten;
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

    /// <summary>The database check, on the node's Marten store (<see cref="DatabaseHealthCheck"/>).</summary>
    public static IHealthChecksBuilder AddGovernanceHealthChecks(this IServiceCollection services) =>
        services.AddHealthChecks()
            .Add(new HealthCheckRegistration("database", sp => new DatabaseHealthCheck(sp.GetRequiredService<IDocumentStore>()), HealthStatus.Unhealthy,
                [ReadyTag], TimeSpan.FromSeconds(3)));

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

/// <summary>
/// A <c>select 1</c> within two seconds, on a connection borrowed from Marten's pool (no pool of its own). The reason
/// never includes the connection string.
/// </summary>
public sealed class DatabaseHealthCheck(IDocumentStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
        await AnswersAsync(store, ct) ? HealthCheckResult.Healthy("database answers") : HealthCheckResult.Unhealthy("database unreachable");

    public static async Task<bool> AnswersAsync(IDocumentStore store, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await using var connection = store.Storage.Database.CreateConnection();
            await connection.OpenAsync(timeout.Token);
            await using var command = connection.CreateCommand();
            command.CommandText = "select 1";
            await command.ExecuteScalarAsync(timeout.Token);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            return false;
        }
    }
}
