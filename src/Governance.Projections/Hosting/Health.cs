using Marten;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Npgsql;

namespace Governance.Projections.Hosting;

public static class Health
{
    /// <summary>
    /// GET /health: 200 only when PostgreSQL answers; 503 otherwise. It borrows a connection from Marten's pool, the one
    /// pool of the node: a pool of its own would hold up to 100 more connections beside it.
    /// </summary>
    public static IEndpointRouteBuilder MapDatabaseHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", async (IDocumentStore store, CancellationToken ct) =>
            await DatabaseHealthCheck.AnswersAsync(store, ct)
                ? Results.Ok(new { status = "ready" })
                : Results.Json(new { status = "unavailable", reason = "database unreachable" }, statusCode: 503))
            .AllowAnonymous().ExcludeFromDescription();
        return app;
    }
}
