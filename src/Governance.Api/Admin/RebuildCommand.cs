using Governance.Projections.Hosting;
using JasperFx;
using JasperFx.CommandLine;
using Marten;

namespace Governance.Api.Admin;

/// <summary>
/// <c>dotnet run --project src/Governance.Api -- rebuild</c>: the rebuild of <c>POST /api/admin/projections/rebuild</c>
/// from the command line, with the same configuration as the API (environment variables, appsettings). Meant for a
/// maintenance window: nothing else should write meanwhile, and no API node should run the dashboards' daemon (stop them;
/// the endpoint instead pauses its own node's daemon). Exit code 0 when nothing was appended during the rebuild.
/// </summary>
[Description("Rebuild every projection (write models and dashboards) from the events; stop API nodes and proxies first", Name = "rebuild")]
public sealed class RebuildCommand : JasperFxAsyncCommand<NetCoreInput>
{
    public override async Task<bool> Execute(NetCoreInput input)
    {
        using var host = input.BuildHost();
        var store = host.Services.GetRequiredService<IDocumentStore>();
        var log = host.Services.GetRequiredService<ILogger<RebuildCommand>>();
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();

        await using var guard = await RebuildGuard.TryAcquireAsync(store, CancellationToken.None);
        if (guard is null)
        {
            Console.Error.WriteLine("A projection rebuild is already running.");
            return false;
        }
        using var daemon = await store.BuildProjectionDaemonAsync();
        var report = await ProjectionRebuild.RunAsync(store, daemon, log, CancellationToken.None);
        Console.WriteLine($"Rebuilt {report.Projections.Count} projections from {report.Events:N0} events in {report.Seconds:0.0} s ({report.EventsPerSecond:N0} events/s).");
        foreach (var projection in report.Projections)
            Console.WriteLine($"  {projection.Name} ({projection.Lifecycle}, {projection.Method}): {projection.Seconds:0.0} s");
        if (report.AppendedDuring > 0)
            Console.Error.WriteLine($"{report.AppendedDuring} events were appended during the rebuild; their streams' documents may be stale. Run it again while nothing writes.");
        return report.AppendedDuring == 0;
    }
}
