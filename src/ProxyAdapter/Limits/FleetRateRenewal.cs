namespace ProxyAdapter.Limits;

/// <summary>
/// Every <c>Proxy:RateLeaseRenewSeconds</c> (20 s, a third of the API's default <c>RateLeases__ParallelTtlSeconds</c>)
/// renews the parallel slots this adapter holds for calls still in flight, and forgets idle keys.
/// </summary>
internal sealed class FleetRateRenewal(FleetRateLimiter fleet, TimeProvider clock, IConfiguration configuration, ILogger<FleetRateRenewal> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!fleet.Enabled)
            return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(configuration.GetValue("Proxy:RateLeaseRenewSeconds", 20.0)), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await fleet.RenewAsync(clock.GetUtcNow(), stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogWarning(e, "Could not renew the fleet's parallel slots");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
