using Governance.Hosting.Audit;
using Governance.Hosting.Outbound;
using Governance.Hosting.Secrets;
using Governance.Projections.Audit;
using JasperFx;
using JasperFx.CommandLine;
using Marten;

namespace Governance.Api.Migration;

public sealed class LiteLlmImportInput : NetCoreInput
{
    [Description("Path of the LiteLLM proxy config.yaml")]
    public string Config { get; set; } = "";

    [Description("Create what the dry run lists (without it, nothing is written)")]
    public bool ApplyFlag { get; set; }
}

/// <summary>
/// <c>dotnet run --project src/Governance.Api -- litellm-import config.yaml [--apply]</c>: the import of
/// <c>POST /api/migrations/litellm</c> from the command line, with the API's configuration and this shell's environment
/// for <c>os.environ/NAME</c>. Prints the plan as JSON; exit code 1 when the config cannot be read.
/// </summary>
[Description("Create providers and models from a LiteLLM proxy config.yaml (dry run unless --apply)", Name = "litellm-import")]
public sealed class LiteLlmImportCommand : JasperFxAsyncCommand<LiteLlmImportInput>
{
    public const string Actor = "system:litellm-import";

    public override async Task<bool> Execute(LiteLlmImportInput input)
    {
        using var host = input.BuildHost();
        IReadOnlyList<LiteLlmEntry> entries;
        try
        {
            // The same rules as the endpoint: only allowed environment names, only addresses the gateway may call.
            var environment = ImportEnvironment.From(host.Services.GetRequiredService<IConfiguration>(), Environment.GetEnvironmentVariable);
            entries = LiteLlmConfig.Parse(await File.ReadAllTextAsync(input.Config), environment);
            await LiteLlmConfig.CheckUrlsAsync(entries, host.Services.GetRequiredService<OutboundPolicy>(), CancellationToken.None);
        }
        catch (Exception e) when (e is LiteLlmConfigException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"{input.Config}: {(e is LiteLlmConfigException c ? $"{c.Field}: " : "")}{e.Message}");
            return false;
        }

        var store = host.Services.GetRequiredService<IDocumentStore>();
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        var now = host.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        using var attributed = AuditContext.Begin(new AuditActor(Actor, "litellm-import-" + Guid.NewGuid().ToString("N")));
        await using var session = store.LightweightSession();
        var plan = await LiteLlmImport.PlanAsync(entries, session, now, CancellationToken.None);
        if (input.ApplyFlag)
        {
            plan = await LiteLlmImport.ApplyAsync(plan, session, host.Services.GetRequiredService<SecretProtector>(), Actor, now, CancellationToken.None);
            await session.SaveChangesAsync();
        }
        Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(plan, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web) { WriteIndented = true }));
        return true;
    }
}
