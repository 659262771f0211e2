using Governance.Hosting.Audit;

namespace Governance.Api.Archive;

/// <summary>
/// Archives every <c>Archive:IntervalSeconds</c> (default 3600; 0: only on request) when <c>Archive:Directory</c> is set.
/// Every API node runs it; the advisory lock lets one archive at a time and the others skip that round.
/// </summary>
internal sealed class PeriodicArchive(RequestArchive archive, ArchiveOptions options, ILogger<PeriodicArchive> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Directory is null || options.Interval <= TimeSpan.Zero)
            return;
        log.LogInformation("Archiving request events older than {Horizon} into {Directory} every {Interval}", options.Horizon, options.Directory, options.Interval);
        // Wall-clock ticks: this is scheduling, not a business decision.
        using var timer = new PeriodicTimer(options.Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            using var _ = AuditContext.Begin(new AuditActor(RequestArchive.SystemActor, "archive-" + Guid.NewGuid().ToString("N")));
            try
            {
                await archive.RunAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Nothing half-done stays behind (RequestArchive's remarks): the next round tries again.
                log.LogError(e, "Archiving request events failed");
            }
        }
    }
}

public static class ArchiveServices
{
    public static IServiceCollection AddRequestArchive(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(ArchiveOptions.From(configuration));
        services.AddSingleton<RequestArchive>();
        services.AddHostedService<PeriodicArchive>();
        return services;
    }
}
