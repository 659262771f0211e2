using System.Security.Claims;
using Governance.Api.Infrastructure;
using Governance.Domain.Operators;
using Governance.Hosting.Outbound;
using Governance.Hosting.Secrets;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Migration;

/// <summary>
/// POST /api/migrations/litellm with a LiteLLM <c>config.yaml</c> as the body: what its model_list would create here.
/// Nothing is written unless <c>?apply=true</c>. Environment references (<c>os.environ/NAME</c>) are resolved from the
/// API process's environment, as LiteLLM resolves them from its own, but only names the import may read
/// (<see cref="ImportEnvironment"/>); each <c>api_base</c> must be an address the gateway may call (<see cref="OutboundPolicy"/>).
/// </summary>
[Roles(OperatorRoles.Admin)]
public static class ImportLiteLlmConfigEndpoint
{
    public const int MaxBytes = 1 << 20;

    [WolverinePost("/api/migrations/litellm")]
    public static async Task<IResult> Post(
        bool? apply, HttpContext context, IDocumentSession session, SecretProtector protector, OutboundPolicy outbound, IConfiguration configuration,
        ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        if (context.Request.ContentLength is > MaxBytes)
            return Problems.Field("config", $"The config must be at most {MaxBytes} bytes.");
        using var reader = new StreamReader(context.Request.Body);
        var yaml = await reader.ReadToEndAsync(ct);
        if (yaml.Length > MaxBytes)
            return Problems.Field("config", $"The config must be at most {MaxBytes} bytes.");

        IReadOnlyList<LiteLlmEntry> entries;
        try
        {
            entries = LiteLlmConfig.Parse(yaml, ImportEnvironment.From(configuration, Environment.GetEnvironmentVariable));
            await LiteLlmConfig.CheckUrlsAsync(entries, outbound, ct);
        }
        catch (LiteLlmConfigException e)
        {
            return Problems.Field(e.Field, e.Message);
        }
        var now = clock.GetUtcNow();
        var plan = await LiteLlmImport.PlanAsync(entries, session, now, ct);
        if (apply != true)
            return Results.Ok(plan);
        plan = await LiteLlmImport.ApplyAsync(plan, session, protector, user.Actor(), now, ct);
        await session.SaveChangesAsync(ct);
        return Results.Ok(plan);
    }
}
