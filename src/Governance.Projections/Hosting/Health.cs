using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Npgsql;

namespace Governance.Projections.Hosting;

public static class Health
{
    /// <summary>GET /health: 200 only when PostgreSQL answers; 503 otherwise.</summary>
    public static IEndpointRouteBuilder MapDatabaseHealth(this IEndpointRouteBuilder app, string connectionString)
    {
        var dataSource = NpgsqlDataSource.Create(connectionString);
        app.MapGet("/health", async (CancellationToken ct) =>
        {
            try
            {
                await using var command = dataSource.CreateCommand("select 1");
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(2));
                await command.ExecuteScalarAsync(timeout.Token);
                return Results.Ok(new { status = "ready" });
            }
            catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
            {
                return Results.Json(new { status = "unavailable", reason = "database unreachable" }, statusCode: 503);
            }
        }).AllowAnonymous().ExcludeFromDescription();
        return app;
    }
}
