using Governance.Hosting;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Governance.Projections.Hosting;

/// <summary>Readiness on a node with a Marten store: the database answers (the endpoints are <see cref="Readiness"/>).</summary>
public static class DatabaseHealth
{
    /// <summary>The database check, on the node's Marten store (<see cref="DatabaseHealthCheck"/>).</summary>
    public static IHealthChecksBuilder AddGovernanceHealthChecks(this IServiceCollection services) =>
        services.AddHealthChecks()
            .Add(new HealthCheckRegistration("database", sp => new DatabaseHealthCheck(sp.GetRequiredService<IDocumentStore>()), HealthStatus.Unhealthy,
                [Readiness.ReadyTag], TimeSpan.FromSeconds(3)));
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
