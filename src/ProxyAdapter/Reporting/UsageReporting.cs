using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ProxyAdapter.Reporting;

public static class UsageReporting
{
    /// <summary>
    /// The durable usage sink (<see cref="UsageJournal"/>, also readable for its backlog) and the shipper that drains it
    /// through the named governance API client.
    /// </summary>
    public static IServiceCollection AddUsageReporting(this IServiceCollection services, IConfiguration configuration, AdapterIdentity adapter)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(JournalOptions.From(configuration, adapter));
        services.AddSingleton<UsageJournal>();
        services.AddSingleton<IUsageSink>(sp => sp.GetRequiredService<UsageJournal>());
        services.AddHostedService<UsageShipper>();
        return services;
    }
}
